// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/stat: node_exporter's cpu and stat collectors (per-CPU time by mode,
 * context switches, forks, boot time, running and blocked processes).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

#define MAX_CPUS 1024

/* node_exporter's modes, in /proc/stat's column order; guest time is
 * already inside user and nice, so it is not a mode. */
static const char *const modes[] = { "user",   "nice", "system",  "idle",
				     "iowait", "irq",  "softirq", "steal" };
enum { N_MODES = 8 };

int collect_cpu(struct agent *a)
{
	static unsigned long long ticks[MAX_CPUS][N_MODES];
	static int cpu_ids[MAX_CPUS];
	double hz = (double)sysconf(_SC_CLK_TCK);
	double ctxt = -1, forks = -1, btime = -1, running = -1, blocked = -1;
	struct out_buf *o = &a->out;
	unsigned int n = 0;
	char *line, *save = NULL;

	if (agent_read(a, a->cfg.proc_root, "stat") < 0)
		return -1;
	a->host_busy_s = 0;
	for (line = strtok_r(a->file, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (!strncmp(line, "cpu", 3) && line[3] >= '0' &&
		    line[3] <= '9' && n < MAX_CPUS) {
			char *p = line + 3;

			cpu_ids[n] = (int)strtol(p, &p, 10);
			for (int m = 0; m < N_MODES; m++)
				ticks[n][m] = strtoull(p, &p, 10);
			for (int m = 0; m < N_MODES; m++) {
				if (m != 3 && m != 4) /* idle, iowait */
					a->host_busy_s += ticks[n][m] / hz;
			}
			n++;
		} else if (!strncmp(line, "ctxt ", 5)) {
			ctxt = strtod(line + 5, NULL);
		} else if (!strncmp(line, "processes ", 10)) {
			forks = strtod(line + 10, NULL);
		} else if (!strncmp(line, "btime ", 6)) {
			btime = strtod(line + 6, NULL);
		} else if (!strncmp(line, "procs_running ", 14)) {
			running = strtod(line + 14, NULL);
		} else if (!strncmp(line, "procs_blocked ", 14)) {
			blocked = strtod(line + 14, NULL);
		}
	}
	if (n == 0)
		return -1;
	a->n_cpus = n;
	out_family(o, "node_cpu_seconds_total", "counter",
		   "Seconds the CPUs spent in each mode.");
	for (unsigned int i = 0; i < n; i++) {
		for (int m = 0; m < N_MODES; m++) {
			char labels[64];

			snprintf(labels, sizeof(labels),
				 "cpu=\"%d\",mode=\"%s\"", cpu_ids[i],
				 modes[m]);
			out_sample(o, "node_cpu_seconds_total", labels,
				   ticks[i][m] / hz);
		}
	}
	if (ctxt >= 0) {
		out_family(o, "node_context_switches_total", "counter",
			   "Total number of context switches.");
		out_sample(o, "node_context_switches_total", NULL, ctxt);
	}
	if (forks >= 0) {
		out_family(o, "node_forks_total", "counter",
			   "Total number of forks.");
		out_sample(o, "node_forks_total", NULL, forks);
	}
	if (btime >= 0) {
		out_family(o, "node_boot_time_seconds", "gauge",
			   "Node boot time, in unixtime.");
		out_sample(o, "node_boot_time_seconds", NULL, btime);
	}
	if (running >= 0) {
		/* the run queue: runnable tasks right now */
		out_family(o, "node_procs_running", "gauge",
			   "Number of processes in runnable state.");
		out_sample(o, "node_procs_running", NULL, running);
	}
	if (blocked >= 0) {
		out_family(o, "node_procs_blocked", "gauge",
			   "Number of processes blocked waiting for I/O to "
			   "complete.");
		out_sample(o, "node_procs_blocked", NULL, blocked);
	}
	return 0;
}
