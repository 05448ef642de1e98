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
 * Weights may have been written by hand (bpftool): one out of range is
 * refused, naming the entry, before any table changes.
 */
static int check_weights(const struct pair_snapshot *snap,
			 const struct xlb_vip_key *key, __u32 vip_id)
{
	char a[XLB_ADDR_STRLEN], v[XLB_VIP_STRLEN];

	for (__u32 i = 0; i < snap->n; i++) {
		if (!pair_of(snap, i, vip_id) ||
		    snap->weight[i] <= XLB_WEIGHT_MAX)
			continue;
		return xlb_err(ERANGE,
			       "%s[%u] (backend %s of VIP %s) is %u, above the "
			       "maximum %u: set it right before rebuilding",
			       XLB_MAP_BE_WEIGHT, i,
			       xlb_format_addr(&snap->be[i].addr,
					       snap->be[i].family, a,
					       sizeof(a)),
			       xlb_format_vip(key, v, sizeof(v)),
			       snap->weight[i], XLB_WEIGHT_MAX);
	}
	return 0;
}

static int rebuild(struct xlb *xlb, const struct xlb_vip_key *key,
		   struct xlb_vip *vip, const struct pair_snapshot *snap)
{
	struct xlb_maglev_backend *backends;
	char text[XLB_VIP_STRLEN];
	__u16 *slots;
	size_t n = 0;
	int err;

	backends = calloc(snap->n + 1, sizeof(*backends));
	slots = malloc((size_t)vip->table_size * sizeof(*slots));
	if (!backends || !slots) {
		err = xlb_err(ENOMEM, "out of memory");
		goto out;
	}
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
	if (err) {
		err = xlb_err(-err, "VIP %s: table size %u is not usable",
			      xlb_format_vip(key, text, sizeof(text)),
			      vip->table_size);
		goto out;
	}
	err = table_swap(xlb, vip->id, slots, vip->table_size);
	if (err)
		goto out;
	vip->table_digest = table_digest(snap, vip->id);
	if (bpf_map_update_elem(xlb->fds[MAP_VIPS], key, vip, BPF_EXIST))
		err = xlb_errno(errno, "record the table of VIP %s",
				xlb_format_vip(key, text, sizeof(text)));
out:
	free(backends);
	free(slots);
	return err;
}

/* Rebuilds the VIPs selected by the dirty mask, all stale ones, or all. */
static bool selected(const struct xlb *xlb, const struct pair_snapshot *snap,
		     const struct xlb_vip_entry *entry, bool dirty_only,
		     bool force)
{
	__u32 id = entry->vip.id;

	if (dirty_only)
		return id < XLB_MAX_VIPS &&
		       (xlb->dirty[id / 64] & (1ull << (id % 64)));
	return force || table_digest(snap, id) != entry->vip.table_digest;
}

/*
 * Rebuilds the VIPs selected by the dirty mask, all stale ones, or all.
 * Every selected VIP is checked first: a bad entry changes no table.
 */
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
	if (err) {
		pair_snapshot_free(&snap);
		return err;
	}
	for (size_t i = 0; i < n && !err; i++)
		if (selected(xlb, &snap, &vips[i], dirty_only, force))
			err = check_weights(&snap, &vips[i].key,
					    vips[i].vip.id);
	for (size_t i = 0; i < n && !err; i++) {
		if (!selected(xlb, &snap, &vips[i], dirty_only, force))
			continue;
		err = rebuild(xlb, &vips[i].key, &vips[i].vip, &snap);
		if (!err)
			(*rebuilt)++;
	}
	free(vips);
	pair_snapshot_free(&snap);
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
