// SPDX-License-Identifier: GPL-2.0
/* /proc/loadavg: node_load1/5/15 and the scheduler's task counts. */
#include <stdio.h>

#include "agent.h"

int collect_load(struct agent *a)
{
	struct out_buf *o = &a->out;
	double l1, l5, l15;
	unsigned long running, total;

	if (agent_read(a, a->cfg.proc_root, "loadavg") < 0)
		return -1;
	if (sscanf(a->file, "%lf %lf %lf %lu/%lu", &l1, &l5, &l15, &running,
		   &total) != 5)
		return -1;
	out_family(o, "node_load1", "gauge", "1m load average.");
	out_sample(o, "node_load1", NULL, l1);
	out_family(o, "node_load5", "gauge", "5m load average.");
	out_sample(o, "node_load5", NULL, l5);
	out_family(o, "node_load15", "gauge", "15m load average.");
	out_sample(o, "node_load15", NULL, l15);
	out_family(o, "xlb_agent_runnable_tasks", "gauge",
		   "Tasks runnable now (the run queue), from /proc/loadavg.");
	out_sample(o, "xlb_agent_runnable_tasks", NULL, running);
	out_family(o, "xlb_agent_tasks", "gauge",
		   "Tasks (threads) that exist, from /proc/loadavg.");
	out_sample(o, "xlb_agent_tasks", NULL, total);
	return 0;
}
