// SPDX-License-Identifier: GPL-2.0
/*
 * Operator intent and brain opinion (xlb_pair_intent) composed into what the
 * data plane reads; writes validated before the first one (issue 15 item 5);
 * the publish order of a pair (item 11); table rebuilds of many VIPs in one
 * batch that never rewrite xlb_vips (item 9); client FIN/RST counters.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "fixture.h"
#include "maglev.h"
#include "testing.h"

static const __u8 mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const __u8 mac_b[6] = { 0x02, 0, 0, 0, 0, 0xb };

static int brain(struct fixture *f, const struct xlb_vip_key *vip,
		 const char *addr, __u32 factor, __u32 health, __u32 reason)
{
	union xlb_addr a;
	__u8 family;
	int err = xlb_parse_addr(addr, &a, &family);

	if (!err)
		err = xlb_pair_set_brain(f->xlb, vip, &a, family, factor,
					 health, reason);
	if (!err)
		err = xlb_commit(f->xlb);
	return err;
}

#define EXPECT_PAIR(f, key, addr, w, s, bw, os)                              \
	do {                                                                 \
		struct xlb_pair_info p_;                                     \
		CHECK(!fixture_pair_find(f, key, addr, &p_, NULL), "%s",     \
		      xlb_errmsg());                                         \
		CHECK(p_.weight == (w) && p_.state == (s) &&                 \
			      p_.base_weight == (bw) && p_.op_state == (os), \
		      "weight %u state %u base %u op %u; expected %u %u "    \
		      "%u %u",                                               \
		      p_.weight, p_.state, p_.base_weight, p_.op_state,      \
		      (unsigned)(w), (unsigned)(s), (unsigned)(bw),          \
		      (unsigned)(os));                                       \
	} while (0)

TEST(without_a_brain_the_maps_hold_the_operators_values)
{
	struct xlb_pair_info p;
	struct xlb_vip_key key;
	struct fixture *f;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 250, 1), "add");
	CHECK(!fixture_pair_find(f, &key, "10.0.1.1", &p, NULL), "%s",
	      xlb_errmsg());
	CHECK(p.factor == XLB_FACTOR_ONE && p.health == XLB_HEALTH_OK &&
		      p.reason == 0,
	      "factor %u health %u reason %u", p.factor, p.health, p.reason);
	EXPECT_PAIR(f, &key, "10.0.1.1", 250, XLB_STATE_ACTIVE, 250,
		    XLB_OP_ACTIVE);
	CHECK(!fixture_set(f, &key, "10.0.1.1", XLB_SET_WEIGHT | XLB_SET_STATE,
			   70, XLB_OP_DRAINING),
	      "set");
	EXPECT_PAIR(f, &key, "10.0.1.1", 70, XLB_STATE_DRAINING, 70,
		    XLB_OP_DRAINING);
	/* A standby pair is down in the data plane, standby in the intent. */
	CHECK(!fixture_set(f, &key, "10.0.1.1", XLB_SET_STATE, 0,
			   XLB_OP_STANDBY),
	      "standby");
	EXPECT_PAIR(f, &key, "10.0.1.1", 70, XLB_STATE_DOWN, 70,
		    XLB_OP_STANDBY);
}

