/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every struct and enum the BPF program and user space share: map keys,
 * values and counters. Plain C types only, explicit padding, and size and
 * offset checks so that both sides (and bpftool, through BTF) agree.
 */
#ifndef XLB_STRUCTS_H
#define XLB_STRUCTS_H

#include "xlb_types.h"
#include "xlb_limits.h"

/* An IPv4 address sits in the first 4 bytes; the other 12 are zero. */
union xlb_addr {
	__u8 bytes[16];
	__be32 v4;
	__be32 v6[4];
};

/* xlb_vips key: one VIP is an address, a port and a protocol. */
struct xlb_vip_key {
	union xlb_addr addr;
	__be16 port;
	__u8 proto;  /* IPPROTO_TCP or IPPROTO_UDP */
	__u8 family; /* XLB_FAMILY_V4 or XLB_FAMILY_V6 */
};

/*
 * Bit 0 of xlb_vip.flags: the LB does not answer ICMP echo for this VIP
 * (the address is answered while any VIP on it answers: xlb_vip_addr).
 */
#define XLB_VIP_F_NO_ICMP_ECHO 0x1

/*
 * Forwarding mode, bits 4-5 of xlb_vip.flags. User space copies them into
 * every pair's xlb_backend.flags (same bits), so an established flow learns
 * its mode from the pair it reads anyway, without a VIP lookup.
 */
#define XLB_VIP_MODE_SHIFT 4
#define XLB_VIP_MODE_MASK (3u << XLB_VIP_MODE_SHIFT)

enum xlb_forward_mode {
	XLB_FORWARD_L2DSR = 0, /* new destination MAC, XDP_TX */
	XLB_FORWARD_IPIP = 1,  /* outer IP header to the backend (encap.h) */
	XLB_FORWARD_GUE = 2,   /* outer IP + UDP, GUE variant 1 (encap.h) */
};

/* xlb_vips value. */
struct xlb_vip {
	__u32 id;	  /* index into xlb_tables and xlb_vip_stats */
	__u32 table_size; /* Maglev slots (prime), fixed for the VIP's life */
	__u32 flags; /* XLB_VIP_F_NO_ICMP_ECHO | XLB_VIP_MODE_MASK (mode) */
	/*
	 * Reserved, 0. A rebuild never rewrites this value (a packet may be
	 * reading it): the table's digest lives in xlb_vip_digest.
	 */
	__u32 reserved;
};

/* xlb_vip_addrs key: an address that at least one VIP uses. */
struct xlb_addr_key {
	union xlb_addr addr;
	__u8 family;
	__u8 pad[3];
};

/* Some VIP on the address answers ICMP echo: not all have NO_ICMP_ECHO. */
#define XLB_ADDR_F_ICMP_ECHO 0x1

/* xlb_vip_addrs value, derived from xlb_vips by user space. */
struct xlb_vip_addr {
	__u16 vips;  /* VIPs on this address */
	__u16 flags; /* XLB_ADDR_F_* */
};

/* Backend (pair) states, in xlb_be_state: any other value reads as down. */
enum xlb_backend_state {
	XLB_STATE_DOWN = 0,	/* takes nothing; its flows move at once */
	XLB_STATE_ACTIVE = 1,	/* takes new and existing flows */
	XLB_STATE_DRAINING = 2, /* keeps its flows, takes no new ones */
};

#define XLB_BACKEND_F_IN_USE 0x1

/*
 * xlb_backends value: one (VIP, backend) pair. Its weight and state live in
 * xlb_be_weight and xlb_be_state under the same index, one scalar each, so
 * bpftool can change them with a few hex bytes.
 */
struct xlb_backend {
	union xlb_addr addr; /* the backend's own address: identity, MAC lookup */
	__u32 vip_id;	     /* the VIP this pair serves */
	/*
	 * Bumped whenever the index is given to a new pair; a connection
	 * remembers it, so a flow never follows a reused index.
	 */
	__u32 gen;
	/*
	 * mac, family and flags: the pair's word, one aligned 8 bytes that
	 * the program reads in one load and libxlb changes on a live pair in
	 * one store (struct xlb_pair_word_args), so a packet never leaves
	 * with bytes of two MACs.
	 */
	__u8 mac[6]; /* l2dsr: destination MAC of forwarded frames */
	__u8 family;
	__u8 flags; /* XLB_BACKEND_F_*, the VIP's XLB_VIP_MODE_MASK bits */
};

#define XLB_PAIR_WORD_OFFSET 24
_Static_assert(__builtin_offsetof(struct xlb_backend, mac) ==
			       XLB_PAIR_WORD_OFFSET &&
		       __builtin_offsetof(struct xlb_backend, flags) ==
			       XLB_PAIR_WORD_OFFSET + 7 &&
		       sizeof(struct xlb_backend) == XLB_PAIR_WORD_OFFSET + 8,
	       "mac, family, flags: the last aligned 8 bytes of the pair");

