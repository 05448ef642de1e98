// SPDX-License-Identifier: GPL-2.0
/*
 * The floor forwarder of the side-by-side benchmark: the least an XDP L4
 * balancer does on this path, and so its physical limit. Parse Ethernet,
 * IPv4 (any IHL) and the ports, hash the 5-tuple with xlb's flow hash, pick a
 * backend MAC by hash, rewrite the MACs, XDP_TX. No connection table, no
 * weights, no counters: a flow stays on its backend only because the hash of
 * its 5-tuple does not change.
 *
 * floor_fwd_conn is the stateful floor: the same plus one lookup in a table
 * of exactly xlb's connection-table kind (insert on a miss), the least any
 * balancer that keeps flows on their backend pays.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xlb_hash.h"
#include "conn_table.h"
#include "pktbench.h"

/* Set by the loader before load. */
const volatile __be32 vip_addr;
const volatile __be16 vip_port;
const volatile __u8 vip_proto;
const volatile __u32 n_backends = 1;
/* Not const: clang folds a const array copied with memcpy to zeroes. */
struct pktbench_mac own_mac;
struct pktbench_mac backend_macs[PKTBENCH_MAX_BACKENDS];

struct {
	XLB_CONN_TABLE_DEFINITION;
} floor_conns SEC(".maps");

static __always_inline int forward(struct xdp_md *ctx, bool stateful)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct xlb_flow_key key = {};
	struct xlb_conn *conn;
	struct iphdr *ip;
	__u16 *ports;
	__u32 slot;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(0x0800))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->daddr != vip_addr ||
	    ip->protocol != vip_proto || ip->ihl < 5)
		return XDP_PASS;
	ports = (void *)ip + ip->ihl * 4;
	if ((void *)(ports + 2) > data_end)
		return XDP_DROP;
	if (ports[1] != vip_port)
		return XDP_PASS;
	key.saddr.v4 = ip->saddr;
	key.daddr.v4 = ip->daddr;
	key.sport = ports[0];
	key.dport = ports[1];
	key.proto = ip->protocol;
	key.family = XLB_FAMILY_V4;
	slot = xlb_hash_to_slot(xlb_flow_hash(&key, 0), n_backends);
	if (stateful) {
		conn = bpf_map_lookup_elem(&floor_conns, &key);
		if (conn) {
			slot = conn->pair;
		} else {
			struct xlb_conn fresh = { .pair = slot };

			bpf_map_update_elem(&floor_conns, &key, &fresh,
					    BPF_ANY);
		}
	}
	if (slot >= PKTBENCH_MAX_BACKENDS)
		return XDP_DROP;
	__builtin_memcpy(eth->h_dest, backend_macs[slot].addr, 6);
	__builtin_memcpy(eth->h_source, own_mac.addr, 6);
	return XDP_TX;
}

SEC("xdp")
int floor_fwd(struct xdp_md *ctx)
{
	return forward(ctx, false);
}

SEC("xdp")
int floor_fwd_conn(struct xdp_md *ctx)
{
	return forward(ctx, true);
}

char LICENSE[] SEC("license") = "GPL";
