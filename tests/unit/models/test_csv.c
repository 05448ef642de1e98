// SPDX-License-Identifier: GPL-2.0
/* CSV reader: header detection, line numbers, and errors that name them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv_table.h"
#include "model_error.h"
#include "testing.h"

static const char *write_temp(const char *text)
{
	static char path[64];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/xlb-csv-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	f = fdopen(fd, "w");
	if (!f)
		return NULL;
	fputs(text, f);
	fclose(f);
	return path;
}

TEST(csv_reads_header_rows_and_line_numbers)
{
	const char *path = write_temp("time,load\n1,10.5\n\n2, 11\n3,1e3\n");
	struct xlb_csv_table t;
	char msg[256];
	size_t cols[] = { 1, 0 };
	double v[6];

	CHECK(path, "temp file");
	CHECK_EQ(xlb_csv_read(path, &t, msg, sizeof(msg)), 0);
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
	unlink(path);
}

TEST(csv_without_header_keeps_the_first_row)
{
	const char *path = write_temp("1,2\r\n3,4\r\n");
	struct xlb_csv_table t;
	char msg[256];

	CHECK(path, "temp file");
	CHECK_EQ(xlb_csv_read(path, &t, msg, sizeof(msg)), 0);
	CHECK(!t.has_header, "numeric first row taken as a header");
	CHECK_EQ(t.n_rows, 2);
	CHECK(xlb_csv_name(&t, 0) == NULL, "name without header");
	CHECK_EQ(xlb_csv_find_column(&t, "2"), 1);
	CHECK_EQ(xlb_csv_find_column(&t, "3"), -1);
	CHECK_EQ(xlb_csv_find_column(&t, "x"), -1);
	xlb_csv_free(&t);
	unlink(path);
}

/* A text column (timestamps) in every row does not make a header. */
TEST(csv_text_column_alone_is_not_a_header)
{
	const char *path = write_temp("2024-01-01T00:00,5\n2024-01-01T00:01,"
				      "6\n");
	struct xlb_csv_table t;
	char msg[256];

	CHECK(path, "temp file");
	CHECK_EQ(xlb_csv_read(path, &t, msg, sizeof(msg)), 0);
	CHECK(!t.has_header, "header detected");
	CHECK_EQ(t.n_rows, 2);
	xlb_csv_free(&t);
	unlink(path);
}

TEST(csv_quoted_fields_with_commas)
{
	const char *path = write_temp("\"name, with comma\",b\n\"1\",2\n");
	struct xlb_csv_table t;
	char msg[256];

	CHECK(path, "temp file");
	CHECK_EQ(xlb_csv_read(path, &t, msg, sizeof(msg)), 0);
	CHECK(t.has_header, "header");
	CHECK_EQ(xlb_csv_find_column(&t, "name, with comma"), 0);
	CHECK(!strcmp(xlb_csv_cell(&t, 0, 0), "1"), "cell");
	xlb_csv_free(&t);
	unlink(path);
}

TEST(csv_mismatched_field_count_names_the_line)
{
	const char *path = write_temp("a,b,c\n1,2,3\n4,5\n6,7,8\n");
	struct xlb_csv_table t;
	char msg[256];

	CHECK(path, "temp file");
	CHECK_EQ(xlb_csv_read(path, &t, msg, sizeof(msg)), XLB_MODEL_EINVAL);
	CHECK(!strcmp(msg, "line 3: 2 fields, expected 3"), "msg \"%s\"", msg);
	unlink(path);
	path = write_temp("1,2\n3,4,5\n");
	CHECK_EQ(xlb_csv_read(path, &t, msg, sizeof(msg)), XLB_MODEL_EINVAL);
	CHECK(!strcmp(msg, "line 2: 3 fields, expected 2"), "msg \"%s\"", msg);
	unlink(path);
}

TEST(csv_empty_file_and_header_only_are_errors)
{
	const char *path = write_temp("");
	struct xlb_csv_table t;
	char msg[256];

	CHECK(path, "temp file");
	CHECK_EQ(xlb_csv_read(path, &t, msg, sizeof(msg)), XLB_MODEL_EINVAL);
	CHECK(!strcmp(msg, "no rows"), "msg \"%s\"", msg);
	unlink(path);
	path = write_temp("cpu,mem\n");
	CHECK_EQ(xlb_csv_read(path, &t, msg, sizeof(msg)), XLB_MODEL_EINVAL);
	CHECK(strstr(msg, "no data rows"), "msg \"%s\"", msg);
	unlink(path);
	CHECK_EQ(xlb_csv_read("/nonexistent.csv", &t, msg, sizeof(msg)),
		 XLB_MODEL_EIO);
	CHECK(strstr(msg, "No such file"), "msg \"%s\"", msg);
}

TEST(csv_bad_numbers_name_line_column_and_cell)
{
	const char *path = write_temp("cpu,mem\n1,2\n3,abc\n5,nan\n7,-inf\n");
	struct xlb_csv_table t;
	size_t cols[] = { 0, 1 }, first[] = { 0 };
	char msg[256];
	double v[8];

	CHECK(path, "temp file");
	CHECK_EQ(xlb_csv_read(path, &t, msg, sizeof(msg)), 0);
	CHECK_EQ(xlb_csv_numbers(&t, cols, 2, v, msg, sizeof(msg)),
		 XLB_MODEL_EINVAL);
	CHECK(!strcmp(msg, "line 3, column 2 (mem): \"abc\" is not a number"),
	      "msg \"%s\"", msg);
	CHECK_EQ(xlb_csv_numbers(&t, first, 1, v, msg, sizeof(msg)), 0);
	xlb_csv_free(&t);
	unlink(path);

	path = write_temp("cpu,mem\n1,2\n5,nan\n");
	CHECK_EQ(xlb_csv_read(path, &t, msg, sizeof(msg)), 0);
	CHECK_EQ(xlb_csv_numbers(&t, cols, 2, v, msg, sizeof(msg)),
		 XLB_MODEL_ENONFINITE);
	CHECK(strstr(msg, "line 3, column 2 (mem): \"nan\" is not a finite"),
	      "msg \"%s\"", msg);
	xlb_csv_free(&t);
	unlink(path);

	path = write_temp("1,1e999\n");
	CHECK_EQ(xlb_csv_read(path, &t, msg, sizeof(msg)), 0);
	CHECK_EQ(xlb_csv_numbers(&t, cols, 2, v, msg, sizeof(msg)),
		 XLB_MODEL_ENONFINITE);
	CHECK(strstr(msg, "line 1, column 2: \"1e999\""), "msg \"%s\"", msg);
	xlb_csv_free(&t);
	unlink(path);
}