/* The context of bpf/pair_word.bpf.c: store word as pair's 8 bytes. */
struct xlb_pair_word_args {
	__u32 pair;
	__u32 pad;
	__u64 word;
};

/* Four Maglev slots per array value: array values are 8 bytes anyway. */
struct xlb_table_entry {
	__u16 pair[XLB_SLOTS_PER_ENTRY]; /* pair id, or XLB_PAIR_NONE */
};

/* xlb_conns key: the 5-tuple as it arrives (addresses zero-padded). */
struct xlb_flow_key {
	union xlb_addr saddr;
	union xlb_addr daddr;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 family;
	__u8 pad[2];
};

/* xlb_conns value. */
struct xlb_conn {
	__u32 pair;
	__u32 gen;	    /* xlb_backend.gen when the flow was placed */
	__u64 last_seen_ns; /* UDP only: coarse clock, for the idle timeout */
};

/* Why a VIP packet was dropped: index into xlb_global_counters.drops. */
enum xlb_drop_reason {
	XLB_DROP_TRUNCATED = 0, /* a header or the IP payload is cut short */
	XLB_DROP_BAD_IP_HEADER, /* IPv4 IHL < 5, total length < header */
	XLB_DROP_BAD_L4_HEADER, /* TCP data offset < 5, bad UDP length */
	XLB_DROP_FRAGMENT,	/* IPv4 or IPv6 fragment to a VIP address */
	XLB_DROP_IPV6_EXTHDR,	/* routing header or too long a chain */
	XLB_DROP_NO_BACKEND,	/* the VIP has no active backend */
	XLB_DROP_NO_TABLE,	/* the VIP's table is missing or too small */
	XLB_DROP_REASONS,
};

/*
 * Why an ICMP message to a VIP address was dropped: index into
 * xlb_global_counters.icmp_drops. Only ICMP errors are dropped; an error
 * that quotes no VIP flow passes.
 */
enum xlb_icmp_drop_reason {
	XLB_ICMP_DROP_TRUNCATED = 0, /* outer or quoted header cut short */
	XLB_ICMP_DROP_BAD_QUOTE,     /* quoted IP header not a valid one */
	XLB_ICMP_DROP_NO_BACKEND,    /* the quoted flow's VIP has no backend */
	XLB_ICMP_DROP_REASONS,
};

/* xlb_be_stats: per-CPU, per pair. */
struct xlb_pair_counters {
	__u64 packets;
	__u64 bytes;	 /* L2 frame length */
	__u64 new_flows; /* flows placed on this pair */
	/*
	 * TCP packets from clients with FIN (or RST) set, every one: a FIN
	 * the client retransmits is counted again. new_flows minus ended
	 * flows estimates the connections in flight.
	 */
	__u64 fins;
	__u64 rsts;
};

/* xlb_vip_stats: per-CPU, per VIP. */
struct xlb_vip_counters {
	__u64 packets; /* forwarded */
	__u64 bytes;
	__u64 new_flows;
	__u64 dropped; /* no active backend, or no usable table */
};

/* xlb_global: per-CPU, one entry. */
struct xlb_global_counters {
	__u64 passed;	   /* XDP_PASS: not for a VIP */
	__u64 forwarded;   /* XDP_TX to a backend */
	__u64 conn_hits;   /* a live connection-table entry placed the packet */
	__u64 conn_misses; /* VIP packet (not a SYN) without a live entry */
	__u64 nonsyn_misses; /* of those, TCP: state lost (restart, eviction) */
	__u64 udp_expired;   /* UDP entries found idle past the timeout */
	/*
	 * New-flow packets forwarded by the Maglev table but not inserted in
	 * the connection table: the CPU's insert budget was spent (SYN flood).
	 */
	__u64 lru_bypass;
	/*
	 * XDP_PASS untouched: unicast to another MAC than the interface's
	 * (a bridge flooding unknown unicast); the kernel drops it.
	 */
	__u64 not_for_us;
	__u64 drops[XLB_DROP_REASONS];
	/* ICMP echo requests to a VIP address answered by XDP_TX. */
	__u64 icmp_echo_replied;
	/*
	 * ICMP errors (destination unreachable, fragmentation needed, packet
	 * too big) quoting a VIP flow, sent to the flow's backend.
	 */
	__u64 icmp_errors_steered;
	__u64 icmp_drops[XLB_ICMP_DROP_REASONS];
	/*
	 * ipip and gue: packets sent encapsulated to their backend (XDP_TX,
	 * or XDP_REDIRECT to another interface of the LB: two-armed).
	 */
	__u64 encap_sent;
	/* ipip, gue: no route or no neighbour to the backend, or no source. */
	__u64 encap_no_route;
	/*
	 * ipip, gue: too big for the route after encapsulation: answered with
	 * ICMP fragmentation needed / packet too big (DF or IPv6), or dropped.
	 */
	__u64 encap_too_big;
	/*
	 * ipip, gue: the route leaves by another interface that xlb is not
	 * attached to (not in xlb_devmap): passed untouched. (Sent through
	 * one that it is attached to: XDP_REDIRECT, counted in encap_sent.)
	 */
	__u64 encap_other_dev;
};

