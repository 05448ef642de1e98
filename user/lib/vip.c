// SPDX-License-Identifier: GPL-2.0
/* VIPs: adding, removing and listing them, and what derives from them. */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "internal.h"
#include "maglev.h"
#include "xlb_hash.h"

static int vip_key_check(const struct xlb_vip_key *key)
{
	if (key->family != XLB_FAMILY_V4 && key->family != XLB_FAMILY_V6)
		return xlb_err(EINVAL, "VIP family %u is not 4 or 6",
			       key->family);
	if (key->proto != IPPROTO_TCP && key->proto != IPPROTO_UDP)
		return xlb_err(EINVAL, "VIP protocol %u is not TCP or UDP",
			       key->proto);
	if (!key->port)
		return xlb_err(EINVAL, "VIP port 0 is not allowed");
	return 0;
}

/* Every VIP, unsorted. */
int vips_read(struct xlb *xlb, struct xlb_vip_entry **out, size_t *n)
{
	struct xlb_vip_key key, next, *prev = NULL;
	struct xlb_vip_entry *list;
	size_t count = 0;

	list = calloc(xlb->meta.max_vips, sizeof(*list));
	if (!list)
		return xlb_err(ENOMEM, "out of memory");
	while (count < xlb->meta.max_vips &&
	       !bpf_map_get_next_key(xlb->fds[MAP_VIPS], prev, &next)) {
		key = next;
		prev = &key;
		/* Deleted between the two calls: skip it. */
		if (bpf_map_lookup_elem(xlb->fds[MAP_VIPS], &key,
					&list[count].vip))
			continue;
		list[count].key = key;
		count++;
	}
	*out = list;
	*n = count;
	return 0;
}

static int vip_entry_cmp(const void *a, const void *b)
{
	const struct xlb_vip_entry *x = a, *y = b;

	return xlb_vip_key_cmp(&x->key, &y->key);
}

int xlb_vip_list(struct xlb *xlb, struct xlb_vip_entry **out, size_t *n)
{
	struct pair_snapshot snap;
	int err;

	__u32 *digests = calloc(xlb->meta.max_vips, sizeof(*digests));

	if (!digests)
		return xlb_err(ENOMEM, "out of memory");
	err = pair_snapshot_read(xlb, &snap);
	if (err) {
		free(digests);
		return err;
	}
	err = array_read_all(xlb->fds[MAP_VIP_DIGEST], xlb->meta.max_vips,
			     sizeof(*digests), digests);
	if (!err)
		err = vips_read(xlb, out, n);
	if (!err) {
		for (size_t i = 0; i < *n; i++) {
			__u32 id = (*out)[i].vip.id;

			(*out)[i].table_stale = id >= xlb->meta.max_vips ||
						table_digest(&snap, id) !=
							digests[id];
		}
		qsort(*out, *n, sizeof(**out), vip_entry_cmp);
	}
	pair_snapshot_free(&snap);
	free(digests);
	return err;
}

int xlb_vip_get(struct xlb *xlb, const struct xlb_vip_key *key,
		struct xlb_vip *vip)
{
	char text[XLB_VIP_STRLEN];

	if (bpf_map_lookup_elem(xlb->fds[MAP_VIPS], key, vip)) {
		if (errno == ENOENT)
			return xlb_err(ENOENT, "no VIP %s",
				       xlb_format_vip(key, text, sizeof(text)));
		return xlb_errno(errno, "read %s", XLB_MAP_VIPS);
	}
	return 0;
}

void vip_mark_dirty(struct xlb *xlb, __u32 vip_id)
{
	if (vip_id < XLB_MAX_VIPS)
		xlb->dirty[vip_id / 64] |= 1ull << (vip_id % 64);
}

