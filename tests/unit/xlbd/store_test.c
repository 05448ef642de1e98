// SPDX-License-Identifier: GPL-2.0
/*
 * xlbd's history store without maps: the 10 s, 1 min and 5 min aggregates
 * hold exactly what the per-tick rows of their buckets give (ticks, mean,
 * min, max with unknown values left out, worst health, probe sums), each
 * resolution is kept for its own retention and no longer, and the view
 * xlbctl exports gives every span once, at the finest resolution kept.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "testing.h"
#include "xlbd.h"

#define N_PAIRS 3
/* More pairs than one multi-row INSERT holds (40 samples, 18 aggregates a
 * statement), with a remainder: the many_pairs test. */
#define MAX_PAIRS 41
#define WALL0 1700000003.0 /* not on a bucket's edge */

struct fixture {
	struct xlbd d;
	struct xlbd_pair pair[MAX_PAIRS];
	struct xlbd_pair *ptr[MAX_PAIRS];
	char dir[64];
};

static void fixture_free(void *arg)
{
	struct fixture *f = arg;
	char cmd[128];

	xlbd_store_close(&f->d);
	xlb_brain_destroy(f->d.brain);
	xlbd_config_free(&f->d.cfg);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd))
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
}

static struct fixture *fixture_new_pairs(int n_pairs)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	snprintf(f->dir, sizeof(f->dir), "/tmp/xlbd-store-test.XXXXXX");
	if (!mkdtemp(f->dir)) {
		free(f);
		return NULL;
	}
	xlbd_config_default(&f->d.cfg);
	f->d.opt.state_dir = f->dir;
	f->d.epfd = -1;
	for (int i = 0; i < n_pairs; i++) {
		struct xlbd_pair *p = &f->pair[i];

		snprintf(p->vip_text, sizeof(p->vip_text), "10.0.0.1:80/tcp");
		snprintf(p->addr_text, sizeof(p->addr_text), "10.1.0.%d",
			 i + 1);
		p->info.base_weight = 100;
		p->info.op_state = XLB_OP_ACTIVE;
		f->ptr[i] = p;
	}
	f->d.pairs = f->ptr;
	f->d.n_pairs = n_pairs;
	test_defer(fixture_free, f);
	if (xlb_brain_create(&f->d.cfg.brain, &f->d.brain))
		return NULL;
	return f;
}

static struct fixture *fixture_new(void)
{
	return fixture_new_pairs(N_PAIRS);
}

/* Tick t's values: varied, some unknown, pair 1 down for a stretch. */
static void set_tick(struct fixture *f, long t)
{
	for (size_t i = 0; i < f->d.n_pairs; i++) {
		struct xlbd_pair *p = &f->pair[i];
		struct xlb_brain_obs *o = &p->obs;
		double x = sin(t * 0.37 + i) + 0.001 * t;

		p->info.weight = 100 + (unsigned int)((t * 7 + i * 13) % 41);
		p->info.factor = XLB_FACTOR_ONE / 2 + (t % 17) * 1000;
		p->info.health = i == 1 && t % 200 > 150 ? XLB_HEALTH_DOWN
				 : i == 2 && t % 90 == 7 ? XLB_HEALTH_DRAINING
							 : XLB_HEALTH_OK;
		o->packets_per_s = 1000 + 300 * x;
		o->bytes_per_s = o->packets_per_s * 777.5;
		o->new_flows_per_s = 50 + 10 * x;
		o->ended_flows_per_s = t % 11 ? 49 + 10 * x : NAN;
		o->probes_ok = (unsigned int)(t % 4);
		o->probes_failed = p->info.health == XLB_HEALTH_DOWN ? 2 : 0;
		o->probe_latency_s = 1e-4 * (2 + x);
		o->metrics_age_s = t % 13 == 0 ? INFINITY : 0.1 * (t % 5);
		o->cpu_util = t % 13 == 0 ? NAN : 0.5 + 0.2 * x;
		o->mem_util = 0.3;
		o->load1 = 1 + x;
		o->service_latency_s = 2e-3 * (2 + x);
		o->service_fail_ratio = 0;
		p->have_out = t % 7 != 0;
		p->out.anomaly_score = 0.4 + 0.05 * x;
		p->out.predicted_util = 0.6 + 0.1 * x;
	}
}