/* xlb_meta: what this set of pins is. */
struct xlb_meta {
	__u32 magic;	      /* XLB_META_MAGIC */
	__u32 layout_version; /* XLB_LAYOUT_VERSION of the creator */
	__u32 max_vips;
	__u32 max_backends;
	__u32 conn_table_size;
	__u32 pad;
};

/* xlb_config: run-time settings of the data plane. */
struct xlb_config {
	__u64 udp_timeout_ns;
	/* Seeds the flow hash; LB hosts behind one ECMP group share it. */
	__u32 hash_seed;
	__u32 flags; /* reserved, 0 */
	/*
	 * Connection-table inserts per second per CPU, 0 = unlimited; above
	 * it new flows are forwarded but not remembered (lru_bypass).
	 */
	__u32 new_flow_budget;
	/*
	 * gue: the outer UDP destination port, host order (1-65535; the
	 * backends' xlb-decap --gue-port must match).
	 */
	__u16 gue_port;
	__u16 pad;
	/*
	 * ipip, gue: the outer source address per family (the LB's own
	 * address on the underlay); all zero = unset, such packets count
	 * encap_no_route.
	 */
	union xlb_addr tunnel_source4;
	union xlb_addr tunnel_source6;
};

/* xlb_budget: per-CPU token bucket of the new-flow insert budget. */
struct xlb_budget_state {
	__u64 credit;  /* nano-tokens: an insert spends 10^9 */
	__u64 last_ns; /* coarse clock at the last new flow */
};

/* xlb_prefilter: bit h set when some VIP address hashes to h. */
struct xlb_prefilter {
	__u64 words[XLB_PREFILTER_WORDS];
};

#define XLB_ASSERT_SIZE(type, size)                                         \
	_Static_assert(sizeof(type) == (size), #type " size changed: bump " \
						     "XLB_LAYOUT_VERSION")
#define XLB_ASSERT_OFFSET(type, field, off)                      \
	_Static_assert(__builtin_offsetof(type, field) == (off), \
		       #type "." #field " moved: bump XLB_LAYOUT_VERSION")

XLB_ASSERT_SIZE(union xlb_addr, 16);
XLB_ASSERT_SIZE(struct xlb_vip_key, 20);
XLB_ASSERT_OFFSET(struct xlb_vip_key, port, 16);
XLB_ASSERT_OFFSET(struct xlb_vip_key, family, 19);
XLB_ASSERT_SIZE(struct xlb_vip, 16);
XLB_ASSERT_SIZE(struct xlb_addr_key, 20);
XLB_ASSERT_SIZE(struct xlb_vip_addr, 4);
XLB_ASSERT_SIZE(struct xlb_backend, 32);
XLB_ASSERT_OFFSET(struct xlb_backend, vip_id, 16);
XLB_ASSERT_OFFSET(struct xlb_backend, gen, 20);
XLB_ASSERT_OFFSET(struct xlb_backend, mac, 24);
XLB_ASSERT_OFFSET(struct xlb_backend, flags, 31);
XLB_ASSERT_SIZE(struct xlb_table_entry, 8);
XLB_ASSERT_SIZE(struct xlb_flow_key, 40);
XLB_ASSERT_OFFSET(struct xlb_flow_key, sport, 32);
XLB_ASSERT_OFFSET(struct xlb_flow_key, proto, 36);
XLB_ASSERT_SIZE(struct xlb_conn, 16);
XLB_ASSERT_SIZE(struct xlb_pair_counters, 40);
XLB_ASSERT_SIZE(struct xlb_vip_counters, 32);
XLB_ASSERT_SIZE(struct xlb_global_counters,
		8 * (14 + XLB_DROP_REASONS + XLB_ICMP_DROP_REASONS));
XLB_ASSERT_SIZE(struct xlb_meta, 24);
XLB_ASSERT_SIZE(struct xlb_config, 56);
XLB_ASSERT_OFFSET(struct xlb_config, gue_port, 20);
XLB_ASSERT_OFFSET(struct xlb_config, tunnel_source4, 24);
XLB_ASSERT_SIZE(struct xlb_budget_state, 16);
XLB_ASSERT_SIZE(struct xlb_prefilter, XLB_PREFILTER_WORDS * 8);
_Static_assert(XLB_MAX_BACKENDS < XLB_PAIR_NONE, "pair ids must fit 16 bits");
_Static_assert(XLB_MAX_VIPS <= 0xffff, "xlb_vip_addr.vips is 16 bits");

#endif
