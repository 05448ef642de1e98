// SPDX-License-Identifier: GPL-2.0
/*
 * xlbd's whole tick at fleet scale (issue 14's benchmark): real pinned maps
 * in a private pin directory, PAIRS pairs over VIPS VIPs, the counters
 * advanced each tick as traffic would (one pair in twenty keeps more flows
 * in flight than it ends, so the hot rule cuts it and tables rebuild), and
 * xlbd's own collect -> brain -> apply objects. Prints the stage medians
 * and p99, the table swaps' RCU wait apart, the Maglev build of 65,537 slots
 * for PAIRS backends, and the process's peak RSS.
 *
 *   xlbd-tick-bench [PAIRS [VIPS [TICKS]]]     (root: it creates maps)
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "maglev.h"
#include "xlbd.h"

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(double *v, int n, double q)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(int)fmin(n - 1, floor(q * n))];
}

static int setup(struct xlb *xlb, int pairs, int vips, struct xlb_vip_key *keys)
{
	char addr[32];

	for (int v = 0; v < vips; v++) {
		snprintf(addr, sizeof(addr), "10.200.0.%d", 1 + v);
		if (xlb_parse_addr(addr, &keys[v].addr, &keys[v].family))
			return -1;
		keys[v].port = htons(80);
		keys[v].proto = IPPROTO_TCP;
		if (xlb_vip_add(xlb, &keys[v], 0))
			return -1;
	}
	for (int i = 0; i < pairs; i++) {
		struct xlb_backend_spec spec = {
			.weight = 100,
			.state = XLB_OP_ACTIVE,
			.mac = { 0x02, 0, 0, 0, (__u8)(i >> 8), (__u8)i },
		};

		snprintf(addr, sizeof(addr), "10.%d.%d.%d", 100 + i % vips,
			 (i / vips) / 250, 1 + (i / vips) % 250);
		if (xlb_parse_addr(addr, &spec.addr, &spec.family) ||
		    xlb_backend_add(xlb, &keys[i % vips], &spec))
			return -1;
	}
	return xlb_commit(xlb);
}

/*
 * A second's traffic on every pair: one pair in twenty keeps more flows in
 * flight than it ends (which pairs moves every 30 ticks), the rest end what
 * they start.
 */
static int advance(int stats_fd, int pairs, int ncpu, int tick,
		   struct xlb_pair_counters *per_cpu)
{
	for (int id = 0; id < pairs; id++) {
		__u32 key = id;
		bool hot = (id + tick / 30) % 20 == 0;

		if (bpf_map_lookup_elem(stats_fd, &key, per_cpu))
			continue; /* an id with no pair */
		for (int c = 0; c < ncpu; c++) {
			per_cpu[c].packets += 400 + id % 7;
			per_cpu[c].bytes += 400 * 800;
			per_cpu[c].new_flows += 20;
			per_cpu[c].fins += hot ? 4 : 20;
		}
		if (bpf_map_update_elem(stats_fd, &key, per_cpu, BPF_ANY))
			return -1;
	}
	return 0;
}

static double maglev_build_ms(const struct xlb_vip_key *key, int n)
{
	struct xlb_maglev_backend *be = calloc(n, sizeof(*be));
	__u16 *table = malloc(XLB_TABLE_SIZE_DEFAULT * sizeof(*table));
	double best = 1e9;

	for (int i = 0; be && table && i < n; i++) {
		be[i].family = AF_INET;
		be[i].addr.v4 = htonl(0x0a000000u + i);
		be[i].weight = 100 + i % 50;
		be[i].pair = i;
	}
	for (int r = 0; be && table && r < 5; r++) {
		double t0 = now_s();

		if (xlb_maglev_build(key, be, n, XLB_TABLE_SIZE_DEFAULT, table))
			break;
		best = fmin(best, (now_s() - t0) * 1e3);
	}
	free(be);
	free(table);
	return best;
}

