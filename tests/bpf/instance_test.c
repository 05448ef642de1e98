// SPDX-License-Identifier: GPL-2.0
/*
 * The library against real maps: pins are adopted only when they are ours
 * and of our layout, bad requests change nothing, tables are swapped whole.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fixture.h"
#include "testing.h"
#include "xlb_hash.h"

static const __u8 mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };

TEST(every_map_name_resolves_in_the_bpf_object)
{
	static const char *const names[] = { XLB_MAP_NAMES };
	struct bpf_object *obj;
	struct bpf_map *map;
	size_t pinned = 0;

	obj = bpf_object__open_file("build/bpf/xlb.bpf.o", NULL);
	CHECK(obj, "open build/bpf/xlb.bpf.o (run from the repository)");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		CHECK(strlen(names[i]) <= 15, "%s is longer than 15", names[i]);
		CHECK(bpf_object__find_map_by_name(obj, names[i]),
		      "no map %s in the object", names[i]);
	}
	bpf_object__for_each_map(map, obj)
		pinned += bpf_map__pin_path(map) || !bpf_map__is_internal(map);
	CHECK(pinned == sizeof(names) / sizeof(names[0]),
	      "the object has %zu maps of its own, headers name %zu", pinned,
	      sizeof(names) / sizeof(names[0]));
	bpf_object__close(obj);
}

TEST(adopting_pins_sees_what_the_creator_wrote)
{
	struct xlb_vip_entry *vips;
	struct xlb_pair_info *pairs;
	struct xlb_vip_key key;
	struct fixture *f;
	struct xlb *other;
	size_t n;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 7, 2), "backend");
	CHECK(!xlb_open(f->pin_dir, &other), "%s", xlb_errmsg());
	test_defer((void (*)(void *))xlb_close, other);
	CHECK(!xlb_vip_list(other, &vips, &n), "%s", xlb_errmsg());
	CHECK(n == 1 && !xlb_vip_key_cmp(&vips[0].key, &key), "VIP not seen");
	CHECK(!vips[0].table_stale, "fresh table reported stale");
	free(vips);
	CHECK(!xlb_backend_list(other, &key, &pairs, &n), "%s", xlb_errmsg());
	CHECK(n == 1 && pairs[0].weight == 7 && pairs[0].state == 2 &&
		      !memcmp(pairs[0].be.mac, mac_a, 6),
	      "backend not seen as written");
	free(pairs);
}

TEST(pins_of_another_layout_version_are_refused)
{
	struct xlb_meta meta;
	struct fixture *f;
	struct xlb *other;
	__u32 zero = 0;
	int fd, err;

	FIXTURE(f, NULL);
	fd = xlb_map_fd(f->xlb, XLB_MAP_META);
	CHECK(!bpf_map_lookup_elem(fd, &zero, &meta), "read meta");
	meta.layout_version = XLB_LAYOUT_VERSION + 1;
	CHECK(!bpf_map_update_elem(fd, &zero, &meta, BPF_ANY), "write meta");
	err = xlb_open(f->pin_dir, &other);
	CHECK(err == -EPROTO, "open returned %d", err);
	CHECK(strstr(xlb_errmsg(), "layout version"), "message: %s",
	      xlb_errmsg());
	meta.layout_version = XLB_LAYOUT_VERSION;
	meta.magic = 0;
	CHECK(!bpf_map_update_elem(fd, &zero, &meta, BPF_ANY), "write meta");
	CHECK(xlb_open(f->pin_dir, &other) == -EPROTO, "foreign meta adopted");
	meta.magic = XLB_META_MAGIC;
	CHECK(!bpf_map_update_elem(fd, &zero, &meta, BPF_ANY), "restore");
}

TEST(a_pin_of_the_wrong_shape_is_refused)
{
	struct fixture *f;
	struct xlb *other;
	char path[160];
	int fd, err;

	FIXTURE(f, NULL);
	snprintf(path, sizeof(path), "%s/%s", f->pin_dir, XLB_MAP_BACKENDS);
	CHECK(!unlink(path), "unpin");
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "impostor", 4, 8, 4, NULL);
	CHECK(fd >= 0 && !bpf_obj_pin(fd, path), "pin impostor");
	close(fd);
	err = xlb_open(f->pin_dir, &other);
	unlink(path);
	CHECK(!bpf_obj_pin(xlb_map_fd(f->xlb, XLB_MAP_BACKENDS), path), "restor"
									"e");
	CHECK(err == -EPROTO, "open returned %d", err);
	CHECK(strstr(xlb_errmsg(), XLB_MAP_BACKENDS), "message: %s",
	      xlb_errmsg());
}

TEST(no_instance_and_no_bpffs_are_clear_errors)
{
	struct xlb *x;

	CHECK(xlb_open("/sys/fs/bpf/xlbtest-does-not-exist", &x) == -ENOENT,
	      "missing instance");
	CHECK(strstr(xlb_errmsg(), "no xlb instance"), "%s", xlb_errmsg());
	CHECK(xlb_open("/tmp", &x) == -ENOTSUP, "/tmp adopted");
	CHECK(strstr(xlb_errmsg(), "not on a BPF filesystem"), "%s",
	      xlb_errmsg());
}

/* Every configuration map (not counters, not connections), as bytes. */
static size_t dump_config(struct fixture *f, char *buf, size_t cap)
{
	static const char *const maps[] = {
		XLB_MAP_VIPS,	   XLB_MAP_BACKENDS,  XLB_MAP_BE_STATE,
		XLB_MAP_BE_WEIGHT, XLB_MAP_VIP_ADDRS, XLB_MAP_PREFILTER,
		XLB_MAP_CONFIG
	};
	size_t len = 0;

	for (size_t m = 0; m < sizeof(maps) / sizeof(maps[0]); m++) {
		int fd = xlb_map_fd(f->xlb, maps[m]);
		__u8 key[64], next[64], value[8192];
		void *prev = NULL;

		while (!bpf_map_get_next_key(fd, prev, next)) {
			struct bpf_map_info info = {};
			__u32 info_len = sizeof(info);

			bpf_obj_get_info_by_fd(fd, &info, &info_len);
			memcpy(key, next, info.key_size);
			prev = key;
			if (bpf_map_lookup_elem(fd, key, value) ||
			    len + info.key_size + info.value_size > cap)
				continue;
			memcpy(buf + len, key, info.key_size);
			len += info.key_size;
			memcpy(buf + len, value, info.value_size);
			len += info.value_size;
		}
	}
	return len;
}

