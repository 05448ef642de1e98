// SPDX-License-Identifier: GPL-2.0
/*
 * A backend's MAC changes while packets run (issue 11): every frame leaves
 * with the old MAC or the new one, never a mix of their bytes, and
 * established flows stay on their pair through the change. A writer thread
 * flips the MAC through libxlb (the path of xlbctl backend set and config
 * apply) while this thread runs frames with BPF_PROG_TEST_RUN, each thread
 * on its own CPU so that they really overlap.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "fixture.h"
#include "testing.h"

/* Every byte differs, so a frame with bytes of both is told from either. */
static const __u8 mac_one[6] = { 0x02, 0x11, 0x11, 0x11, 0x11, 0x11 };
static const __u8 mac_two[6] = { 0x06, 0x22, 0x22, 0x22, 0x22, 0x22 };
static const __u8 mac_c[6] = { 0x02, 0, 0, 0, 0, 0xc };

/* MAC sets per xlb_changes_apply: one pair read, then only the stores. */
#define FLIP_BATCH 2000
/* The reader runs this long, or until it saw this many of each MAC. */
#define RUN_SECONDS 3.0
#define RUN_FRAMES 400000

struct flipper {
	struct xlb *xlb;
	struct xlb_vip_key vip;
	union xlb_addr addr;
	__u8 family;
	int cpu;
	atomic_bool stop;
	unsigned long flips;
	int err;
	char msg[256];
};

static void pin_to(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu % sysconf(_SC_NPROCESSORS_ONLN), &set);
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void *flip(void *arg)
{
	struct flipper *fl = arg;
	struct xlb_change *c = calloc(FLIP_BATCH, sizeof(*c));

	if (!c) {
		fl->err = -ENOMEM;
		return NULL;
	}
	pin_to(fl->cpu);
	for (int i = 0; i < FLIP_BATCH; i++) {
		c[i].kind = XLB_CHANGE_BACKEND_SET;
		c[i].vip = fl->vip;
		c[i].spec.addr = fl->addr;
		c[i].spec.family = fl->family;
		c[i].spec.set = XLB_SET_MAC;
		memcpy(c[i].spec.mac, i % 2 ? mac_one : mac_two, 6);
	}
	while (!atomic_load(&fl->stop)) {
		fl->err = xlb_changes_apply(fl->xlb, c, FLIP_BATCH);
		if (fl->err) {
			snprintf(fl->msg, sizeof(fl->msg), "%s", xlb_errmsg());
			break;
		}
		fl->flips += FLIP_BATCH;
	}
	free(c);
	return NULL;
}

static struct pkt_spec flow_spec(__u16 sport, __u8 tcp_flags)
{
	return (struct pkt_spec){ .family = XLB_FAMILY_V4,
				  .src = "192.0.2.7",
				  .dst = "10.0.0.1",
				  .sport = sport,
				  .dport = 80,
				  .proto = IPPROTO_TCP,
				  .tcp_flags = tcp_flags };
}

struct tally {
	unsigned long one, two, torn, other;
	__u8 torn_mac[6];
};

/* Sorts one frame by the destination MAC it left with. */
static void tally_frame(struct tally *t, const struct run *r)
{
	if (r->verdict != XDP_TX) {
		t->other++;
	} else if (!memcmp(r->out, mac_one, 6)) {
		t->one++;
	} else if (!memcmp(r->out, mac_two, 6)) {
		t->two++;
	} else {
		if (!t->torn)
			memcpy(t->torn_mac, r->out, 6);
		t->torn++;
	}
}

/*
 * One backend, its MAC flipped between two values by a writer on the other
 * CPU: established-flow frames (connection-table hits) and SYNs (table
 * picks) never carry a MAC that is neither.
 */