TEST(brain_factor_and_health_compose_with_the_operators_intent)
{
	struct xlb_pair_info p;
	struct xlb_vip_key key;
	struct fixture *f;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 200, 1), "add");
	CHECK(!brain(f, &key, "10.0.1.1", 500, XLB_HEALTH_OK, 7), "%s",
	      xlb_errmsg());
	EXPECT_PAIR(f, &key, "10.0.1.1", 100, XLB_STATE_ACTIVE, 200,
		    XLB_OP_ACTIVE);
	CHECK(!fixture_pair_find(f, &key, "10.0.1.1", &p, NULL) &&
		      p.factor == 500 && p.reason == 7,
	      "factor %u reason %u", p.factor, p.reason);
	/* The operator's new base weight keeps the brain's factor. */
	CHECK(!fixture_set(f, &key, "10.0.1.1", XLB_SET_WEIGHT, 300, 0), "w");
	EXPECT_PAIR(f, &key, "10.0.1.1", 150, XLB_STATE_ACTIVE, 300,
		    XLB_OP_ACTIVE);
	/* Health draining drains; the operator's state is untouched. */
	CHECK(!brain(f, &key, "10.0.1.1", 500, XLB_HEALTH_DRAINING, 8), "%s",
	      xlb_errmsg());
	EXPECT_PAIR(f, &key, "10.0.1.1", 150, XLB_STATE_DRAINING, 300,
		    XLB_OP_ACTIVE);
	CHECK(!brain(f, &key, "10.0.1.1", 500, XLB_HEALTH_DOWN, 9), "%s",
	      xlb_errmsg());
	EXPECT_PAIR(f, &key, "10.0.1.1", 150, XLB_STATE_DOWN, 300,
		    XLB_OP_ACTIVE);
	/* The brain never undoes an operator's drain. */
	CHECK(!fixture_set(f, &key, "10.0.1.1", XLB_SET_STATE, 0,
			   XLB_OP_DRAINING),
	      "drain");
	CHECK(!brain(f, &key, "10.0.1.1", XLB_FACTOR_MAX, XLB_HEALTH_OK, 0),
	      "%s", xlb_errmsg());
	EXPECT_PAIR(f, &key, "10.0.1.1", 3000, XLB_STATE_DRAINING, 300,
		    XLB_OP_DRAINING);
	/* The effective weight is capped at XLB_WEIGHT_MAX. */
	CHECK(!fixture_set(f, &key, "10.0.1.1", XLB_SET_WEIGHT, 5000, 0), "w");
	EXPECT_PAIR(f, &key, "10.0.1.1", XLB_WEIGHT_MAX, XLB_STATE_DRAINING,
		    5000, XLB_OP_DRAINING);
}

TEST(brain_values_out_of_range_are_refused_and_write_nothing)
{
	static const struct {
		__u32 factor, health;
		int err;
		const char *msg;
	} bad[] = {
		{ 0, XLB_HEALTH_OK, -ERANGE, "factor 0 is out of range" },
		{ XLB_FACTOR_MAX + 1, XLB_HEALTH_OK, -ERANGE,
		  "factor 10001 is out of range [1, 10000]" },
		{ XLB_FACTOR_ONE, 3, -EINVAL, "health 3 is not ok" },
	};
	struct xlb_vip_key key;
	struct fixture *f;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 100, 1), "add");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = brain(f, &key, "10.0.1.1", bad[i].factor,
				bad[i].health, 1);

		CHECK(err == bad[i].err && strstr(xlb_errmsg(), bad[i].msg),
		      "case %zu: %d '%s'", i, err, xlb_errmsg());
		EXPECT_PAIR(f, &key, "10.0.1.1", 100, XLB_STATE_ACTIVE, 100,
			    XLB_OP_ACTIVE);
	}
	CHECK(brain(f, &key, "10.0.1.9", XLB_FACTOR_ONE, 0, 0) == -ENOENT,
	      "unknown backend accepted");
}

/*
 * Item 5: with another pair's weight out of range by hand, a set that its
 * commit could not finish writes nothing (it used to write both values and
 * exit 1 with draining live).
 */
TEST(a_set_that_cannot_be_committed_writes_nothing)
{
	__u32 weight = XLB_WEIGHT_MAX + 1, pair_b = 1;
	struct xlb_backend_spec spec = {
		.weight = 7,
		.state = XLB_OP_DRAINING,
		.set = XLB_SET_WEIGHT | XLB_SET_STATE,
	};
	struct xlb_vip_key key;
	struct xlb_pair_info b;
	struct fixture *f;
	int err;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 100, 1), "a");
	CHECK(!fixture_backend(f, &key, "10.0.1.2", mac_b, 100, 1), "b");
	CHECK(!fixture_pair_find(f, &key, "10.0.1.2", &b, NULL) &&
		      b.id == pair_b,
	      "b id");
	CHECK(!bpf_map_update_elem(xlb_map_fd(f->xlb, XLB_MAP_BE_WEIGHT),
				   &pair_b, &weight, BPF_ANY),
	      "hand edit");
	CHECK(!xlb_parse_addr("10.0.1.1", &spec.addr, &spec.family), "addr");
	err = xlb_backend_set(f->xlb, &key, &spec);
	if (!err)
		err = xlb_commit(f->xlb);
	CHECK(err == -ERANGE && strstr(xlb_errmsg(), "xlb_be_weight[1]"),
	      "%d '%s'", err, xlb_errmsg());
	EXPECT_PAIR(f, &key, "10.0.1.1", 100, XLB_STATE_ACTIVE, 100,
		    XLB_OP_ACTIVE);
}