int main(int argc, char **argv)
{
	int pairs = argc > 1 ? atoi(argv[1]) : 1000;
	int vips = argc > 2 ? atoi(argv[2]) : 4;
	int ticks = argc > 3 ? atoi(argv[3]) : 60;
	int ncpu = libbpf_num_possible_cpus(), stats_fd = -1, rc = 1;
	double *st[5], swap0 = 0, swap1 = 0;
	unsigned long swaps0 = 0, swaps1 = 0;
	struct xlb_pair_counters *per_cpu;
	struct xlbd d = { .epfd = -1 };
	struct xlb_vip_key *keys;
	size_t decisions = 0;
	char pin_dir[64], path[128];
	struct rusage ru;

	if (pairs < 1 || vips < 1 || vips > pairs || ticks < 2) {
		fprintf(stderr, "usage: xlbd-tick-bench [PAIRS [VIPS "
				"[TICKS]]]\n");
		return 2;
	}
	keys = calloc(vips, sizeof(*keys));
	per_cpu = calloc(ncpu, sizeof(*per_cpu));
	for (int s = 0; s < 5; s++)
		st[s] = calloc(ticks, sizeof(double));
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/xlbbench-%d-xlbd",
		 getpid());
	xlbd_config_default(&d.cfg);
	d.opt.pin_dir = pin_dir;
	if (xlb_create(pin_dir, NULL, &d.xlb) ||
	    setup(d.xlb, pairs, vips, keys)) {
		fprintf(stderr, "xlbd-tick-bench: setup: %s\n", xlb_errmsg());
		goto out;
	}
	xlb_unlock(d.xlb);
	snprintf(path, sizeof(path), "%s/xlb_be_stats", pin_dir);
	stats_fd = bpf_obj_get(path);
	if (stats_fd < 0 || xlb_brain_create(&d.cfg.brain, &d.brain) ||
	    xlbd_collect_pairs(&d)) {
		fprintf(stderr, "xlbd-tick-bench: start: %s\n", xlb_errmsg());
		goto out;
	}
	for (int t = 0; t < ticks; t++) {
		double t0, t1, t2, t3;

		if (advance(stats_fd,
			    XLB_MAX_BACKENDS < pairs + 64 ? XLB_MAX_BACKENDS
							  : pairs + 64,
			    ncpu, t, per_cpu)) {
			fprintf(stderr, "xlbd-tick-bench: counters\n");
			goto out;
		}
		/* The brain's clock runs at one tick a second. */
		t0 = now_s();
		if (xlbd_collect(&d, t) ||
		    xlb_brain_tick(d.brain, &d.snap, &d.plan)) {
			fprintf(stderr, "xlbd-tick-bench: tick: %s\n",
				xlb_errmsg());
			goto out;
		}
		t1 = now_s();
		for (size_t i = 0; i < d.n_pairs; i++) {
			d.pairs[i]->out = d.plan.pairs[i];
			d.pairs[i]->have_out = true;
		}
		for (size_t i = 0; i < d.n_vips; i++) {
			d.vips[i].out = d.plan.vips[i];
			d.vips[i].have_out = true;
		}
		swap0 = xlb_table_swap_seconds(d.xlb, &swaps0);
		t2 = now_s();
		xlbd_apply_plan(&d);
		t3 = now_s();
		swap1 = xlb_table_swap_seconds(d.xlb, &swaps1);
		decisions += d.plan.n_decisions;
		st[0][t] =
			(t1 - t0) * 1e3 - (d.plan.features_s + d.plan.models_s +
					   d.plan.policy_s) *
						  1e3;
		st[1][t] = (d.plan.features_s + d.plan.models_s +
			    d.plan.policy_s) *
			   1e3;
		st[2][t] = (t3 - t2 - (swap1 - swap0)) * 1e3;
		st[3][t] = (swap1 - swap0) * 1e3;
		st[4][t] = (t3 - t0 - (swap1 - swap0)) * 1e3;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("xlbd tick, %d pairs over %d VIPs, %d ticks (collect from "
	       "pinned "
	       "maps, brain core, apply with map writes and table rebuilds)\n",
	       pairs, vips, ticks);
	printf("  collect  median %.3f ms  p99 %.3f ms\n",
	       pct(st[0], ticks, 0.5), pct(st[0], ticks, 0.99));
	printf("  brain    median %.3f ms  p99 %.3f ms\n",
	       pct(st[1], ticks, 0.5), pct(st[1], ticks, 0.99));
	printf("  apply    median %.3f ms  p99 %.3f ms (RCU waits apart)\n",
	       pct(st[2], ticks, 0.5), pct(st[2], ticks, 0.99));
	printf("  RCU wait of table swaps: %lu swaps, %.1f ms in all\n", swaps1,
	       swap1 * 1e3);
	printf("  whole tick without the RCU wait: median %.3f ms  p99 %.3f "
	       "ms   target <= 5 ms: %s\n",
	       pct(st[4], ticks, 0.5), pct(st[4], ticks, 0.99),
	       pct(st[4], ticks, 0.5) <= 5 ? "met" : "MISSED");
	printf("  decisions %zu\n", decisions);
	{
		double ms = maglev_build_ms(&keys[0], pairs);

		printf("  Maglev build, %u slots, %d backends: best of 5 %.3f "
		       "ms   target <= 2 ms: %s\n",
		       XLB_TABLE_SIZE_DEFAULT, pairs, ms,
		       ms <= 2 ? "met" : "MISSED");
	}
	printf("  peak RSS %.1f MB (brain, xlbd state, no history store; the "
	       "target of 64 MB is with 24 h of history)\n",
	       ru.ru_maxrss / 1024.0);
	rc = 0;
out:
	if (stats_fd >= 0)
		close(stats_fd);
	xlbd_pairs_free(&d);
	xlb_brain_destroy(d.brain);
	xlb_stats_free(&d.stats);
	if (d.xlb) {
		xlb_lock(d.xlb, 1000);
		xlb_destroy(d.xlb);
		xlb_close(d.xlb);
	}
	xlbd_config_free(&d.cfg);
	return rc;
}