TEST(refused_requests_leave_the_maps_unchanged)
{
	static char before[1 << 20], after[1 << 20];
	struct xlb_backend_spec spec = { .weight = 1, .state = 1 };
	struct xlb_vip_key key, other;
	struct fixture *f;
	size_t n_before, n_after;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 1, 1), "backend");
	n_before = dump_config(f, before, sizeof(before));

	CHECK(xlb_vip_add(f->xlb, &key, 0) == -EEXIST, "duplicate VIP");
	CHECK(!xlb_parse_vip("10.0.0.2:80/tcp", &other), "parse");
	CHECK(xlb_vip_add(f->xlb, &other, 65536) == -EINVAL, "non-prime");
	CHECK(strstr(xlb_errmsg(), "prime"), "%s", xlb_errmsg());
	CHECK(xlb_vip_del(f->xlb, &other) == -ENOENT, "unknown VIP");
	memcpy(spec.mac, mac_a, 6);
	CHECK(!xlb_parse_addr("10.0.1.1", &spec.addr, &spec.family), "parse");
	CHECK(xlb_backend_add(f->xlb, &key, &spec) == -EEXIST, "duplicate "
							       "backend");
	CHECK(xlb_backend_add(f->xlb, &other, &spec) == -ENOENT, "backend of "
								 "unknown VIP");
	spec.weight = XLB_WEIGHT_MAX + 1;
	spec.set = XLB_SET_WEIGHT;
	CHECK(xlb_backend_set(f->xlb, &key, &spec) == -ERANGE, "weight range");
	spec.weight = 1;
	spec.state = 9;
	spec.set = XLB_SET_STATE;
	CHECK(xlb_backend_set(f->xlb, &key, &spec) == -EINVAL, "bad state");
	CHECK(!xlb_parse_addr("10.0.1.9", &spec.addr, &spec.family), "parse");
	spec.state = 1;
	CHECK(xlb_backend_set(f->xlb, &key, &spec) == -ENOENT, "unknown "
							       "backend");
	CHECK(xlb_backend_del(f->xlb, &key, &spec.addr, spec.family) == -ENOENT,
	      "unknown backend");
	CHECK(!xlb_commit(f->xlb), "commit");

	n_after = dump_config(f, after, sizeof(after));
	CHECK(n_before == n_after && !memcmp(before, after, n_before), "maps "
								       "changed"
								       " by "
								       "refused"
								       " reques"
								       "ts");
}

