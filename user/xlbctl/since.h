/* SPDX-License-Identifier: GPL-2.0 */
/*
 * --since T of xlbctl decisions and history export: "90s", "10m", "2h",
 * "1d" ago, epoch seconds ("1764626400" or with a fraction), or an ISO
 * time in UTC ("2026-12-01T22:00:00", "2026-12-01 22:00:00"). Inline so
 * the parser (cli.c) and its unit tests need no other object.
 */
#ifndef XLBCTL_SINCE_H
#define XLBCTL_SINCE_H

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline int cli_parse_since(const char *text, double *out)
{
	struct timespec now;
	struct tm tm;
	char *end;
	double v;

	clock_gettime(CLOCK_REALTIME, &now);
	memset(&tm, 0, sizeof(tm));
	end = strptime(text, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end)
		end = strptime(text, "%Y-%m-%d %H:%M:%S", &tm);
	if (end && !*end) {
		*out = (double)timegm(&tm);
		return 0;
	}
	errno = 0;
	v = strtod(text, &end);
	if (!*text || errno || !isfinite(v) || v < 0 || end == text)
		return -EINVAL;
	if (!*end) {
		*out = v; /* epoch seconds */
		return 0;
	}
	if (end[1])
		return -EINVAL;
	switch (*end) {
	case 's':
		break;
	case 'm':
		v *= 60;
		break;
	case 'h':
		v *= 3600;
		break;
	case 'd':
		v *= 86400;
		break;
	default:
		return -EINVAL;
	}
	*out = now.tv_sec + now.tv_nsec * 1e-9 - v;
	return 0;
}

#endif
