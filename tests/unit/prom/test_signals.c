// SPDX-License-Identifier: GPL-2.0
/*
 * The signal tracker: the same signals from xlb-agent and node_exporter
 * bodies, rates between scrapes, resets and vanished devices give no
 * negative rate, missing series give NAN, a refused body changes nothing.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_signals.h"
#include "testing.h"

static char err[256];

static bool near(double a, double b)
{
	return fabs(a - b) < 1e-9;
}

static struct xlb_signal_tracker *tracker(void)
{
	struct xlb_signal_tracker *t = xlb_signal_tracker_create();

	if (t)
		test_defer((void (*)(void *))xlb_signal_tracker_destroy, t);
	return t;
}

static int feed(struct xlb_signal_tracker *t, const char *body, double now,
		struct xlb_node_signals *out)
{
	return xlb_signal_tracker_feed(t, body, strlen(body), now, out, err,
				       sizeof(err));
}

/* Two CPUs; busy = all - idle - iowait. */
static char *node_body(char *buf, size_t size, double idle, double user,
		       double iowait, double rx, double tx, bool with_eth1)
{
	int n = snprintf(buf, size,
			 "# TYPE node_cpu_seconds_total counter\n"
			 "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} %g\n"
			 "node_cpu_seconds_total{cpu=\"0\",mode=\"user\"} %g\n"
			 "node_cpu_seconds_total{cpu=\"0\",mode=\"iowait\"} "
			 "%g\n"
			 "node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"} %g\n"
			 "node_cpu_seconds_total{cpu=\"1\",mode=\"user\"} %g\n"
			 "node_cpu_seconds_total{cpu=\"1\",mode=\"iowait\"} 0\n"
			 "node_memory_MemAvailable_bytes 2.5e+09\n"
			 "node_memory_MemTotal_bytes 1e+10\n"
			 "node_load1 3\n"
			 "node_network_receive_bytes_total{device=\"lo\"} %g\n"
			 "node_network_transmit_bytes_total{device=\"lo\"} %g\n"
			 "node_network_receive_bytes_total{device=\"eth0\"} "
			 "%g\n"
			 "node_network_transmit_bytes_total{device=\"eth0\"} "
			 "%g\n",
			 idle, user, iowait, idle, user, rx * 7, tx * 7, rx,
			 tx);

	if (with_eth1)
		snprintf(buf + n, size - n,
			 "node_network_receive_bytes_total{device=\"eth1\"} "
			 "%g\n"
			 "node_network_transmit_bytes_total{device=\"eth1\"} "
			 "%g\n",
			 rx, tx);
	return buf;
}

TEST(node_exporter_cpu_memory_load_network)
{
	struct xlb_signal_tracker *t = tracker();
	struct xlb_node_signals s;
	char b[2048];

	CHECK(t, "create");
	CHECK_EQ(feed(t, node_body(b, sizeof(b), 100, 50, 10, 1000, 500, false),
		      10, &s),
		 0);
	CHECK(s.source == XLB_SIGNAL_SOURCE_NODE_EXPORTER, "source %d",
	      s.source);
	CHECK(isnan(s.cpu_util) && isnan(s.net_rx_bytes_per_s) &&
		      isnan(s.interval_s),
	      "first scrape has no rates");
	CHECK(near(s.mem_util, 0.75), "mem %g", s.mem_util);
	CHECK(near(s.load1, 1.5), "load1 per cpu %g", s.load1);
	/* per cpu +1 idle, +3 user, cpu0 +0 iowait over 2 s: 75% busy */
	CHECK_EQ(feed(t,
		      node_body(b, sizeof(b), 101, 53, 10, 3000, 1500, false),
		      12, &s),
		 0);
	CHECK(near(s.cpu_util, 0.75), "cpu %g", s.cpu_util);
	CHECK(near(s.interval_s, 2), "interval %g", s.interval_s);
	CHECK(near(s.net_rx_bytes_per_s, 1000) &&
		      near(s.net_tx_bytes_per_s, 500),
	      "net %g %g (lo must not count)", s.net_rx_bytes_per_s,
	      s.net_tx_bytes_per_s);
	/* iowait counts as idle */
	CHECK_EQ(feed(t,
		      node_body(b, sizeof(b), 101, 53, 12, 3000, 1500, false),
		      13, &s),
		 0);
	CHECK(near(s.cpu_util, 0), "iowait as busy: %g", s.cpu_util);
}

