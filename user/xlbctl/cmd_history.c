// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl history export --csv: xlbd's history (STATE_DIR/history.db, the
 * view history: per-tick samples for the recent window, 10 s, 1 min and
 * 5 min aggregates before it, the resolution named in each row) as CSV
 * with a header line, oldest first, written through libcsv's quoting.
 * Read-only: a running xlbd is not disturbed (the history is in WAL mode).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <csv.h>
#include <sqlite3.h>

#include "commands.h"

#define HISTORY_DB "history.db"

static void field(FILE *out, const char *text, int i)
{
	if (i)
		fputc(',', out);
	csv_fwrite(out, text, strlen(text));
}

int cmd_history_export(const struct cli *cli)
{
	char path[4096], buf[64];
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int ret = 0, cols, rc;

	snprintf(path, sizeof(path), "%s/%s", cli->state_dir, HISTORY_DB);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) !=
	    SQLITE_OK) {
		fprintf(stderr,
			"xlbctl: history export: %s: %s (is xlbd running with "
			"--state-dir %s?)\n",
			path, sqlite3_errmsg(db), cli->state_dir);
		sqlite3_close(db);
		return 2;
	}
	sqlite3_busy_timeout(db, 2000);
	/* history: every resolution (xlbd's view); samples: an older xlbd's */
	if (sqlite3_prepare_v2(db,
			       "SELECT * FROM history WHERE time >= ? ORDER "
			       "BY time, vip, backend, ticks",
			       -1, &st, NULL) != SQLITE_OK &&
	    sqlite3_prepare_v2(db,
			       "SELECT * FROM samples WHERE time >= ? ORDER "
			       "BY time, vip, backend",
			       -1, &st, NULL) != SQLITE_OK) {
		fprintf(stderr, "xlbctl: history export: %s: %s\n", path,
			sqlite3_errmsg(db));
		sqlite3_close(db);
		return 5;
	}
	sqlite3_bind_double(st, 1, cli->since);
	cols = sqlite3_column_count(st);
	for (int i = 0; i < cols; i++)
		field(stdout, sqlite3_column_name(st, i), i);
	fputc('\n', stdout);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		for (int i = 0; i < cols; i++) {
			switch (sqlite3_column_type(st, i)) {
			case SQLITE_NULL:
				field(stdout, "", i); /* unknown, never 0 */
				break;
			case SQLITE_INTEGER:
				snprintf(buf, sizeof(buf), "%lld",
					 (long long)sqlite3_column_int64(st,
									 i));
				field(stdout, buf, i);
				break;
			case SQLITE_FLOAT:
				snprintf(buf, sizeof(buf), "%.17g",
					 sqlite3_column_double(st, i));
				field(stdout, buf, i);
				break;
			default:
				field(stdout,
				      (const char *)sqlite3_column_text(st, i),
				      i);
			}
		}
		fputc('\n', stdout);
	}
	if (rc != SQLITE_DONE) {
		fprintf(stderr, "xlbctl: history export: %s: %s\n", path,
			sqlite3_errmsg(db));
		ret = 5;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return ret;
}
