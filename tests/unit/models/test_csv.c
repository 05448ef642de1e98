// SPDX-License-Identifier: GPL-2.0
/* CSV reader: header detection, line numbers, and errors that name them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_table.h"
#include "model_error.h"
#include "testing.h"

/* What the last read_text read, and the last message. */
static struct xlb_csv_table t;
static char msg[256];

/* Reads @text as a CSV file into t: a temporary file, removed once read. */
static int read_text(const char *text)
{
	char path[] = "/tmp/xlb-csv-test-XXXXXX";
	int fd = mkstemp(path), err;
	FILE *f = fd < 0 ? NULL : fdopen(fd, "w");

	if (!f) {
		snprintf(msg, sizeof(msg), "cannot write a temporary file");
		return XLB_MODEL_EIO;
	}
	fputs(text, f);
	fclose(f);
	err = xlb_csv_read(path, &t, msg, sizeof(msg));
	unlink(path);
	return err;
}

TEST(csv_reads_header_rows_and_line_numbers)
{
	size_t cols[] = { 1, 0 };
	double v[6];

	CHECK_EQ(read_text("time,load\n1,10.5\n\n2, 11\n3,1e3\n"), 0);
	CHECK(t.has_header, "header not detected");
	CHECK_EQ(t.n_rows, 3);
	CHECK_EQ(t.n_cols, 2);
	CHECK(!strcmp(xlb_csv_name(&t, 1), "load"), "name");
	CHECK_EQ(xlb_csv_line(&t, 0), 2);
	CHECK_EQ(xlb_csv_line(&t, 1), 4); /* the blank line 3 is skipped */
	CHECK_EQ(xlb_csv_numbers(&t, cols, 2, v, msg, sizeof(msg)), 0);
	CHECK(v[0] == 10.5 && v[1] == 1 && v[2] == 11 && v[4] == 1000,
	      "values %g %g %g %g", v[0], v[1], v[2], v[4]);
	xlb_csv_free(&t);
}

TEST(csv_without_header_keeps_the_first_row)
{
	CHECK_EQ(read_text("1,2\r\n3,4\r\n"), 0);
	CHECK(!t.has_header, "numeric first row taken as a header");
	CHECK_EQ(t.n_rows, 2);
	CHECK(xlb_csv_name(&t, 0) == NULL, "name without header");
	CHECK_EQ(xlb_csv_find_column(&t, "2"), 1);
	CHECK_EQ(xlb_csv_find_column(&t, "3"), -1);
	CHECK_EQ(xlb_csv_find_column(&t, "x"), -1);
	xlb_csv_free(&t);
}

/* A text column (timestamps) in every row does not make a header. */
TEST(csv_text_column_alone_is_not_a_header)
{
	CHECK_EQ(read_text("2024-01-01T00:00,5\n2024-01-01T00:01,6\n"), 0);
	CHECK(!t.has_header, "header detected");
	CHECK_EQ(t.n_rows, 2);
	xlb_csv_free(&t);
}

TEST(csv_quoted_fields_with_commas)
{
	CHECK_EQ(read_text("\"name, with comma\",b\n\"1\",2\n"), 0);
	CHECK(t.has_header, "header");
	CHECK_EQ(xlb_csv_find_column(&t, "name, with comma"), 0);
	CHECK(!strcmp(xlb_csv_cell(&t, 0, 0), "1"), "cell");
	xlb_csv_free(&t);
}

TEST(csv_mismatched_field_count_names_the_line)
{
	CHECK_EQ(read_text("a,b,c\n1,2,3\n4,5\n6,7,8\n"), XLB_MODEL_EINVAL);
	CHECK(!strcmp(msg, "line 3: 2 fields, expected 3"), "msg \"%s\"", msg);
	CHECK_EQ(read_text("1,2\n3,4,5\n"), XLB_MODEL_EINVAL);
	CHECK(!strcmp(msg, "line 2: 3 fields, expected 2"), "msg \"%s\"", msg);
}

TEST(csv_empty_file_and_header_only_are_errors)
{
	CHECK_EQ(read_text(""), XLB_MODEL_EINVAL);
	CHECK(!strcmp(msg, "no rows"), "msg \"%s\"", msg);
	CHECK_EQ(read_text("cpu,mem\n"), XLB_MODEL_EINVAL);
	CHECK(strstr(msg, "no data rows"), "msg \"%s\"", msg);
	CHECK_EQ(xlb_csv_read("/nonexistent.csv", &t, msg, sizeof(msg)),
		 XLB_MODEL_EIO);
	CHECK(strstr(msg, "No such file"), "msg \"%s\"", msg);
}

TEST(csv_bad_numbers_name_line_column_and_cell)
{
	size_t cols[] = { 0, 1 }, first[] = { 0 };
	double v[8];

	CHECK_EQ(read_text("cpu,mem\n1,2\n3,abc\n5,nan\n7,-inf\n"), 0);
	CHECK_EQ(xlb_csv_numbers(&t, cols, 2, v, msg, sizeof(msg)),
		 XLB_MODEL_EINVAL);
	CHECK(!strcmp(msg, "line 3, column 2 (mem): \"abc\" is not a number"),
	      "msg \"%s\"", msg);
	CHECK_EQ(xlb_csv_numbers(&t, first, 1, v, msg, sizeof(msg)), 0);
	xlb_csv_free(&t);

	CHECK_EQ(read_text("cpu,mem\n1,2\n5,nan\n"), 0);
	CHECK_EQ(xlb_csv_numbers(&t, cols, 2, v, msg, sizeof(msg)),
		 XLB_MODEL_ENONFINITE);
	CHECK(strstr(msg, "line 3, column 2 (mem): \"nan\" is not a finite"),
	      "msg \"%s\"", msg);
	xlb_csv_free(&t);

	CHECK_EQ(read_text("1,1e999\n"), 0);
	CHECK_EQ(xlb_csv_numbers(&t, cols, 2, v, msg, sizeof(msg)),
		 XLB_MODEL_ENONFINITE);
	CHECK(strstr(msg, "line 1, column 2: \"1e999\""), "msg \"%s\"", msg);
	xlb_csv_free(&t);
}