TEST(writes_without_the_lock_are_refused)
{
	struct xlb_vip_key key;
	struct fixture *f;

	FIXTURE(f, NULL);
	CHECK(!xlb_parse_vip("10.0.0.1:80/tcp", &key), "parse");
	xlb_unlock(f->xlb);
	CHECK(xlb_vip_add(f->xlb, &key, 0) == -ENOLCK, "unlocked write");
	CHECK(!xlb_lock(f->xlb, 100), "relock");
}

TEST(a_second_writer_waits_then_gives_up_naming_the_holder)
{
	struct fixture *f;
	struct xlb *other;
	int err;

	FIXTURE(f, NULL);
	CHECK(!xlb_open(f->pin_dir, &other), "%s", xlb_errmsg());
	test_defer((void (*)(void *))xlb_close, other);
	err = xlb_lock(other, 200);
	CHECK(err == -EAGAIN, "second lock returned %d", err);
	CHECK(strstr(xlb_errmsg(), "locked by another writer (pid"),
	      "message: %s", xlb_errmsg());
	xlb_unlock(f->xlb);
	CHECK(!xlb_lock(other, 200), "lock after release: %s", xlb_errmsg());
	xlb_unlock(other);
	CHECK(!xlb_lock(f->xlb, 200), "relock");
}

static __u32 table_map_id(struct fixture *f, __u32 vip_id)
{
	__u32 id = 0;

	bpf_map_lookup_elem(xlb_map_fd(f->xlb, XLB_MAP_TABLES), &vip_id, &id);
	return id;
}

TEST(a_rebuild_swaps_in_a_whole_new_table)
{
	struct xlb_vip_key key;
	struct xlb_vip vip;
	struct fixture *f;
	__u32 first, second;
	__u16 *slots;
	__u32 size;
	int fd;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!xlb_vip_get(f->xlb, &key, &vip), "get");
	first = table_map_id(f, vip.id);
	CHECK(first, "no table for a new VIP");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 1, 1), "backend");
	second = table_map_id(f, vip.id);
	CHECK(second && second != first, "table map not replaced");
	/* The old table goes once no packet can hold it (RCU): poll a while. */
	for (int i = 0; i < 100 && (fd = bpf_map_get_fd_by_id(first)) >= 0;
	     i++) {
		close(fd);
		usleep(10000);
	}
	CHECK(fd < 0, "the old table is still alive after 1 s");
	CHECK(!xlb_table_read(f->xlb, &key, &slots, &size), "read");
	CHECK_EQ(size, XLB_TABLE_SIZE_DEFAULT);
	for (__u32 s = 0; s < size; s++)
		CHECK(slots[s] == 0, "slot %u holds %u", s, slots[s]);
	free(slots);
}

TEST(conn_table_size_is_set_at_creation)
{
	struct xlb_create_opts opts = { .conn_table_size = 12345 };
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct fixture *f;

	FIXTURE(f, &opts);
	CHECK(!bpf_obj_get_info_by_fd(xlb_map_fd(f->xlb, XLB_MAP_CONNS), &info,
				      &len),
	      "info");
	/* The kernel rounds a per-CPU LRU up to a multiple of the CPUs. */
	CHECK(info.max_entries >= 12345 &&
		      info.max_entries <
			      12345 + (__u32)libbpf_num_possible_cpus(),
	      "max_entries %u", info.max_entries);
	CHECK_EQ(xlb_meta(f->xlb)->conn_table_size, info.max_entries);
}