TEST(counter_reset_gives_no_rate_for_that_interval)
{
	struct xlb_signal_tracker *t = tracker();
	struct xlb_node_signals s;
	char b[2048];

	CHECK(t, "create");
	CHECK_EQ(feed(t, node_body(b, sizeof(b), 100, 50, 0, 1000, 500, false),
		      1, &s),
		 0);
	/* the exporter (or the host) restarted: every counter went down */
	CHECK_EQ(feed(t, node_body(b, sizeof(b), 5, 2, 0, 10, 5, false), 2, &s),
		 0);
	CHECK(isnan(s.cpu_util), "cpu after reset %g", s.cpu_util);
	CHECK(isnan(s.net_rx_bytes_per_s) && isnan(s.net_tx_bytes_per_s),
	      "net after reset %g", s.net_rx_bytes_per_s);
	CHECK(near(s.mem_util, 0.75), "gauges still read");
	/* the next interval rates against the post-reset values */
	CHECK_EQ(feed(t, node_body(b, sizeof(b), 6, 3, 0, 110, 55, false), 3,
		      &s),
		 0);
	CHECK(near(s.cpu_util, 0.5), "cpu %g", s.cpu_util);
	CHECK(near(s.net_rx_bytes_per_s, 100), "rx %g", s.net_rx_bytes_per_s);
}

TEST(device_that_appears_or_vanishes_counts_only_when_in_both)
{
	struct xlb_signal_tracker *t = tracker();
	struct xlb_node_signals s;
	char b[2048];

	CHECK(t, "create");
	CHECK_EQ(feed(t, node_body(b, sizeof(b), 1, 1, 0, 100, 100, true), 1,
		      &s),
		 0);
	CHECK_EQ(feed(t, node_body(b, sizeof(b), 2, 2, 0, 200, 300, true), 2,
		      &s),
		 0);
	CHECK(near(s.net_rx_bytes_per_s, 200) &&
		      near(s.net_tx_bytes_per_s, 400),
	      "two devices %g %g", s.net_rx_bytes_per_s, s.net_tx_bytes_per_s);
	/* eth1 vanished: only eth0's growth, no drop to negative */
	CHECK_EQ(feed(t, node_body(b, sizeof(b), 3, 3, 0, 300, 500, false), 3,
		      &s),
		 0);
	CHECK(near(s.net_rx_bytes_per_s, 100) &&
		      near(s.net_tx_bytes_per_s, 200),
	      "eth1 gone %g %g", s.net_rx_bytes_per_s, s.net_tx_bytes_per_s);
	/* eth1 back with fresh counters: not in the previous scrape */
	CHECK_EQ(feed(t, node_body(b, sizeof(b), 4, 4, 0, 400, 700, true), 4,
		      &s),
		 0);
	CHECK(near(s.net_rx_bytes_per_s, 100), "eth1 back %g",
	      s.net_rx_bytes_per_s);
}

