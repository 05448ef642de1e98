// SPDX-License-Identifier: GPL-2.0
/*
 * History in SQLite (STATE_DIR/history.db, WAL), kept the way monitoring
 * systems keep it: per-tick samples (table samples) for a short recent
 * window, then per pair aggregates over 10 s, 1 min and 5 min buckets
 * (table aggregates: ticks, min, mean and max of every signal, the worst
 * health), each resolution with its own retention. One row per pair per
 * tick for a day would be 86M rows at 1,000 pairs; this is about 1.6M.
 * Aggregates are built in memory from the same tick's values that go to
 * samples, so they match the raw rows exactly, and written when a bucket
 * ends. Each tick's rows, the rows it ages out and the brain's learned
 * state (xlb_brain_save, every store.save_every ticks and at exit, so a
 * restart adopts it) go in one transaction. The view history puts every
 * resolution in one table, each span at the finest resolution still kept
 * (xlbctl history export reads it).
 *
 * SQLite writes to disk, so it runs on a writer thread of its own: the
 * loop copies a tick's rows (and the brain's saved state, and decisions)
 * into a queue and goes on; a WAL checkpoint or a slow disk never delays a
 * probe. Past XLBD_STORE_QUEUE_TICKS queued a tick is dropped, counted
 * and logged: history is worth less than the loop's period.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "xlbd.h"

#define HISTORY_DB "history.db"

/* The signals aggregated as mean, min and max, in the export's order. */
enum signal {
	SIG_WEIGHT,
	SIG_FACTOR,
	SIG_PACKETS,
	SIG_BYTES,
	SIG_NEW_FLOWS,
	SIG_ENDED_FLOWS,
	SIG_PROBE_LATENCY,
	SIG_METRICS_AGE,
	SIG_CPU,
	SIG_MEM,
	SIG_LOAD1,
	SIG_SERVICE_LATENCY,
	SIG_SERVICE_FAIL,
	SIG_ANOMALY,
	SIG_PREDICTED_UTIL,
	N_SIG
};

static const char *const sig_names[N_SIG] = {
	"weight",
	"factor",
	"packets_per_s",
	"bytes_per_s",
	"new_flows_per_s",
	"ended_flows_per_s",
	"probe_latency_s",
	"metrics_age_s",
	"cpu_util",
	"mem_util",
	"load1",
	"service_latency_s",
	"service_fail_ratio",
	"anomaly_score",
	"predicted_util",
};

/*
 * Rows go several to an INSERT: at one statement a row, SQLite's work per
 * statement had a tick's 1,000 samples take 1.7 ms, 1.0 ms in statements
 * of 40. Samples have 23 columns, aggregates 10 and 3 a signal; ROWS x
 * COLS stays within the 999 parameters of the oldest SQLite.
 */
#define SAMPLE_COLS 23
#define SAMPLE_ROWS 40
#define AGG_COLS (10 + 3 * N_SIG)
#define AGG_ROWS (999 / AGG_COLS)

/* Bucket lengths, finest first; each tier's retention is a config key. */
#define N_TIERS 3
static const unsigned int tier_s[N_TIERS] = { 10, 60, 300 };

struct agg {
	uint32_t ticks, base_weight, health, op_state;
	uint64_t probes_ok, probes_failed;
	uint32_t n[N_SIG]; /* ticks with a known value */
	double sum[N_SIG], min[N_SIG], max[N_SIG];
};

/* One pair's buckets in the making, found by its key. */
struct series {
	char vip[XLB_VIP_STRLEN], backend[XLB_ADDR_STRLEN];
	struct agg tier[N_TIERS];
};

/* One pair's row of a tick, copied on the loop for the writer. */
struct row {
	char vip[XLB_VIP_STRLEN], backend[XLB_ADDR_STRLEN];
	double v[N_SIG];
	uint32_t weight, base_weight, health, op_state;
	uint64_t probes_ok, probes_failed;
};

/* What the writer does for one tick or one decision. */
struct job {
	struct job *next;
	double wall;
	bool tick; /* else a decision */
	/* a tick: its rows and the retention it was written under */
	struct row *rows;
	size_t n_rows;
	double raw_retention, retention, tier_retention[N_TIERS];
	void *brain; /* a saved brain state to keep, or NULL */
	size_t brain_len;
	bool age_decisions;
	/* a decision */
	struct row who;
	const char *rule;
	double old_factor, new_factor;
	int old_health, new_health;
	char *reason, *json;
};

struct store {
	sqlite3 *db;
	sqlite3_stmt *sample, *sample_rows, *aggregate, *aggregate_rows;
	sqlite3_stmt *decision, *save;
	sqlite3_stmt *age_samples, *age_aggregates, *age_decisions;
	uint64_t ticks;
	double bucket[N_TIERS]; /* the bucket being filled, index */
	struct series *series;
	size_t n_series, cap_series;
	int32_t *index; /* open addressing into series, -1 empty */
	size_t cap_index;

