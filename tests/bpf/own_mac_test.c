// SPDX-License-Identifier: GPL-2.0
/*
 * Own-MAC filter: only unicast frames addressed to the interface's MAC are
 * balanced. A frame a bridge floods to us (unicast to another MAC) passes
 * byte for byte and is counted as not_for_us, even when it is VIP traffic of
 * a flow this LB already placed; broadcast and multicast pass as before.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <string.h>

#include "fixture.h"
#include "testing.h"

static const __u8 mac_be[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const __u8 other_host[6] = { 0x02, 0x1b, 0x00, 0x00, 0x00, 0x03 };
static const __u8 broadcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const __u8 v6_multicast[6] = { 0x33, 0x33, 0xff, 0x00, 0x00, 0x01 };

static const struct pkt_spec syn4 = { .family = XLB_FAMILY_V4,
				      .src = "192.0.2.1",
				      .dst = "10.0.0.1",
				      .sport = 1234,
				      .dport = 80,
				      .proto = IPPROTO_TCP,
				      .tcp_flags = 0x02,
				      .payload = 10 };
static const struct pkt_spec udp6 = { .family = XLB_FAMILY_V6,
				      .src = "2001:db8::1",
				      .dst = "fd00::1",
				      .sport = 1234,
				      .dport = 53,
				      .proto = IPPROTO_UDP,
				      .payload = 10 };

static int setup(struct fixture *f)
{
	struct xlb_vip_key key;

	if (fixture_vip(f, "10.0.0.1:80/tcp", &key) ||
	    fixture_backend(f, &key, "10.0.1.1", mac_be, 1, 1) ||
	    fixture_vip(f, "[fd00::1]:53/udp", &key) ||
	    fixture_backend(f, &key, "fd00:1::1", mac_be, 1, 1))
		return -1;
	return 0;
}

/* Runs p with its destination MAC set to dst; returns the verdict. */
static __u32 run_to(struct fixture *f, struct pkt *p, const __u8 dst[6],
		    bool *untouched)
{
	struct run r;

	memcpy(p->data, dst, 6);
	if (fixture_run(f, p, &r))
		return XDP_ABORTED;
	*untouched = r.out_len == p->len && !memcmp(r.out, p->data, p->len);
	return r.verdict;
}

TEST(frames_to_another_mac_pass_untouched_and_are_counted)
{
	struct xlb_stats stats = {};
	struct fixture *f;
	bool untouched;
	struct pkt p;

	FIXTURE(f, NULL);
	CHECK(!setup(f), "setup");

	/* A flooded SYN and UDP datagram to VIPs: not ours to balance. */
	pkt_build(&p, &syn4);
	CHECK_EQ(run_to(f, &p, other_host, &untouched), XDP_PASS);
	CHECK(untouched, "a flooded SYN was changed");
	pkt_build(&p, &udp6);
	CHECK_EQ(run_to(f, &p, other_host, &untouched), XDP_PASS);
	CHECK(untouched, "a flooded UDP datagram was changed");
	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	CHECK_EQ(stats.global.not_for_us, 2);
	CHECK_EQ(stats.global.forwarded, 0);
	CHECK_EQ(stats.global.passed, 0);
	CHECK_EQ(stats.global.conn_misses, 0);

	/* The same frames to our MAC are balanced. */
	pkt_build(&p, &syn4);
	CHECK_EQ(run_to(f, &p, fixture_lb_mac, &untouched), XDP_TX);
	pkt_build(&p, &udp6);
	CHECK_EQ(run_to(f, &p, fixture_lb_mac, &untouched), XDP_TX);

	/* A placed flow's next packet, flooded: still not ours. */
	pkt_build(&p, &syn4);
	p.data[p.l4 + 13] = 0x10; /* ACK */
	CHECK_EQ(run_to(f, &p, other_host, &untouched), XDP_PASS);
	CHECK(untouched, "a flooded ACK of a placed flow was changed");
	CHECK_EQ(run_to(f, &p, fixture_lb_mac, &untouched), XDP_TX);

	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	CHECK_EQ(stats.global.not_for_us, 3);
	CHECK_EQ(stats.global.forwarded, 3);
	CHECK_EQ(stats.global.conn_hits, 1);
	xlb_stats_free(&stats);
}

TEST(broadcast_and_multicast_pass_and_are_not_counted_as_other_host)
{
	struct xlb_stats stats = {};
	struct fixture *f;
	bool untouched;
	struct pkt p;

	FIXTURE(f, NULL);
	CHECK(!setup(f), "setup");

	pkt_build(&p, &syn4);
	CHECK_EQ(run_to(f, &p, broadcast, &untouched), XDP_PASS);
	CHECK(untouched, "a broadcast frame was changed");
	pkt_build(&p, &udp6);
	CHECK_EQ(run_to(f, &p, v6_multicast, &untouched), XDP_PASS);
	CHECK(untouched, "a multicast frame was changed");

	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	CHECK_EQ(stats.global.passed, 2);
	CHECK_EQ(stats.global.not_for_us, 0);
	CHECK_EQ(stats.global.forwarded, 0);
	xlb_stats_free(&stats);
}
