// SPDX-License-Identifier: GPL-2.0
/*
 * Maglev tables in the maps. A rebuild never edits the live table: it fills
 * a new map through mmap (a memcpy, not 65,537 syscalls) and swaps it into
 * xlb_tables in one update, so a packet sees the old table or the new one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "internal.h"
#include "maglev.h"
#include "xlb_hash.h"

static bool pair_of(const struct pair_snapshot *snap, __u32 i, __u32 vip_id)
{
	return (snap->be[i].flags & XLB_BACKEND_F_IN_USE) &&
	       snap->be[i].vip_id == vip_id;
}

/* Only an active pair has slots; draining and down ones keep none. */
static __u32 effective_weight(const struct pair_snapshot *snap, __u32 i)
{
	return snap->state[i] == XLB_STATE_ACTIVE ? snap->weight[i] : 0;
}

__u32 table_digest(const struct pair_snapshot *snap, __u32 vip_id)
{
	__u32 h = 0x74626c31; /* "tbl1" */

	for (__u32 i = 0; i < snap->n; i++) {
		if (!pair_of(snap, i, vip_id))
			continue;
		h = xlb_hash_mix(h, i);
		for (int w = 0; w < 4; w++)
			h = xlb_hash_mix(h, snap->be[i].addr.v6[w]);
		h = xlb_hash_mix(h, snap->be[i].family);
		h = xlb_hash_mix(h, effective_weight(snap, i));
	}
	return xlb_hash_final(h, vip_id);
}

/* XLB_FAILPOINT_TABLES=1: the tests' way to fail before the swap. */
static bool failpoint_batch(void)
{
	const char *env = getenv("XLB_FAILPOINT_TABLES");

	return env && *env == '1';
}

static __u32 table_entries(__u32 size)
{
	return (size + XLB_SLOTS_PER_ENTRY - 1) / XLB_SLOTS_PER_ENTRY;
}

/* A new table map holding slots[0, size), ready to swap in. */
static int table_create(__u32 vip_id, const __u16 *slots, __u32 size)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts,
		    .map_flags = BPF_F_MMAPABLE | BPF_F_INNER_MAP);
	__u32 entries = table_entries(size);
	size_t bytes = (size_t)entries * sizeof(struct xlb_table_entry);
	size_t page = sysconf(_SC_PAGESIZE);
	size_t mapped = (bytes + page - 1) / page * page;
	char name[16];
	__u16 *mem;
	int fd, err;

	snprintf(name, sizeof(name), "xlb_table_%u", vip_id);
	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, name, sizeof(__u32),
			    sizeof(struct xlb_table_entry), entries, &opts);
	if (fd < 0)
		return xlb_errno(errno, "create a table of %u slots", size);
	mem = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED) {
		err = xlb_errno(errno, "map a table of %u slots", size);
		close(fd);
		return err;
	}
	memcpy(mem, slots, (size_t)size * sizeof(*slots));
	/* The padding after the last slot is never read; keep it empty. */
	for (__u32 i = size; i < entries * XLB_SLOTS_PER_ENTRY; i++)
		mem[i] = XLB_PAIR_NONE;
	munmap(mem, mapped);
	return fd;
}

/* Installs a new table for one VIP (a VIP's first, empty table). */
static int table_swap(struct xlb *xlb, __u32 vip_id, const __u16 *slots,
		      __u32 size)
{
	int fd, err = 0;

	fd = table_create(vip_id, slots, size);
	if (fd < 0)
		return fd;
	/* One update: packets see the whole old table or the whole new one. */
	if (bpf_map_update_elem(xlb->fds[MAP_TABLES], &vip_id, &fd, BPF_ANY))
		err = xlb_errno(errno, "install the table of VIP id %u",
				vip_id);
	close(fd); /* xlb_tables holds it now */
	return err;
}

int table_install_empty(struct xlb *xlb, __u32 vip_id, __u32 size)
{
	__u16 *slots = malloc((size_t)size * sizeof(*slots));
	int err;

	if (!slots)
		return xlb_err(ENOMEM, "out of memory");
	for (__u32 i = 0; i < size; i++)
		slots[i] = XLB_PAIR_NONE;
	err = table_swap(xlb, vip_id, slots, size);
	free(slots);
	return err;
}

