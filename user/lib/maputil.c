// SPDX-License-Identifier: GPL-2.0
/* Whole-map reads and writes: one syscall per map, not one per entry. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "internal.h"

int array_read_all_keys(int fd, __u32 n, size_t value_size, void *values,
			__u32 *keys)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	__u32 done = 0, batch = 0, count;
	int err = 0;

	while (done < n) {
		count = n - done;
		err = bpf_map_lookup_batch(fd, done ? &batch : NULL, &batch,
					   keys + done,
					   (char *)values + done * value_size,
					   &count, &opts);
		done += count;
		if (err) {
			err = errno == ENOENT ? 0 : -errno;
			break;
		}
	}
	if (err)
		return xlb_errno(-err, "read a map");
	return 0;
}

int array_read_all(int fd, __u32 n, size_t value_size, void *values)
{
	__u32 *keys = calloc(n, sizeof(*keys));
	int err;

	if (!keys)
		return xlb_err(ENOMEM, "out of memory");
	err = array_read_all_keys(fd, n, value_size, values, keys);
	free(keys);
	return err;
}

int percpu_zero(struct xlb *xlb, int fd, __u32 index, size_t value_size)
{
	size_t stride = (value_size + 7) & ~(size_t)7;
	void *zeros = calloc(xlb->ncpus, stride);
	int err = 0;

	if (!zeros)
		return xlb_err(ENOMEM, "out of memory");
	if (bpf_map_update_elem(fd, &index, zeros, BPF_ANY))
		err = xlb_errno(errno, "reset counters");
	free(zeros);
	return err;
}

/* 1 + the highest slot whose entry is in use (0: none in use). */
static __u32 pairs_in_use_end(const struct xlb_backend *be, __u32 n)
{
	while (n && !(be[n - 1].flags & XLB_BACKEND_F_IN_USE))
		n--;
	return n;
}

/*
 * Only xlb_backends says whether a slot is in use, so it is read whole: a
 * pair anywhere (one written by hand too) is seen. The other three maps
 * are read up to the last pair in use; past it they stay zero (weight 0,
 * down, no intent: what a free slot holds), which no caller reads.
 */
static int pair_maps_read(struct xlb *xlb, struct pair_snapshot *snap,
			  __u32 *keys)
{
	__u32 end;
	int err;

	err = array_read_all_keys(xlb->fds[MAP_BACKENDS], snap->n,
				  sizeof(*snap->be), snap->be, keys);
	if (err)
		return err;
	end = pairs_in_use_end(snap->be, snap->n);
	if (!end)
		return 0;
	err = array_read_all_keys(xlb->fds[MAP_BE_WEIGHT], end,
				  sizeof(*snap->weight), snap->weight, keys);
	if (!err)
		err = array_read_all_keys(xlb->fds[MAP_BE_STATE], end,
					  sizeof(*snap->state), snap->state,
					  keys);
	if (!err)
		err = array_read_all_keys(xlb->fds[MAP_PAIR_INTENT], end,
					  sizeof(*snap->intent), snap->intent,
					  keys);
	return err;
}

int pair_snapshot_read(struct xlb *xlb, struct pair_snapshot *snap)
{
	__u32 n = xlb->meta.max_backends, *keys;
	int err;

	memset(snap, 0, sizeof(*snap));
	if (xlb->cache) {
		*snap = *xlb->cache;
		snap->borrowed = true;
		return 0;
	}
	snap->n = n;
	snap->be = calloc(n, sizeof(*snap->be));
	snap->weight = calloc(n, sizeof(*snap->weight));
	snap->state = calloc(n, sizeof(*snap->state));
	snap->intent = calloc(n, sizeof(*snap->intent));
	keys = calloc(n, sizeof(*keys));
	if (!snap->be || !snap->weight || !snap->state || !snap->intent ||
	    !keys) {
		free(keys);
		pair_snapshot_free(snap);
		return xlb_err(ENOMEM, "out of memory");
	}
	err = pair_maps_read(xlb, snap, keys);
	free(keys);
	if (err)
		pair_snapshot_free(snap);
	return err;
}

void pair_snapshot_free(struct pair_snapshot *snap)
{
	if (snap->borrowed) {
		memset(snap, 0, sizeof(*snap));
		return;
	}
	free(snap->be);
	free(snap->weight);
	free(snap->state);
	free(snap->intent);
	memset(snap, 0, sizeof(*snap));
}

void pair_cache_put_be(struct xlb *xlb, __u32 pair,
		       const struct xlb_backend *be)
{
	if (xlb->cache && pair < xlb->cache->n)
		xlb->cache->be[pair] = *be;
}

void pair_cache_put_scalar(struct xlb *xlb, int map, __u32 pair, __u32 value)
{
	if (!xlb->cache || pair >= xlb->cache->n)
		return;
	if (map == MAP_BE_WEIGHT)
		xlb->cache->weight[pair] = value;
	else if (map == MAP_BE_STATE)
		xlb->cache->state[pair] = value;
}

void pair_cache_put_intent(struct xlb *xlb, __u32 pair,
			   const struct xlb_pair_intent *in)
{
	if (xlb->cache && pair < xlb->cache->n)
		xlb->cache->intent[pair] = *in;
}

int map_write_batch(int fd, const __u32 *keys, const void *values, __u32 n)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_ANY);
	__u32 count = n;

	if (!n)
		return 0;
	if (bpf_map_update_batch(fd, keys, values, &count, &opts))
		return xlb_errno(errno, "write %u entries of a map (%u done)",
				 n, count);
	return 0;
}