/* Hand edits: of the intent, recomputed at sync; of the maps, adopted. */
TEST(sync_recomputes_an_intent_edited_by_hand)
{
	struct xlb_pair_intent in;
	struct xlb_vip_key key;
	struct fixture *f;
	__u32 pair = 0;
	int rebuilt;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 100, 1), "a");
	CHECK(!fixture_backend(f, &key, "10.0.1.2", mac_b, 100, 1), "b");
	CHECK(!bpf_map_lookup_elem(xlb_map_fd(f->xlb, XLB_MAP_PAIR_INTENT),
				   &pair, &in),
	      "read intent");
	in.base_weight = 40;
	in.op_state = XLB_OP_DRAINING;
	CHECK(!bpf_map_update_elem(xlb_map_fd(f->xlb, XLB_MAP_PAIR_INTENT),
				   &pair, &in, BPF_ANY),
	      "hand edit");
	CHECK(!xlb_sync(f->xlb, false, &rebuilt), "%s", xlb_errmsg());
	CHECK_EQ(rebuilt, 1);
	EXPECT_PAIR(f, &key, "10.0.1.1", 40, XLB_STATE_DRAINING, 40,
		    XLB_OP_DRAINING);
	CHECK(!xlb_sync(f->xlb, false, &rebuilt) && rebuilt == 0, "resync");
	/* An intent out of range is refused naming its entry. */
	in.base_weight = XLB_WEIGHT_MAX + 5;
	CHECK(!bpf_map_update_elem(xlb_map_fd(f->xlb, XLB_MAP_PAIR_INTENT),
				   &pair, &in, BPF_ANY),
	      "hand edit");
	CHECK(xlb_sync(f->xlb, false, &rebuilt) == -ERANGE &&
		      strstr(xlb_errmsg(), "xlb_pair_intent[0].base_weight"),
	      "'%s'", xlb_errmsg());
	EXPECT_PAIR(f, &key, "10.0.1.1", 40, XLB_STATE_DRAINING,
		    XLB_WEIGHT_MAX + 5, XLB_OP_DRAINING);
}

TEST(client_fins_and_rsts_are_counted_per_packet)
{
	struct pkt_spec spec = { .family = XLB_FAMILY_V4,
				 .src = "192.0.2.1",
				 .dst = "10.0.0.1",
				 .dport = 80,
				 .proto = IPPROTO_TCP };
	/* Flow 1: SYN, ACK, FIN|ACK, FIN|ACK again; flow 2: SYN, RST. */
	static const struct {
		__u16 sport;
		__u8 flags;
	} seq[] = { { 4000, 0x02 }, { 4000, 0x10 }, { 4000, 0x11 },
		    { 4000, 0x11 }, { 4001, 0x02 }, { 4001, 0x04 },
		    { 4002, 0x02 }, { 4002, 0x14 } };
	struct pkt_spec udp = spec;
	struct xlb_stats stats = {};
	struct xlb_vip_key key, ukey;
	struct fixture *f;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_vip(f, "10.0.0.1:53/udp", &ukey), "udp vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 100, 1), "a");
	CHECK(!fixture_backend(f, &ukey, "10.0.1.1", mac_a, 100, 1), "u");
	for (size_t i = 0; i < sizeof(seq) / sizeof(seq[0]); i++) {
		struct pkt p;
		struct run r;

		spec.sport = seq[i].sport;
		spec.tcp_flags = seq[i].flags;
		pkt_build(&p, &spec);
		CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_TX,
		      "packet %zu not forwarded", i);
	}
	/* UDP carries no flags: bytes that look like FIN/RST do not count. */
	udp.dport = 53;
	udp.proto = IPPROTO_UDP;
	udp.payload = 20;
	for (int i = 0; i < 3; i++) {
		struct pkt p;
		struct run r;

		udp.sport = 5000 + i;
		pkt_build(&p, &udp);
		memset(p.data + p.l4 + 8, 0xff, 20);
		CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_TX, "udp not "
								      "forwarde"
								      "d");
	}
	CHECK(!xlb_stats_read(f->xlb, &stats), "%s", xlb_errmsg());
	test_defer((void (*)(void *))xlb_stats_free, &stats);
	CHECK_EQ(stats.pairs[0].packets, 8);
	CHECK_EQ(stats.pairs[0].new_flows, 3);
	CHECK_EQ(stats.pairs[0].fins, 2);
	CHECK_EQ(stats.pairs[0].rsts, 2);
	CHECK_EQ(stats.pairs[1].packets, 3);
	CHECK_EQ(stats.pairs[1].fins, 0);
	CHECK_EQ(stats.pairs[1].rsts, 0);
}

