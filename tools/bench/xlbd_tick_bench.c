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
 * With HOURS and STATE_DIR, the history store is then opened in STATE_DIR
 * and HOURS of history generated through xlbd_store_tick on a simulated
 * clock (one tick a second, each pair's signals varied as a fleet's would,
 * not waited for), then TICKS more of the whole tick with the store
 * writing: the store stage's time, the file's size and the RSS of the
 * process holding it all.
 *
 *   xlbd-tick-bench [PAIRS [VIPS [TICKS [HOURS STATE_DIR]]]]  (root: maps)
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
#include <sys/stat.h>
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

/* The process's resident set now, MB (ru_maxrss gives only the peak). */
static double rss_now_mb(void)
{
	long pages = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (f) {
		if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
			resident = 0;
		fclose(f);
	}
	return resident * (double)sysconf(_SC_PAGESIZE) / (1 << 20);
}

static double file_mb(const char *dir, const char *name)
{
	char path[4096];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return stat(path, &sb) ? 0 : sb.st_size / (double)(1 << 20);
}

static uint64_t rng_state = 88172645463325252ull;

/* 0..1, xorshift: the same fleet every run */
static double rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (rng_state >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * A simulated second of a fleet's signals on every pair, for the history
 * only: a daily load curve, noise per pair, one pair in fifty probed down
 * for a while, agents' values unknown now and then (NULL in the store).
 */
static void simulate(struct xlbd *d, double t)
{
	double day = 0.6 + 0.4 * sin(t * 2 * M_PI / 86400);

	for (size_t i = 0; i < d->n_pairs; i++) {
		struct xlbd_pair *p = d->pairs[i];
		struct xlb_brain_obs *o = &p->obs;
		double load = day * (0.8 + 0.4 * rnd());
		bool down = i % 50 == 0 && fmod(t, 3600) < 120;

		o->new_flows_per_s = 20 * load;
		o->ended_flows_per_s =
			o->new_flows_per_s * (0.95 + 0.1 * rnd());
		o->packets_per_s = 400 * load + rnd();
		o->bytes_per_s = o->packets_per_s * (700 + 200 * rnd());
		o->probes_ok = down ? 0 : 10;
		o->probes_failed = down ? 10 : 0;
		o->probe_latency_s = down ? NAN : 1e-4 * (1 + rnd());
		o->metrics_age_s = rnd() < 0.02 ? INFINITY : 0.2 * rnd();
		o->cpu_util = isfinite(o->metrics_age_s) ? load * 0.7 : NAN;
		o->mem_util = 0.4 + 0.01 * rnd();
		o->load1 = load * (0.9 + 0.2 * rnd());
		o->service_latency_s = 2e-3 * load * (1 + rnd());
		o->service_fail_ratio = down ? 1 : 0;
		p->info.health = down ? XLB_HEALTH_DOWN : XLB_HEALTH_OK;
		p->info.factor = (__u32)(XLB_FACTOR_ONE * (0.9 + 0.2 * rnd()));
		p->out.anomaly_score = 0.35 + 0.1 * rnd();
		p->out.predicted_util = load * 0.7;
	}
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

#define N_STAGES 6 /* collect, brain, apply, RCU wait, whole tick, store */

struct bench {
	struct xlbd d;
	int stats_fd, pairs, ncpu;
	struct xlb_pair_counters *per_cpu;
	double *st[N_STAGES];
	size_t decisions;
	unsigned long swaps;
	double swap_s;
};

/*
 * TICKS whole ticks from tick number FIRST, the brain's clock at one tick a
 * second; with a store, its stage after apply as xlbd runs it, at wall
 * clock WALL0 + the tick.
 */
static int run_ticks(struct bench *b, int first, int ticks, double wall0)
{
	struct xlbd *d = &b->d;
	int ids = XLB_MAX_BACKENDS < b->pairs + 64 ? XLB_MAX_BACKENDS
						   : b->pairs + 64;

	for (int i = 0; i < ticks; i++) {
		int t = first + i;
		double t0, t1, t2, t3, t4, swap0, swap1;

		if (advance(b->stats_fd, ids, b->ncpu, t, b->per_cpu)) {
			fprintf(stderr, "xlbd-tick-bench: counters\n");
			return -1;
		}
		t0 = now_s();
		if (xlbd_collect(d, t) ||
		    xlb_brain_tick(d->brain, &d->snap, &d->plan)) {
			fprintf(stderr, "xlbd-tick-bench: tick: %s\n",
				xlb_errmsg());
			return -1;
		}
		t1 = now_s();
		for (size_t k = 0; k < d->n_pairs; k++) {
			d->pairs[k]->out = d->plan.pairs[k];
			d->pairs[k]->have_out = true;
		}
		for (size_t k = 0; k < d->n_vips; k++) {
			d->vips[k].out = d->plan.vips[k];
			d->vips[k].have_out = true;
		}
		swap0 = xlb_table_swap_seconds(d->xlb, &b->swaps);
		t2 = now_s();
		xlbd_apply_plan(d);
		t3 = now_s();
		swap1 = xlb_table_swap_seconds(d->xlb, &b->swaps);
		b->swap_s += swap1 - swap0;
		if (d->store && xlbd_store_tick(d, wall0 + t)) {
			fprintf(stderr, "xlbd-tick-bench: store failed\n");
			return -1;
		}
		t4 = now_s();
		/* a second apart in xlbd: the writer is done by the next */
		xlbd_store_sync(d);
		b->decisions += d->plan.n_decisions;
		b->st[1][i] = (d->plan.features_s + d->plan.models_s +
			       d->plan.policy_s) *
			      1e3;
		b->st[0][i] = (t1 - t0) * 1e3 - b->st[1][i];
		b->st[2][i] = (t3 - t2 - (swap1 - swap0)) * 1e3;
		b->st[3][i] = (swap1 - swap0) * 1e3;
		b->st[5][i] = (t4 - t3) * 1e3;
		b->st[4][i] = (t4 - t0 - (swap1 - swap0)) * 1e3;
	}
	return 0;
}

static void report_ticks(struct bench *b, int ticks, const char *what)
{
	double **st = b->st;

	printf("xlbd tick, %d pairs over %zu VIPs, %d ticks (collect from "
	       "pinned maps, brain core, apply with map writes and table "
	       "rebuilds%s)\n",
	       b->pairs, b->d.n_vips, ticks, what);
	printf("  collect  median %.3f ms  p99 %.3f ms\n",
	       pct(st[0], ticks, 0.5), pct(st[0], ticks, 0.99));
	printf("  brain    median %.3f ms  p99 %.3f ms\n",
	       pct(st[1], ticks, 0.5), pct(st[1], ticks, 0.99));
	printf("  apply    median %.3f ms  p99 %.3f ms (RCU waits apart)\n",
	       pct(st[2], ticks, 0.5), pct(st[2], ticks, 0.99));
	if (b->d.store)
		printf("  store    median %.3f ms  p99 %.3f ms  max %.3f ms "
		       "(on the loop: rows copied, queued)\n",
		       pct(st[5], ticks, 0.5), pct(st[5], ticks, 0.99),
		       pct(st[5], ticks, 1));
	printf("  RCU wait of table swaps: %lu swaps, %.1f ms in all\n",
	       b->swaps, b->swap_s * 1e3);
	printf("  whole tick without the RCU wait: median %.3f ms  p99 %.3f "
	       "ms   target <= 5 ms: %s\n",
	       pct(st[4], ticks, 0.5), pct(st[4], ticks, 0.99),
	       pct(st[4], ticks, 0.5) <= 5 ? "met" : "MISSED");
	printf("  decisions %zu\n", b->decisions);
}

/*
 * The ticks that go through the store whole and are timed: the last hour
 * of the day, after raw_retention_s (600 s) more whole but untimed, so
 * that samples is at its steady state (a tick's rows in, the oldest
 * second's out) on every timed tick. The hours before go through the
 * same xlbd_store_tick, writer and transactions with the store's raw
 * samples off (raw_retention_s 0, a setting of its own): their per-tick
 * rows would have aged out of samples long before the day ends, so the day's file keeps the same rows (the aggregates of every
 * tick, built all day, and the last 600 s of samples) and its export is
 * the same, at a fraction of the writer's work. Last, not first: samples
 * dropped in bulk at a switch would leave the WAL at that transaction's
 * size.
 */
#define MEASURED_S 3600

static bool measured_tick(long t, long n)
{
	return t >= n - MEASURED_S;
}

static bool whole_tick(long t, long n, double raw)
{
	return t >= n - MEASURED_S - raw;
}

/*
 * HOURS of history at one tick a second through the store's own tick, on
 * a simulated clock from WALL0, then TICKS whole ticks with the store on.
 */
static int history_bench(struct bench *b, double hours, int ticks,
			 const char *state_dir, int first)
{
	struct xlbd *d = &b->d;
	long n = (long)(hours * 3600), m = 0;
	double wall0 = 1.7e9, *fill = calloc(n > 0 ? n : 1, sizeof(double));
	double *write = calloc(n > 0 ? n : 1, sizeof(double));
	double t0 = now_s(), fill_s, raw = d->cfg.raw_retention_s;
	double between_s = 0;
	struct xlb_brain_obs *keep = calloc(d->n_pairs, sizeof(*keep));
	struct rusage ru;

	if (!fill || !write || !keep)
		return -1;
	d->opt.state_dir = state_dir;
	if (xlbd_store_open(d))
		return -1;
	for (size_t i = 0; i < d->n_pairs; i++)
		keep[i] = d->pairs[i]->obs;
	for (long t = 0; t < n; t++) {
		bool timed = measured_tick(t, n);
		double s0, s1;

		d->cfg.raw_retention_s = whole_tick(t, n, raw) ? raw : 0;
		simulate(d, wall0 + t);
		s0 = now_s();
		if (xlbd_store_tick(d, wall0 + t)) {
			fprintf(stderr, "xlbd-tick-bench: store failed\n");
			return -1;
		}
		s1 = now_s();
		xlbd_store_sync(d); /* the writer's share, apart */
		if (!timed) {
			if (!whole_tick(t, n, raw))
				between_s += now_s() - s0;
			continue;
		}
		fill[m] = (s1 - s0) * 1e3;
		write[m++] = (now_s() - s1) * 1e3;
	}
	d->cfg.raw_retention_s = raw;
	fill_s = now_s() - t0;
	/* back to the counters' own state: the whole ticks follow on */
	for (size_t i = 0; i < d->n_pairs; i++)
		d->pairs[i]->obs = keep[i];
	free(keep);
	printf("history store: %g h at one tick a second (%ld ticks, "
	       "simulated clock) through xlbd_store_tick in %.0f s: the "
	       "last %ld whole and timed after %.0f whole to fill samples, "
	       "the ticks before without the raw samples, which age out "
	       "after %.0f s (%.0f s, %.2f ms a tick)\n",
	       hours, n, fill_s, m, raw, raw, between_s,
	       n > m + raw ? between_s * 1e3 / (n - m - raw) : 0);
	if (m > 0) {
		printf("  on the loop (rows copied, queued): median %.3f ms  "
		       "p99 %.3f ms  max %.1f ms\n",
		       pct(fill, m, 0.5), pct(fill, m, 0.99), pct(fill, m, 1));
		printf("  on the writer thread (SQLite): median %.3f ms  p99 "
		       "%.3f ms  max %.1f ms (bucket ends every 10 s write "
		       "1,000 rows more)\n",
		       pct(write, m, 0.5), pct(write, m, 0.99),
		       pct(write, m, 1));
	}
	free(fill);
	free(write);
	for (int s = 0; s < N_STAGES; s++)
		memset(b->st[s], 0, ticks * sizeof(double));
	b->decisions = 0;
	b->swaps = 0;
	b->swap_s = 0;
	xlb_table_swap_seconds(d->xlb, &b->swaps);
	{
		unsigned long base = b->swaps;

		b->swap_s = 0;
		if (run_ticks(b, first, ticks, wall0 + n - first))
			return -1;
		b->swaps -= base;
	}
	report_ticks(b, ticks, ", store writing its history");
	getrusage(RUSAGE_SELF, &ru);
	printf("  history.db %.1f MB + WAL %.1f MB\n",
	       file_mb(state_dir, "history.db"),
	       file_mb(state_dir, "history.db-wal"));
	printf("  RSS holding %zu pairs and %g h of history: %.1f MB now, "
	       "peak %.1f MB   target <= 64 MB: %s\n",
	       d->n_pairs, hours, rss_now_mb(), ru.ru_maxrss / 1024.0,
	       ru.ru_maxrss / 1024.0 <= 64 ? "met" : "MISSED");
	return 0;
}

int main(int argc, char **argv)
{
	int pairs = argc > 1 ? atoi(argv[1]) : 1000;
	int vips = argc > 2 ? atoi(argv[2]) : 4;
	int ticks = argc > 3 ? atoi(argv[3]) : 60;
	double hours = argc > 5 ? atof(argv[4]) : 0;
	const char *state_dir = argc > 5 ? argv[5] : NULL;
	struct bench b = { .d.epfd = -1, .stats_fd = -1, .pairs = pairs };
	struct xlbd *d = &b.d;
	struct xlb_vip_key *keys;
	char pin_dir[64], path[128];
	struct rusage ru;
	int rc = 1;

	if (pairs < 1 || vips < 1 || vips > pairs || ticks < 2 || argc == 5 ||
	    hours < 0) {
		fprintf(stderr, "usage: xlbd-tick-bench [PAIRS [VIPS "
				"[TICKS [HOURS STATE_DIR]]]]\n");
		return 2;
	}
	b.ncpu = libbpf_num_possible_cpus();
	keys = calloc(vips, sizeof(*keys));
	b.per_cpu = calloc(b.ncpu, sizeof(*b.per_cpu));
	for (int s = 0; s < N_STAGES; s++)
		b.st[s] = calloc(ticks, sizeof(double));
	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/xlbbench-%d-xlbd",
		 getpid());
	xlbd_config_default(&d->cfg);
	d->opt.pin_dir = pin_dir;
	if (xlb_create(pin_dir, NULL, &d->xlb) ||
	    setup(d->xlb, pairs, vips, keys)) {
		fprintf(stderr, "xlbd-tick-bench: setup: %s\n", xlb_errmsg());
		goto out;
	}
	xlb_unlock(d->xlb);
	snprintf(path, sizeof(path), "%s/xlb_be_stats", pin_dir);
	b.stats_fd = bpf_obj_get(path);
	if (b.stats_fd < 0 || xlb_brain_create(&d->cfg.brain, &d->brain) ||
	    xlbd_collect_pairs(d)) {
		fprintf(stderr, "xlbd-tick-bench: start: %s\n", xlb_errmsg());
		goto out;
	}
	if (run_ticks(&b, 0, ticks, 0))
		goto out;
	getrusage(RUSAGE_SELF, &ru);
	report_ticks(&b, ticks, "");
	{
		double ms = maglev_build_ms(&keys[0], pairs);

		printf("  Maglev build, %u slots, %d backends: best of 5 %.3f "
		       "ms   target <= 2 ms: %s\n",
		       XLB_TABLE_SIZE_DEFAULT, pairs, ms,
		       ms <= 2 ? "met" : "MISSED");
	}
	printf("  peak RSS %.1f MB (brain, xlbd state, no history store)\n",
	       ru.ru_maxrss / 1024.0);
	if (state_dir && history_bench(&b, hours, ticks, state_dir, ticks))
		goto out;
	rc = 0;
out:
	xlbd_store_close(d);
	if (b.stats_fd >= 0)
		close(b.stats_fd);
	xlbd_pairs_free(d);
	xlb_brain_destroy(d->brain);
	xlb_stats_free(&d->stats);
	if (d->xlb) {
		xlb_lock(d->xlb, 1000);
		xlb_destroy(d->xlb);
		xlb_close(d->xlb);
	}
	xlbd_config_free(&d->cfg);
	return rc;
}