static int run(struct fixture *f, long ticks)
{
	for (long t = 0; t < ticks; t++) {
		set_tick(f, t);
		if (xlbd_store_tick(&f->d, WALL0 + t))
			return -1;
		/* the writer keeps up with the loop: no tick dropped */
		xlbd_store_sync(&f->d);
	}
	return 0;
}

static sqlite3 *open_db(struct fixture *f)
{
	char path[128];
	sqlite3 *db = NULL;

	snprintf(path, sizeof(path), "%s/history.db", f->dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL)) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

static double one_number(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	double x = NAN;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		return NAN;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		x = sqlite3_column_double(st, 0);
	sqlite3_finalize(st);
	return x;
}

static void close_db(void *db)
{
	sqlite3_close(db);
}

static bool same(sqlite3_stmt *st, int a, int b)
{
	double x = sqlite3_column_double(st, a),
	       y = sqlite3_column_double(st, b);

	if (sqlite3_column_type(st, a) == SQLITE_NULL ||
	    sqlite3_column_type(st, b) == SQLITE_NULL)
		return sqlite3_column_type(st, a) == sqlite3_column_type(st, b);
	return fabs(x - y) <= 1e-9 * fmax(1, fabs(y));
}

static const char *const checked[] = {
	"weight",
	"factor",
	"packets_per_s",
	"bytes_per_s",
	"ended_flows_per_s",
	"metrics_age_s",
	"cpu_util",
	"anomaly_score",
};

TEST(history_aggregates_match_the_raw_rows)
{
	struct fixture *f = fixture_new();
	char sql[1024];
	sqlite3 *db;
	long ticks = 1000; /* whole 5 min buckets and parts of two */
	int rows = 0;

	CHECK(f, "fixture");
	f->d.cfg.raw_retention_s = 86400; /* every raw row kept to compare */
	CHECK(!xlbd_store_open(&f->d), "store open");
	CHECK(!run(f, ticks), "store ticks");
	xlbd_store_close(&f->d); /* the buckets being filled are written */
	CHECK((db = open_db(f)), "db");
	test_defer(close_db, db);
	CHECK_EQ(one_number(db, "SELECT count(*) FROM samples"),
		 (double)ticks * N_PAIRS);
	/* every tick in exactly one bucket of each resolution */
	for (int r = 10; r <= 300; r = r == 10 ? 60 : 300) {
		snprintf(sql, sizeof(sql),
			 "SELECT sum(ticks) FROM aggregates WHERE "
			 "resolution_s = %d",
			 r);
		CHECK_EQ(one_number(db, sql), (double)ticks * N_PAIRS);
		if (r == 300)
			break;
	}
	for (size_t c = 0; c < sizeof(checked) / sizeof(*checked); c++) {
		const char *x = checked[c];
		sqlite3_stmt *st;

		snprintf(sql, sizeof(sql),
			 "SELECT a.ticks, r.n, a.%s, r.mean, a.%s_min, r.lo, "
			 "a.%s_max, r.hi, a.health, r.worst, a.probes_ok, "
			 "r.ok, a.probes_failed, r.failed, a.resolution_s "
			 "FROM aggregates a JOIN (SELECT s.vip, s.backend, "
			 "g.resolution_s AS res, g.time AS start, count(*) "
			 "AS n, avg(s.%s) AS mean, min(s.%s) AS lo, "
			 "max(s.%s) AS hi, max(CASE s.health WHEN 'ok' THEN "
			 "0 WHEN 'draining' THEN 1 ELSE 2 END) AS worst, "
			 "sum(s.probes_ok) AS ok, sum(s.probes_failed) AS "
			 "failed FROM samples s JOIN aggregates g ON g.vip = "
			 "s.vip AND g.backend = s.backend AND s.time >= "
			 "g.time AND s.time < g.time + g.resolution_s GROUP "
			 "BY s.vip, s.backend, g.resolution_s, g.time) r ON "
			 "r.vip = a.vip AND r.backend = a.backend AND r.res = "
			 "a.resolution_s AND r.start = a.time",
			 x, x, x, x, x, x);
		CHECK(!sqlite3_prepare_v2(db, sql, -1, &st, NULL), "%s: %s", x,
		      sqlite3_errmsg(db));
		rows = 0;
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *h =
				(const char *)sqlite3_column_text(st, 8);
			int worst = sqlite3_column_int(st, 9);

			rows++;
			CHECK(same(st, 0, 1), "%s: %d ticks vs %d raw rows", x,
			      sqlite3_column_int(st, 0),
			      sqlite3_column_int(st, 1));
			CHECK(same(st, 2, 3), "%s mean %.17g vs raw %.17g", x,
			      sqlite3_column_double(st, 2),
			      sqlite3_column_double(st, 3));
			CHECK(same(st, 4, 5), "%s min %.17g vs raw %.17g", x,
			      sqlite3_column_double(st, 4),
			      sqlite3_column_double(st, 5));
			CHECK(same(st, 6, 7), "%s max %.17g vs raw %.17g", x,
			      sqlite3_column_double(st, 6),
			      sqlite3_column_double(st, 7));
			CHECK(!strcmp(h, worst == 2   ? "down"
					 : worst == 1 ? "draining"
						      : "ok"),
			      "health %s, worst raw %d", h, worst);
			CHECK(same(st, 10, 11) && same(st, 12, 13), "probe "
								    "sums");
		}
		sqlite3_finalize(st);
		/* every bucket the ticks touched, once per pair */
		int buckets = 0;

		for (int r = 10; r <= 300; r = r == 10 ? 60 : r * 5)
			buckets += (int)(floor((WALL0 + ticks - 1) / r) -
					 floor(WALL0 / r)) +
				   1;
		CHECK_EQ(rows, buckets * N_PAIRS);
	}
	/* the fixture's unknowns made it to the aggregates as unknown */
	CHECK(one_number(db, "SELECT count(*) FROM aggregates WHERE "
			     "health = 'down'") > 0,
	      "no bucket holds the down stretch");
}