	/* the queue to the writer thread, under lock */
	pthread_t writer;
	bool writer_started;
	pthread_mutex_t lock;
	pthread_cond_t work, idle;
	struct job *head, *tail;
	unsigned int queued_ticks;
	bool busy, stopping;
	unsigned long failures, failures_told, dropped;
	char error[256]; /* the writer's last failure */
};

static void *writer_main(void *arg);

/*
 * secure_delete=FAST: distributions build SQLite with secure_delete on,
 * which zeroes every page an aged row or the replaced brain state frees:
 * a third of the WAL's pages a tick. FAST still zeroes the rows within
 * the pages they leave (it costs no write), not the freed pages.
 */
static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"PRAGMA secure_delete=FAST;"
	"CREATE TABLE IF NOT EXISTS samples ("
	" time REAL NOT NULL, vip TEXT NOT NULL, backend TEXT NOT NULL,"
	" weight INTEGER, base_weight INTEGER, factor REAL, health TEXT,"
	" op_state TEXT, packets_per_s REAL, bytes_per_s REAL,"
	" new_flows_per_s REAL, ended_flows_per_s REAL, probes_ok INTEGER,"
	" probes_failed INTEGER, probe_latency_s REAL, metrics_age_s REAL,"
	" cpu_util REAL, mem_util REAL, load1 REAL, service_latency_s REAL,"
	" service_fail_ratio REAL, anomaly_score REAL, predicted_util REAL);"
	"CREATE INDEX IF NOT EXISTS samples_time ON samples(time);"
	"CREATE TABLE IF NOT EXISTS decisions ("
	" time REAL NOT NULL, vip TEXT NOT NULL, backend TEXT NOT NULL,"
	" rule TEXT, old_factor REAL, new_factor REAL, old_health INTEGER,"
	" new_health INTEGER, reason TEXT, json TEXT);"
	"CREATE INDEX IF NOT EXISTS decisions_time ON decisions(time);"
	"CREATE TABLE IF NOT EXISTS brain_state ("
	" id INTEGER PRIMARY KEY CHECK (id = 1), time REAL, state BLOB);";

static const char *health_name(__u32 h)
{
	return h == XLB_HEALTH_OK	  ? "ok"
	       : h == XLB_HEALTH_DRAINING ? "draining"
	       : h == XLB_HEALTH_DOWN	  ? "down"
					  : "unknown";
}

static void bind_num(sqlite3_stmt *st, int i, double x)
{
	if (isfinite(x))
		sqlite3_bind_double(st, i, x);
	else
		sqlite3_bind_null(st, i);
}

/* A pair's row this tick, as samples holds it (NAN: unknown). */
static void row_fill(struct row *r, const struct xlbd_pair *p)
{
	const struct xlb_brain_obs *o = &p->obs;
	double *v = r->v;

	/* a copy, not a format: snprintf was half the store's time here */
	_Static_assert(sizeof(r->vip) == sizeof(p->vip_text), "vip");
	_Static_assert(sizeof(r->backend) == sizeof(p->addr_text), "addr");
	memcpy(r->vip, p->vip_text, sizeof(r->vip));
	memcpy(r->backend, p->addr_text, sizeof(r->backend));
	r->vip[sizeof(r->vip) - 1] = '\0';
	r->backend[sizeof(r->backend) - 1] = '\0';
	r->weight = p->info.weight;
	r->base_weight = p->info.base_weight;
	r->health = p->info.health;
	r->op_state = p->info.op_state;
	r->probes_ok = o->probes_ok;
	r->probes_failed = o->probes_failed;
	v[SIG_WEIGHT] = p->info.weight;
	v[SIG_FACTOR] = p->info.factor / (double)XLB_FACTOR_ONE;
	v[SIG_PACKETS] = o->packets_per_s;
	v[SIG_BYTES] = o->bytes_per_s;
	v[SIG_NEW_FLOWS] = o->new_flows_per_s;
	v[SIG_ENDED_FLOWS] = o->ended_flows_per_s;
	v[SIG_PROBE_LATENCY] = o->probe_latency_s;
	v[SIG_METRICS_AGE] = o->metrics_age_s;
	v[SIG_CPU] = o->cpu_util;
	v[SIG_MEM] = o->mem_util;
	v[SIG_LOAD1] = o->load1;
	v[SIG_SERVICE_LATENCY] = o->service_latency_s;
	v[SIG_SERVICE_FAIL] = o->service_fail_ratio;
	v[SIG_ANOMALY] = p->have_out ? p->out.anomaly_score : NAN;
	v[SIG_PREDICTED_UTIL] = p->have_out ? p->out.predicted_util : NAN;
}

