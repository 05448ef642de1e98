/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A CSV file as a table of text cells (read with libcsv), and conversion of
 * chosen columns to numbers with errors that name the line and the column.
 *
 * The first row is taken as a header when some column that holds a number
 * in the second row holds a non-number in the first (with a single row:
 * when any cell is not a number). Blank lines are skipped. Line numbers are
 * those of the line on which a row ends.
 */
#ifndef XLB_CSV_TABLE_H
#define XLB_CSV_TABLE_H

#include <stdbool.h>
#include <stddef.h>

struct xlb_csv_table {
	size_t n_rows; /* data rows, header excluded */
	size_t n_cols;
	bool has_header;
	char *text;   /* every cell, NUL-terminated, one after another */
	size_t *cell; /* offset in text of cell (row, col), header first */
	size_t *line; /* line of each row, header first */
};

/*
 * Reads path into t. Errors: XLB_MODEL_EIO (errno set), XLB_MODEL_EINVAL
 * (empty file, a row with a different number of fields, malformed CSV),
 * XLB_MODEL_ENOMEM; msg receives a sentence naming the line.
 */
int xlb_csv_read(const char *path, struct xlb_csv_table *t, char *msg,
		 size_t msg_len);
void xlb_csv_free(struct xlb_csv_table *t);

const char *xlb_csv_cell(const struct xlb_csv_table *t, size_t row, size_t col);
/* Header name of col, or NULL without a header. */
const char *xlb_csv_name(const struct xlb_csv_table *t, size_t col);
size_t xlb_csv_line(const struct xlb_csv_table *t, size_t row);

/* Column by header name, or by 1-based number; -1 if there is none. */
long xlb_csv_find_column(const struct xlb_csv_table *t, const char *name);

/*
 * Parses columns cols[0..n) of every row into out (n_rows x n, row-major).
 * XLB_MODEL_EINVAL for a cell that is not a number, XLB_MODEL_ENONFINITE
 * for NaN or infinity; msg names the line, the column and the cell.
 */
int xlb_csv_numbers(const struct xlb_csv_table *t, const size_t *cols, size_t n,
		    double *out, char *msg, size_t msg_len);

#endif