static const char *agent_body(char *buf, size_t size, double usage,
			      double capacity, double ratio, double psum,
			      double pcount, double probes, double failures)
{
	snprintf(buf, size,
		 "# TYPE node_cpu_seconds_total counter\n"
		 "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 10\n"
		 "node_cpu_seconds_total{cpu=\"1\",mode=\"idle\"} 10\n"
		 "node_load1 1\n"
		 "node_memory_MemAvailable_bytes 5e9\n"
		 "node_memory_MemTotal_bytes 1e10\n"
		 "# TYPE xlb_agent_cpu_usage_seconds_total counter\n"
		 "xlb_agent_cpu_usage_seconds_total %g\n"
		 "# TYPE xlb_agent_cpu_capacity_cores gauge\n"
		 "xlb_agent_cpu_capacity_cores %g\n"
		 "# TYPE xlb_agent_cpu_utilisation_ratio gauge\n"
		 "xlb_agent_cpu_utilisation_ratio %g\n"
		 "# TYPE xlb_agent_cgroup_memory_usage_bytes gauge\n"
		 "xlb_agent_cgroup_memory_usage_bytes 2.5e8\n"
		 "# TYPE xlb_agent_cgroup_memory_limit_bytes gauge\n"
		 "xlb_agent_cgroup_memory_limit_bytes 1e9\n"
		 "# TYPE xlb_agent_service_probe_duration_seconds histogram\n"
		 "xlb_agent_service_probe_duration_seconds_bucket{le=\"+Inf\"} "
		 "%g\n"
		 "xlb_agent_service_probe_duration_seconds_sum %g\n"
		 "xlb_agent_service_probe_duration_seconds_count %g\n"
		 "# TYPE xlb_agent_service_probes_total counter\n"
		 "xlb_agent_service_probes_total %g\n"
		 "# TYPE xlb_agent_service_probe_failures_total counter\n"
		 "xlb_agent_service_probe_failures_total %g\n"
		 "# TYPE xlb_agent_service_probe_last_duration_seconds gauge\n"
		 "xlb_agent_service_probe_last_duration_seconds 0.5\n",
		 usage, capacity, ratio, pcount, psum, pcount, probes,
		 failures);
	return buf;
}

TEST(agent_cpu_is_relative_to_its_capacity)
{
	struct xlb_signal_tracker *t = tracker();
	struct xlb_node_signals s;
	char b[4096];

	CHECK(t, "create");
	CHECK_EQ(feed(t, agent_body(b, sizeof(b), 100, 0.1, 0.3, 1, 10, 10, 0),
		      1, &s),
		 0);
	CHECK(s.source == XLB_SIGNAL_SOURCE_AGENT, "source %d", s.source);
	CHECK(near(s.cpu_util, 0.3), "first scrape takes the gauge: %g",
	      s.cpu_util);
	CHECK(near(s.mem_util, 0.25), "cgroup memory: %g", s.mem_util);
	CHECK(near(s.load1, 0.5), "load1 %g", s.load1);
	CHECK(near(s.service_latency_s, 0.5), "last probe: %g",
	      s.service_latency_s);
	/* 0.2 cpu-seconds in 2 s with a 0.1-core quota: saturated */
	CHECK_EQ(feed(t,
		      agent_body(b, sizeof(b), 100.2, 0.1, 0.3, 1.4, 14, 20, 5),
		      3, &s),
		 0);
	CHECK(near(s.cpu_util, 1), "throttled cgroup reads saturated: %g",
	      s.cpu_util);
	CHECK(near(s.service_latency_s, 0.1), "latency %g",
	      s.service_latency_s);
	CHECK(near(s.service_latency_last_s, 0.5),
	      "the last probe alone, beside the interval's mean: %g",
	      s.service_latency_last_s);
	CHECK(near(s.service_fail_ratio, 0.5), "fail ratio %g",
	      s.service_fail_ratio);
	/* half a core of a 4-core capacity */
	CHECK_EQ(feed(t,
		      agent_body(b, sizeof(b), 101.2, 4, 0.3, 1.4, 14, 20, 5),
		      5, &s),
		 0);
	CHECK(near(s.cpu_util, 0.125), "cpu %g", s.cpu_util);
	CHECK(near(s.service_latency_s, 0.5),
	      "no probe in the interval: last duration, got %g",
	      s.service_latency_s);
	CHECK(isnan(s.service_fail_ratio), "no probes: %g",
	      s.service_fail_ratio);
}

