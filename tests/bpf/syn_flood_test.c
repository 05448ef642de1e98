// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 11: a SYN flood does not evict established flows. With a per-CPU
 * budget on connection-table inserts, new flows past it are forwarded by the
 * Maglev table but not remembered (lru_bypass), so the table keeps room for
 * the flows it already holds. Everything runs on one CPU (the budget and the
 * LRU lists are per CPU) through BPF_PROG_TEST_RUN. The established flows
 * send a packet every 100,000 SYNs, more than the CPU's share of the table:
 * with the budget at 0 (unlimited) about 40 of the 100 lose their entry.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fixture.h"
#include "testing.h"

#define TABLE 65536
/* The 1,000,000 (below 2^20: the source permutation below). */
#define FLOOD 1000000
#define ESTABLISHED 100
/* Inserts per second on the one CPU: far below its share of the table. */
#define BUDGET 100
#define CHECK_EVERY 100000

static const __u8 mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const __u8 mac_b[6] = { 0x02, 0, 0, 0, 0, 0xb };
static const __u8 mac_c[6] = { 0x02, 0, 0, 0, 0, 0xc };

static void unpin(void *arg)
{
	cpu_set_t set;

	(void)arg;
	CPU_ZERO(&set);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Pins the thread to the first CPU it may run on; -1 when none. */
static int pin_one_cpu(void)
{
	cpu_set_t set;

	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (!sched_setaffinity(0, sizeof(set), &set))
			return cpu;
	}
	return -1;
}

static struct pkt_spec established(int i, __u8 flags)
{
	return (struct pkt_spec){ .family = XLB_FAMILY_V4,
				  .src = "192.0.2.1",
				  .dst = "10.0.0.1",
				  .sport = 20000 + i,
				  .dport = 80,
				  .proto = IPPROTO_TCP,
				  .tcp_flags = flags,
				  .payload = 16 };
}

/*
 * The backend (0 a, 1 b, 2 c) flow i of the established set reaches, by
 * the frame's MAC (no map reads: this runs thousands of times), or -1.
 */
static int send_established(struct fixture *f, int i, __u8 flags)
{
	const __u8 *macs[] = { mac_a, mac_b, mac_c };
	struct pkt_spec s = established(i, flags);
	struct pkt p;
	struct run r;

	pkt_build(&p, &s);
	if (fixture_run(f, &p, &r) || r.verdict != XDP_TX)
		return -1;
	for (int b = 0; b < 3; b++)
		if (!memcmp(r.out, macs[b], 6))
			return b;
	return -1;
}

/* The backend index (as send_established gives) of a pair id, or -1. */
static int backend_of_pair(struct fixture *f, __u32 pair)
{
	const __u8 *macs[] = { mac_a, mac_b, mac_c };
	struct xlb_backend be;

	if (bpf_map_lookup_elem(xlb_map_fd(f->xlb, XLB_MAP_BACKENDS), &pair,
				&be))
		return -1;
	for (int b = 0; b < 3; b++)
		if (!memcmp(be.mac, macs[b], 6))
			return b;
	return -1;
}

static int set_budget(struct fixture *f, __u32 budget)
{
	struct xlb_config cfg;

	if (xlb_config_get(f->xlb, &cfg))
		return -1;
	cfg.new_flow_budget = budget;
	return xlb_config_set(f->xlb, &cfg);
}