/* --- Item 11: publish order, watched by a reader thread --- */

struct watch {
	struct fixture *f;
	atomic_bool stop;
	atomic_int violations;
	atomic_long checks;
};

/*
 * A pair whose state says active must be a whole pair: its entry in use,
 * its intent written. A torn add (state first) or del (entry first) shows.
 * The reader reads state, entry and intent, then state and entry again, and
 * judges only reads the writer did not cross (same state, same generation:
 * every add bumps it).
 */
static void *watch_pairs(void *arg)
{
	struct watch *w = arg;
	int st_fd = xlb_map_fd(w->f->xlb, XLB_MAP_BE_STATE);
	int be_fd = xlb_map_fd(w->f->xlb, XLB_MAP_BACKENDS);
	int in_fd = xlb_map_fd(w->f->xlb, XLB_MAP_PAIR_INTENT);

	while (!atomic_load(&w->stop)) {
		for (__u32 pair = 0; pair < 2; pair++) {
			struct xlb_backend be, be2;
			struct xlb_pair_intent in;
			__u32 state, state2;

			if (bpf_map_lookup_elem(st_fd, &pair, &state) ||
			    state != XLB_STATE_ACTIVE)
				continue;
			if (bpf_map_lookup_elem(be_fd, &pair, &be) ||
			    bpf_map_lookup_elem(in_fd, &pair, &in) ||
			    bpf_map_lookup_elem(st_fd, &pair, &state2) ||
			    bpf_map_lookup_elem(be_fd, &pair, &be2))
				continue;
			if (state2 != state || be.gen != be2.gen ||
			    be.flags != be2.flags)
				continue; /* the writer moved meanwhile */
			if (!(be.flags & XLB_BACKEND_F_IN_USE) ||
			    in.factor != XLB_FACTOR_ONE)
				atomic_fetch_add(&w->violations, 1);
			atomic_fetch_add(&w->checks, 1);
		}
	}
	return NULL;
}

TEST(a_pair_is_published_by_its_state_last_and_unpublished_first)
{
	struct xlb_backend_spec spec = { .weight = 100,
					 .state = XLB_OP_ACTIVE };
	struct watch w = {};
	struct xlb_vip_key key;
	struct fixture *f;
	pthread_t reader;
	int err = 0;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	memcpy(spec.mac, mac_a, 6);
	CHECK(!xlb_parse_addr("10.0.1.1", &spec.addr, &spec.family), "addr");
	w.f = f;
	CHECK(!pthread_create(&reader, NULL, watch_pairs, &w), "thread");
	for (int i = 0; i < 1500 && !err; i++) {
		err = xlb_backend_add(f->xlb, &key, &spec);
		if (!err)
			err = xlb_backend_del(f->xlb, &key, &spec.addr,
					      spec.family);
	}
	atomic_store(&w.stop, true);
	pthread_join(reader, NULL);
	CHECK(!err, "%s", xlb_errmsg());
	CHECK(atomic_load(&w.checks) > 0, "the reader never saw a pair");
	CHECK(atomic_load(&w.violations) == 0,
	      "%d of %ld reads saw an active state on a half-written pair",
	      atomic_load(&w.violations), atomic_load(&w.checks));
	printf("  %ld reads of active pairs, all whole\n",
	       atomic_load(&w.checks));
}

/* --- Item 9: many tables in one batch; xlb_vips never rewritten --- */

#define MANY_VIPS 100