TEST(deleting_a_vip_releases_its_pairs_table_and_address)
{
	struct xlb_pair_info *pairs;
	struct xlb_addr_key addr = {};
	struct xlb_prefilter filter;
	struct xlb_vip_addr info;
	struct xlb_vip_key key;
	struct xlb_vip vip;
	struct fixture *f;
	__u32 zero = 0, bit;
	size_t n;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 1, 1), "backend");
	CHECK(!xlb_vip_get(f->xlb, &key, &vip), "get");
	addr.addr = key.addr;
	addr.family = key.family;
	CHECK(!bpf_map_lookup_elem(xlb_map_fd(f->xlb, XLB_MAP_VIP_ADDRS), &addr,
				   &info) &&
		      info.vips == 1 && info.flags == XLB_ADDR_F_ICMP_ECHO,
	      "address not recorded as one VIP answering echo");
	CHECK(!xlb_vip_del(f->xlb, &key), "%s", xlb_errmsg());
	CHECK(bpf_map_lookup_elem(xlb_map_fd(f->xlb, XLB_MAP_VIP_ADDRS), &addr,
				  &info),
	      "address still recorded");
	CHECK(!table_map_id(f, vip.id), "table still installed");
	CHECK(!xlb_backend_list(f->xlb, NULL, &pairs, &n) && n == 0, "pairs "
								     "left");
	free(pairs);
	bit = xlb_prefilter_bit(&key.addr);
	CHECK(!bpf_map_lookup_elem(xlb_map_fd(f->xlb, XLB_MAP_PREFILTER), &zero,
				   &filter),
	      "prefilter");
	CHECK(!(filter.words[bit / 64] & (1ull << (bit % 64))), "prefilter bit "
								"still set");
}

TEST(weight_edited_by_hand_shows_a_stale_table_until_sync)
{
	struct xlb_vip_entry *vips;
	struct xlb_vip_key key;
	struct fixture *f;
	__u32 pair = 0, weight = 50;
	int rebuilt;
	size_t n;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 1, 1), "backend");
	CHECK(!bpf_map_update_elem(xlb_map_fd(f->xlb, XLB_MAP_BE_WEIGHT), &pair,
				   &weight, BPF_ANY),
	      "hand edit");
	CHECK(!xlb_vip_list(f->xlb, &vips, &n) && n == 1, "list");
	CHECK(vips[0].table_stale, "stale table not reported");
	free(vips);
	CHECK(!xlb_sync(f->xlb, false, &rebuilt), "%s", xlb_errmsg());
	CHECK_EQ(rebuilt, 1);
	CHECK(!xlb_vip_list(f->xlb, &vips, &n) && n == 1, "list");
	CHECK(!vips[0].table_stale, "still stale after sync");
	free(vips);
	CHECK(!xlb_sync(f->xlb, false, &rebuilt) && rebuilt == 0, "sync "
								  "rebuilt a "
								  "fresh "
								  "table");
}

TEST(sync_refuses_a_weight_out_of_range_written_by_hand)
{
	struct xlb_vip_key key;
	struct xlb_vip vip;
	struct fixture *f;
	__u32 pair = 0, weight = XLB_WEIGHT_MAX + 1, before;
	int rebuilt, err;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 1, 1), "backend");
	CHECK(!xlb_vip_get(f->xlb, &key, &vip), "get");
	before = table_map_id(f, vip.id);
	CHECK(!bpf_map_update_elem(xlb_map_fd(f->xlb, XLB_MAP_BE_WEIGHT), &pair,
				   &weight, BPF_ANY),
	      "hand edit");
	err = xlb_sync(f->xlb, false, &rebuilt);
	CHECK(err == -ERANGE, "sync returned %d", err);
	CHECK(strstr(xlb_errmsg(), "xlb_be_weight[0]") &&
		      strstr(xlb_errmsg(), "10.0.1.1"),
	      "message: %s", xlb_errmsg());
	CHECK(table_map_id(f, vip.id) == before, "a table was replaced");
}

/* --- issue 15: races, hostile pins and partial failures --- */

static void close_handle(void *xlb)
{
	xlb_close(xlb);
}

/* For the fixture's teardown: its handle follows a re-created instance. */
static void relock(void *f)
{
	xlb_lock(((struct fixture *)f)->xlb, 1000);
}

/* Destroys the instance at dir through a handle of its own. */
static int destroy_at(const char *dir)
{
	struct xlb *x;
	int err;

	err = xlb_open(dir, &x);
	if (!err)
		err = xlb_lock(x, 1000);
	if (!err)
		err = xlb_destroy(x);
	xlb_close(x);
	return err;
}

