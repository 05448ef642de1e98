// SPDX-License-Identifier: GPL-2.0
/*
 * Where pairs can be: a write path reads xlb_backends whole and the other
 * pair maps only up to the last pair in use (maputil.c), so a pair at any
 * slot, one written by hand past the others included, is seen by every
 * reader and writer, and no slot is ever given to two pairs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "fixture.h"
#include "testing.h"

static const __u8 mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };

/* What bpftool map update would write: a whole active pair at slot. */
static int hand_write_pair(struct fixture *f, __u32 vip_id, __u32 slot,
			   const char *addr, __u32 weight)
{
	struct xlb_backend be = { .vip_id = vip_id,
				  .gen = 7,
				  .flags = XLB_BACKEND_F_IN_USE };
	struct xlb_pair_intent in = { .base_weight = weight,
				      .op_state = XLB_OP_ACTIVE,
				      .factor = XLB_FACTOR_ONE,
				      .health = XLB_HEALTH_OK,
				      .pub_weight = weight,
				      .pub_state = XLB_STATE_ACTIVE };
	__u32 state = XLB_STATE_ACTIVE;
	int weight_fd = xlb_map_fd(f->xlb, XLB_MAP_BE_WEIGHT);
	int intent_fd = xlb_map_fd(f->xlb, XLB_MAP_PAIR_INTENT);
	int be_fd = xlb_map_fd(f->xlb, XLB_MAP_BACKENDS);
	int state_fd = xlb_map_fd(f->xlb, XLB_MAP_BE_STATE);
	int err = xlb_parse_addr(addr, &be.addr, &be.family);

	memcpy(be.mac, mac_a, 6);
	/* In libxlb's publish order: the state last. */
	if (!err)
		err = bpf_map_update_elem(weight_fd, &slot, &weight, BPF_ANY);
	if (!err)
		err = bpf_map_update_elem(intent_fd, &slot, &in, BPF_ANY);
	if (!err)
		err = bpf_map_update_elem(be_fd, &slot, &be, BPF_ANY);
	if (!err)
		err = bpf_map_update_elem(state_fd, &slot, &state, BPF_ANY);
	return err;
}

static int vip_id_of(struct fixture *f, const struct xlb_vip_key *key,
		     __u32 *id)
{
	struct xlb_vip vip;
	int err = xlb_vip_get(f->xlb, key, &vip);

	*id = vip.id;
	return err;
}

/* The table slots of the VIP that point at pair. */
static __u32 table_slots_of(struct fixture *f, const struct xlb_vip_key *key,
			    __u32 pair)
{
	__u32 size, count = 0;
	__u16 *slots;

	if (xlb_table_read(f->xlb, key, &slots, &size))
		return 0;
	for (__u32 i = 0; i < size; i++)
		count += slots[i] == pair;
	free(slots);
	return count;
}

TEST(a_pair_written_by_hand_at_the_last_slot_is_seen_by_every_writer)
{
	struct xlb_backend_spec spec = { .weight = 100,
					 .state = XLB_OP_ACTIVE };
	__u32 last, vip_id, bad = XLB_WEIGHT_MAX + 1, good = 30;
	struct xlb_pair_info p;
	struct xlb_vip_key key;
	struct fixture *f;
	char want[64];
	size_t n;
	int err, rebuilt;

	FIXTURE(f, NULL);
	last = xlb_meta(f->xlb)->max_backends - 1;
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!vip_id_of(f, &key, &vip_id), "vip id");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 100, 1), "a");
	CHECK(!hand_write_pair(f, vip_id, last, "10.0.1.9", 70), "hand edit");

	/* Its weight and intent are read, not taken for a free slot's. */
	CHECK(!fixture_pair_find(f, NULL, "10.0.1.9", &p, &n), "%s",
	      xlb_errmsg());
	CHECK(n == 2 && p.id == last && p.weight == 70 &&
		      p.state == XLB_STATE_ACTIVE && p.base_weight == 70,
	      "n %zu id %u weight %u state %u base %u", n, p.id, p.weight,
	      p.state, p.base_weight);
	CHECK(!xlb_sync(f->xlb, false, &rebuilt), "%s", xlb_errmsg());
	CHECK(table_slots_of(f, &key, last) > 0, "the table skips it");

	/* Adding it again is refused: the slot is not given twice. */
	memcpy(spec.mac, mac_a, 6);
	CHECK(!xlb_parse_addr("10.0.1.9", &spec.addr, &spec.family), "addr");
	err = xlb_backend_add(f->xlb, &key, &spec);
	CHECK(err == -EEXIST, "add of a pair at the last slot: %d '%s'", err,
	      xlb_errmsg());

	/* Changed in place, at its slot. */
	CHECK(!fixture_set(f, &key, "10.0.1.9", XLB_SET_WEIGHT, 30, 0), "set");
	CHECK(!fixture_pair_find(f, NULL, "10.0.1.9", &p, NULL) &&
		      p.id == last && p.weight == 30,
	      "id %u weight %u", p.id, p.weight);

	/* A weight out of range there stops another add, naming it. */
	CHECK(!bpf_map_update_elem(xlb_map_fd(f->xlb, XLB_MAP_BE_WEIGHT), &last,
				   &bad, BPF_ANY),
	      "hand edit");
	CHECK(!xlb_parse_addr("10.0.1.2", &spec.addr, &spec.family), "addr");
	err = xlb_backend_add(f->xlb, &key, &spec);
	snprintf(want, sizeof(want), "%s[%u]", XLB_MAP_BE_WEIGHT, last);
	CHECK(err == -ERANGE && strstr(xlb_errmsg(), want), "%d '%s'", err,
	      xlb_errmsg());
	CHECK(fixture_pair_find(f, NULL, "10.0.1.2", &p, NULL) == -ENOENT, "add"
									   "ed "
									   "any"
									   "wa"
									   "y");
	CHECK(!bpf_map_update_elem(xlb_map_fd(f->xlb, XLB_MAP_BE_WEIGHT), &last,
				   &good, BPF_ANY),
	      "hand edit back");

	/* Deleted, its slot is free again and the next add takes slot 1. */
	CHECK(!xlb_parse_addr("10.0.1.9", &spec.addr, &spec.family), "addr");
	CHECK(!xlb_backend_del(f->xlb, &key, &spec.addr, spec.family) &&
		      !xlb_commit(f->xlb),
	      "%s", xlb_errmsg());
	CHECK(!fixture_backend(f, &key, "10.0.1.2", mac_a, 100, 1), "b");
	CHECK(!fixture_pair_find(f, NULL, "10.0.1.2", &p, &n) && n == 2 &&
		      p.id == 1,
	      "n %zu id %u", n, p.id);
}

