// SPDX-License-Identifier: GPL-2.0
/* Turning a failure into one line on stderr and an exit code. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "report.h"

int exit_code_of(int err)
{
	switch (-err) {
	case 0:
		return EXIT_OK;
	case EINVAL:
	case ERANGE:
		return EXIT_USAGE;
	case ENOENT:
	case ENODEV:
	case EHOSTUNREACH:
		return EXIT_NOT_FOUND;
	case EEXIST:
	case EBUSY:
	case ENOSPC:
		return EXIT_CONFLICT;
	case EAGAIN:
		return EXIT_LOCKED;
	default:
		return EXIT_SYSTEM;
	}
}

/* What the operator can do about it, when there is something obvious. */
static const char *hint(int err)
{
	if ((err == -EPERM || err == -EACCES) && geteuid() != 0)
		return " (xlbctl needs root: CAP_BPF, CAP_NET_ADMIN)";
	return "";
}

int report(const struct cli *cli, int err, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "xlbctl: %s%s%s: %s%s\n", cli->name,
		cli->object[0] ? " " : "", cli->object, msg, hint(err));
	return exit_code_of(err);
}

int report_lib(const struct cli *cli, int err)
{
	return report(cli, err, "%s", xlb_errmsg());
}
