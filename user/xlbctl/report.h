/* SPDX-License-Identifier: GPL-2.0 */
/* Exit codes, and the one line xlbctl prints when a command fails. */
#ifndef XLBCTL_REPORT_H
#define XLBCTL_REPORT_H

#include "cli.h"

/* Documented in xlbctl(8), --help and the README: keep them stable. */
enum exit_code {
	EXIT_OK = 0,
	EXIT_USAGE = 1, /* bad command line, value, address or config */
	EXIT_NOT_FOUND =
		2,	   /* no instance, interface, VIP, backend, MAC, file */
	EXIT_CONFLICT = 3, /* exists, attached, another XDP program, no room */
	EXIT_LOCKED = 4,   /* the writer lock stayed taken */
	EXIT_SYSTEM = 5,   /* not root, no bpffs, other layout, kernel error */
};

/* The exit code of a negative errno. */
int exit_code_of(int err);

/*
 * Prints "xlbctl: <command> <object>: <message>" to stderr and returns the
 * exit code of err. report_lib takes the message from xlb_errmsg().
 */
int report(const struct cli *cli, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int report_lib(const struct cli *cli, int err);

#endif