TEST(a_writer_that_waited_through_a_recreation_writes_into_the_new_one)
{
	struct xlb_create_opts opts = { .conn_table_size = 65536 };
	struct xlb_vip_entry *vips;
	struct xlb_vip_key key;
	struct fixture *f;
	struct xlb *waiter, *again, *check;
	size_t n;

	FIXTURE(f, NULL);
	test_defer(relock, f);
	CHECK(!xlb_parse_vip("10.0.0.1:80/tcp", &key), "parse");
	/* The waiter opened the maps, then waited for the lock... */
	CHECK(!xlb_open(f->pin_dir, &waiter), "%s", xlb_errmsg());
	test_defer(close_handle, waiter);
	/* ...while the instance was destroyed and created anew. */
	xlb_unlock(f->xlb);
	CHECK(!destroy_at(f->pin_dir), "destroy: %s", xlb_errmsg());
	CHECK(!xlb_create(f->pin_dir, &opts, &again), "%s", xlb_errmsg());
	xlb_close(again);
	CHECK(!xlb_lock(waiter, 1000), "%s", xlb_errmsg());
	CHECK(!xlb_vip_add(waiter, &key, 0), "%s", xlb_errmsg());
	CHECK(!xlb_commit(waiter), "%s", xlb_errmsg());
	CHECK(!xlb_open(f->pin_dir, &check), "%s", xlb_errmsg());
	test_defer(close_handle, check);
	CHECK(!xlb_vip_list(check, &vips, &n), "%s", xlb_errmsg());
	free(vips);
	CHECK(n == 1,
	      "the pinned instance has %zu VIPs, not 1: the write went "
	      "to the removed one",
	      n);
}

TEST(two_writers_never_hold_the_lock_of_one_pin_path_at_once)
{
	struct xlb_create_opts opts = { .conn_table_size = 65536 };
	struct fixture *f;
	struct xlb *old, *again, *fresh;
	int err;

	FIXTURE(f, NULL);
	test_defer(relock, f);
	CHECK(!xlb_open(f->pin_dir, &old), "%s", xlb_errmsg());
	test_defer(close_handle, old);
	xlb_unlock(f->xlb);
	CHECK(!destroy_at(f->pin_dir), "destroy: %s", xlb_errmsg());
	CHECK(!xlb_create(f->pin_dir, &opts, &again), "%s", xlb_errmsg());
	test_defer(close_handle, again); /* holds the lock of the new one */
	err = xlb_lock(old, 200);
	CHECK(err == -EAGAIN,
	      "a handle of the removed instance took the lock "
	      "while the new one's creator holds it (%d)",
	      err);
	CHECK(!xlb_open(f->pin_dir, &fresh), "%s", xlb_errmsg());
	test_defer(close_handle, fresh);
	CHECK(xlb_lock(fresh, 200) == -EAGAIN, "second writer got the lock");
}

TEST(verify_follows_a_recreated_instance_and_reports_a_removed_one)
{
	struct xlb_create_opts opts = { .conn_table_size = 65536 };
	struct fixture *f;
	struct xlb *h, *again;
	int before, err;

	FIXTURE(f, NULL);
	test_defer(relock, f);
	CHECK(!xlb_open(f->pin_dir, &h), "%s", xlb_errmsg());
	test_defer(close_handle, h);
	CHECK(!xlb_verify(h), "fresh handle: %s", xlb_errmsg());
	before = xlb_map_fd(h, XLB_MAP_VIPS);
	xlb_unlock(f->xlb);
	CHECK(!destroy_at(f->pin_dir), "destroy: %s", xlb_errmsg());
	err = xlb_verify(h);
	CHECK(err == -ESTALE, "verify of a removed instance returned %d", err);
	CHECK(strstr(xlb_errmsg(), "no longer pinned"), "message: %s",
	      xlb_errmsg());
	CHECK(!xlb_create(f->pin_dir, &opts, &again), "%s", xlb_errmsg());
	xlb_close(again);
	CHECK(!xlb_verify(h), "verify after re-creation: %s", xlb_errmsg());
	CHECK(xlb_map_fd(h, XLB_MAP_VIPS) >= 0, "no map after reopen");
	(void)before;
}