TEST(missing_series_are_nan)
{
	struct xlb_signal_tracker *t = tracker();
	struct xlb_node_signals s;

	CHECK(t, "create");
	CHECK_EQ(feed(t, "something_else 1\n", 1, &s), 0);
	CHECK(s.source == XLB_SIGNAL_SOURCE_UNKNOWN, "source %d", s.source);
	CHECK_EQ(feed(t, "something_else 2\n", 2, &s), 0);
	CHECK(isnan(s.cpu_util) && isnan(s.mem_util) && isnan(s.load1) &&
		      isnan(s.service_latency_s) &&
		      isnan(s.service_latency_last_s) &&
		      isnan(s.service_fail_ratio) &&
		      isnan(s.net_rx_bytes_per_s) &&
		      isnan(s.net_tx_bytes_per_s),
	      "all NAN");
	CHECK(!strcmp(xlb_signal_source_name(s.source), "unknown"), "name");
}

TEST(refused_body_leaves_the_tracker_as_it_was)
{
	struct xlb_signal_tracker *t = tracker();
	struct xlb_node_signals s, before;
	char b[2048];
	size_t len;

	CHECK(t, "create");
	CHECK_EQ(feed(t, node_body(b, sizeof(b), 100, 50, 0, 1000, 500, false),
		      1, &s),
		 0);
	node_body(b, sizeof(b), 101, 53, 0, 3000, 1500, false);
	len = strlen(b);
	before = s;
	/* cut mid-line, as a scrape that timed out */
	CHECK_EQ(xlb_signal_tracker_feed(t, b, len - 7, 2, &s, err,
					 sizeof(err)),
		 -EINVAL);
	CHECK(strstr(err, "line 14: truncated"), "err '%s'", err);
	CHECK(!memcmp(&s, &before, sizeof(s)), "out was written");
	/* the next good scrape rates against the scrape at t=1 */
	CHECK_EQ(feed(t, b, 3, &s), 0);
	CHECK(near(s.interval_s, 2) && near(s.cpu_util, 0.75),
	      "interval %g cpu %g", s.interval_s, s.cpu_util);
}

TEST(time_going_backwards_gives_no_rates)
{
	struct xlb_signal_tracker *t = tracker();
	struct xlb_node_signals s;
	char b[2048];

	CHECK(t, "create");
	CHECK_EQ(feed(t, node_body(b, sizeof(b), 100, 50, 0, 1000, 500, false),
		      5, &s),
		 0);
	CHECK_EQ(feed(t, node_body(b, sizeof(b), 101, 53, 0, 3000, 1500, false),
		      5, &s),
		 0);
	CHECK(isnan(s.cpu_util) && isnan(s.net_rx_bytes_per_s), "same time");
	xlb_signal_tracker_reset(t);
	CHECK_EQ(feed(t, node_body(b, sizeof(b), 102, 56, 0, 3000, 1500, false),
		      6, &s),
		 0);
	CHECK(isnan(s.cpu_util), "after reset");
}

static char *read_fixture(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", PROM_FIXTURES, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n + 1);
	if (buf && fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = n;
	return buf;
}

/* Two scrapes of a real prometheus-node-exporter, 1 s apart. */
TEST(real_node_exporter_scrapes)
{
	struct xlb_signal_tracker *t = tracker();
	struct xlb_node_signals s;
	size_t l1, l2;
	char *b1 = read_fixture("node_exporter.txt", &l1);
	char *b2 = read_fixture("node_exporter_2.txt", &l2);

	CHECK(t && b1 && b2, "fixtures");
	test_defer(free, b1);
	test_defer(free, b2);
	CHECK_EQ(xlb_signal_tracker_feed(t, b1, l1, 0, &s, err, sizeof(err)),
		 0);
	CHECK_EQ(xlb_signal_tracker_feed(t, b2, l2, 1, &s, err, sizeof(err)),
		 0);
	CHECK(s.source == XLB_SIGNAL_SOURCE_NODE_EXPORTER, "source");
	CHECK(s.cpu_util >= 0 && s.cpu_util <= 1, "cpu %g", s.cpu_util);
	CHECK(s.mem_util > 0 && s.mem_util < 1, "mem %g", s.mem_util);
	CHECK(s.load1 >= 0, "load1 %g", s.load1);
	CHECK(isnan(s.service_latency_s) && isnan(s.service_latency_last_s),
	      "no service from node_exporter");
}