TEST(many_pairs_go_several_to_a_statement_and_all_kept)
{
	struct fixture *f = fixture_new_pairs(MAX_PAIRS);
	char sql[512];
	sqlite3 *db;
	long ticks = 25;

	CHECK(f, "fixture");
	f->d.cfg.raw_retention_s = 86400;
	CHECK(!xlbd_store_open(&f->d), "store open");
	CHECK(!run(f, ticks), "store ticks");
	xlbd_store_close(&f->d);
	CHECK((db = open_db(f)), "db");
	test_defer(close_db, db);
	CHECK_EQ(one_number(db, "SELECT count(*) FROM samples"),
		 (double)ticks * MAX_PAIRS);
	CHECK_EQ(one_number(db, "SELECT count(DISTINCT backend) FROM samples"),
		 (double)MAX_PAIRS);
	/* each row its own pair's and tick's values: "10.1.0.N" is pair N-1 */
	snprintf(sql, sizeof(sql),
		 "SELECT count(*) FROM samples WHERE weight != 100 + "
		 "((CAST(round(time - %.1f) AS INT) * 7 + "
		 "(CAST(substr(backend, "
		 "8) AS INT) - 1) * 13) %% 41)",
		 WALL0);
	CHECK_EQ(one_number(db, sql), 0);
	CHECK_EQ(one_number(db, "SELECT sum(ticks) FROM aggregates WHERE "
				"resolution_s = 10"),
		 (double)ticks * MAX_PAIRS);
	CHECK_EQ(one_number(db, "SELECT count(DISTINCT backend) FROM "
				"aggregates WHERE resolution_s = 10"),
		 (double)MAX_PAIRS);
}

