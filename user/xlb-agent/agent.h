/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlb-agent: node metrics of one backend host in the Prometheus text format.
 * One collector per source file (collect_*.c), each reading its files once
 * per scrape into a buffer the agent reuses and writing whole metric
 * families to the response buffer; the service probe runs on its own thread
 * and a scrape only copies its last result.
 */
#ifndef XLB_AGENT_H
#define XLB_AGENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AGENT_MAX_DEVICES 1024
#define AGENT_PATH_LEN 512

/* A growable text buffer; it keeps its memory between scrapes. */
struct out_buf {
	char *data;
	size_t len, cap;
	bool failed; /* out of memory: the scrape is answered with 500 */
};

void out_reset(struct out_buf *b);
void out_printf(struct out_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* # HELP and # TYPE of a family; every family is written whole, once. */
void out_family(struct out_buf *b, const char *name, const char *type,
		const char *help);
/* A sample "name{labels} value" (labels may be NULL or "cpu=\"0\""). */
void out_sample(struct out_buf *b, const char *name, const char *labels,
		double value);
/* A label value escaped for the text format into dst. */
const char *out_escape(char *dst, size_t size, const char *value);

struct agent_config {
	const char *proc_root;	    /* "/proc"; a fixture directory in tests */
	const char *cgroup;	    /* v2 dir, or v1 cpu controller dir */
	const char *cgroup_cpuacct; /* v1 accounting dir (derived if NULL) */
	const char *probe_url;	    /* http://... or tcp://HOST:PORT */
	double probe_interval_s;
	double probe_timeout_s;
};

struct net_device {
	char name[64];
	uint64_t v[16]; /* the /proc/net/dev columns */
};

struct probe;

struct agent {
	struct agent_config cfg;
	char *file; /* the read buffer, reused by every collector */
	size_t file_cap;
	char err[256];

	/* cgroup: found at start */
	int cgroup_version; /* 0: none, 1, 2 */
	char cgroup_acct[AGENT_PATH_LEN];

	/* filled by the collectors of one scrape */
	unsigned int n_cpus;
	double host_busy_s;
	double cgroup_usage_s;	   /* NAN: unknown */
	double cgroup_quota_cores; /* NAN: no quota */
	struct net_device devices[AGENT_MAX_DEVICES];
	size_t n_devices;

	/* utilisation between scrapes */
	double prev_time, prev_usage, ratio;

	struct probe *probe;
	pthread_mutex_t lock; /* one scrape at a time */
	struct out_buf out;
};

/*
 * Checks the configuration and that every source is readable (the cgroup
 * exists and has its files), takes the first reading and starts the probe.
 * Returns 0, or -1 with a->err naming what failed.
 */
int agent_init(struct agent *a, const struct agent_config *cfg);
void agent_fini(struct agent *a);
/* Fills a->out with one scrape; returns 0, or -1 when out of memory. */
int agent_scrape(struct agent *a);

double agent_now(void); /* CLOCK_MONOTONIC seconds */

/*
 * Reads root/rel (or rel alone when root is NULL) whole into a->file,
 * NUL-terminated; returns its length or -errno.
 */
long agent_read(struct agent *a, const char *root, const char *rel);

/* The collectors: each writes its families; non-zero when its source could
 * not be read (the scrape reports xlb_agent_collector_success 0 for it). */
int collect_cpu(struct agent *a);
int collect_memory(struct agent *a);
int collect_pressure(struct agent *a);
int collect_network(struct agent *a);
int collect_load(struct agent *a);
int collect_tcp(struct agent *a);
int collect_cgroup(struct agent *a);
int collect_probe(struct agent *a);

/* cgroup set-up at start (collect_cgroup.c): -1 with a->err on failure. */
int cgroup_init(struct agent *a);
/* PSI lines ("some avg10=.. total=US") as counters (collect_pressure.c). */
void pressure_families(struct agent *a, const char *dir, const char *file_fmt,
		       const char *prefix, const char *what);

/* The TCP state walker thread (collect_tcp.c); a no-op under --proc-root. */
int tcp_walker_start(struct agent *a);
void tcp_walker_stop(void);

/* The probe thread (collect_probe.c). */
int probe_start(struct agent *a);
void probe_stop(struct agent *a);

#endif
