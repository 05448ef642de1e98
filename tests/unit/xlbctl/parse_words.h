/* SPDX-License-Identifier: GPL-2.0 */
/* The xlbctl unit tests' argv builder, shared by every file that parses. */
#ifndef XLB_TEST_PARSE_WORDS_H
#define XLB_TEST_PARSE_WORDS_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* Parses a NULL-terminated list of words as xlbctl's argv. */
static inline int parse(struct cli *cli, char *err, size_t len, ...)
{
	static char words[32][128];
	char *argv[33];
	int argc = 0;
	const char *w;
	va_list ap;

	argv[argc] = strcpy(words[argc], "xlbctl");
	argc++;
	va_start(ap, len);
	while ((w = va_arg(ap, const char *)) && argc < 32) {
		snprintf(words[argc], sizeof(words[argc]), "%s", w);
		argv[argc] = words[argc];
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	return cli_parse(argc, argv, cli, err, len);
}

#endif