static double tier_retention(const struct xlbd *d, int k)
{
	const double r[N_TIERS] = { d->cfg.retention_10s_s,
				    d->cfg.retention_1m_s, d->cfg.retention_s };

	return fmin(r[k], d->cfg.retention_s);
}

/* aggregates' columns and the history view's, built from sig_names */
static int append(char *buf, size_t size, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t size, size_t *len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf + *len, size - *len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size - *len)
		return -ENOSPC;
	*len += n;
	return 0;
}

/* INSERT INTO TABLE of ROWS rows of COLS parameters each. */
static int prepare_insert(sqlite3 *db, const char *table, int cols, int rows,
			  sqlite3_stmt **st)
{
	char sql[8192];
	size_t len = 0;
	int ret = 0;

	ret |= append(sql, sizeof(sql), &len, "INSERT INTO %s VALUES ", table);
	for (int r = 0; r < rows; r++) {
		ret |= append(sql, sizeof(sql), &len, r ? ",(?" : "(?");
		for (int c = 1; c < cols; c++)
			ret |= append(sql, sizeof(sql), &len, ",?");
		ret |= append(sql, sizeof(sql), &len, ")");
	}
	if (ret)
		return -ENOSPC;
	return sqlite3_prepare_v2(db, sql, -1, st, NULL) ? -EIO : 0;
}

/*
 * The view history: one row per pair per tick (resolution "tick") or per
 * bucket ("10s", "60s", "300s"), columns: resolution, time (a bucket's
 * start), ticks, vip, backend, base_weight, health (a bucket's worst),
 * op_state, probes_ok, probes_failed (a bucket's sums), then each signal's
 * value (a bucket's mean), _min and _max. Each resolution covers only
 * what the finer ones no longer keep (their oldest row onwards), so a
 * span appears once, at the finest resolution there is for it.
 */
static int create_view(const struct xlbd *d, struct store *s)
{
	char sql[16384], *msg = NULL;
	size_t len = 0;
	int ret = 0;

	ret |= append(sql, sizeof(sql), &len,
		      "DROP VIEW IF EXISTS history; CREATE VIEW history AS "
		      "SELECT 'tick' AS resolution, time, 1 AS ticks, vip, "
		      "backend, base_weight, health, op_state, probes_ok, "
		      "probes_failed");
	for (int i = 0; i < N_SIG; i++)
		ret |= append(sql, sizeof(sql), &len,
			      ", %s, %s AS %s_min, %s AS %s_max", sig_names[i],
			      sig_names[i], sig_names[i], sig_names[i],
			      sig_names[i]);
	ret |= append(sql, sizeof(sql), &len, " FROM samples");
	for (int k = 0; k < N_TIERS; k++) {
		if (tier_retention(d, k) <= 0)
			continue;
		ret |= append(sql, sizeof(sql), &len,
			      " UNION ALL SELECT '%us', time, ticks, vip, "
			      "backend, base_weight, health, op_state, "
			      "probes_ok, probes_failed",
			      tier_s[k]);
		for (int i = 0; i < N_SIG; i++)
			ret |= append(sql, sizeof(sql), &len,
				      ", %s, %s_min, %s_max", sig_names[i],
				      sig_names[i], sig_names[i]);
		ret |= append(sql, sizeof(sql), &len,
			      " FROM aggregates WHERE resolution_s = %u AND "
			      "time < coalesce((SELECT min(t) FROM (SELECT "
			      "min(time) AS t FROM samples",
			      tier_s[k]);
		for (int j = 0; j < k; j++)
			ret |= append(sql, sizeof(sql), &len,
				      " UNION ALL SELECT min(time) FROM "
				      "aggregates WHERE resolution_s = %u",
				      tier_s[j]);
		ret |= append(sql, sizeof(sql), &len, ")), 1e300)");
	}
	if (ret)
		return -ENOSPC;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		xlbd_log((struct xlbd *)d, "error", "history view: %s", msg);
		sqlite3_free(msg);
		return -EIO;
	}
	return 0;
}