static int free_vip_id(struct xlb *xlb, __u32 *id)
{
	struct xlb_vip_entry *list;
	__u64 used[XLB_MAX_VIPS / 64] = {};
	size_t n;
	int err;

	err = vips_read(xlb, &list, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		if (list[i].vip.id < XLB_MAX_VIPS)
			used[list[i].vip.id / 64] |= 1ull
						     << (list[i].vip.id % 64);
	free(list);
	for (__u32 i = 0; i < xlb->meta.max_vips && i < XLB_MAX_VIPS; i++) {
		if (!(used[i / 64] & (1ull << (i % 64)))) {
			*id = i;
			return 0;
		}
	}
	return xlb_err(ENOSPC, "all %u VIP slots are in use",
		       xlb->meta.max_vips);
}

/* Releases every pair of a VIP id: for a deleted VIP, or orphans of one. */
static int free_pairs_of(struct xlb *xlb, __u32 vip_id)
{
	struct pair_snapshot snap;
	int err;

	err = pair_snapshot_read(xlb, &snap);
	if (err)
		return err;
	for (__u32 i = 0; i < snap.n && !err; i++) {
		struct xlb_backend *be = &snap.be[i];

		if ((be->flags & XLB_BACKEND_F_IN_USE) && be->vip_id == vip_id)
			err = pair_release(xlb, i, be);
	}
	pair_snapshot_free(&snap);
	return err;
}

int xlb_vip_add(struct xlb *xlb, const struct xlb_vip_key *key,
		__u32 table_size)
{
	char text[XLB_VIP_STRLEN];
	struct xlb_vip vip = {};
	__u32 digest;
	int err;

	err = xlb_require_lock(xlb, "vip add");
	if (!err)
		err = vip_key_check(key);
	if (err)
		return err;
	xlb_format_vip(key, text, sizeof(text));
	if (!table_size)
		table_size = XLB_TABLE_SIZE_DEFAULT;
	err = xlb_check_table_size("table size", table_size);
	if (err)
		return err;
	if (!bpf_map_lookup_elem(xlb->fds[MAP_VIPS], key, &vip))
		return xlb_err(EEXIST, "VIP %s already exists", text);

	err = free_vip_id(xlb, &vip.id);
	if (!err)
		err = free_pairs_of(xlb, vip.id);
	if (!err)
		err = table_install_empty(xlb, vip.id, table_size);
	if (!err)
		err = percpu_zero(xlb, xlb->fds[MAP_VIP_STATS], vip.id,
				  sizeof(struct xlb_vip_counters));
	if (err)
		return err;
	digest = table_digest(&(struct pair_snapshot){ 0 }, vip.id);
	if (bpf_map_update_elem(xlb->fds[MAP_VIP_DIGEST], &vip.id, &digest,
				BPF_ANY))
		return xlb_errno(errno, "write %s[%u]", XLB_MAP_VIP_DIGEST,
				 vip.id);
	vip.table_size = table_size;
	/* Last: the VIP becomes visible to packets with its table in place. */
	if (bpf_map_update_elem(xlb->fds[MAP_VIPS], key, &vip, BPF_NOEXIST))
		return xlb_errno(errno, "add VIP %s", text);
	return derived_refresh(xlb);
}

int xlb_vip_del(struct xlb *xlb, const struct xlb_vip_key *key)
{
	char text[XLB_VIP_STRLEN];
	struct xlb_vip vip;
	int err;

	err = xlb_require_lock(xlb, "vip del");
	if (!err)
		err = xlb_vip_get(xlb, key, &vip);
	if (err)
		return err;
	/* First: from here on the VIP's packets pass untouched. */
	if (bpf_map_delete_elem(xlb->fds[MAP_VIPS], key))
		return xlb_errno(errno, "delete VIP %s",
				 xlb_format_vip(key, text, sizeof(text)));
	err = free_pairs_of(xlb, vip.id);
	if (err)
		return err;
	if (bpf_map_delete_elem(xlb->fds[MAP_TABLES], &vip.id) &&
	    errno != ENOENT)
		return xlb_errno(errno, "delete the table of VIP %s",
				 xlb_format_vip(key, text, sizeof(text)));
	return derived_refresh(xlb);
}

int vip_write(struct xlb *xlb, const struct xlb_vip_key *key,
	      const struct xlb_vip *vip, const char *what)
{
	char text[XLB_VIP_STRLEN];

	if (bpf_map_update_elem(xlb->fds[MAP_VIPS], key, vip, BPF_EXIST))
		return xlb_errno(errno, "%s of VIP %s", what,
				 xlb_format_vip(key, text, sizeof(text)));
	return 0;
}

int xlb_vip_set_table_size(struct xlb *xlb, const struct xlb_vip_key *key,
			   __u32 table_size)
{
	struct xlb_vip vip;
	int err;

	err = xlb_require_lock(xlb, "vip set table-size");
	if (!err)
		err = xlb_vip_get(xlb, key, &vip);
	if (err)
		return err;
	if (!table_size)
		table_size = XLB_TABLE_SIZE_DEFAULT;
	err = xlb_check_table_size("table size", table_size);
	if (err || table_size == vip.table_size)
		return err;
	return table_resize(xlb, key, &vip, table_size);
}

/*
 * Whether the LB answers ICMP echo for this VIP (XLB_VIP_F_NO_ICMP_ECHO
 * clear); its address is answered while any VIP on it is.
 */
int xlb_vip_set_icmp_echo(struct xlb *xlb, const struct xlb_vip_key *key,
			  bool on)
{
	struct xlb_vip vip;
	int err;

	err = xlb_require_lock(xlb, "vip set icmp-echo");
	if (!err)
		err = xlb_vip_get(xlb, key, &vip);
	if (err)
		return err;
	if (on)
		vip.flags &= ~XLB_VIP_F_NO_ICMP_ECHO;
	else
		vip.flags |= XLB_VIP_F_NO_ICMP_ECHO;
	err = vip_write(xlb, key, &vip, "set icmp-echo");
	return err ? err : derived_refresh(xlb);
}

/* An address some VIP uses; sorted and searched by the key, its first field. */
struct addr_use {
	struct xlb_addr_key key;
	bool echo; /* this VIP answers ICMP echo */
};

static int addr_key_cmp(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct xlb_addr_key));
}

