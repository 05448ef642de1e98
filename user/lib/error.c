// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static __thread char errbuf[512];

const char *xlb_errmsg(void)
{
	return errbuf;
}

int xlb_err(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	return -err;
}

int xlb_errno(int err, const char *fmt, ...)
{
	size_t len;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
	va_end(ap);
	len = strlen(errbuf);
	snprintf(errbuf + len, sizeof(errbuf) - len, ": %s", strerror(err));
	return -err;
}