TEST(a_mac_flipped_while_packets_run_is_never_torn)
{
	struct flipper fl = { .cpu = 1 };
	struct tally t = {};
	struct xlb_backend_spec spec;
	struct pkt_spec s;
	struct fixture *f;
	struct pkt est, syn;
	unsigned long runs = 0;
	pthread_t writer;
	struct run r;
	double end;
	int err;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &fl.vip), "vip");
	CHECK(!fixture_backend(f, &fl.vip, "10.0.1.1", mac_one, 100,
			       XLB_STATE_ACTIVE),
	      "backend");
	CHECK(!xlb_parse_addr("10.0.1.1", &spec.addr, &spec.family), "addr");
	fl.xlb = f->xlb;
	fl.addr = spec.addr;
	fl.family = spec.family;

	s = flow_spec(40000, 0x02);
	pkt_build(&syn, &s);
	CHECK(!fixture_run(f, &syn, &r) && r.verdict == XDP_TX, "SYN");
	s = flow_spec(40000, 0x10);
	pkt_build(&est, &s);

	pin_to(0);
	CHECK(!pthread_create(&writer, NULL, flip, &fl), "writer thread");
	end = test_now_s() + RUN_SECONDS;
	while (test_now_s() < end &&
	       (t.one < RUN_FRAMES || t.two < RUN_FRAMES)) {
		/* Seven established frames to one SYN: both paths read it. */
		err = fixture_run(f, runs % 8 ? &est : &syn, &r);
		if (err)
			break;
		tally_frame(&t, &r);
		runs++;
	}
	atomic_store(&fl.stop, true);
	pthread_join(writer, NULL);

	CHECK(!err, "test run: %d", err);
	CHECK(!fl.err, "writer: %s", fl.msg);
	printf("# %lu frames (%lu with the first MAC, %lu the second), "
	       "%lu flips\n",
	       runs, t.one, t.two, fl.flips);
	CHECK(!t.torn,
	      "%lu of %lu frames left with a torn MAC "
	      "(first %02x:%02x:%02x:%02x:%02x:%02x)",
	      t.torn, runs, t.torn_mac[0], t.torn_mac[1], t.torn_mac[2],
	      t.torn_mac[3], t.torn_mac[4], t.torn_mac[5]);
	CHECK_EQ(t.other, 0);
	/* The flips landed among the frames: both MACs were seen. */
	CHECK(t.one > 0 && t.two > 0, "one MAC only: %lu / %lu", t.one, t.two);
}

/*
 * 100 established flows over three backends; one backend's MAC changes:
 * every flow stays on its pair (connection-table hits, no new flows), and
 * the flows of the changed backend leave with its new MAC.
 */
TEST(established_flows_stay_on_their_backend_through_a_mac_change)
{
	const char *const addrs[3] = { "10.0.1.1", "10.0.1.2", "10.0.1.3" };
	const __u8 *macs[3] = { mac_one, mac_c, mac_two };
	struct xlb_backend_spec spec = { .set = XLB_SET_MAC };
	struct xlb_stats stats = {};
	struct xlb_vip_key vip;
	struct fixture *f;
	int pair_of[100], moved = 0, on_changed = 0;
	__u64 new_flows = 0;
	struct pkt_spec s;
	struct pkt p;
	struct run r;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &vip), "vip");
	for (int i = 0; i < 3; i++)
		CHECK(!fixture_backend(f, &vip, addrs[i], macs[i], 100,
				       XLB_STATE_ACTIVE),
		      "backend %s", addrs[i]);
	for (int i = 0; i < 100; i++) {
		s = flow_spec(30000 + i, 0x02);
		pkt_build(&p, &s);
		CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_TX, "SYN");
		pair_of[i] = fixture_pair_of_frame(f, &r);
		CHECK(pair_of[i] >= 0 && pair_of[i] < 3, "pair %d", pair_of[i]);
		on_changed += pair_of[i] == 0;
	}
	CHECK(on_changed > 0, "no flow on the backend that changes");

	CHECK(!xlb_parse_addr(addrs[0], &spec.addr, &spec.family), "addr");
	memcpy(spec.mac, mac_c, 6); /* 10.0.1.1 moves to 10.0.1.2's old MAC */
	CHECK(!xlb_backend_set(f->xlb, &vip, &spec), "set: %s", xlb_errmsg());
	memcpy(spec.mac, mac_two, 6);
	CHECK(!xlb_parse_addr(addrs[1], &spec.addr, &spec.family), "addr");
	CHECK(!xlb_backend_set(f->xlb, &vip, &spec), "set: %s", xlb_errmsg());
	CHECK(!xlb_parse_addr(addrs[2], &spec.addr, &spec.family), "addr");
	memcpy(spec.mac, mac_one, 6);
	CHECK(!xlb_backend_set(f->xlb, &vip, &spec), "set: %s", xlb_errmsg());
	CHECK(!xlb_commit(f->xlb), "commit: %s", xlb_errmsg());
	fixture_forget_pairs(f); /* the MACs it matched frames on changed */
	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	for (int i = 0; i < 3; i++)
		new_flows += stats.pairs[i].new_flows;
	CHECK_EQ(new_flows, 100);

	/* Every MAC changed (a rotation): frames still name their pair. */
	for (int i = 0; i < 100; i++) {
		s = flow_spec(30000 + i, 0x10);
		pkt_build(&p, &s);
		CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_TX, "ACK");
		moved += fixture_pair_of_frame(f, &r) != pair_of[i];
	}
	CHECK_EQ(moved, 0);
	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	CHECK_EQ(stats.global.conn_hits, 100);
	new_flows = 0;
	for (int i = 0; i < 3; i++)
		new_flows += stats.pairs[i].new_flows;
	CHECK_EQ(new_flows, 100);
	xlb_stats_free(&stats);
}