static int create_aggregates(struct xlbd *d, struct store *s)
{
	char sql[8192], *msg = NULL;
	size_t len = 0;
	int ret = 0;

	ret |= append(sql, sizeof(sql), &len,
		      "CREATE TABLE IF NOT EXISTS aggregates ("
		      " resolution_s INTEGER NOT NULL, time REAL NOT NULL,"
		      " ticks INTEGER, vip TEXT NOT NULL, backend TEXT NOT "
		      "NULL, base_weight INTEGER, health TEXT, op_state TEXT,"
		      " probes_ok INTEGER, probes_failed INTEGER");
	for (int i = 0; i < N_SIG; i++)
		ret |= append(sql, sizeof(sql), &len,
			      ", %s REAL, %s_min REAL, %s_max REAL",
			      sig_names[i], sig_names[i], sig_names[i]);
	ret |= append(sql, sizeof(sql), &len,
		      ");CREATE INDEX IF NOT EXISTS aggregates_time ON "
		      "aggregates(resolution_s, time);");
	if (ret)
		return -ENOSPC;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		xlbd_log(d, "error", "history aggregates: %s", msg);
		sqlite3_free(msg);
		return -EIO;
	}
	if (prepare_insert(s->db, "aggregates", AGG_COLS, 1, &s->aggregate) ||
	    prepare_insert(s->db, "aggregates", AGG_COLS, AGG_ROWS,
			   &s->aggregate_rows))
		return -EIO;
	return 0;
}

static void store_free(struct store *s)
{
	sqlite3_finalize(s->sample);
	sqlite3_finalize(s->sample_rows);
	sqlite3_finalize(s->aggregate);
	sqlite3_finalize(s->aggregate_rows);
	sqlite3_finalize(s->decision);
	sqlite3_finalize(s->save);
	sqlite3_finalize(s->age_samples);
	sqlite3_finalize(s->age_aggregates);
	sqlite3_finalize(s->age_decisions);
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->work);
	pthread_cond_destroy(&s->idle);
	free(s->series);
	free(s->index);
	free(s);
}

int xlbd_store_open(struct xlbd *d)
{
	struct store *s = calloc(1, sizeof(*s));
	char path[4096], *msg = NULL;

	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->work, NULL);
	pthread_cond_init(&s->idle, NULL);
	for (int k = 0; k < N_TIERS; k++)
		s->bucket[k] = NAN;
	if (!sqlite3_threadsafe()) {
		xlbd_log(d, "error",
			 "history: this SQLite is built without "
			 "threads; the writer thread needs them");
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/%s", d->opt.state_dir, HISTORY_DB);
	/*
	 * No mutex in the connection: the writer has it to itself while it
	 * runs, the loop only before it starts and after it stops (and for
	 * the brain state at start, before the first job). SQLite's own lock,
	 * taken in every call (23 binds a row), cost 5-9% of the writer.
	 */
	if (sqlite3_open_v2(path, &s->db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				    SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		xlbd_log(d, "error", "history %s: %s", path,
			 sqlite3_errmsg(s->db));
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 200);
	if (sqlite3_exec(s->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
		xlbd_log(d, "error", "history %s: %s", path, msg);
		sqlite3_free(msg);
		goto fail;
	}
	if (create_aggregates(d, s) || create_view(d, s))
		goto fail_msg;
	if (prepare_insert(s->db, "samples", SAMPLE_COLS, 1, &s->sample) ||
	    prepare_insert(s->db, "samples", SAMPLE_COLS, SAMPLE_ROWS,
			   &s->sample_rows) ||
	    sqlite3_prepare_v2(s->db,
			       "INSERT INTO decisions VALUES (?,?,?,?,?,?,?,?,"
			       "?,?)",
			       -1, &s->decision, NULL) ||
	    /*
	     * An update in place, where REPLACE deleted and wrote the whole
	     * state: SQLite rewrites only the pages whose bytes changed.
	     */
	    sqlite3_prepare_v2(s->db,
			       "INSERT INTO brain_state VALUES (1,?,?) ON "
			       "CONFLICT (id) DO UPDATE SET time = "
			       "excluded.time, state = excluded.state",
			       -1, &s->save, NULL) ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM samples WHERE time < ?", -1,
			       &s->age_samples, NULL) ||
	    sqlite3_prepare_v2(s->db,
			       "DELETE FROM aggregates WHERE resolution_s = ? "
			       "AND time < ?",
			       -1, &s->age_aggregates, NULL) ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM decisions WHERE time < ?",
			       -1, &s->age_decisions, NULL))
		goto fail_msg;
	if (pthread_create(&s->writer, NULL, writer_main, s)) {
		xlbd_log(d, "error", "history: no writer thread");
		goto fail;
	}
	s->writer_started = true;
	d->store = s;
	return 0;
fail_msg:
	xlbd_log(d, "error", "history %s: %s", path, sqlite3_errmsg(s->db));
fail:
	store_free(s);
	return -EIO;
}

static uint64_t key_hash(const char *vip, const char *backend)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *c = vip; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	h = (h ^ '|') * 1099511628211ull;
	for (const char *c = backend; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ull;
	return h;
}