static long count_entries(struct fixture *f)
{
	int fd = xlb_map_fd(f->xlb, XLB_MAP_CONNS);
	struct xlb_flow_key key, next;
	long n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

TEST(syn_flood_past_the_budget_keeps_established_flows)
{
	struct xlb_create_opts opts = { .conn_table_size = TABLE };
	int pair_of[ESTABLISHED], moved = 0, lost = 0, not_tx = 0;
	struct pkt_spec flood_spec = { .family = XLB_FAMILY_V4,
				       .src = "198.18.0.0",
				       .dst = "10.0.0.1",
				       .sport = 1,
				       .dport = 80,
				       .proto = IPPROTO_TCP,
				       .tcp_flags = 0x02 };
	struct xlb_stats stats = {};
	__u64 new_flows = 0, inserted, bound;
	struct xlb_vip_key vip;
	struct fixture *f;
	double t0, elapsed;
	long entries;
	struct pkt p;

	test_defer(unpin, NULL);
	CHECK(pin_one_cpu() >= 0, "cannot pin to a CPU");
	FIXTURE(f, &opts);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &vip), "vip");
	CHECK(!fixture_backend(f, &vip, "10.0.1.1", mac_a, 1, 1), "be a");
	CHECK(!fixture_backend(f, &vip, "10.0.1.2", mac_b, 1, 1), "be b");
	CHECK(!set_budget(f, BUDGET), "budget: %s", xlb_errmsg());

	for (int i = 0; i < ESTABLISHED; i++) {
		pair_of[i] = send_established(f, i, 0x02);
		CHECK(pair_of[i] >= 0, "SYN of flow %d not forwarded", i);
	}

	/* Sources 198.18.0.0/15 x ports: a permutation of 20 bits. */
	pkt_build(&p, &flood_spec);
	t0 = test_now_s();
	for (__u32 i = 0; i < FLOOD; i++) {
		__u32 x = (i * 0x9e3b5u + 0x5bd1u) & 0xfffff;
		__be32 saddr = htonl(0xc6120000u | (x >> 16) << 8 | 1);
		__be16 sport = htons(x & 0xffff);
		LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = p.data,
			    .data_size_in = p.len, .repeat = 1);

		memcpy(p.data + p.l3 + 12, &saddr, 4);
		memcpy(p.data + p.l4, &sport, 2);
		CHECK(!bpf_prog_test_run_opts(f->prog_fd, &run), "test run: %s",
		      strerror(errno));
		not_tx += run.retval != XDP_TX;
		if (i % CHECK_EVERY)
			continue;
		for (int e = 0; e < ESTABLISHED; e++)
			moved += send_established(f, e, 0x10) != pair_of[e];
	}
	elapsed = test_now_s() - t0;
	CHECK_EQ(not_tx, 0);
	CHECK(moved == 0, "%d established packets changed backend", moved);

	/* A weight change rebuilds the table: remembered flows stay. */
	CHECK(!fixture_backend(f, &vip, "10.0.1.3", mac_c, 2, 1), "be c");
	for (int e = 0; e < ESTABLISHED; e++) {
		struct pkt_spec s = established(e, 0x10);
		struct xlb_flow_key key = pkt_flow_key(&s);
		struct xlb_conn conn;

		lost += !!bpf_map_lookup_elem(xlb_map_fd(f->xlb, XLB_MAP_CONNS),
					      &key, &conn);
		moved += send_established(f, e, 0x10) != pair_of[e];
	}
	CHECK(lost == 0, "%d of %d established entries gone", lost,
	      ESTABLISHED);
	CHECK(moved == 0, "%d established flows moved after the rebuild",
	      moved);

	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	for (__u32 i = 0; i < stats.max_backends; i++)
		new_flows += stats.pairs[i].new_flows;
	CHECK_EQ(new_flows, (__u64)ESTABLISHED + FLOOD);
	CHECK_EQ(stats.global.conn_misses, 0);
	CHECK_EQ(stats.global.conn_hits,
		 (__u64)ESTABLISHED * (FLOOD / CHECK_EVERY + 1));
	inserted = FLOOD - stats.global.lru_bypass;
	/* The bucket: a burst of one second's budget, then BUDGET per s. */
	bound = (__u64)(BUDGET * (elapsed + 2.0));
	CHECK(inserted <= bound,
	      "%llu flood flows inserted in %.1f s: above the budget's %llu",
	      (unsigned long long)inserted, elapsed, (unsigned long long)bound);
	/* ... and it is not stingier either (the SYNs above spent the burst). */
	CHECK(inserted + BUDGET >= BUDGET * elapsed / 2,
	      "only %llu flood flows inserted in %.1f s",
	      (unsigned long long)inserted, elapsed);
	entries = count_entries(f);
	CHECK(entries == (long)(ESTABLISHED + inserted),
	      "table holds %ld entries, expected %d established + %llu",
	      entries, ESTABLISHED, (unsigned long long)inserted);
	printf("  %d SYNs in %.1f s (%.2f us each) against %d entries, "
	       "budget %d/s: %llu inserted, %llu bypassed, %d established "
	       "flows all kept\n",
	       FLOOD, elapsed, elapsed * 1e6 / FLOOD, TABLE, BUDGET,
	       (unsigned long long)inserted,
	       (unsigned long long)stats.global.lru_bypass, ESTABLISHED);
	xlb_stats_free(&stats);
}

