// SPDX-License-Identifier: GPL-2.0
/* /proc/meminfo, named as node_exporter's meminfo collector names it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

int collect_memory(struct agent *a)
{
	struct out_buf *o = &a->out;
	char *line, *save = NULL;
	int n = 0;

	if (agent_read(a, a->cfg.proc_root, "meminfo") < 0)
		return -1;
	for (line = strtok_r(a->file, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char name[96], key[64], *colon = strchr(line, ':'), *end;
		size_t k = 0;
		double v;

		if (!colon || colon - line >= (long)sizeof(key))
			continue;
		/* "Active(anon)" -> "Active_anon", as node_exporter does */
		for (char *p = line; p < colon; p++) {
			if (*p == '(' || *p == ')') {
				if (*p == '(')
					key[k++] = '_';
			} else {
				key[k++] = *p;
			}
		}
		key[k] = '\0';
		v = strtod(colon + 1, &end);
		if (end == colon + 1)
			continue;
		bool kb = strstr(end, "kB") != NULL;

		snprintf(name, sizeof(name), "node_memory_%s%s", key,
			 kb ? "_bytes" : "");
		out_family(o, name, "gauge",
			   "Memory information field (from /proc/meminfo).");
		out_sample(o, name, NULL, kb ? v * 1024 : v);
		n++;
	}
	return n ? 0 : -1;
}
