// SPDX-License-Identifier: GPL-2.0
/*
 * Pressure stall information of the host (/proc/pressure/{cpu,memory,io}),
 * named as node_exporter's pressure collector. A kernel without PSI has no
 * such files: the series are left out, which is not a failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* Reads "some ... total=US" and "full ... total=US" of one file. */
static int read_psi(struct agent *a, const char *dir, const char *file,
		    double *some, double *full)
{
	char *p;

	*some = *full = -1;
	if (agent_read(a, dir, file) < 0)
		return -1;
	for (p = a->file; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : p) {
		char *t = strstr(p, "total=");
		char *nl = strchr(p, '\n');

		if (!t || (nl && t > nl))
			continue;
		if (!strncmp(p, "some ", 5))
			*some = strtod(t + 6, NULL) / 1e6;
		else if (!strncmp(p, "full ", 5))
			*full = strtod(t + 6, NULL) / 1e6;
	}
	return 0;
}

void pressure_families(struct agent *a, const char *dir, const char *file_fmt,
		       const char *prefix, const char *what)
{
	static const char *const res[] = { "cpu", "memory", "io" };
	struct out_buf *o = &a->out;

	for (size_t i = 0; i < 3; i++) {
		char file[32], name[128], help[160];
		double some, full;

		snprintf(file, sizeof(file), file_fmt, res[i]);
		if (read_psi(a, dir, file, &some, &full))
			continue;
		if (some >= 0) {
			snprintf(name, sizeof(name),
				 "%s_pressure_%s_waiting_seconds_total", prefix,
				 res[i]);
			snprintf(help, sizeof(help),
				 "Total time in seconds that %s tasks waited "
				 "for %s.",
				 what, res[i]);
			out_family(o, name, "counter", help);
			out_sample(o, name, NULL, some);
		}
		/* "full" of cpu is always 0 at the host level: skipped there
		 * as node_exporter does */
		if (full >= 0 &&
		    (strcmp(res[i], "cpu") || strcmp(prefix, "node"))) {
			snprintf(name, sizeof(name),
				 "%s_pressure_%s_stalled_seconds_total", prefix,
				 res[i]);
			snprintf(help, sizeof(help),
				 "Total time in seconds no %s task could make "
				 "progress for lack of %s.",
				 what, res[i]);
			out_family(o, name, "counter", help);
			out_sample(o, name, NULL, full);
		}
	}
}

int collect_pressure(struct agent *a)
{
	pressure_families(a, a->cfg.proc_root, "pressure/%s", "node",
			  "the host's");
	return 0;
}
