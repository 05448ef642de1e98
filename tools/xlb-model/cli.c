// SPDX-License-Identifier: GPL-2.0
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_error.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("xlb-model: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool cli_uint(const char *option, const char *text, unsigned long long min,
	      unsigned long long max, unsigned long long *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (!*text || *end || errno || text[0] == '-' || v < min || v > max) {
		cli_error("%s: \"%s\" is not an integer in [%llu, %llu]",
			  option, text, min, max);
		return false;
	}
	*out = v;
	return true;
}

bool cli_read_csv(const char *path, struct xlb_csv_table *t)
{
	char msg[256];

	if (xlb_csv_read(path, t, msg, sizeof(msg))) {
		cli_error("%s: %s", path, msg);
		return false;
	}
	return true;
}

bool cli_columns(const char *path, const struct xlb_csv_table *t,
		 const char *list, size_t **cols, size_t *n)
{
	char *copy = NULL, *name, *save = NULL;
	size_t count = 0;

	*cols = calloc(t->n_cols + 1, sizeof(**cols));
	if (!*cols) {
		cli_error("out of memory");
		return false;
	}
	if (!list) {
		for (size_t c = 0; c < t->n_cols; c++)
			(*cols)[c] = c;
		*n = t->n_cols;
		return true;
	}
	copy = strdup(list);
	if (!copy) {
		cli_error("out of memory");
		goto fail;
	}
	for (name = strtok_r(copy, ",", &save); name;
	     name = strtok_r(NULL, ",", &save)) {
		long c = xlb_csv_find_column(t, name);

		if (c < 0) {
			cli_error("%s: unknown column \"%s\" (%s)", path, name,
				  t->has_header ? "not in the header, and not "
						  "a column number"
						: "no header: give column "
						  "numbers from 1");
			goto fail;
		}
		if (count == t->n_cols) {
			cli_error("%s: more columns chosen than the file has",
				  path);
			goto fail;
		}
		(*cols)[count++] = c;
	}
	free(copy);
	copy = NULL;
	if (!count) {
		cli_error("%s: no column chosen", path);
		goto fail;
	}
	*n = count;
	return true;
fail:
	free(copy);
	free(*cols);
	*cols = NULL;
	return false;
}

bool cli_numbers(const char *path, const struct xlb_csv_table *t,
		 const size_t *cols, size_t n, double **out)
{
	char msg[512];

	*out = malloc(t->n_rows * n * sizeof(**out));
	if (!*out) {
		cli_error("%s: out of memory", path);
		return false;
	}
	if (xlb_csv_numbers(t, cols, n, *out, msg, sizeof(msg))) {
		cli_error("%s: %s", path, msg);
		free(*out);
		*out = NULL;
		return false;
	}
	return true;
}
