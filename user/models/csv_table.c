// SPDX-License-Identifier: GPL-2.0
#include "csv_table.h"

#include <csv.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_error.h"

/* Parser state shared with libcsv's callbacks. */
struct reader {
	struct xlb_csv_table *t;
	size_t rows;   /* rows stored, header candidate included */
	size_t fields; /* fields in the row being read */
	size_t text_len, text_cap, cell_cap, line_cap;
	size_t line_no; /* line being fed to the parser */
	int err;
	char *msg;
	size_t msg_len;
};

__attribute__((format(printf, 3, 4))) static int fail(struct reader *r, int err,
						      const char *fmt, ...)
{
	va_list ap;

	if (r->err)
		return r->err;
	r->err = err;
	if (r->msg && r->msg_len) {
		va_start(ap, fmt);
		vsnprintf(r->msg, r->msg_len, fmt, ap);
		va_end(ap);
	}
	return err;
}

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap ? *cap : 64;
	void *q;

	if (need <= *cap)
		return true;
	while (n < need)
		n *= 2;
	q = realloc(*p, n * size);
	if (!q)
		return false;
	*p = q;
	*cap = n;
	return true;
}

static void on_field(void *field, size_t len, void *data)
{
	struct reader *r = data;
	struct xlb_csv_table *t = r->t;
	size_t index = r->rows * (t->n_cols ? t->n_cols : 0) + r->fields;

	if (r->err)
		return;
	if (t->n_cols && r->fields >= t->n_cols) {
		r->fields++; /* counted for the error message at row end */
		return;
	}
	if (!grow((void **)&t->text, &r->text_cap, r->text_len + len + 1, 1) ||
	    !grow((void **)&t->cell, &r->cell_cap, index + 1,
		  sizeof(*t->cell))) {
		fail(r, XLB_MODEL_ENOMEM, "out of memory");
		return;
	}
	memcpy(t->text + r->text_len, field, len);
	t->text[r->text_len + len] = '\0';
	t->cell[index] = r->text_len;
	r->text_len += len + 1;
	r->fields++;
}

static void on_row(int c, void *data)
{
	struct reader *r = data;
	struct xlb_csv_table *t = r->t;

	(void)c;
	if (r->err)
		return;
	if (r->rows == 0) {
		t->n_cols = r->fields;
	} else if (r->fields != t->n_cols) {
		fail(r, XLB_MODEL_EINVAL, "line %zu: %zu fields, expected %zu",
		     r->line_no, r->fields, t->n_cols);
		return;
	}
	if (!grow((void **)&t->line, &r->line_cap, r->rows + 1,
		  sizeof(*t->line))) {
		fail(r, XLB_MODEL_ENOMEM, "out of memory");
		return;
	}
	t->line[r->rows++] = r->line_no;
	r->fields = 0;
}

static bool is_number(const char *s)
{
	char *end;

	if (!*s)
		return false;
	strtod(s, &end);
	return *end == '\0';
}

static void detect_header(struct reader *r)
{
	struct xlb_csv_table *t = r->t;
	const char *text = t->text;

	t->has_header = false;
	for (size_t c = 0; c < t->n_cols; c++) {
		bool first = is_number(text + t->cell[c]);

		if (r->rows == 1 ? !first
				 : !first && is_number(text +
						       t->cell[t->n_cols + c]))
			t->has_header = true;
	}
	t->n_rows = r->rows - t->has_header;
}

int xlb_csv_read(const char *path, struct xlb_csv_table *t, char *msg,
		 size_t msg_len)
{
	struct reader r = { .t = t, .msg = msg, .msg_len = msg_len };
	struct csv_parser parser;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *file;

	memset(t, 0, sizeof(*t));
	if (msg && msg_len)
		msg[0] = '\0';
	file = fopen(path, "r");
	if (!file) {
		int saved = errno;

		fail(&r, XLB_MODEL_EIO, "%s", strerror(saved));
		errno = saved;
		return r.err;
	}
	if (csv_init(&parser, CSV_APPEND_NULL)) {
		fclose(file);
		return fail(&r, XLB_MODEL_ENOMEM, "out of memory");
	}
	/* One line at a time, so a callback knows which line it ends on. */
	while (!r.err && (n = getline(&line, &cap, file)) >= 0) {
		r.line_no++;
		if (csv_parse(&parser, line, n, on_field, on_row, &r) !=
		    (size_t)n)
			fail(&r, XLB_MODEL_EINVAL, "line %zu: %s", r.line_no,
			     csv_strerror(csv_error(&parser)));
	}
	if (!r.err && ferror(file))
		fail(&r, XLB_MODEL_EIO, "%s", strerror(errno));
	if (!r.err)
		csv_fini(&parser, on_field, on_row, &r);
	csv_free(&parser);
	free(line);
	fclose(file);

	if (!r.err && (r.rows == 0 || t->n_cols == 0))
		fail(&r, XLB_MODEL_EINVAL, "no rows");
	if (!r.err) {
		detect_header(&r);
		if (t->n_rows == 0)
			fail(&r, XLB_MODEL_EINVAL, "a header but no data rows");
	}
	if (r.err) {
		xlb_csv_free(t);
		return r.err;
	}
	return 0;
}

void xlb_csv_free(struct xlb_csv_table *t)
{
	free(t->text);
	free(t->cell);
	free(t->line);
	memset(t, 0, sizeof(*t));
}

const char *xlb_csv_cell(const struct xlb_csv_table *t, size_t row, size_t col)
{
	return t->text + t->cell[(row + t->has_header) * t->n_cols + col];
}

const char *xlb_csv_name(const struct xlb_csv_table *t, size_t col)
{
	return t->has_header ? t->text + t->cell[col] : NULL;
}

size_t xlb_csv_line(const struct xlb_csv_table *t, size_t row)
{
	return t->line[row + t->has_header];
}

long xlb_csv_find_column(const struct xlb_csv_table *t, const char *name)
{
	char *end;
	long number;

	for (size_t c = 0; t->has_header && c < t->n_cols; c++)
		if (!strcmp(xlb_csv_name(t, c), name))
			return (long)c;
	number = strtol(name, &end, 10);
	if (*name && !*end && number >= 1 && (size_t)number <= t->n_cols)
		return number - 1;
	return -1;
}

int xlb_csv_numbers(const struct xlb_csv_table *t, const size_t *cols, size_t n,
		    double *out, char *msg, size_t msg_len)
{
	struct reader r = { .msg = msg, .msg_len = msg_len };

	for (size_t row = 0; row < t->n_rows; row++) {
		for (size_t j = 0; j < n; j++) {
			const char *cell = xlb_csv_cell(t, row, cols[j]);
			const char *name = xlb_csv_name(t, cols[j]);
			char *end;
			double v;

			v = strtod(cell, &end);
			if (!*cell || *end)
				return fail(&r, XLB_MODEL_EINVAL,
					    "line %zu, column %zu%s%s%s: "
					    "\"%s\" is not a number",
					    xlb_csv_line(t, row), cols[j] + 1,
					    name ? " (" : "", name ? name : "",
					    name ? ")" : "", cell);
			if (!isfinite(v))
				return fail(&r, XLB_MODEL_ENONFINITE,
					    "line %zu, column %zu%s%s%s: "
					    "\"%s\" is not a finite number",
					    xlb_csv_line(t, row), cols[j] + 1,
					    name ? " (" : "", name ? name : "",
					    name ? ")" : "", cell);
			out[row * n + j] = v;
		}
	}
	return 0;
}
