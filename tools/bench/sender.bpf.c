// SPDX-License-Identifier: GPL-2.0
/*
 * The live-frames UDP sender: run by BPF_PROG_TEST_RUN with
 * BPF_F_TEST_XDP_LIVE_FRAMES on the client's interface, every XDP_TX is a
 * frame on the wire. The kernel recycles the page without restoring the
 * template, so the whole header is written on every frame; only the source
 * port changes (one flow per port), and UDP over IPv4 needs no checksum.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "pktbench.h"

/*
 * Set by the loader before load: the frame's header, source port 0. Not
 * const: clang folds a const array copied with memcpy to its zero initialiser.
 */
__u8 header[PKTBENCH_HDR_LEN];
const volatile __u16 sport_base;
const volatile __u32 n_flows = 1;

/* One sending thread: plain counters are enough. */
__u64 sent;
__u32 next_flow;

SEC("xdp")
int sender(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u16 *sport;
	__u32 flow;

	if (data + PKTBENCH_HDR_LEN > data_end)
		return XDP_ABORTED;
	__builtin_memcpy(data, header, PKTBENCH_HDR_LEN);
	flow = next_flow;
	next_flow = flow + 1 >= n_flows ? 0 : flow + 1;
	sport = data + 34;
	*sport = bpf_htons(sport_base + flow);
	sent++;
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