/*
 * Weights and intents may have been written by hand (bpftool): one out of
 * range is refused, naming the entry, before any table (or pair) changes.
 */
int table_check_pairs(const struct pair_snapshot *snap,
		      const struct xlb_vip_key *key, __u32 vip_id)
{
	char a[XLB_ADDR_STRLEN], v[XLB_VIP_STRLEN], msg[256];
	int err;

	for (__u32 i = 0; i < snap->n; i++) {
		if (!pair_of(snap, i, vip_id))
			continue;
		if (snap->weight[i] <= XLB_WEIGHT_MAX &&
		    intent_valid(&snap->intent[i]))
			continue; /* the names are formatted for an error only */
		xlb_format_addr(&snap->be[i].addr, snap->be[i].family, a,
				sizeof(a));
		xlb_format_vip(key, v, sizeof(v));
		if (snap->weight[i] > XLB_WEIGHT_MAX)
			return xlb_err(ERANGE,
				       "%s[%u] (backend %s of VIP %s) is %u, "
				       "above the maximum %u: set it right "
				       "before rebuilding",
				       XLB_MAP_BE_WEIGHT, i, a, v,
				       snap->weight[i], XLB_WEIGHT_MAX);
		err = intent_check(&snap->intent[i], i);
		if (err) {
			snprintf(msg, sizeof(msg), "%s", xlb_errmsg());
			return xlb_err(-err,
				       "%s (backend %s of VIP %s): set it "
				       "right "
				       "before rebuilding",
				       msg, a, v);
		}
	}
	return 0;
}

/* The slots of a VIP's table as the pairs in snap weigh them. */
static int table_compute(const struct xlb_vip_key *key,
			 const struct xlb_vip *vip,
			 const struct pair_snapshot *snap, __u16 *slots)
{
	struct xlb_maglev_backend *backends;
	char text[XLB_VIP_STRLEN];
	size_t n = 0;
	int err;

	backends = calloc(snap->n + 1, sizeof(*backends));
	if (!backends)
		return xlb_err(ENOMEM, "out of memory");
	for (__u32 i = 0; i < snap->n; i++) {
		if (!pair_of(snap, i, vip->id))
			continue;
		backends[n++] = (struct xlb_maglev_backend){
			.addr = snap->be[i].addr,
			.family = snap->be[i].family,
			.weight = effective_weight(snap, i),
			.pair = i,
		};
	}
	err = xlb_maglev_build(key, backends, n, vip->table_size, slots);
	if (err)
		err = xlb_err(-err, "VIP %s: table size %u is not usable",
			      xlb_format_vip(key, text, sizeof(text)),
			      vip->table_size);
	free(backends);
	return err;
}

/*
 * A VIP's pairs (and their generations) stay, so connection entries keep
 * their backends; only new flows see the new table. Packets index the
 * table by the size in xlb_vips, so the order keeps every index inside
 * the installed table: a larger table goes in before its size, a smaller
 * size before its table. Between the two writes a new flow may be placed
 * by a slot of the other table: a valid pair, remembered as any other.
 */
int table_resize(struct xlb *xlb, const struct xlb_vip_key *key,
		 const struct xlb_vip *vip, __u32 size)
{
	struct xlb_vip next = *vip;
	struct pair_snapshot snap;
	__u16 *slots;
	int err;

	next.table_size = size;
	slots = malloc((size_t)size * sizeof(*slots));
	if (!slots)
		return xlb_err(ENOMEM, "out of memory");
	err = pair_snapshot_read(xlb, &snap);
	if (!err) {
		err = table_check_pairs(&snap, key, vip->id);
		if (!err)
			err = table_compute(key, &next, &snap, slots);
		pair_snapshot_free(&snap);
	}
	if (!err && size < vip->table_size)
		err = vip_write(xlb, key, &next, "set the table size");
	if (!err)
		err = table_swap(xlb, vip->id, slots, size);
	if (!err && size > vip->table_size)
		err = vip_write(xlb, key, &next, "set the table size");
	free(slots);
	return err;
}

/*
 * Rebuilds the tables of vips[0, n) (those with want[i]) from snap: every
 * new table is built and filled first, then all are swapped in with one
 * batched update of xlb_tables (one RCU wait for the lot, not one each;
 * each VIP's packets still see its whole old table or its whole new one),
 * then the digests are recorded in xlb_vip_digest. xlb_vips is not
 * written: a packet may be reading it.
 */
