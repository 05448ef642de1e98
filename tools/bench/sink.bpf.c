// SPDX-License-Identifier: GPL-2.0
/*
 * The backends' packet sink: counts and drops UDP frames to the benchmark
 * port (any destination address: the VIP for DSR rows, the backend's own
 * address behind NAT), passes everything else. Counting in XDP keeps the
 * backends' socket layer out of a packet-rate measurement of the LB; being an
 * XDP program it also turns on the veth's NAPI for XDP_TX'd frames.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "pktbench.h"

const volatile __be16 sink_port;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pktbench_sink_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} pktbench_sink SEC(".maps");

SEC("xdp")
int sink(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct pktbench_sink_stats *stats;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp;
	__u32 zero = 0;

	stats = bpf_map_lookup_elem(&pktbench_sink, &zero);
	if (!stats)
		return XDP_PASS;
	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(0x0800) ||
	    ip->protocol != IPPROTO_UDP || ip->ihl != 5)
		goto pass;
	udp = (void *)(ip + 1);
	if ((void *)(udp + 1) > data_end || udp->dest != sink_port)
		goto pass;
	stats->packets++;
	return XDP_DROP;
pass:
	stats->other++;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
