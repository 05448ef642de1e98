// SPDX-License-Identifier: GPL-2.0
/*
 * History in SQLite (STATE_DIR/history.db, WAL): one row per pair per tick
 * (samples), one per decision, and the brain's learned state
 * (xlb_brain_save) every store.save_every ticks and at exit, so a restart
 * (also after SIGKILL) adopts it. Rows older than store.retention_s are
 * deleted once a minute. Each tick's rows go in one transaction.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "xlbd.h"

#define HISTORY_DB "history.db"

struct store {
	sqlite3 *db;
	sqlite3_stmt *sample, *decision, *save;
	uint64_t ticks;
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
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

int xlbd_store_open(struct xlbd *d)
{
	struct store *s = calloc(1, sizeof(*s));
	char path[4096], *msg = NULL;

	if (!s)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/%s", d->opt.state_dir, HISTORY_DB);
	if (sqlite3_open(path, &s->db) != SQLITE_OK) {
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
	if (sqlite3_prepare_v2(s->db,
			       "INSERT INTO samples VALUES (?,?,?,?,?,?,?,?,?,"
			       "?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &s->sample, NULL) ||
	    sqlite3_prepare_v2(s->db,
			       "INSERT INTO decisions VALUES (?,?,?,?,?,?,?,?,"
			       "?,?)",
			       -1, &s->decision, NULL) ||
	    sqlite3_prepare_v2(s->db,
			       "INSERT OR REPLACE INTO brain_state VALUES "
			       "(1,?,?)",
			       -1, &s->save, NULL)) {
		xlbd_log(d, "error", "history %s: %s", path,
			 sqlite3_errmsg(s->db));
		goto fail;
	}
	d->store = s;
	return 0;
fail:
	sqlite3_finalize(s->sample);
	sqlite3_finalize(s->decision);
	sqlite3_finalize(s->save);
	sqlite3_close(s->db);
	free(s);
	return -EIO;
}

void xlbd_store_close(struct xlbd *d)
{
	struct store *s = d->store;

	if (!s)
		return;
	sqlite3_finalize(s->sample);
	sqlite3_finalize(s->decision);
	sqlite3_finalize(s->save);
	sqlite3_close(s->db);
	free(s);
	d->store = NULL;
}

static int save_brain(struct xlbd *d, struct store *s, double wall)
{
	void *blob = NULL;
	size_t len = 0;
	int ret;

	ret = xlb_brain_save(d->brain, &blob, &len);
	if (ret)
		return ret;
	sqlite3_reset(s->save);
	sqlite3_bind_double(s->save, 1, wall);
	sqlite3_bind_blob(s->save, 2, blob, (int)len, SQLITE_TRANSIENT);
	ret = sqlite3_step(s->save) == SQLITE_DONE ? 0 : -EIO;
	free(blob);
	return ret;
}

int xlbd_store_tick(struct xlbd *d, double wall)
{
	struct store *s = d->store;
	int ret = 0;

	if (!s)
		return 0;
	sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
	for (size_t i = 0; !d->stop && i < d->n_pairs; i++) {
		const struct xlbd_pair *p = d->pairs[i];
		const struct xlb_brain_obs *o = &p->obs;
		sqlite3_stmt *st = s->sample;

		sqlite3_reset(st);
		sqlite3_bind_double(st, 1, wall);
		sqlite3_bind_text(st, 2, p->vip_text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, p->addr_text, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, p->info.weight);
		sqlite3_bind_int64(st, 5, p->info.base_weight);
		sqlite3_bind_double(st, 6,
				    p->info.factor / (double)XLB_FACTOR_ONE);
		sqlite3_bind_text(st, 7, health_name(p->info.health), -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 8, xlb_op_state_name(p->info.op_state),
				  -1, SQLITE_STATIC);
		bind_num(st, 9, o->packets_per_s);
		bind_num(st, 10, o->bytes_per_s);
		bind_num(st, 11, o->new_flows_per_s);
		bind_num(st, 12, o->ended_flows_per_s);
		sqlite3_bind_int64(st, 13, o->probes_ok);
		sqlite3_bind_int64(st, 14, o->probes_failed);
		bind_num(st, 15, o->probe_latency_s);
		bind_num(st, 16, o->metrics_age_s);
		bind_num(st, 17, o->cpu_util);
		bind_num(st, 18, o->mem_util);
		bind_num(st, 19, o->load1);
		bind_num(st, 20, o->service_latency_s);
		bind_num(st, 21, o->service_fail_ratio);
		bind_num(st, 22, p->have_out ? p->out.anomaly_score : NAN);
		bind_num(st, 23, p->have_out ? p->out.predicted_util : NAN);
		if (sqlite3_step(st) != SQLITE_DONE)
			ret = -EIO;
	}
	if (d->stop || ++s->ticks % d->cfg.save_every == 0)
		if (save_brain(d, s, wall))
			ret = -EIO;
	if (s->ticks % 60 == 1) {
		sqlite3_stmt *del;
		const char *sql[] = { "DELETE FROM samples WHERE time < ?",
				      "DELETE FROM decisions WHERE time < ?" };

		for (int k = 0; k < 2; k++) {
			if (sqlite3_prepare_v2(s->db, sql[k], -1, &del, NULL))
				continue;
			sqlite3_bind_double(del, 1, wall - d->cfg.retention_s);
			sqlite3_step(del);
			sqlite3_finalize(del);
		}
	}
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		ret = -EIO;
	if (ret)
		xlbd_log(d, "warn", "history: %s", sqlite3_errmsg(s->db));
	return ret;
}

int xlbd_store_decision(struct xlbd *d, double wall, const char *json,
			const struct xlbd_pair *p,
			const struct xlb_brain_decision *dec)
{
	struct store *s = d->store;
	sqlite3_stmt *st = s->decision;

	sqlite3_reset(st);
	sqlite3_bind_double(st, 1, wall);
	sqlite3_bind_text(st, 2, p->vip_text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, p->addr_text, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, xlb_brain_rule_name(dec->rule), -1,
			  SQLITE_STATIC);
	sqlite3_bind_double(st, 5, dec->old_factor / (double)XLB_FACTOR_ONE);
	sqlite3_bind_double(st, 6, dec->new_factor / (double)XLB_FACTOR_ONE);
	sqlite3_bind_int(st, 7, (int)dec->old_health);
	sqlite3_bind_int(st, 8, (int)dec->new_health);
	sqlite3_bind_text(st, 9, dec->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, json, -1, SQLITE_STATIC);
	return sqlite3_step(st) == SQLITE_DONE ? 0 : -EIO;
}

int xlbd_store_load_brain(struct xlbd *d)
{
	struct store *s = d->store;
	sqlite3_stmt *st;
	int ret = -ENOENT;

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
