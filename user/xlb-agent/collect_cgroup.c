// SPDX-License-Identifier: GPL-2.0
/*
 * The backend's cgroup (--cgroup): CPU usage, throttling and quota, memory
 * and pressure, on cgroup v2 (cpu.stat usage_usec, cpu.max, memory.current,
 * memory.max, *.pressure) and v1 (cpu.stat nr_throttled/throttled_time,
 * cpu.cfs_quota_us/cfs_period_us in the cpu controller, cpuacct.usage in the
 * accounting one, which may be a separate hierarchy as on this machine).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

static bool file_exists(const char *dir, const char *name)
{
	char path[AGENT_PATH_LEN * 2];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return access(path, R_OK) == 0;
}

/* v1: the accounting directory beside the cpu one ("/cpu/" -> "/cpuacct/"
 * or a joint "cpu,cpuacct" mount, where they are the same directory). */
static int find_cpuacct(struct agent *a)
{
	const char *cg = a->cfg.cgroup, *seg;
	static const char *const alternatives[] = { "/cpuacct/",
						    "/cpu,cpuacct/",
						    "/cpuacct,cpu/" };

	if (a->cfg.cgroup_cpuacct) {
		if (!file_exists(a->cfg.cgroup_cpuacct, "cpuacct.usage")) {
			snprintf(a->err, sizeof(a->err),
				 "--cgroup-cpuacct %s: no readable "
				 "cpuacct.usage there",
				 a->cfg.cgroup_cpuacct);
			return -1;
		}
		snprintf(a->cgroup_acct, sizeof(a->cgroup_acct), "%s",
			 a->cfg.cgroup_cpuacct);
		return 0;
	}
	if (file_exists(cg, "cpuacct.usage")) {
		snprintf(a->cgroup_acct, sizeof(a->cgroup_acct), "%s", cg);
		return 0;
	}
	seg = strstr(cg, "/cpu/");
	for (size_t i = 0; seg && i < 3; i++) {
		snprintf(a->cgroup_acct, sizeof(a->cgroup_acct), "%.*s%s%s",
			 (int)(seg - cg), cg, alternatives[i], seg + 5);
		if (file_exists(a->cgroup_acct, "cpuacct.usage"))
			return 0;
	}
	snprintf(a->err, sizeof(a->err),
		 "--cgroup %s: cgroup v1 without cpuacct.usage beside it; "
		 "give its accounting directory with --cgroup-cpuacct",
		 cg);
	return -1;
}