TEST(pairs_past_holes_are_seen_and_each_hole_is_reused_once)
{
	static const char *const addrs[] = { "10.0.1.1", "10.0.1.2", "10.0.1.3",
					     "10.0.1.4", "10.0.1.5" };
	struct xlb_backend_spec spec = { .weight = 100,
					 .state = XLB_OP_ACTIVE };
	struct xlb_pair_info p;
	struct xlb_vip_key key;
	struct fixture *f;
	size_t n;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	for (int i = 0; i < 5; i++)
		CHECK(!fixture_backend(f, &key, addrs[i], mac_a, 10 * (i + 1),
				       1),
		      "%s", addrs[i]);
	for (int i = 1; i < 5; i += 2) {
		CHECK(!xlb_parse_addr(addrs[i], &spec.addr, &spec.family), "a");
		CHECK(!xlb_backend_del(f->xlb, &key, &spec.addr, spec.family),
		      "%s", xlb_errmsg());
	}
	CHECK(!xlb_commit(f->xlb), "%s", xlb_errmsg());
	/* The last pair, past two holes, keeps its slot and its values. */
	CHECK(!fixture_pair_find(f, NULL, "10.0.1.5", &p, &n), "%s",
	      xlb_errmsg());
	CHECK(n == 3 && p.id == 4 && p.weight == 50 && p.base_weight == 50,
	      "n %zu id %u weight %u base %u", n, p.id, p.weight,
	      p.base_weight);
	CHECK(table_slots_of(f, &key, 4) > 0, "the table skips pair 4");
	memcpy(spec.mac, mac_a, 6);
	CHECK(!xlb_parse_addr("10.0.1.5", &spec.addr, &spec.family), "addr");
	CHECK(xlb_backend_add(f->xlb, &key, &spec) == -EEXIST, "added twice");

	/* New pairs fill the holes in order, then the slot past the last. */
	CHECK(!fixture_backend(f, &key, "10.0.1.6", mac_a, 60, 1), "6");
	CHECK(!fixture_backend(f, &key, "10.0.1.7", mac_a, 70, 1), "7");
	CHECK(!fixture_backend(f, &key, "10.0.1.8", mac_a, 80, 1), "8");
	CHECK(!fixture_pair_find(f, NULL, "10.0.1.6", &p, NULL) && p.id == 1 &&
		      p.be.gen == 2,
	      "id %u gen %u", p.id, p.be.gen);
	CHECK(!fixture_pair_find(f, NULL, "10.0.1.7", &p, NULL) && p.id == 3,
	      "id %u", p.id);
	CHECK(!fixture_pair_find(f, NULL, "10.0.1.8", &p, &n) && p.id == 5 &&
		      n == 6 && p.weight == 80,
	      "id %u n %zu weight %u", p.id, n, p.weight);
}

/*
 * One apply reads the pairs once and finds them in that copy: a pair it
 * adds past the last in use is found by a later change of the same apply.
 */
TEST(an_apply_finds_the_pair_it_added_past_the_last_in_use)
{
	struct xlb_change c[2] = {
		{ .kind = XLB_CHANGE_BACKEND_ADD,
		  .spec = { .weight = 10,
			    .state = XLB_OP_ACTIVE,
			    .set = XLB_SET_WEIGHT | XLB_SET_STATE |
				   XLB_SET_MAC } },
		{ .kind = XLB_CHANGE_BACKEND_SET,
		  .spec = { .weight = 60, .set = XLB_SET_WEIGHT } },
	};
	struct xlb_pair_info p;
	struct xlb_vip_key key;
	struct fixture *f;
	size_t n;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 100, 1), "a");
	for (int i = 0; i < 2; i++) {
		c[i].vip = key;
		CHECK(!xlb_parse_addr("10.0.1.2", &c[i].spec.addr,
				      &c[i].spec.family),
		      "addr");
	}
	memcpy(c[0].spec.mac, mac_a, 6);
	CHECK(!xlb_changes_apply(f->xlb, c, 2), "%s", xlb_errmsg());
	CHECK(!fixture_pair_find(f, NULL, "10.0.1.2", &p, &n), "%s",
	      xlb_errmsg());
	CHECK(n == 2 && p.id == 1 && p.weight == 60 && p.base_weight == 60,
	      "n %zu id %u weight %u base %u", n, p.id, p.weight,
	      p.base_weight);
	CHECK(table_slots_of(f, &key, 1) > 0, "the table skips pair 1");
}