static int reindex(struct store *s, size_t want)
{
	size_t cap = 64;

	while (cap < 2 * want)
		cap *= 2;
	if (cap != s->cap_index) {
		int32_t *ix = realloc(s->index, cap * sizeof(*ix));

		if (!ix)
			return -ENOMEM;
		s->index = ix;
		s->cap_index = cap;
	}
	memset(s->index, 0xff, s->cap_index * sizeof(*s->index));
	for (size_t i = 0; i < s->n_series; i++) {
		const struct series *e = &s->series[i];
		size_t h = key_hash(e->vip, e->backend) & (s->cap_index - 1);

		while (s->index[h] >= 0)
			h = (h + 1) & (s->cap_index - 1);
		s->index[h] = (int32_t)i;
	}
	return 0;
}

/* The pair's series, a new one when it has none (NULL: out of memory). */
static struct series *series_of(struct store *s, const struct row *r)
{
	size_t h, mask;
	struct series *e;

	if (2 * (s->n_series + 1) > s->cap_index && reindex(s, s->n_series + 1))
		return NULL;
	mask = s->cap_index - 1;
	for (h = key_hash(r->vip, r->backend) & mask; s->index[h] >= 0;
	     h = (h + 1) & mask) {
		e = &s->series[s->index[h]];
		if (!strcmp(e->vip, r->vip) && !strcmp(e->backend, r->backend))
			return e;
	}
	if (s->n_series == s->cap_series) {
		size_t cap = s->cap_series ? 2 * s->cap_series : 64;
		struct series *n = realloc(s->series, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->series = n;
		s->cap_series = cap;
	}
	e = &s->series[s->n_series];
	memset(e, 0, sizeof(*e));
	snprintf(e->vip, sizeof(e->vip), "%s", r->vip);
	snprintf(e->backend, sizeof(e->backend), "%s", r->backend);
	s->index[h] = (int32_t)s->n_series++;
	return e;
}

static void agg_add(struct agg *a, const struct row *r)
{
	const double *v = r->v;

	if (!a->ticks || r->health > a->health)
		a->health = r->health; /* ok < draining < down */
	a->ticks++;
	a->base_weight = r->base_weight;
	a->op_state = r->op_state;
	a->probes_ok += r->probes_ok;
	a->probes_failed += r->probes_failed;
	for (int i = 0; i < N_SIG; i++) {
		if (!isfinite(v[i]))
			continue; /* unknown: not a zero in the mean */
		if (!a->n[i] || v[i] < a->min[i])
			a->min[i] = v[i];
		if (!a->n[i] || v[i] > a->max[i])
			a->max[i] = v[i];
		a->sum[i] += v[i];
		a->n[i]++;
	}
}

/* Series E's bucket of tier K from parameter AT + 1 on. */
static void agg_bind(sqlite3_stmt *st, int at, const struct series *e, int k,
		     double start)
{
	const struct agg *a = &e->tier[k];

	sqlite3_bind_int(st, at + 1, (int)tier_s[k]);
	sqlite3_bind_double(st, at + 2, start);
	sqlite3_bind_int64(st, at + 3, a->ticks);
	sqlite3_bind_text(st, at + 4, e->vip, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, at + 5, e->backend, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, at + 6, a->base_weight);
	sqlite3_bind_text(st, at + 7, health_name(a->health), -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, at + 8, xlb_op_state_name(a->op_state), -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(st, at + 9, (sqlite3_int64)a->probes_ok);
	sqlite3_bind_int64(st, at + 10, (sqlite3_int64)a->probes_failed);
	for (int i = 0; i < N_SIG; i++) {
		int c = at + 11 + 3 * i;

		if (a->n[i]) {
			sqlite3_bind_double(st, c, a->sum[i] / a->n[i]);
			sqlite3_bind_double(st, c + 1, a->min[i]);
			sqlite3_bind_double(st, c + 2, a->max[i]);
		} else {
			sqlite3_bind_null(st, c);
			sqlite3_bind_null(st, c + 1);
			sqlite3_bind_null(st, c + 2);
		}
	}
}

/* ST inserts N rows: the buckets of tier K of the N series E points to. */
static int agg_insert(sqlite3_stmt *st, struct series *const *e, int n, int k,
		      double start)
{
	sqlite3_reset(st);
	for (int i = 0; i < n; i++)
		agg_bind(st, i * AGG_COLS, e[i], k, start);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
}

/*
 * Write tier k's finished buckets (every pair that had a tick in it), start
 * the next, and age out that tier's rows past its retention.
 */
static int tier_flush(struct store *s, int k, double wall, double retention)
{
	double start = s->bucket[k] * tier_s[k];
	struct series *rows[AGG_ROWS];
	int n = 0, ret = 0;

	for (size_t i = 0; i < s->n_series; i++) {
		if (!s->series[i].tier[k].ticks)
			continue;
		rows[n++] = &s->series[i];
		if (n == AGG_ROWS) {
			if (agg_insert(s->aggregate_rows, rows, n, k, start))
				ret = -EIO;
			n = 0;
		}
	}
	for (int i = 0; i < n; i++)
		if (agg_insert(s->aggregate, &rows[i], 1, k, start))
			ret = -EIO;
	for (size_t i = 0; i < s->n_series; i++)
		memset(&s->series[i].tier[k], 0, sizeof(s->series[i].tier[k]));
	sqlite3_reset(s->age_aggregates);
	sqlite3_bind_int(s->age_aggregates, 1, (int)tier_s[k]);
	sqlite3_bind_double(s->age_aggregates, 2, wall - retention);
	if (sqlite3_step(s->age_aggregates) != SQLITE_DONE)
		ret = -EIO;
	return ret;
}

/* Series with no tick in any bucket being filled: pairs gone. */
static int series_evict(struct store *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n_series; i++) {
		bool live = false;

		for (int k = 0; k < N_TIERS; k++)
			live |= s->series[i].tier[k].ticks > 0;
		if (live)
			s->series[n++] = s->series[i];
	}
	if (n == s->n_series)
		return 0;
	s->n_series = n;
	return reindex(s, n);
}

/* Row R's 23 values from parameter AT + 1 on. */
static void sample_bind(sqlite3_stmt *st, int at, const struct row *r,
			double wall)
{
	const double *v = r->v;

	sqlite3_bind_double(st, at + 1, wall);
	sqlite3_bind_text(st, at + 2, r->vip, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, at + 3, r->backend, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, at + 4, r->weight);
	sqlite3_bind_int64(st, at + 5, r->base_weight);
	sqlite3_bind_double(st, at + 6, v[SIG_FACTOR]);
	sqlite3_bind_text(st, at + 7, health_name(r->health), -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, at + 8, xlb_op_state_name(r->op_state), -1,
			  SQLITE_STATIC);
	bind_num(st, at + 9, v[SIG_PACKETS]);
	bind_num(st, at + 10, v[SIG_BYTES]);
	bind_num(st, at + 11, v[SIG_NEW_FLOWS]);
	bind_num(st, at + 12, v[SIG_ENDED_FLOWS]);
	sqlite3_bind_int64(st, at + 13, (sqlite3_int64)r->probes_ok);
	sqlite3_bind_int64(st, at + 14, (sqlite3_int64)r->probes_failed);
	bind_num(st, at + 15, v[SIG_PROBE_LATENCY]);
	bind_num(st, at + 16, v[SIG_METRICS_AGE]);
	bind_num(st, at + 17, v[SIG_CPU]);
	bind_num(st, at + 18, v[SIG_MEM]);
	bind_num(st, at + 19, v[SIG_LOAD1]);
	bind_num(st, at + 20, v[SIG_SERVICE_LATENCY]);
	bind_num(st, at + 21, v[SIG_SERVICE_FAIL]);
	bind_num(st, at + 22, v[SIG_ANOMALY]);
	bind_num(st, at + 23, v[SIG_PREDICTED_UTIL]);
}

/* ST inserts N rows: N of R's. */
static int sample_insert(sqlite3_stmt *st, const struct row *r, int n,
			 double wall)
{
	sqlite3_reset(st);
	for (int i = 0; i < n; i++)
		sample_bind(st, i * SAMPLE_COLS, &r[i], wall);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
}

/* A tick's N rows: SAMPLE_ROWS to a statement, the rest one by one. */
static int samples_write(struct store *s, const struct row *rows, size_t n,
			 double wall)
{
	size_t i = 0;
	int ret = 0;

	for (; i + SAMPLE_ROWS <= n; i += SAMPLE_ROWS)
		if (sample_insert(s->sample_rows, &rows[i], SAMPLE_ROWS, wall))
			ret = -EIO;
	for (; i < n; i++)
		if (sample_insert(s->sample, &rows[i], 1, wall))
			ret = -EIO;
	return ret;
}

static void job_free(struct job *j)
{
	free(j->rows);
	free(j->brain);
	free(j->reason);
	free(j->json);
	free(j);
}

/* A tick's rows, the rows it ages out and the brain's state. */
static int tick_write(struct store *s, const struct job *j)
{
	int ret = 0;

	/* Buckets that ended before this tick are written first. */
	bool flushed = false;

	for (int k = 0; k < N_TIERS; k++) {
		double b = floor(j->wall / tier_s[k]);

		if (b == s->bucket[k])
			continue;
		if (isfinite(s->bucket[k]) &&
		    tier_flush(s, k, j->wall, j->tier_retention[k]))
			ret = -EIO;
		s->bucket[k] = b;
		flushed = true;
	}
	if (flushed && series_evict(s))
		ret = -ENOMEM;
	if (j->raw_retention > 0 &&
	    samples_write(s, j->rows, j->n_rows, j->wall))
		ret = -EIO;
	for (size_t i = 0; i < j->n_rows; i++) {
		const struct row *r = &j->rows[i];
		struct series *e = NULL;

		for (int k = 0; k < N_TIERS; k++) {
			if (j->tier_retention[k] <= 0)
				continue;
			if (!e && !(e = series_of(s, r))) {
				ret = -ENOMEM;
				break;
			}
			agg_add(&e->tier[k], r);
		}
	}
	/* Aged rows go a tick's worth at a time: no minute-long pile. */
	sqlite3_reset(s->age_samples);
	sqlite3_bind_double(s->age_samples, 1,
			    j->wall - fmin(j->raw_retention, j->retention));
	if (sqlite3_step(s->age_samples) != SQLITE_DONE)
		ret = -EIO;
	if (j->brain) {
		sqlite3_reset(s->save);
		sqlite3_bind_double(s->save, 1, j->wall);
		sqlite3_bind_blob(s->save, 2, j->brain, (int)j->brain_len,
				  SQLITE_STATIC);
		if (sqlite3_step(s->save) != SQLITE_DONE)
			ret = -EIO;
	}
	if (j->age_decisions) {
		sqlite3_reset(s->age_decisions);
		sqlite3_bind_double(s->age_decisions, 1,
				    j->wall - j->retention);
		sqlite3_step(s->age_decisions);
	}
	return ret;
}

static int decision_write(struct store *s, const struct job *j)
{
	sqlite3_stmt *st = s->decision;

	sqlite3_reset(st);
	sqlite3_bind_double(st, 1, j->wall);
	sqlite3_bind_text(st, 2, j->who.vip, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, j->who.backend, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, j->rule, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 5, j->old_factor);
	sqlite3_bind_double(st, 6, j->new_factor);
	sqlite3_bind_int(st, 7, j->old_health);
	sqlite3_bind_int(st, 8, j->new_health);
	sqlite3_bind_text(st, 9, j->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, j->json, -1, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
}

/* Everything queued in one transaction; the jobs are freed. */
static int batch_write(struct store *s, struct job *j)
{
	int ret = 0;

	sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
	while (j) {
		struct job *next = j->next;

		if (j->tick ? tick_write(s, j) : decision_write(s, j))
			ret = -EIO;
		job_free(j);
		j = next;
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		ret = -EIO;
	return ret;
}

static void *writer_main(void *arg)
{
	struct store *s = arg;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct job *batch;
		int ret;

		while (!s->head && !s->stopping)
			pthread_cond_wait(&s->work, &s->lock);
		if (!s->head)
			break;
		batch = s->head;
		s->head = s->tail = NULL;
		s->queued_ticks = 0;
		s->busy = true;
		pthread_mutex_unlock(&s->lock);
		ret = batch_write(s, batch);
		pthread_mutex_lock(&s->lock);
		if (ret) {
			s->failures++;
			snprintf(s->error, sizeof(s->error), "%s",
				 ret == -ENOMEM ? "out of memory"
						: sqlite3_errmsg(s->db));
		}
		s->busy = false;
		pthread_cond_broadcast(&s->idle);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

/* Hand a job to the writer; false when the queue is full (dropped). */
static bool enqueue(struct store *s, struct job *j)
{
	bool ok = true;

	pthread_mutex_lock(&s->lock);
	if (j->tick && s->queued_ticks >= XLBD_STORE_QUEUE_TICKS) {
		s->dropped++;
		ok = false;
	} else {
		if (s->tail)
			s->tail->next = j;
		else
			s->head = j;
		s->tail = j;
		s->queued_ticks += j->tick;
		pthread_cond_signal(&s->work);
	}
	pthread_mutex_unlock(&s->lock);
	if (!ok)
		job_free(j);
	return ok;
}

void xlbd_store_sync(struct xlbd *d)
{
	struct store *s = d->store;

	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	while (s->head || s->busy)
		pthread_cond_wait(&s->idle, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

/*
 * The writer's news for the loop's log: failures since the last look and
 * ticks dropped. Nonzero when something went wrong since then.
 */
static int store_news(struct xlbd *d, struct store *s, bool dropped_now)
{
	unsigned long failures, dropped;
	char error[sizeof(s->error)];

	pthread_mutex_lock(&s->lock);
	failures = s->failures - s->failures_told;
	s->failures_told = s->failures;
	dropped = s->dropped;
	snprintf(error, sizeof(error), "%s", s->error);
	pthread_mutex_unlock(&s->lock);
	if (failures)
		xlbd_log(d, "warn", "history: %s", error);
	if (dropped_now && (dropped == 1 || dropped % 60 == 0))
		xlbd_log(d, "warn",
			 "history: the writer is %d ticks behind; %lu ticks "
			 "not kept so far",
			 XLBD_STORE_QUEUE_TICKS, dropped);
	return failures || dropped_now ? -EIO : 0;
}

/*
 * The buckets being filled are written as they stand (ticks says how much
 * of the bucket they hold): a restart within the bucket adds a second row
 * for it rather than losing the first part.
 */
void xlbd_store_close(struct xlbd *d)
{
	struct store *s = d->store;

	if (!s)
		return;
	if (s->writer_started) {
		pthread_mutex_lock(&s->lock);
		s->stopping = true;
		pthread_cond_signal(&s->work);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->writer, NULL);
		s->writer_started = false;
		store_news(d, s, false);
	}
	sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
	for (int k = 0; k < N_TIERS; k++)
		if (isfinite(s->bucket[k]))
			tier_flush(s, k, s->bucket[k] * tier_s[k],
				   tier_retention(d, k));
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		xlbd_log(d, "warn", "history: %s", sqlite3_errmsg(s->db));
	store_free(s);
	d->store = NULL;
}

int xlbd_store_tick(struct xlbd *d, double wall)
{
	struct store *s = d->store;
	struct job *j;
	int ret = 0;

	if (!s)
		return 0;
	j = calloc(1, sizeof(*j));
	if (!j ||
	    (d->n_pairs && !(j->rows = calloc(d->n_pairs, sizeof(*j->rows))))) {
		free(j);
		xlbd_log(d, "warn", "history: out of memory");
		return -ENOMEM;
	}
	j->wall = wall;
	j->tick = true;
	for (size_t i = 0; i < d->n_pairs; i++)
		row_fill(&j->rows[j->n_rows++], d->pairs[i]);
	j->raw_retention = d->cfg.raw_retention_s;
	j->retention = d->cfg.retention_s;
	for (int k = 0; k < N_TIERS; k++)
		j->tier_retention[k] = tier_retention(d, k);
	/* the brain is the loop's: its state is copied here */
	if (d->stop || ++s->ticks % d->cfg.save_every == 0) {
		ret = xlb_brain_save(d->brain, &j->brain, &j->brain_len);
		if (ret)
			xlbd_log(d, "warn",
				 "history: brain state not saved: %s",
				 strerror(-ret));
	}
	j->age_decisions = s->ticks % 60 == 1;
	return store_news(d, s, !enqueue(s, j)) ? -EIO : ret;
}

int xlbd_store_decision(struct xlbd *d, double wall, const char *json,
			const struct xlbd_pair *p,
			const struct xlb_brain_decision *dec)
{
	struct store *s = d->store;
	struct job *j = calloc(1, sizeof(*j));

	if (!j || !(j->json = strdup(json)) ||
	    !(j->reason = strdup(dec->reason))) {
		if (j)
			job_free(j);
		return -ENOMEM;
	}
	j->wall = wall;
	snprintf(j->who.vip, sizeof(j->who.vip), "%s", p->vip_text);
	snprintf(j->who.backend, sizeof(j->who.backend), "%s", p->addr_text);
	j->rule = xlb_brain_rule_name(dec->rule);
	j->old_factor = dec->old_factor / (double)XLB_FACTOR_ONE;
	j->new_factor = dec->new_factor / (double)XLB_FACTOR_ONE;
	j->old_health = (int)dec->old_health;
	j->new_health = (int)dec->new_health;
	enqueue(s, j);
	return 0;
}

int xlbd_store_load_brain(struct xlbd *d)
{
	struct store *s = d->store;
	sqlite3_stmt *st;
	int ret = -ENOENT;

	xlbd_store_sync(d); /* the connection is the writer's while it works */
	if (sqlite3_prepare_v2(s->db,
			       "SELECT time, state FROM brain_state WHERE "
			       "id = 1",
			       -1, &st, NULL))
		return -EIO;
	if (sqlite3_step(st) == SQLITE_ROW) {
		double when = sqlite3_column_double(st, 0);
		const void *blob = sqlite3_column_blob(st, 1);
		int len = sqlite3_column_bytes(st, 1);

		ret = xlb_brain_load(d->brain, blob, (size_t)len);
		if (ret)
			xlbd_log(d, "warn",
				 "saved brain state (%d bytes) refused: %s; "
				 "learning again",
				 len, strerror(-ret));
		else
			xlbd_log(d, "info",
				 "adopted the brain state saved %.1f s ago",
				 xlbd_wall() - when);
	}
	sqlite3_finalize(st);
	return ret;
}