TEST(history_each_resolution_kept_for_its_retention)
{
	struct fixture *f = fixture_new();
	double last = WALL0 + 7199, t;
	sqlite3 *db;

	CHECK(f, "fixture");
	f->d.cfg.raw_retention_s = 60;
	f->d.cfg.retention_10s_s = 300;
	f->d.cfg.retention_1m_s = 1200;
	f->d.cfg.retention_s = 3600;
	CHECK(!xlbd_store_open(&f->d), "store open");
	CHECK(!run(f, 7200), "store ticks");
	CHECK((db = open_db(f)), "db");
	test_defer(close_db, db);
	/* raw: aged a tick at a time, so exactly the last 61 ticks */
	CHECK_EQ(one_number(db, "SELECT count(*) FROM samples"),
		 61.0 * N_PAIRS);
	t = one_number(db, "SELECT min(time) FROM samples");
	CHECK(t == last - 60, "oldest raw row %.0f s old", last - t);
	/* an aggregate goes when its bucket's start is past the retention */
	t = one_number(db, "SELECT min(time) FROM aggregates WHERE "
			   "resolution_s = 10");
	CHECK(t >= last - 300 - 10 && t <= last - 300 + 10,
	      "oldest 10 s row %.0f s old (300)", last - t);
	t = one_number(db, "SELECT min(time) FROM aggregates WHERE "
			   "resolution_s = 60");
	CHECK(t >= last - 1200 - 60 && t <= last - 1200 + 60,
	      "oldest 1 min row %.0f s old (1200)", last - t);
	t = one_number(db, "SELECT min(time) FROM aggregates WHERE "
			   "resolution_s = 300");
	CHECK(t >= last - 3600 - 300 && t <= last - 3600 + 300,
	      "oldest 5 min row %.0f s old (3600)", last - t);
	/* the view: each span once, at the finest resolution kept */
	CHECK_EQ(one_number(db, "SELECT count(*) FROM history WHERE "
				"resolution = 'tick'"),
		 61.0 * N_PAIRS);
	CHECK(one_number(db, "SELECT max(time) FROM history WHERE "
			     "resolution = '10s'") < one_number(db, "SELECT "
								    "min(time) "
								    "FROM "
								    "samples"),
	      "10 s rows where raw rows are");
	CHECK(one_number(db, "SELECT max(time) FROM history WHERE "
			     "resolution = '60s'") < one_number(db, "SELECT "
								    "min(time) "
								    "FROM "
								    "aggregates"
								    " "
								    "WHERE "
								    "resolution"
								    "_s = 10"),
	      "1 min rows where 10 s rows are");
	CHECK(one_number(db, "SELECT max(time) FROM history WHERE "
			     "resolution = '300s'") <
		      one_number(db, "SELECT min(time) FROM aggregates "
				     "WHERE resolution_s = 60"),
	      "5 min rows where 1 min rows are");
	CHECK(one_number(db, "SELECT min(time) FROM history") ==
		      one_number(db, "SELECT min(time) FROM aggregates "
				     "WHERE resolution_s = 300"),
	      "the view starts at the oldest 5 min bucket");
}

/*
 * The loop never waits for the disk: with history.db locked by another
 * process the ticks still return at once, those past the writer's queue
 * dropped and said so (-EIO), and once the lock goes the store writes
 * again.
 */
TEST(a_stuck_disk_drops_ticks_instead_of_blocking_the_loop)
{
	struct fixture *f = fixture_new();
	char path[128];
	sqlite3 *other = NULL;
	int dropped = 0;

	CHECK(f, "fixture");
	CHECK(!xlbd_store_open(&f->d), "store open");
	snprintf(path, sizeof(path), "%s/history.db", f->dir);
	CHECK(!sqlite3_open(path, &other), "second connection");
	test_defer(close_db, other);
	CHECK(!sqlite3_exec(other, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
	      "lock: %s", sqlite3_errmsg(other));
	for (long t = 0; t < 200; t++) {
		set_tick(f, t);
		dropped += xlbd_store_tick(&f->d, WALL0 + t) == -EIO;
	}
	/* how many the writer took first (to fail) depends on its speed */
	CHECK(dropped > 0 && dropped <= 200 - XLBD_STORE_QUEUE_TICKS,
	      "%d of 200 ticks dropped", dropped);
	CHECK(!sqlite3_exec(other, "COMMIT", NULL, NULL, NULL), "unlock");
	xlbd_store_sync(&f->d);
	set_tick(f, 200);
	CHECK_EQ(xlbd_store_tick(&f->d, WALL0 + 200), 0);
	xlbd_store_sync(&f->d);
	CHECK_EQ(one_number(other, "SELECT count(*) FROM samples WHERE "
				   "time = 1700000203"),
		 (double)N_PAIRS);
}

int main(int argc, char **argv)
{
	return test_main(argc, argv);
}