/*
 * A bypassed flow has no entry: each of its packets is placed through the
 * table again (and tries the budget again), so after a weight change it
 * moves exactly when its slot changed owner. Budget 0 is unlimited.
 */
TEST(bypassed_flow_follows_the_table_and_zero_is_unlimited)
{
	struct xlb_create_opts opts = { .conn_table_size = 4096 };
	int fd, first, second, after;
	struct xlb_stats stats = {};
	struct xlb_flow_key key;
	struct xlb_vip_key vip;
	struct pkt_spec s1 = established(1, 0x02), s2 = established(2, 0x02);
	struct xlb_conn conn;
	struct fixture *f;
	__u16 predicted;

	test_defer(unpin, NULL);
	CHECK(pin_one_cpu() >= 0, "cannot pin to a CPU");
	FIXTURE(f, &opts);
	fd = xlb_map_fd(f->xlb, XLB_MAP_CONNS);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &vip), "vip");
	CHECK(!fixture_backend(f, &vip, "10.0.1.1", mac_a, 1, 1), "be a");
	CHECK(!fixture_backend(f, &vip, "10.0.1.2", mac_b, 1, 1), "be b");
	CHECK(set_budget(f, XLB_NEW_FLOW_BUDGET_MAX + 1), "a budget above the "
							  "maximum accepted");
	/* One insert per second: the first flow's SYN spends the burst. */
	CHECK(!set_budget(f, 1), "budget: %s", xlb_errmsg());
	first = send_established(f, 1, 0x02);
	second = send_established(f, 2, 0x02);
	CHECK(first >= 0 && second >= 0, "SYNs not forwarded");
	key = pkt_flow_key(&s1);
	CHECK(!bpf_map_lookup_elem(fd, &key, &conn), "first flow not kept");
	key = pkt_flow_key(&s2);
	CHECK(bpf_map_lookup_elem(fd, &key, &conn), "second flow inserted "
						    "past the budget");
	CHECK(send_established(f, 2, 0x10) == second, "bypassed flow moved");

	/* Backend c with most of the weight: the table changes. */
	CHECK(!fixture_backend(f, &vip, "10.0.1.3", mac_c, 8, 1), "be c");
	CHECK(!fixture_predict(f, &vip, &key, &predicted), "predict");
	after = send_established(f, 2, 0x10);
	CHECK(after == backend_of_pair(f, predicted),
	      "bypassed flow on backend %d, its slot names pair %u", after,
	      predicted);
	CHECK(send_established(f, 1, 0x10) == first, "remembered flow moved on "
						     "the rebuild");

	/*
	 * A SYN reusing the remembered 5-tuple, bypassed: it goes where the
	 * table says and the old entry goes, so its ACK follows the SYN.
	 */
	key = pkt_flow_key(&s1);
	CHECK(!fixture_predict(f, &vip, &key, &predicted), "predict");
	after = send_established(f, 1, 0x02);
	CHECK(after == backend_of_pair(f, predicted), "SYN on backend %d",
	      after);
	CHECK(bpf_map_lookup_elem(fd, &key, &conn), "old entry kept");
	CHECK(send_established(f, 1, 0x10) == after, "the ACK left the SYN's "
						     "backend");
	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	CHECK_EQ(stats.global.lru_bypass, 5);
	CHECK_EQ(stats.global.conn_hits, 1);
	xlb_stats_free(&stats);

	/* Unlimited: every new flow is remembered, nothing bypassed. */
	CHECK(!set_budget(f, 0), "budget 0");
	for (int i = 10; i < 60; i++)
		CHECK(send_established(f, i, 0x02) >= 0, "SYN %d", i);
	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	CHECK_EQ(stats.global.lru_bypass, 5);
	CHECK(count_entries(f) == 50, "%ld entries, expected 50",
	      count_entries(f));
	xlb_stats_free(&stats);
}