int cgroup_init(struct agent *a)
{
	const char *cg = a->cfg.cgroup;
	struct stat st;

	if (stat(cg, &st)) {
		snprintf(a->err, sizeof(a->err), "--cgroup %s: %s", cg,
			 strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(a->err, sizeof(a->err), "--cgroup %s: not a directory",
			 cg);
		return -1;
	}
	if (file_exists(cg, "cgroup.controllers")) {
		a->cgroup_version = 2;
		if (!file_exists(cg, "cpu.stat")) {
			snprintf(a->err, sizeof(a->err),
				 "--cgroup %s: no readable cpu.stat", cg);
			return -1;
		}
		return 0;
	}
	a->cgroup_version = 1;
	if (!file_exists(cg, "cpu.cfs_quota_us") || !file_exists(cg, "cpu."
								     "stat")) {
		snprintf(a->err, sizeof(a->err),
			 "--cgroup %s: neither a cgroup v2 directory nor a v1 "
			 "cpu controller one (no cpu.cfs_quota_us, cpu.stat)",
			 cg);
		return -1;
	}
	return find_cpuacct(a);
}

/* "key value" lines: the value of key, or NAN. */
static double keyed(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *p = text; p && *p;
	     p = strchr(p, '\n'), p = p ? p + 1 : p) {
		if (!strncmp(p, key, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	}
	return NAN;
}

static double read_number(struct agent *a, const char *dir, const char *file)
{
	char *end;
	double v;

	if (agent_read(a, dir, file) < 0)
		return NAN;
	if (!strncmp(a->file, "max", 3))
		return INFINITY;
	v = strtod(a->file, &end);
	return end == a->file ? NAN : v;
}

static void counter(struct agent *a, const char *name, const char *help,
		    double v)
{
	if (isnan(v))
		return;
	out_family(&a->out, name, "counter", help);
	out_sample(&a->out, name, NULL, v);
}

static void gauge(struct agent *a, const char *name, const char *help, double v)
{
	if (isnan(v))
		return;
	out_family(&a->out, name, "gauge", help);
	out_sample(&a->out, name, NULL, v);
}

int collect_cgroup(struct agent *a)
{
	const char *cg = a->cfg.cgroup;
	double usage, periods, throttled, throttled_s, quota = NAN;
	double mem = NAN, mem_limit = NAN;

	a->cgroup_usage_s = NAN;
	a->cgroup_quota_cores = NAN;
	if (!cg)
		return 0;
	if (agent_read(a, cg, "cpu.stat") < 0)
		return -1;
	periods = keyed(a->file, "nr_periods");
	throttled = keyed(a->file, "nr_throttled");
	if (a->cgroup_version == 2) {
		usage = keyed(a->file, "usage_usec") / 1e6;
		throttled_s = keyed(a->file, "throttled_usec") / 1e6;
		if (agent_read(a, cg, "cpu.max") >= 0) {
			double q, p;

			if (sscanf(a->file, "%lf %lf", &q, &p) == 2 && p > 0)
				quota = q / p; /* "max" fails to scan */
		}
		mem = read_number(a, cg, "memory.current");
		mem_limit = read_number(a, cg, "memory.max");
	} else {
		double q, p;

		throttled_s = keyed(a->file, "throttled_time") / 1e9;
		usage = read_number(a, a->cgroup_acct, "cpuacct.usage") / 1e9;
		q = read_number(a, cg, "cpu.cfs_quota_us");
		p = read_number(a, cg, "cpu.cfs_period_us");
		if (q > 0 && p > 0)
			quota = q / p;
		mem = read_number(a, cg, "memory.usage_in_bytes");
		mem_limit = read_number(a, cg, "memory.limit_in_bytes");
		/* v1 writes "no limit" as a huge page-rounded number */
		if (mem_limit >= 0x7ffffffffffff000ULL)
			mem_limit = INFINITY;
	}
	if (isnan(usage))
		return -1;
	a->cgroup_usage_s = usage;
	a->cgroup_quota_cores = quota;
	gauge(a, "xlb_agent_cgroup_version",
	      "The cgroup version watched (1 or 2).", a->cgroup_version);
	counter(a, "xlb_agent_cgroup_cpu_usage_seconds_total",
		"CPU time the cgroup's tasks used.", usage);
	counter(a, "xlb_agent_cgroup_cpu_periods_total",
		"Enforcement periods that elapsed with runnable tasks.",
		periods);
	counter(a, "xlb_agent_cgroup_cpu_throttled_periods_total",
		"Periods in which the cgroup was throttled.", throttled);
	counter(a, "xlb_agent_cgroup_cpu_throttled_seconds_total",
		"Time the cgroup's tasks were throttled.", throttled_s);
	gauge(a, "xlb_agent_cgroup_cpu_quota_cores",
	      "The cgroup's CPU quota in cores (absent when unlimited).",
	      quota);
	gauge(a, "xlb_agent_cgroup_memory_usage_bytes",
	      "Memory the cgroup uses.", mem);
	if (!isinf(mem_limit))
		gauge(a, "xlb_agent_cgroup_memory_limit_bytes",
		      "The cgroup's memory limit (absent when unlimited).",
		      mem_limit);
	if (a->cgroup_version == 2)
		pressure_families(a, cg, "%s.pressure", "xlb_agent_cgroup",
				  "the cgroup's");
	return 0;
}