/* Replaces the pin of map name by a map of the given shape. */
static int pin_impostor(struct fixture *f, const char *name,
			enum bpf_map_type type, __u32 key, __u32 value,
			__u32 entries, __u32 flags)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = flags);
	char path[160];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/%s", f->pin_dir, name);
	if (unlink(path))
		return -errno;
	fd = bpf_map_create(type, "impostor", key, value, entries, &o);
	if (fd < 0)
		return -errno;
	if (bpf_obj_pin(fd, path))
		err = -errno;
	close(fd);
	return err;
}

static void restore_pin(struct fixture *f, const char *name)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/%s", f->pin_dir, name);
	unlink(path);
	bpf_obj_pin(xlb_map_fd(f->xlb, name), path);
}

TEST(an_oversized_meta_value_is_refused_before_it_is_read)
{
	static __u8 big[4096];
	struct xlb_meta meta;
	struct fixture *f;
	struct xlb *other;
	__u32 zero = 0;
	char path[160];
	int fd, err;

	FIXTURE(f, NULL);
	CHECK(!bpf_map_lookup_elem(xlb_map_fd(f->xlb, XLB_MAP_META), &zero,
				   &meta),
	      "read meta");
	memcpy(big, &meta, sizeof(meta)); /* a valid header, then more */
	memset(big + sizeof(meta), 0x5a, sizeof(big) - sizeof(meta));
	CHECK(!pin_impostor(f, XLB_MAP_META, BPF_MAP_TYPE_ARRAY, 4, sizeof(big),
			    1, 0),
	      "pin impostor");
	snprintf(path, sizeof(path), "%s/%s", f->pin_dir, XLB_MAP_META);
	fd = bpf_obj_get(path);
	bpf_map_update_elem(fd, &zero, big, BPF_ANY);
	close(fd);
	err = xlb_open(f->pin_dir, &other);
	restore_pin(f, XLB_MAP_META);
	if (!err)
		xlb_close(other);
	CHECK(err == -EPROTO, "a 4096-byte meta was adopted (%d)", err);
	CHECK(strstr(xlb_errmsg(), "value 4096 bytes"), "message: %s",
	      xlb_errmsg());
}

TEST(a_conn_table_of_other_flags_or_size_is_refused)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct fixture *f;
	struct xlb *other;
	int err;

	FIXTURE(f, NULL);
	CHECK(!bpf_obj_get_info_by_fd(xlb_map_fd(f->xlb, XLB_MAP_CONNS), &info,
				      &len),
	      "inspect");
	CHECK(!pin_impostor(f, XLB_MAP_CONNS, info.type, info.key_size,
			    info.value_size, info.max_entries,
			    info.map_flags ^ BPF_F_NO_COMMON_LRU),
	      "pin impostor");
	err = xlb_open(f->pin_dir, &other);
	if (!err)
		xlb_close(other);
	CHECK(err == -EPROTO, "a conn table of other flags was adopted (%d)",
	      err);
	CHECK(strstr(xlb_errmsg(), XLB_MAP_CONNS), "%s", xlb_errmsg());
	CHECK(!pin_impostor(f, XLB_MAP_CONNS, info.type, info.key_size,
			    info.value_size, info.max_entries * 2,
			    info.map_flags),
	      "pin impostor");
	err = xlb_open(f->pin_dir, &other);
	restore_pin(f, XLB_MAP_CONNS);
	if (!err)
		xlb_close(other);
	CHECK(err == -EPROTO, "a conn table of another size was adopted (%d)",
	      err);
}