/*
 * Rebuilds the two structures that only summarise xlb_vips, from scratch:
 * whatever a crashed writer left, the next refresh makes them right.
 */
int derived_refresh(struct xlb *xlb)
{
	struct xlb_prefilter filter = {};
	struct xlb_addr_key key, next, *prev = NULL;
	struct addr_use *addrs;
	struct xlb_vip_entry *list;
	__u32 zero = 0, count;
	size_t n, n_addrs = 0;
	int err;

	err = vips_read(xlb, &list, &n);
	if (err)
		return err;
	addrs = calloc(n + 1, sizeof(*addrs));
	if (!addrs) {
		free(list);
		return xlb_err(ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		__u32 bit = xlb_prefilter_bit(&list[i].key.addr);

		filter.words[bit / 64] |= 1ull << (bit % 64);
		addrs[n_addrs].key.addr = list[i].key.addr;
		addrs[n_addrs].key.family = list[i].key.family;
		addrs[n_addrs].echo =
			!(list[i].vip.flags & XLB_VIP_F_NO_ICMP_ECHO);
		n_addrs++;
	}
	free(list);
	qsort(addrs, n_addrs, sizeof(*addrs), addr_key_cmp);

	/* Add before removing, so no VIP address is ever missing. */
	for (size_t i = 0; i < n_addrs && !err; i += count) {
		struct xlb_vip_addr info = {};

		for (count = 0; i + count < n_addrs &&
				!addr_key_cmp(&addrs[i], &addrs[i + count]);
		     count++)
			if (addrs[i + count].echo)
				info.flags |= XLB_ADDR_F_ICMP_ECHO;
		info.vips = count;
		if (bpf_map_update_elem(xlb->fds[MAP_VIP_ADDRS], &addrs[i].key,
					&info, BPF_ANY))
			err = xlb_errno(errno, "update %s", XLB_MAP_VIP_ADDRS);
	}
	while (!err &&
	       !bpf_map_get_next_key(xlb->fds[MAP_VIP_ADDRS], prev, &next)) {
		key = next;
		prev = &key;
		if (!bsearch(&key, addrs, n_addrs, sizeof(*addrs),
			     addr_key_cmp)) {
			bpf_map_delete_elem(xlb->fds[MAP_VIP_ADDRS], &key);
			prev = NULL; /* deleting disturbs the iteration */
		}
	}
	free(addrs);
	if (!err && bpf_map_update_elem(xlb->fds[MAP_PREFILTER], &zero, &filter,
					BPF_ANY))
		err = xlb_errno(errno, "update %s", XLB_MAP_PREFILTER);
	return err;
}
