// SPDX-License-Identifier: GPL-2.0
/* Aligned text tables, short numbers, JSON printing. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "output.h"

#define TABLE_MAX_COLS 24

struct table {
	size_t cols, rows, cap; /* rows counts the header too */
	char align[TABLE_MAX_COLS + 1];
	char **cells; /* rows * cols, row-major */
};

static void table_grow(struct table *t)
{
	size_t cap = t->cap ? 2 * t->cap : 16;
	char **cells = realloc(t->cells, cap * t->cols * sizeof(*cells));

	if (!cells) {
		perror("xlbctl");
		exit(5);
	}
	memset(cells + t->cap * t->cols, 0,
	       (cap - t->cap) * t->cols * sizeof(*cells));
	t->cells = cells;
	t->cap = cap;
}

struct table *table_new(const char *align, ...)
{
	struct table *t = calloc(1, sizeof(*t));
	const char *header;
	va_list ap;

	if (!t) {
		perror("xlbctl");
		exit(5);
	}
	t->cols = strlen(align);
	if (t->cols > TABLE_MAX_COLS) { /* a programming error, not input */
		fprintf(stderr, "xlbctl: table of %zu columns (at most %d)\n",
			t->cols, TABLE_MAX_COLS);
		abort();
	}
	snprintf(t->align, sizeof(t->align), "%s", align);
	table_row(t);
	va_start(ap, align);
	while ((header = va_arg(ap, const char *)))
		table_cell(t, "%s", header);
	va_end(ap);
	return t;
}

void table_row(struct table *t)
{
	if (t->rows == t->cap)
		table_grow(t);
	t->rows++;
}

void table_cell(struct table *t, const char *fmt, ...)
{
	char **row = t->cells + (t->rows - 1) * t->cols;
	va_list ap;
	size_t col;

	for (col = 0; col < t->cols && row[col]; col++)
		;
	if (col == t->cols)
		return;
	va_start(ap, fmt);
	if (vasprintf(&row[col], fmt, ap) < 0)
		row[col] = NULL;
	va_end(ap);
}

void table_print(const struct table *t, FILE *out)
{
	size_t width[TABLE_MAX_COLS] = {};

	for (size_t r = 0; r < t->rows; r++)
		for (size_t c = 0; c < t->cols; c++) {
			const char *cell = t->cells[r * t->cols + c];
			size_t len = cell ? strlen(cell) : 0;

			if (len > width[c])
				width[c] = len;
		}
	for (size_t r = 0; r < t->rows; r++) {
		char line[1024] = "";
		size_t used = 0, end;

		for (size_t c = 0; c < t->cols && used < sizeof(line); c++) {
			const char *cell = t->cells[r * t->cols + c];

			used += snprintf(
				line + used, sizeof(line) - used,
				t->align[c] == 'r' ? "%s%*s" : "%s%-*s",
				c ? "  " : "", (int)width[c], cell ? cell : "");
		}
		/* No trailing blanks: a left column may end the line. */
		end = strlen(line);
		while (end && line[end - 1] == ' ')
			line[--end] = '\0';
		fprintf(out, "%s\n", line);
	}
}

void table_free(struct table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

const char *format_si(double value, char *buf, size_t len)
{
	static const char prefix[] = " kMGTP";
	int i = 0;

	while (fabs(value) >= 999.5 && i < 5) {
		value /= 1000;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%.0f", value);
	else
		snprintf(buf, len, "%.*f%c",
			 fabs(value) < 9.995   ? 2
			 : fabs(value) < 99.95 ? 1
					       : 0,
			 value, prefix[i]);
	return buf;
}

const char *format_share(double share, char *buf, size_t len)
{
	if (share < 0 || isnan(share))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%%", share * 100);
	return buf;
}

void json_print(json_object *doc, FILE *out, bool one_line)
{
	int flags =
		JSON_C_TO_STRING_NOSLASHESCAPE |
		(one_line ? JSON_C_TO_STRING_PLAIN
			  : JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED);

	fprintf(out, "%s\n", json_object_to_json_string_ext(doc, flags));
}
