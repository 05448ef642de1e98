// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 15 item 8: the connection table's real capacity with
 * BPF_F_NO_COMMON_LRU. Each CPU owns entries / cpus; flows that all arrive on
 * one CPU (skewed RX) keep at most that many, and every new flow past it
 * evicts an established one. Measured here with the test thread pinned to
 * one CPU, then spread over all of them; entries are read from user space so
 * the check itself inserts nothing.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "fixture.h"
#include "testing.h"

#define TABLE 1024
#define FLOWS 1000

static const __u8 mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };

static int pin_to_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void unpin(void *arg)
{
	cpu_set_t set;

	(void)arg;
	CPU_ZERO(&set);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static int online_cpus(int *cpus, int max)
{
	int n = 0;

	for (int cpu = 0; cpu < max && cpu < CPU_SETSIZE; cpu++)
		if (!pin_to_cpu(cpu))
			cpus[n++] = cpu;
	return n;
}

static struct pkt_spec flow(int i, __u16 base)
{
	return (struct pkt_spec){ .family = XLB_FAMILY_V4,
				  .src = "192.0.2.1",
				  .dst = "10.0.0.1",
				  .sport = base + i,
				  .dport = 80,
				  .proto = IPPROTO_TCP,
				  .tcp_flags = 0x02 };
}

/*
 * Opens FLOWS flows (one SYN each), flow i on cpus[i % n], and counts how
 * many of them the table still holds afterwards.
 */
static int open_flows(struct fixture *f, const int *cpus, int n, __u16 base,
		      int *kept)
{
	int fd = xlb_map_fd(f->xlb, XLB_MAP_CONNS);

	for (int i = 0; i < FLOWS; i++) {
		struct pkt_spec s = flow(i, base);
		struct pkt p;
		struct run r;

		if (pin_to_cpu(cpus[i % n]))
			return -errno;
		pkt_build(&p, &s);
		if (fixture_run(f, &p, &r) || r.verdict != XDP_TX)
			return -EIO;
	}
	*kept = 0;
	for (int i = 0; i < FLOWS; i++) {
		struct pkt_spec s = flow(i, base);
		struct xlb_flow_key key = pkt_flow_key(&s);
		struct xlb_conn conn;

		if (!bpf_map_lookup_elem(fd, &key, &conn))
			(*kept)++;
	}
	return 0;
}

TEST(conn_table_capacity_is_per_cpu_and_skewed_rx_evicts_flows)
{
	struct xlb_create_opts opts = { .conn_table_size = TABLE };
	int ncpus = libbpf_num_possible_cpus(), n, kept_one, kept_all;
	struct xlb_conn_capacity cap;
	struct xlb_vip_key key;
	struct fixture *f;
	int *cpus;

	cpus = calloc(ncpus > 0 ? ncpus : 1, sizeof(*cpus));
	CHECK(cpus, "out of memory");
	test_defer(free, cpus);
	test_defer(unpin, NULL);
	n = online_cpus(cpus, ncpus);
	unpin(NULL);
	if (n < 2)
		SKIP("needs two online CPUs, has %d", n);

	FIXTURE(f, &opts);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 1, 1), "backend");
	CHECK(!xlb_conn_capacity(f->xlb, &cap), "%s", xlb_errmsg());
	CHECK(cap.per_cpu_lru && cap.cpus == (__u32)ncpus &&
		      cap.entries >= TABLE &&
		      cap.per_cpu == cap.entries / cap.cpus,
	      "capacity: %u entries, %u CPUs, %u per CPU, per-CPU LRU %d",
	      cap.entries, cap.cpus, cap.per_cpu, cap.per_cpu_lru);

	/* All on one CPU: at most its share survives. */
	CHECK(!open_flows(f, cpus, 1, 10000, &kept_one), "one CPU run");
	CHECK(kept_one <= (int)cap.per_cpu,
	      "one CPU kept %d flows, above its share %u", kept_one,
	      cap.per_cpu);
	CHECK(FLOWS <= (int)cap.per_cpu || kept_one < FLOWS,
	      "one CPU kept all %d flows in a share of %u", kept_one,
	      cap.per_cpu);

	/* Spread over the CPUs (and a fresh set of flows). */
	CHECK(!open_flows(f, cpus, n, 30000, &kept_all), "spread run");
	CHECK(kept_all > kept_one, "spread over %d CPUs kept %d, one kept %d",
	      n, kept_all, kept_one);
	printf("  %u entries on %u CPUs: %u per CPU; %d flows on one CPU kept "
	       "%d (%d established flows evicted), spread over %d CPUs kept "
	       "%d\n",
	       cap.entries, cap.cpus, cap.per_cpu, FLOWS, kept_one,
	       FLOWS - kept_one, n, kept_all);
}