static int vips_setup(struct fixture *f, struct xlb_vip_key *keys)
{
	char text[64], addr[32];

	for (int v = 0; v < MANY_VIPS; v++) {
		snprintf(text, sizeof(text), "10.0.%d.%d:80/tcp", 10 + v / 200,
			 1 + v % 200);
		if (xlb_parse_vip(text, &keys[v]) ||
		    xlb_vip_add(f->xlb, &keys[v], 251))
			return -1;
		for (int b = 0; b < 2; b++) {
			struct xlb_backend_spec spec = { .weight = 100,
							 .state = 1 };

			memcpy(spec.mac, b ? mac_b : mac_a, 6);
			snprintf(addr, sizeof(addr), "10.1.%d.%d", b, 1 + v);
			if (xlb_parse_addr(addr, &spec.addr, &spec.family) ||
			    xlb_backend_add(f->xlb, &keys[v], &spec))
				return -1;
		}
	}
	return xlb_commit(f->xlb);
}

/* The VIP's table equals a fresh build from its pairs. */
static bool table_right(struct fixture *f, const struct xlb_vip_key *key)
{
	struct xlb_maglev_backend be[4];
	struct xlb_pair_info *pairs;
	__u16 *slots, want[251];
	size_t n;
	__u32 size;
	bool ok;

	if (xlb_backend_list(f->xlb, key, &pairs, &n) || n > 4)
		return false;
	for (size_t i = 0; i < n; i++)
		be[i] = (struct xlb_maglev_backend){
			.addr = pairs[i].be.addr,
			.family = pairs[i].be.family,
			.weight = pairs[i].state == XLB_STATE_ACTIVE
					  ? pairs[i].weight
					  : 0,
			.pair = pairs[i].id,
		};
	free(pairs);
	if (xlb_maglev_build(key, be, n, 251, want) ||
	    xlb_table_read(f->xlb, key, &slots, &size))
		return false;
	ok = size == 251 && !memcmp(slots, want, sizeof(want));
	free(slots);
	return ok;
}

static int vips_dump(struct fixture *f, const struct xlb_vip_key *keys,
		     struct xlb_vip *out)
{
	for (int v = 0; v < MANY_VIPS; v++)
		if (bpf_map_lookup_elem(xlb_map_fd(f->xlb, XLB_MAP_VIPS),
					&keys[v], &out[v]))
			return -1;
	return 0;
}

static __u32 table_id(struct fixture *f, __u32 vip_id)
{
	__u32 id = 0;

	bpf_map_lookup_elem(xlb_map_fd(f->xlb, XLB_MAP_TABLES), &vip_id, &id);
	return id;
}

static void unset_failpoint(void *arg)
{
	(void)arg;
	unsetenv("XLB_FAILPOINT_TABLES");
}

TEST(rebuilding_100_vips_swaps_whole_tables_and_leaves_xlb_vips_alone)
{
	static struct xlb_vip_key keys[MANY_VIPS];
	static struct xlb_vip before[MANY_VIPS], after[MANY_VIPS];
	static __u32 ids[MANY_VIPS];
	struct xlb_vip_entry *list;
	struct fixture *f;
	int rebuilt;
	size_t n;

	FIXTURE(f, NULL);
	CHECK(!vips_setup(f, keys), "setup: %s", xlb_errmsg());
	CHECK(!vips_dump(f, keys, before), "dump");
	for (int v = 0; v < MANY_VIPS; v++)
		ids[v] = table_id(f, before[v].id);

	/* A batch that fails before the swap replaces no table. */
	setenv("XLB_FAILPOINT_TABLES", "1", 1);
	test_defer(unset_failpoint, NULL);
	CHECK(xlb_sync(f->xlb, true, &rebuilt) == -EIO, "failpoint missed");
	unsetenv("XLB_FAILPOINT_TABLES");
	for (int v = 0; v < MANY_VIPS; v++)
		CHECK(table_id(f, before[v].id) == ids[v],
		      "VIP %d: table replaced by a failed batch", v);

	/* Change one weight per VIP, commit all at once. */
	for (int v = 0; v < MANY_VIPS; v++) {
		struct xlb_backend_spec spec = { .weight = 10 + v,
						 .set = XLB_SET_WEIGHT };
		char addr[32];

		snprintf(addr, sizeof(addr), "10.1.0.%d", 1 + v);
		CHECK(!xlb_parse_addr(addr, &spec.addr, &spec.family), "a");
		CHECK(!xlb_backend_set(f->xlb, &keys[v], &spec), "%s",
		      xlb_errmsg());
	}
	CHECK(!xlb_commit(f->xlb), "%s", xlb_errmsg());
	CHECK(!vips_dump(f, keys, after), "dump");
	CHECK(!memcmp(before, after, sizeof(before)), "a rebuild rewrote "
						      "xlb_vips values");
	for (int v = 0; v < MANY_VIPS; v++) {
		CHECK(table_id(f, before[v].id) != ids[v],
		      "VIP %d: table not swapped", v);
		CHECK(table_right(f, &keys[v]), "VIP %d: table wrong", v);
	}
	CHECK(!xlb_vip_list(f->xlb, &list, &n) && n == MANY_VIPS, "list");
	for (size_t i = 0; i < n; i++)
		CHECK(!list[i].table_stale, "VIP %zu stale after commit", i);
	free(list);
	CHECK(!xlb_sync(f->xlb, false, &rebuilt) && rebuilt == 0,
	      "sync found %d stale tables", rebuilt);
	CHECK(!xlb_sync(f->xlb, true, &rebuilt) && rebuilt == MANY_VIPS,
	      "forced sync rebuilt %d", rebuilt);
}

