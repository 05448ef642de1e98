// SPDX-License-Identifier: GPL-2.0
/*
 * Counters: the data plane keeps one copy per CPU; a read sums them. Each map
 * is read with one batch call into a buffer kept between reads, so a caller
 * polling every second (xlbd) makes a few syscalls and no allocation.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>

#include "internal.h"

static size_t stride(size_t value_size)
{
	return (value_size + 7) & ~(size_t)7;
}

/* Adds up the per-CPU copies of n entries, all made of __u64 fields. */
static void sum_percpu(const __u64 *percpu, __u32 n, int ncpus,
		       size_t value_size, void *out)
{
	size_t words = value_size / sizeof(__u64);
	size_t per_entry = ncpus * stride(value_size) / sizeof(__u64);
	__u64 *sum = out;

	memset(out, 0, n * value_size);
	for (__u32 e = 0; e < n; e++) {
		const __u64 *entry = percpu + e * per_entry;

		for (int cpu = 0; cpu < ncpus; cpu++)
			for (size_t w = 0; w < words; w++)
				sum[e * words + w] +=
					entry[cpu * stride(value_size) / 8 + w];
	}
}

static int read_summed(struct xlb *xlb, enum xlb_map_id map, __u32 n,
		       size_t value_size, __u64 *scratch, void *out)
{
	int err;

	err = array_read_all(xlb->fds[map], n, xlb->ncpus * stride(value_size),
			     scratch);
	if (err)
		return err;
	sum_percpu(scratch, n, xlb->ncpus, value_size, out);
	return 0;
}

int xlb_stats_read(struct xlb *xlb, struct xlb_stats *stats)
{
	size_t pairs_bytes, vips_bytes;
	int err;

	_Static_assert(sizeof(struct xlb_global_counters) % 8 == 0 &&
			       sizeof(struct xlb_vip_counters) % 8 == 0 &&
			       sizeof(struct xlb_pair_counters) % 8 == 0,
		       "counters are made of __u64 fields");

	if (!stats->vips) {
		stats->max_vips = xlb->meta.max_vips;
		stats->max_backends = xlb->meta.max_backends;
		stats->vips = calloc(stats->max_vips, sizeof(*stats->vips));
		stats->pairs =
			calloc(stats->max_backends, sizeof(*stats->pairs));
		/* One buffer serves the three maps in turn: the largest. */
		pairs_bytes = stats->max_backends * sizeof(*stats->pairs);
		vips_bytes = stats->max_vips * sizeof(*stats->vips);
		stats->scratch = calloc(xlb->ncpus, pairs_bytes > vips_bytes
							    ? pairs_bytes
							    : vips_bytes);
		if (!stats->vips || !stats->pairs || !stats->scratch) {
			xlb_stats_free(stats);
			return xlb_err(ENOMEM, "out of memory");
		}
	}

	err = read_summed(xlb, MAP_GLOBAL, 1, sizeof(stats->global),
			  stats->scratch, &stats->global);
	if (!err)
		err = read_summed(xlb, MAP_VIP_STATS, stats->max_vips,
				  sizeof(*stats->vips), stats->scratch,
				  stats->vips);
	if (!err)
		err = read_summed(
			xlb, MAP_BE_STATS,
			stats->pairs_read &&
					stats->pairs_read < stats->max_backends
				? stats->pairs_read
				: stats->max_backends,
			sizeof(*stats->pairs), stats->scratch, stats->pairs);
	return err;
}

void xlb_stats_free(struct xlb_stats *stats)
{
	free(stats->vips);
	free(stats->pairs);
	free(stats->scratch);
	memset(stats, 0, sizeof(*stats));
}

int xlb_conn_capacity(struct xlb *xlb, struct xlb_conn_capacity *out)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(xlb->fds[MAP_CONNS], &info, &len))
		return xlb_errno(errno, "inspect %s", XLB_MAP_CONNS);
	memset(out, 0, sizeof(*out));
	out->entries = info.max_entries;
	out->cpus = xlb->ncpus > 0 ? xlb->ncpus : 1;
	out->per_cpu_lru = info.map_flags & BPF_F_NO_COMMON_LRU;
	/*
	 * A per-CPU LRU gives each CPU its own share of the entries and never
	 * lends them: flows that arrive on one CPU fit in that share.
	 */
	out->per_cpu = out->per_cpu_lru ? out->entries / out->cpus
					: out->entries;
	return 0;
}
