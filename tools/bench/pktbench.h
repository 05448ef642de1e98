/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What tools/bench/pktbench.c shares with its three XDP programs: the floor
 * forwarder, the live-frames sender and the backends' packet sink.
 */
#ifndef PKTBENCH_H
#define PKTBENCH_H

#define PKTBENCH_MAX_BACKENDS 16
/* Ethernet + IPv4 (no options) + UDP: what the sender writes per frame. */
#define PKTBENCH_HDR_LEN 42

struct pktbench_mac {
	unsigned char addr[6];
	unsigned char pad[2];
};

/* The sink's counters, per CPU, summed by user space. */
struct pktbench_sink_stats {
	unsigned long long packets; /* UDP to the benchmark port: dropped here */
	unsigned long long other;   /* everything else: passed to the stack */
};

#endif
