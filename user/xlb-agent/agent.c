// SPDX-License-Identifier: GPL-2.0
/*
 * One scrape: every collector in turn, then the utilisation the brain reads
 * (busy share of the CPU the backend may use) and the agent's own series.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

double agent_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

long agent_read(struct agent *a, const char *root, const char *rel)
{
	char path[AGENT_PATH_LEN * 2];
	size_t len = 0;
	int fd;

	if (root)
		snprintf(path, sizeof(path), "%s/%s", root, rel);
	else
		snprintf(path, sizeof(path), "%s", rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		/* grows only when a file is bigger than ever before */
		if (len + 1 >= a->file_cap) {
			size_t cap = a->file_cap ? a->file_cap * 2 : 65536;
			char *p = realloc(a->file, cap);

			if (!p) {
				close(fd);
				return -ENOMEM;
			}
			a->file = p;
			a->file_cap = cap;
		}
		n = read(fd, a->file + len, a->file_cap - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			n = -errno;
			close(fd);
			return n;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	a->file[len] = '\0';
	return (long)len;
}

/* The sources every scrape reads: refused at start when unreadable. */
static const char *const proc_files[] = { "stat", "meminfo", "loadavg",
					  "net/dev", "net/tcp" };

int agent_init(struct agent *a, const struct agent_config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->cfg = *cfg;
	if (!a->cfg.proc_root)
		a->cfg.proc_root = "/proc";
	if (a->cfg.probe_interval_s <= 0)
		a->cfg.probe_interval_s = 1;
	if (a->cfg.probe_timeout_s <= 0)
		a->cfg.probe_timeout_s = 1;
	a->cgroup_usage_s = NAN;
	a->cgroup_quota_cores = NAN;
	a->ratio = NAN;
	pthread_mutex_init(&a->lock, NULL);
	for (size_t i = 0; i < sizeof(proc_files) / sizeof(proc_files[0]);
	     i++) {
		long rc = agent_read(a, a->cfg.proc_root, proc_files[i]);

		if (rc < 0) {
			snprintf(a->err, sizeof(a->err),
				 "cannot read %s/%s: %s", a->cfg.proc_root,
				 proc_files[i], strerror((int)-rc));
			return -1;
		}
	}
	if (a->cfg.cgroup && cgroup_init(a))
		return -1;
	if (a->cfg.probe_url && probe_start(a))
		return -1;
	if (tcp_walker_start(a))
		return -1;
	/* a first reading, so the first scrape already has an interval */
	if (agent_scrape(a)) {
		snprintf(a->err, sizeof(a->err), "out of memory");
		return -1;
	}
	return 0;
}

void agent_fini(struct agent *a)
{
	if (a->probe)
		probe_stop(a);
	tcp_walker_stop();
	free(a->file);
	free(a->out.data);
	pthread_mutex_destroy(&a->lock);
}

static void utilisation(struct agent *a, double now)
{
	bool cg = a->cfg.cgroup && !isnan(a->cgroup_usage_s);
	double usage = cg ? a->cgroup_usage_s : a->host_busy_s;
	double capacity = cg && !isnan(a->cgroup_quota_cores)
				  ? a->cgroup_quota_cores
				  : (double)a->n_cpus;
	struct out_buf *o = &a->out;

	/* Rated over the time since the previous scrape, at least 0.2 s
	 * (a faster scraper sees the last ratio again). */
	if (a->prev_time == 0) {
		a->prev_time = now;
		a->prev_usage = usage;
	} else if (now - a->prev_time >= 0.2) {
		double r = (usage - a->prev_usage) / (now - a->prev_time) /
			   capacity;

		a->ratio = usage < a->prev_usage || !(capacity > 0) ? NAN
			   : r < 0				    ? 0
			   : r > 1				    ? 1
								    : r;
		a->prev_time = now;
		a->prev_usage = usage;
	}
	out_family(o, "xlb_agent_cpu_usage_seconds_total", "counter",
		   "CPU time the backend used: its cgroup's with --cgroup, "
		   "else "
		   "the host's busy time.");
	out_sample(o, "xlb_agent_cpu_usage_seconds_total", NULL, usage);
	out_family(o, "xlb_agent_cpu_capacity_cores", "gauge",
		   "CPUs the backend may use: the cgroup's quota in cores, "
		   "else "
		   "the CPUs online.");
	out_sample(o, "xlb_agent_cpu_capacity_cores", NULL, capacity);
	out_family(o, "xlb_agent_cpu_utilisation_ratio", "gauge",
		   "Busy share of the capacity between the last two scrapes "
		   "(0..1).");
	out_sample(o, "xlb_agent_cpu_utilisation_ratio", NULL, a->ratio);
}

int agent_scrape(struct agent *a)
{
	static const struct {
		const char *name;
		int (*fn)(struct agent *a);
	} collectors[] = {
		{ "cpu", collect_cpu },
		{ "memory", collect_memory },
		{ "pressure", collect_pressure },
		{ "network", collect_network },
		{ "load", collect_load },
		{ "tcp", collect_tcp },
		{ "cgroup", collect_cgroup },
		{ "probe", collect_probe },
	};
	enum { N = sizeof(collectors) / sizeof(collectors[0]) };
	bool ok[N];
	double start = agent_now();
	struct out_buf *o = &a->out;

	out_reset(o);
	for (size_t i = 0; i < N; i++)
		ok[i] = collectors[i].fn(a) == 0;
	utilisation(a, start);
	out_family(o, "xlb_agent_collector_success", "gauge",
		   "Whether a collector read its source in this scrape.");
	for (size_t i = 0; i < N; i++) {
		char labels[64];

		snprintf(labels, sizeof(labels), "collector=\"%s\"",
			 collectors[i].name);
		out_sample(o, "xlb_agent_collector_success", labels, ok[i]);
	}
	out_family(o, "xlb_agent_scrape_duration_seconds", "gauge",
		   "Time this scrape took to collect.");
	out_sample(o, "xlb_agent_scrape_duration_seconds", NULL,
		   agent_now() - start);
	return o->failed ? -1 : 0;
}
