/* SPDX-License-Identifier: GPL-2.0 */
/* Output for people (aligned tables, short numbers) and for programs (JSON). */
#ifndef XLBCTL_OUTPUT_H
#define XLBCTL_OUTPUT_H

#include <stdbool.h>
#include <stdio.h>

#include <json-c/json.h>

/* A text table: columns sized to their widest cell, two spaces apart. */
struct table;

/* align: one letter per column, 'l' or 'r'; then the headers, NULL last. */
struct table *table_new(const char *align, ...);
/* Starts a row; cells are then added left to right. */
void table_row(struct table *t);
void table_cell(struct table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void table_print(const struct table *t, FILE *out);
void table_free(struct table *t);

/* 1234567 -> "1.23M": SI prefixes, three significant digits. */
const char *format_si(double value, char *buf, size_t len);
/* 0.3333 -> "33.3%"; a negative share (unknown) -> "-". */
const char *format_share(double share, char *buf, size_t len);

/* Prints a JSON document and a newline: indented, or on one line. */
void json_print(json_object *doc, FILE *out, bool one_line);

#endif
