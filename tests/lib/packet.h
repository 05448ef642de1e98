/* SPDX-License-Identifier: GPL-2.0 */
/* Building test frames: Ethernet (+802.1Q), IPv4/IPv6, TCP/UDP/ICMP. */
#ifndef XLB_TEST_PACKET_H
#define XLB_TEST_PACKET_H

#include <stdbool.h>
#include <stddef.h>

#include "xlb_structs.h"

#define PKT_MAX 512

struct pkt {
	__u8 data[PKT_MAX];
	__u32 len;
	__u32 l3; /* offset of the IP header */
	__u32 l4; /* offset of the TCP/UDP/ICMP header */
};

struct pkt_spec {
	__u8 family;	       /* XLB_FAMILY_V4 or XLB_FAMILY_V6 */
	const char *src, *dst; /* addresses as text */
	__u16 sport, dport;    /* host order */
	__u8 proto;	       /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP(V6) */
	__u8 tcp_flags;	       /* e.g. 0x02 SYN, 0x10 ACK */
	__u16 vlan;	       /* 802.1Q VLAN id; 0: untagged */
	__u16 payload;	       /* payload bytes after the L4 header */
	__u8 ip_options; /* IPv4: option bytes (multiple of 4, up to 40) */
	__u8 v6_ext;	 /* IPv6: extension header before L4 (0 = none) */
};

/* The MACs every test frame carries (client -> LB). */
extern const __u8 pkt_src_mac[6], pkt_dst_mac[6];

void pkt_build(struct pkt *p, const struct pkt_spec *s);
/* The 5-tuple the data plane keys this frame on. */
struct xlb_flow_key pkt_flow_key(const struct pkt_spec *s);
void pkt_ipv4_checksum(struct pkt *p);

#endif