static int rebuild_batch(struct xlb *xlb, const struct xlb_vip_entry *vips,
			 size_t n, const bool *want,
			 const struct pair_snapshot *snap, int *rebuilt)
{
	__u32 *keys = calloc(n + 1, sizeof(*keys));
	__u32 *digests = calloc(n + 1, sizeof(*digests));
	int *fds = calloc(n + 1, sizeof(*fds));
	__u32 count = 0;
	__u16 *slots = NULL;
	int err = 0;

	if (!keys || !digests || !fds) {
		err = xlb_err(ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n && !err; i++) {
		if (!want[i])
			continue;
		free(slots);
		slots = malloc((size_t)vips[i].vip.table_size * sizeof(*slots));
		if (!slots) {
			err = xlb_err(ENOMEM, "out of memory");
			break;
		}
		err = table_compute(&vips[i].key, &vips[i].vip, snap, slots);
		if (err)
			break;
		fds[count] = table_create(vips[i].vip.id, slots,
					  vips[i].vip.table_size);
		if (fds[count] < 0) {
			err = fds[count];
			break;
		}
		keys[count] = vips[i].vip.id;
		digests[count] = table_digest(snap, vips[i].vip.id);
		count++;
	}
	if (!err && failpoint_batch())
		err = xlb_err(EIO, "failpoint XLB_FAILPOINT_TABLES");
	if (!err && count) {
		struct timespec t0, t1;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		err = map_write_batch(xlb->fds[MAP_TABLES], keys, fds, count);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		xlb->swap_s += (double)(t1.tv_sec - t0.tv_sec) +
			       (t1.tv_nsec - t0.tv_nsec) * 1e-9;
		xlb->swaps++;
	}
	if (!err)
		err = map_write_batch(xlb->fds[MAP_VIP_DIGEST], keys, digests,
				      count);
	if (!err)
		*rebuilt += count;
out:
	for (__u32 i = 0; fds && i < count; i++)
		close(fds[i]); /* xlb_tables holds the installed ones */
	free(slots);
	free(keys);
	free(digests);
	free(fds);
	return err;
}

/*
 * Brings the effective maps and the intent together, pair by pair (see
 * struct xlb_pair_intent): an intent edited by hand is recomputed into the
 * maps; maps edited by hand, with no brain opinion on the pair, become the
 * operator's intent. Everything is checked before the first write.
 */
static int reconcile(struct xlb *xlb, struct pair_snapshot *snap,
		     const struct xlb_vip_entry *vips, size_t n)
{
	int err = 0;

	for (size_t v = 0; v < n && !err; v++)
		err = table_check_pairs(snap, &vips[v].key, vips[v].vip.id);
	for (__u32 i = 0; i < snap->n && !err; i++) {
		struct xlb_pair_intent in = snap->intent[i];
		bool w, s;

		if (!(snap->be[i].flags & XLB_BACKEND_F_IN_USE))
			continue;
		w = intent_weight(&in) != in.pub_weight;
		s = intent_state(&in) != in.pub_state;
		if (w || s) {
			err = pair_publish(xlb, i, &in, w, s);
			if (!err && w)
				snap->weight[i] = in.pub_weight;
			if (!err && s)
				snap->state[i] = in.pub_state;
		} else if ((snap->weight[i] != in.pub_weight ||
			    snap->state[i] != in.pub_state) &&
			   in.factor == XLB_FACTOR_ONE &&
			   in.health == XLB_HEALTH_OK &&
			   snap->state[i] <= XLB_OP_STANDBY) {
			in.base_weight = snap->weight[i];
			in.op_state = snap->state[i];
			in.pub_weight = snap->weight[i];
			in.pub_state = snap->state[i];
			if (bpf_map_update_elem(xlb->fds[MAP_PAIR_INTENT], &i,
						&in, BPF_ANY))
				err = xlb_errno(errno, "write %s[%u]",
						XLB_MAP_PAIR_INTENT, i);
		}
		if (!err)
			snap->intent[i] = in;
	}
	return err;
}

/*
 * Rebuilds the VIPs selected by the dirty mask, all stale ones, or all, from
 * snap. Every selected VIP is checked first: a bad entry changes no table.
 */
static int rebuild_from(struct xlb *xlb, struct pair_snapshot *snap,
			const struct xlb_vip_entry *vips, size_t n,
			bool dirty_only, bool force, int *rebuilt)
{
	__u32 *digests = NULL;
	bool *want;
	int err = 0;

	*rebuilt = 0;
	want = calloc(n + 1, sizeof(*want));
	if (!dirty_only && !force)
		digests = calloc(xlb->meta.max_vips, sizeof(*digests));
	if (!want || (!dirty_only && !force && !digests))
		err = xlb_err(ENOMEM, "out of memory");
	if (!err && !dirty_only)
		err = reconcile(xlb, snap, vips, n);
	if (!err && digests)
		err = array_read_all(xlb->fds[MAP_VIP_DIGEST],
				     xlb->meta.max_vips, sizeof(*digests),
				     digests);
	for (size_t i = 0; i < n && !err; i++) {
		__u32 id = vips[i].vip.id;

		if (id >= xlb->meta.max_vips || id >= XLB_MAX_VIPS)
			continue;
		if (dirty_only)
			want[i] = xlb->dirty[id / 64] & (1ull << (id % 64));
		else
			want[i] = force ||
				  table_digest(snap, id) != digests[id];
		if (want[i])
			err = table_check_pairs(snap, &vips[i].key, id);
	}
	if (!err)
		err = rebuild_batch(xlb, vips, n, want, snap, rebuilt);
	free(want);
	free(digests);
	return err;
}

static int rebuild_many(struct xlb *xlb, bool dirty_only, bool force,
			int *rebuilt)
{
	struct xlb_vip_entry *vips;
	struct pair_snapshot snap;
	size_t n;
	int err;

	*rebuilt = 0;
	err = pair_snapshot_read(xlb, &snap);
	if (err)
		return err;
	err = vips_read(xlb, &vips, &n);
	if (!err) {
		err = rebuild_from(xlb, &snap, vips, n, dirty_only, force,
				   rebuilt);
		free(vips);
	}
	pair_snapshot_free(&snap);
	return err;
}

int table_commit_from(struct xlb *xlb, struct pair_snapshot *snap,
		      const struct xlb_vip_entry *vips, size_t n)
{
	int err, rebuilt;

	err = rebuild_from(xlb, snap, vips, n, true, false, &rebuilt);
	if (!err)
		memset(xlb->dirty, 0, sizeof(xlb->dirty));
	return err;
}

int xlb_commit(struct xlb *xlb)
{
	int err, rebuilt;

	err = xlb_require_lock(xlb, "commit");
	if (!err)
		err = rebuild_many(xlb, true, false, &rebuilt);
	if (!err)
		memset(xlb->dirty, 0, sizeof(xlb->dirty));
	return err;
}

int xlb_sync(struct xlb *xlb, bool force, int *rebuilt)
{
	int err;

	err = xlb_require_lock(xlb, "sync");
	if (!err)
		err = rebuild_many(xlb, false, force, rebuilt);
	if (!err)
		err = derived_refresh(xlb);
	return err;
}

int xlb_table_read(struct xlb *xlb, const struct xlb_vip_key *key,
		   __u16 **slots, __u32 *size)
{
	struct xlb_table_entry *entries;
	struct xlb_vip vip;
	__u32 inner_id, n;
	int err, fd;

	err = xlb_vip_get(xlb, key, &vip);
	if (err)
		return err;
	if (bpf_map_lookup_elem(xlb->fds[MAP_TABLES], &vip.id, &inner_id))
		return xlb_errno(errno, "VIP id %u has no table", vip.id);
	fd = bpf_map_get_fd_by_id(inner_id);
	if (fd < 0)
		return xlb_errno(errno, "open table map %u", inner_id);
	n = table_entries(vip.table_size);
	entries = calloc(n, sizeof(*entries));
	if (!entries) {
		close(fd);
		return xlb_err(ENOMEM, "out of memory");
	}
	err = array_read_all(fd, n, sizeof(*entries), entries);
	close(fd);
	if (err) {
		free(entries);
		return err;
	}
	*slots = (__u16 *)entries; /* same layout: the slots in order */
	*size = vip.table_size;
	return 0;
}

double xlb_table_swap_seconds(const struct xlb *xlb, unsigned long *swaps)
{
	if (swaps)
		*swaps = xlb->swaps;
	return xlb->swap_s;
}