TEST(an_interrupted_creation_is_recognised_and_cleaned_up)
{
	struct xlb_create_opts opts = { .conn_table_size = 65536 };
	static const struct xlb_meta blank;
	struct fixture *f;
	struct xlb *other;
	__u32 zero = 0;
	int err, status;
	pid_t pid;

	FIXTURE(f, NULL);
	test_defer(relock, f);
	/* What a creator killed between pinning and writing used to leave. */
	CHECK(!bpf_map_update_elem(xlb_map_fd(f->xlb, XLB_MAP_META), &zero,
				   &blank, BPF_ANY),
	      "zero meta");
	xlb_unlock(f->xlb);
	err = xlb_open(f->pin_dir, &other);
	CHECK(err == -ENOENT, "open of an unfinished instance returned %d",
	      err);
	CHECK(strstr(xlb_errmsg(), "unfinished"), "message: %s", xlb_errmsg());
	CHECK(!xlb_remove_unfinished(f->pin_dir, 1000), "remove: %s",
	      xlb_errmsg());
	CHECK(access(f->pin_dir, F_OK), "the directory is still there");

	/* A creator killed before its xlb_meta is pinned. */
	pid = fork();
	CHECK(pid >= 0, "fork");
	if (!pid) {
		struct xlb *x;

		setenv("XLB_FAILPOINT", "create-before-meta", 1);
		_exit(xlb_create(f->pin_dir, &opts, &x) ? 2 : 3);
	}
	CHECK(waitpid(pid, &status, 0) == pid, "wait");
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
	      "the creator was not killed at the failpoint (status %d)",
	      status);
	err = xlb_open(f->pin_dir, &other);
	CHECK(err == -ENOENT && strstr(xlb_errmsg(), "unfinished"),
	      "open after the kill: %d %s", err, xlb_errmsg());
	/* The next creation cleans up and completes, under the lock. */
	CHECK(!xlb_create(f->pin_dir, &opts, &other), "%s", xlb_errmsg());
	xlb_close(other);
	CHECK(!xlb_open(f->pin_dir, &other), "%s", xlb_errmsg());
	xlb_close(other);
}

TEST(a_pin_directory_others_control_is_refused)
{
	struct xlb_create_opts opts = { .conn_table_size = 65536 };
	char dir[96], child[128];
	struct xlb *x;
	int err;

	if (geteuid() != 0)
		SKIP("needs root");
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/xlbtest-bpf-%d-own", getpid());
	rmdir(dir);
	CHECK(!mkdir(dir, 0700) && !chown(dir, 65534, 65534), "mkdir %s", dir);
	err = xlb_create(dir, &opts, &x);
	if (!err) {
		xlb_destroy(x);
		xlb_close(x);
	}
	CHECK(err == -EPERM, "a directory of uid 65534 was used (%d)", err);
	CHECK(strstr(xlb_errmsg(), "owned by uid 65534"), "%s", xlb_errmsg());
	CHECK(!chown(dir, 0, 0) && !chmod(dir, 0777), "chmod");
	err = xlb_create(dir, &opts, &x);
	if (!err) {
		xlb_destroy(x);
		xlb_close(x);
	}
	CHECK(err == -EPERM, "a world-writable directory was used (%d)", err);
	CHECK(strstr(xlb_errmsg(), "0777"), "%s", xlb_errmsg());
	/* A parent others may write, not sticky: they could swap the child. */
	snprintf(child, sizeof(child), "%s/xlb", dir);
	err = xlb_create(child, &opts, &x);
	if (!err) {
		xlb_destroy(x);
		xlb_close(x);
	}
	rmdir(child);
	rmdir(dir);
	CHECK(err == -EPERM, "a pin dir under a 0777 parent was used (%d)",
	      err);
}

TEST(a_new_pin_directory_is_private_to_its_owner)
{
	struct stat st;
	struct fixture *f;

	FIXTURE(f, NULL);
	CHECK(!stat(f->pin_dir, &st), "stat");
	CHECK((st.st_mode & 07777) == 0700, "mode %04o", st.st_mode & 07777);
}

TEST(the_lock_file_goes_with_the_instance)
{
	struct xlb_create_opts opts = { .conn_table_size = 65536 };
	char dir[96], lock[PATH_MAX];
	struct xlb *x;
	int err;

	if (geteuid() != 0)
		SKIP("needs root");
	snprintf(dir, sizeof(dir), "/sys/fs/bpf/xlbtest-bpf-%d-lock", getpid());
	CHECK(!xlb_lock_path(dir, lock, sizeof(lock)), "%s", xlb_errmsg());
	CHECK(!xlb_create(dir, &opts, &x), "%s", xlb_errmsg());
	err = access(lock, F_OK);
	CHECK(!xlb_destroy(x), "destroy: %s", xlb_errmsg());
	xlb_close(x);
	CHECK(!err, "no lock file %s while locked", lock);
	CHECK(access(lock, F_OK), "%s outlived its instance", lock);
}
