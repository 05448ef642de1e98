// SPDX-License-Identifier: GPL-2.0
/*
 * Counters are exact, per CPU: XDP test runs take no CPU flag, so the test
 * thread is pinned to each CPU in turn and the per-CPU copies are read raw.
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

/* Per-CPU values of one entry: ncpus copies, each rounded up to 8 bytes. */
static void *read_percpu(int fd, __u32 key, size_t value_size, int ncpus)
{
	void *values = calloc(ncpus, (value_size + 7) & ~7ul);

	if (values && bpf_map_lookup_elem(fd, &key, values)) {
		free(values);
		return NULL;
	}
	return values;
}

TEST(counters_are_exact_on_every_cpu)
{
	int ncpus = libbpf_num_possible_cpus(), online = 0;
	struct pkt_spec vip_spec = { .family = XLB_FAMILY_V4,
				     .src = "192.0.2.1",
				     .dst = "10.0.0.1",
				     .dport = 80,
				     .proto = IPPROTO_TCP,
				     .tcp_flags = 0x02,
				     .payload = 33 };
	struct pkt_spec other = vip_spec;
	struct xlb_global_counters *global;
	struct xlb_pair_counters *pair;
	struct xlb_vip_counters *vipc;
	__u64 bytes[CPU_SETSIZE] = {};
	struct xlb_vip_key key;
	struct xlb_vip vip;
	struct fixture *f;

	FIXTURE(f, NULL);
	test_defer(unpin, NULL);
	other.dst = "10.0.0.2";
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.0.1.1", mac_a, 1, 1), "backend");
	CHECK(!xlb_vip_get(f->xlb, &key, &vip), "vip get");

	/* CPU c: c + 2 new VIP flows, c + 1 frames for another address. */
	for (int cpu = 0; cpu < ncpus; cpu++) {
		if (pin_to_cpu(cpu))
			continue; /* possible but offline */
		online++;
		for (int i = 0; i < cpu + 2; i++) {
			struct pkt p;
			struct run r;

			vip_spec.sport = 1000 + 100 * cpu + i;
			pkt_build(&p, &vip_spec);
			CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_TX,
			      "cpu %d: not forwarded", cpu);
			bytes[cpu] += p.len;
		}
		for (int i = 0; i < cpu + 1; i++) {
			struct pkt p;
			struct run r;

			pkt_build(&p, &other);
			CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_PASS,
			      "cpu %d: not passed", cpu);
		}
	}
	CHECK(online > 0, "could not pin to any CPU");

	global = read_percpu(xlb_map_fd(f->xlb, XLB_MAP_GLOBAL), 0,
			     sizeof(*global), ncpus);
	pair = read_percpu(xlb_map_fd(f->xlb, XLB_MAP_BE_STATS), 0,
			   sizeof(*pair), ncpus);
	vipc = read_percpu(xlb_map_fd(f->xlb, XLB_MAP_VIP_STATS), vip.id,
			   sizeof(*vipc), ncpus);
	CHECK(global && pair && vipc, "read per-CPU maps");
	for (int cpu = 0; cpu < ncpus; cpu++) {
		__u64 flows = bytes[cpu] ? cpu + 2 : 0;
		__u64 passes = bytes[cpu] ? cpu + 1 : 0;

		CHECK(global[cpu].forwarded == flows,
		      "cpu %d: forwarded %llu, expected %llu", cpu,
		      (unsigned long long)global[cpu].forwarded,
		      (unsigned long long)flows);
		CHECK(global[cpu].passed == passes,
		      "cpu %d: passed %llu, expected %llu", cpu,
		      (unsigned long long)global[cpu].passed,
		      (unsigned long long)passes);
		CHECK(pair[cpu].packets == flows &&
			      pair[cpu].new_flows == flows &&
			      pair[cpu].bytes == bytes[cpu],
		      "cpu %d: pair counted %llu packets, %llu flows, %llu "
		      "bytes; expected %llu, %llu, %llu",
		      cpu, (unsigned long long)pair[cpu].packets,
		      (unsigned long long)pair[cpu].new_flows,
		      (unsigned long long)pair[cpu].bytes,
		      (unsigned long long)flows, (unsigned long long)flows,
		      (unsigned long long)bytes[cpu]);
		CHECK(vipc[cpu].packets == flows &&
			      vipc[cpu].bytes == bytes[cpu],
		      "cpu %d: VIP counted %llu packets, %llu bytes", cpu,
		      (unsigned long long)vipc[cpu].packets,
		      (unsigned long long)vipc[cpu].bytes);
	}
	printf("  exact on %d CPUs\n", online);
	free(global);
	free(pair);
	free(vipc);
}

/* The library's sum is the sum of the per-CPU copies. */
TEST(summed_counters_match_the_traffic_sent)
{
	struct pkt_spec spec = { .family = XLB_FAMILY_V6,
				 .src = "2001:db8::5",
				 .dst = "fd00::1",
				 .dport = 443,
				 .proto = IPPROTO_UDP,
				 .payload = 100 };
	struct xlb_stats stats = {};
	struct xlb_vip_key key;
	struct xlb_vip vip;
	struct fixture *f;
	__u64 bytes = 0;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "[fd00::1]:443/udp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "fd00:1::1", mac_a, 1, 1), "backend");
	CHECK(!xlb_vip_get(f->xlb, &key, &vip), "vip get");
	for (int flow = 0; flow < 10; flow++) {
		for (int i = 0; i < 5; i++) {
			struct pkt p;
			struct run r;

			spec.sport = 7000 + flow;
			pkt_build(&p, &spec);
			CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_TX,
			      "not forwarded");
			bytes += p.len;
		}
	}
	CHECK(!xlb_stats_read(f->xlb, &stats), "%s", xlb_errmsg());
	CHECK_EQ(stats.pairs[0].packets, 50);
	CHECK_EQ(stats.pairs[0].new_flows, 10);
	CHECK_EQ(stats.pairs[0].bytes, bytes);
	CHECK_EQ(stats.vips[vip.id].packets, 50);
	CHECK_EQ(stats.vips[vip.id].new_flows, 10);
	CHECK_EQ(stats.global.conn_hits, 40);
	CHECK_EQ(stats.global.conn_misses, 10);
	CHECK_EQ(stats.global.nonsyn_misses, 0);
	xlb_stats_free(&stats);
}
