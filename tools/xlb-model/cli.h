/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers shared by the xlb-model commands: messages, options, columns. */
#ifndef XLB_MODEL_CLI_H
#define XLB_MODEL_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "csv_table.h"

#define EXIT_USAGE 2

void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "--trees", "100" -> 100; false (after a message) if not in [min, max]. */
bool cli_uint(const char *option, const char *text, unsigned long long min,
	      unsigned long long max, unsigned long long *out);

/* Reads a CSV, printing "xlb-model: FILE: why" on failure. */
bool cli_read_csv(const char *path, struct xlb_csv_table *t);

/*
 * Resolves a comma-separated list of column names (or 1-based numbers) in
 * t; *cols is malloc'ed. With list NULL: every column.
 */
bool cli_columns(const char *path, const struct xlb_csv_table *t,
		 const char *list, size_t **cols, size_t *n);

/* Parses the chosen columns into a malloc'ed n_rows x n array. */
bool cli_numbers(const char *path, const struct xlb_csv_table *t,
		 const size_t *cols, size_t n, double **out);

int cmd_iforest(int argc, char **argv);
int cmd_forecast(int argc, char **argv);

#endif
