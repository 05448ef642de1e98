// SPDX-License-Identifier: GPL-2.0
/*
 * xlb-agent's collectors on recorded /proc and cgroup (v1, v2) files, copied
 * to a temporary root so a test can change them between scrapes: what each
 * series reads, quota-relative utilisation through the same signal tracker
 * xlbd uses, counters that reset, a missing PSI, an interface that vanishes,
 * 64 interfaces, and the errors at start.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "node_signals.h"
#include "prom_text.h"
#include "testing.h"

static char root[64];
static char path_proc[128], path_v1[128], path_v2[128];
static struct agent a;
static char err[256];

static void remove_root(void *arg)
{
	char cmd[128];

	(void)arg;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", root);
}

/* A fresh copy of the fixtures; removed after the test. */
static int fixtures(void)
{
	char cmd[256];

	snprintf(root, sizeof(root), "/tmp/xlb-agent-test-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	test_defer(remove_root, NULL);
	snprintf(cmd, sizeof(cmd), "cp -r %s/. '%s'", AGENT_FIXTURES, root);
	if (system(cmd))
		return -1;
	snprintf(path_proc, sizeof(path_proc), "%s/proc", root);
	snprintf(path_v1, sizeof(path_v1), "%s/cgroup-v1/cpu/b1", root);
	snprintf(path_v2, sizeof(path_v2), "%s/cgroup-v2", root);
	return 0;
}

static int write_file(const char *dir, const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

static void fini(void *arg)
{
	agent_fini(arg);
}

static int start(const char *cgroup)
{
	struct agent_config cfg = { .proc_root = path_proc, .cgroup = cgroup };
	int rc = agent_init(&a, &cfg);

	if (!rc)
		test_defer(fini, &a);
	return rc;
}

/* The value of one series in the last scrape (labels "k=v" or NULL). */
struct find {
	const char *name, *label, *value;
	double found;
	size_t n;
};

static int find_cb(const struct xlb_prom_sample *s, void *arg)
{
	struct find *f = arg;

	if (strcmp(s->name, f->name))
		return 0;
	if (f->label) {
		const char *v = xlb_prom_label(s, f->label);

		if (!v || strcmp(v, f->value))
			return 0;
	}
	f->found = s->value;
	f->n++;
	return 0;
}

static double series(const char *name, const char *label, const char *value,
		     size_t *n)
{
	struct find f = { name, label, value, NAN, 0 };

	if (xlb_prom_parse(a.out.data, a.out.len, NULL, find_cb, &f, err,
			   sizeof(err)))
		return -12345;
	if (n)
		*n = f.n;
	return f.found;
}

static bool near(double x, double y)
{
	return fabs(x - y) < 1e-6;
}

TEST(scrape_is_strict_prometheus_text_with_node_exporter_names)
{
	size_t n;

	CHECK(!fixtures(), "fixtures");
	CHECK(!start(NULL), "init: %s", a.err);
	CHECK_EQ(agent_scrape(&a), 0);
	CHECK_EQ(xlb_prom_parse(a.out.data, a.out.len, NULL, find_cb,
				&(struct find){ "x", 0, 0, 0, 0 }, err,
				sizeof(err)),
		 0);
	series("node_cpu_seconds_total", "mode", "idle", &n);
	CHECK(n == a.n_cpus && n >= 1, "%zu idle series for %u cpus", n,
	      a.n_cpus);
	CHECK(series("node_memory_MemTotal_bytes", NULL, NULL, NULL) > 0, "MemT"
									  "ota"
									  "l");
	CHECK(series("node_load1", NULL, NULL, NULL) >= 0, "load1");
	CHECK(near(series("node_network_receive_bytes_total", "device", "lo",
			  NULL),
		   336),
	      "lo rx");
	CHECK(near(series("node_network_transmit_packets_total", "device",
			  "eth0", NULL),
		   1),
	      "eth0 tx packets");
	CHECK(near(series("node_tcp_connection_states", "state", "established",
			  NULL),
		   2),
	      "established");
	CHECK(near(series("node_tcp_connection_states", "state", "listen",
			  NULL),
		   1),
	      "listen");
	CHECK(series("node_pressure_cpu_waiting_seconds_total", NULL, NULL,
		     NULL) >= 0,
	      "PSI read");
	CHECK(near(series("xlb_agent_collector_success", "collector", "tcp",
			  NULL),
		   1),
	      "tcp collector");
}

TEST(cgroup_v1_quota_usage_and_throttling)
{
	CHECK(!fixtures(), "fixtures");
	CHECK(!start(path_v1), "init: %s", a.err);
	CHECK_EQ(agent_scrape(&a), 0);
	CHECK(near(series("xlb_agent_cgroup_version", NULL, NULL, NULL), 1),
	      "version");
	CHECK(near(series("xlb_agent_cgroup_cpu_usage_seconds_total", NULL,
			  NULL, NULL),
		   152),
	      "usage from cpuacct.usage beside the cpu dir");
	CHECK(near(series("xlb_agent_cgroup_cpu_throttled_periods_total", NULL,
			  NULL, NULL),
		   1377),
	      "throttled periods");
	CHECK(near(series("xlb_agent_cgroup_cpu_throttled_seconds_total", NULL,
			  NULL, NULL),
		   123.456789),
	      "throttled seconds");
	CHECK(near(series("xlb_agent_cgroup_cpu_quota_cores", NULL, NULL, NULL),
		   0.1),
	      "quota");
	CHECK(near(series("xlb_agent_cpu_capacity_cores", NULL, NULL, NULL),
		   0.1),
	      "capacity is the quota");
	CHECK(near(series("xlb_agent_cpu_usage_seconds_total", NULL, NULL,
			  NULL),
		   152),
	      "usage is the cgroup's");
}

TEST(cgroup_v2_quota_memory_and_pressure)
{
	CHECK(!fixtures(), "fixtures");
	CHECK(!start(path_v2), "init: %s", a.err);
	CHECK_EQ(agent_scrape(&a), 0);
	CHECK(near(series("xlb_agent_cgroup_version", NULL, NULL, NULL), 2),
	      "version");
	CHECK(near(series("xlb_agent_cgroup_cpu_usage_seconds_total", NULL,
			  NULL, NULL),
		   152),
	      "usage_usec");
	CHECK(near(series("xlb_agent_cgroup_cpu_throttled_seconds_total", NULL,
			  NULL, NULL),
		   123.456789),
	      "throttled_usec");
	CHECK(near(series("xlb_agent_cpu_capacity_cores", NULL, NULL, NULL),
		   0.1),
	      "cpu.max");
	CHECK(near(series("xlb_agent_cgroup_memory_limit_bytes", NULL, NULL,
			  NULL),
		   1073741824),
	      "memory.max");
	CHECK(near(series("xlb_agent_cgroup_pressure_cpu_stalled_seconds_total",
			  NULL, NULL, NULL),
		   4),
	      "cpu.pressure full");
	/* no quota, no memory limit: the series go, capacity is the CPUs */
	CHECK(!write_file(path_v2, "cpu.max", "max 100000\n"), "write");
	CHECK(!write_file(path_v2, "memory.max", "max\n"), "write");
	CHECK_EQ(agent_scrape(&a), 0);
	CHECK(isnan(series("xlb_agent_cgroup_cpu_quota_cores", NULL, NULL,
			   NULL)),
	      "quota series left out");
	CHECK(isnan(series("xlb_agent_cgroup_memory_limit_bytes", NULL, NULL,
			   NULL)),
	      "limit series left out");
	CHECK(near(series("xlb_agent_cpu_capacity_cores", NULL, NULL, NULL),
		   a.n_cpus),
	      "capacity without quota");
}

static int feed(struct xlb_signal_tracker *t, double now,
		struct xlb_node_signals *s)
{
	if (agent_scrape(&a))
		return -ENOMEM;
	return xlb_signal_tracker_feed(t, a.out.data, a.out.len, now, s, err,
				       sizeof(err));
}

/* 0.05 CPU-seconds in 0.5 s under a 10% quota: saturated, as xlbd reads
 * it; then the counter resets (the cgroup was recreated): no rate. */
TEST(quota_relative_utilisation_and_counter_reset)
{
	struct xlb_signal_tracker *t = xlb_signal_tracker_create();
	struct xlb_node_signals s;

	CHECK(t, "tracker");
	test_defer((void (*)(void *))xlb_signal_tracker_destroy, t);
	CHECK(!fixtures(), "fixtures");
	CHECK(!start(path_v1), "init: %s", a.err);
	CHECK_EQ(feed(t, 10, &s), 0);
	CHECK(s.source == XLB_SIGNAL_SOURCE_AGENT, "source %d", s.source);
	CHECK(!write_file(root, "cgroup-v1/cpuacct/b1/cpuacct.usage",
			  "152050000000\n"),
	      "write");
	CHECK_EQ(feed(t, 10.5, &s), 0);
	CHECK(near(s.cpu_util, 1), "10%% quota fully used: %g", s.cpu_util);
	CHECK(!write_file(root, "cgroup-v1/cpuacct/b1/cpuacct.usage",
			  "152075000000\n"),
	      "write");
	CHECK_EQ(feed(t, 11, &s), 0);
	CHECK(near(s.cpu_util, 0.5), "half: %g", s.cpu_util);
	CHECK(!write_file(root, "cgroup-v1/cpuacct/b1/cpuacct.usage",
			  "1000000\n"),
	      "write");
	CHECK_EQ(feed(t, 11.5, &s), 0);
	/* the tracker falls back on the agent's own ratio, never negative */
	CHECK(isnan(s.cpu_util) || (s.cpu_util >= 0 && s.cpu_util <= 1),
	      "after reset: %g", s.cpu_util);
	CHECK(!write_file(root, "cgroup-v1/cpuacct/b1/cpuacct.usage",
			  "26000000\n"),
	      "write");
	CHECK_EQ(feed(t, 12, &s), 0);
	CHECK(near(s.cpu_util, 0.5), "rates again after the reset: %g",
	      s.cpu_util);
}

TEST(missing_psi_is_not_an_error)
{
	char cmd[256];
	size_t n;

	CHECK(!fixtures(), "fixtures");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s/pressure'", path_proc);
	CHECK(!system(cmd), "rm");
	CHECK(!start(NULL), "init: %s", a.err);
	CHECK_EQ(agent_scrape(&a), 0);
	series("node_pressure_cpu_waiting_seconds_total", NULL, NULL, &n);
	CHECK_EQ(n, 0);
	CHECK(near(series("xlb_agent_collector_success", "collector",
			  "pressure", NULL),
		   1),
	      "pressure collector fine without PSI");
}

static const char *netdev_header = "Inter-|   Receive                          "
				   "                      |  "
				   "Transmit\n"
				   " face |bytes    packets errs drop fifo "
				   "frame compressed multicast|"
				   "bytes    packets errs drop fifo colls "
				   "carrier compressed\n";

static void netdev(char *buf, size_t size, int n_devices, unsigned long rx)
{
	int n = snprintf(buf, size, "%s", netdev_header);

	for (int i = 0; i < n_devices; i++)
		n += snprintf(buf + n, size - n,
			      "  eth%d: %lu 10 0 0 0 0 0 0 %lu 20 0 0 0 0 0 "
			      "0\n",
			      i, rx, rx * 2);
}

TEST(interface_that_disappears_between_scrapes)
{
	struct xlb_signal_tracker *t = xlb_signal_tracker_create();
	struct xlb_node_signals s;
	char buf[8192];
	size_t n;

	CHECK(t, "tracker");
	test_defer((void (*)(void *))xlb_signal_tracker_destroy, t);
	CHECK(!fixtures(), "fixtures");
	CHECK(!start(NULL), "init: %s", a.err);
	netdev(buf, sizeof(buf), 2, 1000);
	CHECK(!write_file(path_proc, "net/dev", buf), "write");
	CHECK_EQ(feed(t, 1, &s), 0);
	/* eth1 gone, eth0 grew by 500 */
	netdev(buf, sizeof(buf), 1, 1500);
	CHECK(!write_file(path_proc, "net/dev", buf), "write");
	CHECK_EQ(feed(t, 2, &s), 0);
	series("node_network_receive_bytes_total", "device", "eth1", &n);
	CHECK_EQ(n, 0);
	CHECK(near(s.net_rx_bytes_per_s, 500) &&
		      near(s.net_tx_bytes_per_s, 1000),
	      "rates of eth0 only: %g %g", s.net_rx_bytes_per_s,
	      s.net_tx_bytes_per_s);
}

TEST(sixty_four_interfaces)
{
	static char buf[65536];
	size_t n;

	CHECK(!fixtures(), "fixtures");
	netdev(buf, sizeof(buf), 64, 7);
	CHECK(!write_file(path_proc, "net/dev", buf), "write");
	CHECK(!start(NULL), "init: %s", a.err);
	CHECK_EQ(agent_scrape(&a), 0);
	series("node_network_receive_bytes_total", NULL, NULL, &n);
	CHECK_EQ(n, 64);
	CHECK(near(series("node_network_transmit_bytes_total", "device",
			  "eth63", NULL),
		   14),
	      "eth63");
}

TEST(host_counter_reset_gives_no_negative_cpu)
{
	struct xlb_signal_tracker *t = xlb_signal_tracker_create();
	struct xlb_node_signals s;

	CHECK(t, "tracker");
	test_defer((void (*)(void *))xlb_signal_tracker_destroy, t);
	CHECK(!fixtures(), "fixtures");
	CHECK(!write_file(path_proc, "stat",
			  "cpu  900 0 100 1000 0 0 0 0 0 0\n"
			  "cpu0 900 0 100 1000 0 0 0 0 0 0\n"
			  "procs_running 3\nprocs_blocked 0\n"),
	      "write");
	CHECK(!start(NULL), "init: %s", a.err);
	CHECK_EQ(feed(t, 1, &s), 0);
	CHECK(!write_file(path_proc, "stat",
			  "cpu  950 0 100 1050 0 0 0 0 0 0\n"
			  "cpu0 950 0 100 1050 0 0 0 0 0 0\n"
			  "procs_running 3\nprocs_blocked 0\n"),
	      "write");
	CHECK_EQ(feed(t, 2, &s), 0);
	CHECK(near(s.cpu_util, 0.5), "host busy half: %g", s.cpu_util);
	/* a reboot-like reset */
	CHECK(!write_file(path_proc, "stat",
			  "cpu  5 0 1 10 0 0 0 0 0 0\n"
			  "cpu0 5 0 1 10 0 0 0 0 0 0\n"
			  "procs_running 3\nprocs_blocked 0\n"),
	      "write");
	CHECK_EQ(feed(t, 3, &s), 0);
	CHECK(isnan(s.cpu_util) || (s.cpu_util >= 0 && s.cpu_util <= 1),
	      "after reset: %g", s.cpu_util);
	CHECK(near(series("node_procs_running", NULL, NULL, NULL), 3), "run "
								       "queue");
}

TEST(errors_at_start_name_what_failed)
{
	char missing[256];

	CHECK(!fixtures(), "fixtures");
	snprintf(missing, sizeof(missing), "%s/nope", root);
	CHECK(start(missing) == -1, "nonexistent cgroup accepted");
	CHECK(strstr(a.err, "--cgroup") && strstr(a.err, "No such file"),
	      "err '%s'", a.err);
	agent_fini(&a);
	CHECK(start(root) == -1, "a plain directory accepted as a cgroup");
	CHECK(strstr(a.err, "neither a cgroup v2"), "err '%s'", a.err);
	agent_fini(&a);
	CHECK(!unlink(strcat(strcpy(missing, path_proc), "/loadavg")), "unlin"
								       "k");
	CHECK(start(NULL) == -1, "missing loadavg accepted");
	CHECK(strstr(a.err, "cannot read") && strstr(a.err, "loadavg"),
	      "err '%s'", a.err);
	agent_fini(&a);
}

TEST(probe_url_errors)
{
	static const char *const bad[] = { "ftp://x/", "tcp://127.0.0.1",
					   "::not a url" };

	CHECK(!fixtures(), "fixtures");
	for (size_t i = 0; i < 3; i++) {
		struct agent_config cfg = { .proc_root = path_proc,
					    .probe_url = bad[i] };

		CHECK(agent_init(&a, &cfg) == -1, "%s accepted", bad[i]);
		CHECK(strstr(a.err, "--probe"), "err '%s'", a.err);
		agent_fini(&a);
	}
}
