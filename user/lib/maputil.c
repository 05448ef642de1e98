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

int pair_snapshot_read(struct xlb *xlb, struct pair_snapshot *snap)
{
	__u32 n = xlb->meta.max_backends;
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
	if (!snap->be || !snap->weight || !snap->state || !snap->intent) {
		pair_snapshot_free(snap);
		return xlb_err(ENOMEM, "out of memory");
	}
	err = array_read_all(xlb->fds[MAP_BACKENDS], n, sizeof(*snap->be),
			     snap->be);
	if (!err)
		err = array_read_all(xlb->fds[MAP_BE_WEIGHT], n,
				     sizeof(*snap->weight), snap->weight);
	if (!err)
		err = array_read_all(xlb->fds[MAP_BE_STATE], n,
				     sizeof(*snap->state), snap->state);
	if (!err)
		err = array_read_all(xlb->fds[MAP_PAIR_INTENT], n,
				     sizeof(*snap->intent), snap->intent);
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