/* The transaction: staged, checked whole, written, rolled back on failure. */
TEST(a_transaction_applies_all_its_pairs_or_none)
{
	struct xlb_backend_spec spec = { .weight = 40, .set = XLB_SET_WEIGHT };
	union xlb_addr a, b;
	struct xlb_vip_key key, other;
	struct xlb_txn *txn;
	struct fixture *f;
	__u8 family;
	int rebuilt;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 100, 1), "a");
	CHECK(!fixture_backend(f, &key, "10.0.1.2", mac_b, 100, 1), "b");
	CHECK(!xlb_parse_addr("10.0.1.1", &a, &family), "addr");
	CHECK(!xlb_parse_addr("10.0.1.2", &b, &family), "addr");
	CHECK(!xlb_parse_vip("10.0.0.9:80/tcp", &other), "vip");

	/* A failure in the table batch puts every pair back. */
	CHECK(!xlb_txn_begin(f->xlb, &txn), "%s", xlb_errmsg());
	test_defer((void (*)(void *))xlb_txn_free, txn);
	CHECK(xlb_txn_set_brain(txn, &key, &a, family, 0, 0, 0) == -ERANGE,
	      "factor 0 staged");
	CHECK(xlb_txn_set_brain(txn, &other, &b, family, 9, 0, 0) == -ENOENT,
	      "pair of an unknown VIP staged");
	CHECK(!xlb_txn_set_brain(txn, &key, &a, family, 2000, 0, 3), "%s",
	      xlb_errmsg());
	spec.addr = b;
	spec.family = family;
	CHECK(!xlb_txn_backend_set(txn, &key, &spec), "%s", xlb_errmsg());
	setenv("XLB_FAILPOINT_TABLES", "1", 1);
	test_defer(unset_failpoint, NULL);
	CHECK(xlb_txn_commit(txn) == -EIO && strstr(xlb_errmsg(), "rolled "
								  "back"),
	      "'%s'", xlb_errmsg());
	unsetenv("XLB_FAILPOINT_TABLES");
	EXPECT_PAIR(f, &key, "10.0.1.1", 100, XLB_STATE_ACTIVE, 100,
		    XLB_OP_ACTIVE);
	EXPECT_PAIR(f, &key, "10.0.1.2", 100, XLB_STATE_ACTIVE, 100,
		    XLB_OP_ACTIVE);

	/* The same transaction commits once the fault is gone. */
	CHECK(!xlb_txn_commit(txn), "%s", xlb_errmsg());
	EXPECT_PAIR(f, &key, "10.0.1.1", 200, XLB_STATE_ACTIVE, 100,
		    XLB_OP_ACTIVE);
	EXPECT_PAIR(f, &key, "10.0.1.2", 40, XLB_STATE_ACTIVE, 40,
		    XLB_OP_ACTIVE);
	CHECK(!xlb_sync(f->xlb, false, &rebuilt) && rebuilt == 0,
	      "commit left %d stale tables", rebuilt);
}
