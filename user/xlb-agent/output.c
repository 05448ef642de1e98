// SPDX-License-Identifier: GPL-2.0
/* The response buffer and the text format's escapes. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

void out_reset(struct out_buf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

static bool out_grow(struct out_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 16384;
	char *data;

	while (cap < need)
		cap *= 2;
	if (cap == b->cap)
		return true;
	data = realloc(b->data, cap);
	if (!data) {
		b->failed = true;
		return false;
	}
	b->data = data;
	b->cap = cap;
	return true;
}

void out_printf(struct out_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->failed)
		return;
	for (;;) {
		size_t room = b->cap - b->len;

		va_start(ap, fmt);
		n = vsnprintf(b->data ? b->data + b->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)n < room) {
			b->len += n;
			return;
		}
		if (!out_grow(b, b->len + n + 1))
			return;
	}
}

void out_family(struct out_buf *b, const char *name, const char *type,
		const char *help)
{
	out_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

void out_sample(struct out_buf *b, const char *name, const char *labels,
		double value)
{
	const char *open = labels ? "{" : "", *close = labels ? "}" : "";

	if (isnan(value))
		out_printf(b, "%s%s%s%s NaN\n", name, open,
			   labels ? labels : "", close);
	else if (isinf(value))
		out_printf(b, "%s%s%s%s %sInf\n", name, open,
			   labels ? labels : "", close, value > 0 ? "+" : "-");
	else if (value == (double)(int64_t)value && fabs(value) < 1e15)
		out_printf(b, "%s%s%s%s %lld\n", name, open,
			   labels ? labels : "", close, (long long)value);
	else {
		/* the shortest of 15 or 17 digits that reads back the same */
		char num[40];

		snprintf(num, sizeof(num), "%.15g", value);
		if (strtod(num, NULL) != value)
			snprintf(num, sizeof(num), "%.17g", value);
		out_printf(b, "%s%s%s%s %s\n", name, open, labels ? labels : "",
			   close, num);
	}
}

const char *out_escape(char *dst, size_t size, const char *value)
{
	size_t n = 0;

	for (; *value && n + 3 < size; value++) {
		if (*value == '\\' || *value == '"') {
			dst[n++] = '\\';
			dst[n++] = *value;
		} else if (*value == '\n') {
			dst[n++] = '\\';
			dst[n++] = 'n';
		} else {
			dst[n++] = *value;
		}
	}
	dst[n] = '\0';
	return dst;
}
