// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * A minimal static L2 switch in XDP for the benchmark topology: a Linux bridge
 * costs more per frame than the balancer under test, this costs one hash
 * lookup and a redirect. The topology script knows every MAC on the segment,
 * so the forwarding table is filled once and never learns. Kernel 5.15
 * features only (BPF_F_BROADCAST needs 5.14).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "xdp-switch.h"

/* Egress ports, keyed by ifindex; also the flood set. */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, SW_MAX_PORTS);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sw_ports SEC(".maps");

/* Static forwarding table: destination MAC -> egress ifindex. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SW_MAX_PORTS);
	__type(key, struct sw_mac);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sw_fdb SEC(".maps");

/* Frame counters, one lookup per frame. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct sw_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} sw_stats SEC(".maps");

SEC("xdp")
int xdp_switch(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct sw_mac key = {};
	struct sw_stats *stats;
	__u32 zero = 0;
	__u32 *egress;

	stats = bpf_map_lookup_elem(&sw_stats, &zero);
	if (!stats)
		return XDP_ABORTED;
	stats->rx++;

	if ((void *)(eth + 1) > data_end) {
		stats->drop_short++;
		return XDP_DROP;
	}

	/* The group bit covers broadcast (ARP) and multicast (IPv6 ND). */
	if (eth->h_dest[0] & 1) {
		stats->flooded++;
		return bpf_redirect_map(
			&sw_ports, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS);
	}

	__builtin_memcpy(key.addr, eth->h_dest, sizeof(key.addr));
	egress = bpf_map_lookup_elem(&sw_fdb, &key);
	if (!egress) {
		stats->drop_unknown++;
		return XDP_DROP;
	}
	if (*egress == ctx->ingress_ifindex) {
		stats->drop_hairpin++;
		return XDP_DROP;
	}
	stats->forwarded++;
	/* The low bits of flags are the verdict when the port is gone. */
	return bpf_redirect_map(&sw_ports, *egress, XDP_DROP);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
