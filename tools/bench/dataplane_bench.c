// SPDX-License-Identifier: GPL-2.0
/*
 * Data-plane benchmark, as DESIGN's "Measuring the data plane" says: every
 * figure is the kernel-reported duration of BPF_PROG_TEST_RUN with repeat=1,
 * averaged over many calls, for xlb and for floor programs loaded in the same
 * process; the ratios to the floors are the result. Distinct flows get a new
 * source address and port per call. Counters are read back to prove which
 * path ran. Also reports the memory the kernel charges per VIP and per flow.
 *
 * The stateful floors run on the connection table of the xlb instance they
 * are compared with (the same map, not one like it): two tables of the same
 * definition created one after the other in one process differ by up to 20%
 * in insert cost (the first ones made are slower), more than the difference
 * being measured. The floor's flows come from another source network, so
 * they never meet xlb's.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "floors.skel.h"
#include "packet.h"
#include "xlb.h"

#define PIN_DIR_FMT "/sys/fs/bpf/xlbbench-%d"
#define NEW_FLOWS 1000000
/* A power of two: the kernel rounds hash buckets up to one anyway. */
#define CONN_TABLE (1 << 20)

static int calls = 200000; /* per established / non-VIP figure */
/* Issue 11: every path within 1.1x its floor. */
#define TARGET 1.1

static const __u8 lb_mac[6] = { 0x02, 0x1b, 0x00, 0x00, 0x00, 0x02 };

/* One program on one frame, measured in chunks between the others. */
struct contender {
	const char *name;
	const char *label; /* short name, when it serves as a floor */
	int prog;
	struct pkt pkt;
	__u32 expect;	   /* the verdict of the measured path */
	bool new_flow;	   /* a new source address and port per call */
	__u8 source_net;   /* new flows: the first byte of their source */
	long calls, wrong; /* wrong: calls that took another path */
	double total_ns;
};

static void new_source(struct pkt *p, __u8 net, long i);

/*
 * Runs a contender n more times. Only the kernel's duration is summed, not
 * this loop, and each call starts from the frame as built (repeat=1).
 */
static void run_chunk(struct contender *c, long n)
{
	static __u8 out[PKT_MAX];

	for (long i = 0; i < n; i++, c->calls++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = c->pkt.data,
			    .data_size_in = c->pkt.len, .data_out = out,
			    .data_size_out = sizeof(out), .repeat = 1);

		if (c->new_flow)
			new_source(&c->pkt, c->source_net, c->calls);
		if (bpf_prog_test_run_opts(c->prog, &opts)) {
			fprintf(stderr, "bench: test run: %s\n",
				strerror(errno));
			exit(1);
		}
		c->total_ns += opts.duration;
		c->wrong += opts.retval != c->expect;
	}
}

/*
 * Interleaves the contenders in rounds, so that whatever else the machine
 * does weighs on all of them alike and the ratios stay honest; each round
 * starts one contender later, so none always runs first or after the same
 * neighbour.
 */
static void run_rounds(struct contender *c, int n, long calls, int rounds)
{
	for (int r = 0; r < rounds; r++)
		for (int i = 0; i < n; i++)
			run_chunk(&c[(i + r) % n], calls / rounds);
}

static double mean_ns(const struct contender *c)
{
	return c->total_ns / c->calls;
}

/* Flow i: source net.{i>>16}.{i>>8}.{i} (v4) and port 1024 + i % 60000. */
static void new_source(struct pkt *p, __u8 net, long i)
{
	__u8 *ip = p->data + p->l3;
	__u8 *l4 = p->data + p->l4;
	__u16 port = 1024 + i % 60000;

	if ((ip[0] >> 4) == 4) {
		ip[12] = net;
		ip[13] = i >> 16;
		ip[14] = i >> 8;
		ip[15] = i;
	} else {
		ip[8 + 11] = net;
		ip[8 + 12] = i >> 24;
		ip[8 + 13] = i >> 16;
		ip[8 + 14] = i >> 8;
		ip[8 + 15] = i;
	}
	l4[0] = port >> 8;
	l4[1] = port & 0xff;
}

static long memlock_of(int fd)
{
	char path[64], line[128];
	long value = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %ld", &value) == 1)
			break;
	fclose(f);
	return value;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static struct xlb *instance(const char *pin_dir, int *prog)
{
	struct xlb_create_opts opts = { .conn_table_size = CONN_TABLE };
	static const char *const backends[] = { "10.9.0.1", "10.9.0.2",
						"10.9.0.3" };
	struct xlb_vip_key vip;
	struct xlb *xlb;

	if (xlb_create(pin_dir, &opts, &xlb)) {
		fprintf(stderr, "bench: %s\n", xlb_errmsg());
		exit(1);
	}
	for (int v = 0; v < 2; v++) {
		xlb_parse_vip(v ? "[fd00::1]:80/tcp" : "10.0.0.1:80/tcp", &vip);
		if (xlb_vip_add(xlb, &vip, 0))
			goto fail;
		for (int i = 0; i < 3; i++) {
			struct xlb_backend_spec spec = { .weight = 100,
							 .state = 1 };

			xlb_parse_addr(backends[i], &spec.addr, &spec.family);
			memcpy(spec.mac, lb_mac, 6);
			spec.mac[5] = 0x10 + i;
			if (xlb_backend_add(xlb, &vip, &spec))
				goto fail;
		}
	}
	if (xlb_commit(xlb))
		goto fail;
	*prog = xlb_prog_load(xlb, lb_mac);
	if (*prog < 0)
		goto fail;
	return xlb;
fail:
	fprintf(stderr, "bench: %s\n", xlb_errmsg());
	exit(1);
}

static void teardown(struct xlb *xlb, int prog)
{
	close(prog);
	if (xlb_destroy(xlb))
		fprintf(stderr, "bench: %s\n", xlb_errmsg());
	xlb_close(xlb);
}

/* The floor programs, their table being this instance's connection table. */
static struct floors_bpf *floors_on(struct xlb *xlb)
{
	struct floors_bpf *fl = floors_bpf__open();

	if (!fl ||
	    bpf_map__reuse_fd(fl->maps.floor_conns,
			      xlb_map_fd(xlb, XLB_MAP_CONNS)) ||
	    floors_bpf__load(fl)) {
		fprintf(stderr, "bench: load the floors: %s\n",
			strerror(errno));
		exit(1);
	}
	return fl;
}

static void contender(struct contender *c, const char *name, int prog,
		      const struct pkt_spec *spec, __u32 expect, bool new_flow)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->prog = prog;
	pkt_build(&c->pkt, spec);
	c->expect = expect;
	c->new_flow = new_flow;
	c->source_net = 100;
}

static void line(const struct contender *c, const struct contender *floor,
		 const struct contender *pass, double target)
{
	double ns = mean_ns(c), ratio = ns / mean_ns(floor);

	printf("%-32s %7.1f ns  %5.2fx %-12s %+7.1f ns over PASS", c->name, ns,
	       ratio, floor->label ? floor->label : floor->name,
	       ns - mean_ns(pass));
	if (target > 0)
		printf("  target <= %.2fx: %s", target,
		       ratio <= target ? "met" : "MISSED");
	if (c->wrong)
		printf("  (%ld calls took another path!)", c->wrong);
	printf("\n");
}

static __u64 flows_placed(struct xlb *xlb, __u64 *misses)
{
	struct xlb_stats stats = {};
	__u64 placed = 0;

	if (xlb_stats_read(xlb, &stats))
		return 0;
	for (__u32 i = 0; i < stats.max_backends; i++)
		placed += stats.pairs[i].new_flows;
	*misses = stats.global.conn_misses;
	xlb_stats_free(&stats);
	return placed;
}

static void report_memory(struct xlb *xlb)
{
	long conn_bytes = memlock_of(xlb_map_fd(xlb, XLB_MAP_CONNS));
	double per_flow = (double)conn_bytes / xlb_meta(xlb)->conn_table_size;
	struct xlb_vip_key vip;
	__u32 table_id = 0;
	struct xlb_vip v;
	long table_bytes;
	int table;

	xlb_parse_vip("10.0.0.1:80/tcp", &vip);
	xlb_vip_get(xlb, &vip, &v);
	bpf_map_lookup_elem(xlb_map_fd(xlb, XLB_MAP_TABLES), &v.id, &table_id);
	table = bpf_map_get_fd_by_id(table_id);
	table_bytes = memlock_of(table);
	close(table);
	printf("\nmemory (kernel memlock)\n");
	printf("per VIP, %u-slot Maglev table: %ld bytes (%.2f MiB), target "
	       "<= 1.1 MiB: %s; VIPs not configured: no table at all\n",
	       v.table_size, table_bytes, table_bytes / 1048576.0,
	       table_bytes <= 1.1 * 1048576 ? "met" : "MISSED");
	printf("per tracked flow: %.1f bytes (%ld for %u entries), target "
	       "<= 128: %s\n",
	       per_flow, conn_bytes, xlb_meta(xlb)->conn_table_size,
	       per_flow <= 128 ? "met" : "MISSED");
}

/* The insert floor on an xlb instance's table, its flows from 101.0.0.0/8. */
static void insert_floor(struct contender *floor, struct floors_bpf *fl,
			 const struct pkt_spec *ack)
{
	contender(floor, "  + LRU lookup miss + insert",
		  bpf_program__fd(fl->progs.floor_insert), ack, XDP_TX, true);
	floor->label = "insert floor";
	floor->source_net = 101;
}

int main(int argc, char **argv)
{
	struct pkt_spec syn4 = { .family = XLB_FAMILY_V4,
				 .src = "100.0.0.1",
				 .dst = "10.0.0.1",
				 .sport = 1024,
				 .dport = 80,
				 .proto = IPPROTO_TCP,
				 .tcp_flags = 0x02 };
	struct pkt_spec ack4 = syn4, other4 = syn4, other6 = syn4;
	enum { PASS, TX, HIT, EST, NON4, NON6, STEADY };
	enum { INS_SYN, SYN, INS_MISS, MISS, INS_BUDGET, BUDGETED, NEW };
	struct contender steady[STEADY], fresh[NEW], insert;
	struct xlb *xlb, *xlb_syn, *xlb_miss, *xlb_budget;
	int prog, prog_syn, prog_miss, prog_budget, rounds = 20;
	__u64 placed_syn, placed_miss, misses_syn, misses_miss;
	struct floors_bpf *fl, *fl_syn, *fl_miss, *fl_budget;
	double ins_min = 1e12, ins_max = 0;
	struct xlb_stats budget_stats = {};
	struct xlb_config cfg;
	char pin_dir[4][64];

	if (argc > 1)
		calls = atoi(argv[1]);
	if (geteuid()) {
		fprintf(stderr, "bench: needs root (BPF_PROG_TEST_RUN)\n");
		return 1;
	}
	ack4.tcp_flags = 0x10;
	other4.dst = "10.0.0.99";
	other6.family = XLB_FAMILY_V6;
	other6.src = "2001:db8::1";
	other6.dst = "fd00::99";
	pin_cpu(0);

	/*
	 * Four instances: one for steady traffic, and one fresh table each
	 * for the new-flow figures (a table filled and emptied again inserts
	 * slower than a new one: 850 ns against 500 ns measured).
	 */
	for (int i = 0; i < 4; i++)
		snprintf(pin_dir[i], sizeof(pin_dir[i]), PIN_DIR_FMT "-%d",
			 getpid(), i);
	xlb = instance(pin_dir[0], &prog);
	xlb_syn = instance(pin_dir[1], &prog_syn);
	xlb_miss = instance(pin_dir[2], &prog_miss);
	/*
	 * The fourth with the insert budget on, at its maximum so that every
	 * flow is still inserted: the difference is the budget check.
	 */
	xlb_budget = instance(pin_dir[3], &prog_budget);
	if (xlb_config_get(xlb_budget, &cfg))
		return 1;
	cfg.new_flow_budget = XLB_NEW_FLOW_BUDGET_MAX;
	if (xlb_config_set(xlb_budget, &cfg)) {
		fprintf(stderr, "bench: %s\n", xlb_errmsg());
		return 1;
	}
	fl = floors_on(xlb);
	fl_syn = floors_on(xlb_syn);
	fl_miss = floors_on(xlb_miss);
	fl_budget = floors_on(xlb_budget);

	contender(&steady[PASS], "XDP_PASS only",
		  bpf_program__fd(fl->progs.floor_pass), &ack4, XDP_PASS,
		  false);
	contender(&steady[TX], "parse + MAC swap + XDP_TX",
		  bpf_program__fd(fl->progs.floor_tx), &ack4, XDP_TX, false);
	/* Hits the entry xlb's first SYN below places in the same table. */
	contender(&steady[HIT], "  + LRU lookup hit",
		  bpf_program__fd(fl->progs.floor_hit), &ack4, XDP_TX, false);
	contender(&steady[EST], "established flow (conn hit)", prog, &ack4,
		  XDP_TX, false);
	contender(&steady[NON4], "non-VIP IPv4 TCP", prog, &other4, XDP_PASS,
		  false);
	contender(&steady[NON6], "non-VIP IPv6 TCP", prog, &other6, XDP_PASS,
		  false);
	insert_floor(&fresh[INS_SYN], fl_syn, &ack4);
	contender(&fresh[SYN], "new flow, TCP SYN", prog_syn, &syn4, XDP_TX,
		  true);
	insert_floor(&fresh[INS_MISS], fl_miss, &ack4);
	contender(&fresh[MISS], "new flow, no SYN (lost state)", prog_miss,
		  &ack4, XDP_TX, true);
	insert_floor(&fresh[INS_BUDGET], fl_budget, &ack4);
	contender(&fresh[BUDGETED], "new flow, TCP SYN, insert budget on",
		  prog_budget, &syn4, XDP_TX, true);

	steady[PASS].label = "PASS floor";
	steady[TX].label = "TX floor";
	steady[HIT].label = "hit floor";

	printf("data plane: BPF_PROG_TEST_RUN, repeat=1, kernel duration, "
	       "%d calls per steady figure, %d new flows per new-flow figure, "
	       "interleaved in %d rounds, CPU 0; stateful floors on the "
	       "table of the xlb figure they are compared with\n",
	       calls, NEW_FLOWS, rounds);
	/* A SYN places the flow the established figure and hit floor hit. */
	{
		struct contender first = steady[EST];

		pkt_build(&first.pkt, &syn4);
		run_chunk(&first, 1);
	}
	run_rounds(steady, STEADY, calls, rounds);
	run_rounds(fresh, NEW, NEW_FLOWS, rounds);
	placed_syn = flows_placed(xlb_syn, &misses_syn);
	placed_miss = flows_placed(xlb_miss, &misses_miss);

	/* The insert floor: the mean of the three tables, and their spread. */
	insert = fresh[INS_SYN];
	insert.calls = insert.wrong = 0;
	insert.total_ns = 0;
	for (int i = INS_SYN; i < NEW; i += 2) {
		double ns = mean_ns(&fresh[i]);

		insert.calls += fresh[i].calls;
		insert.wrong += fresh[i].wrong;
		insert.total_ns += fresh[i].total_ns;
		ins_min = ns < ins_min ? ns : ins_min;
		ins_max = ns > ins_max ? ns : ins_max;
	}

	printf("\nfloors\n");
	line(&steady[PASS], &steady[PASS], &steady[PASS], 0);
	line(&steady[TX], &steady[PASS], &steady[PASS], 0);
	line(&steady[HIT], &steady[TX], &steady[PASS], 0);
	line(&insert, &steady[TX], &steady[PASS], 0);
	printf("    (the three tables: %.1f-%.1f ns)\n", ins_min, ins_max);
	printf("\nxlb (new flows: against the insert floor on their own table)"
	       "\n");
	line(&steady[EST], &steady[HIT], &steady[PASS], TARGET);
	line(&fresh[SYN], &fresh[INS_SYN], &steady[PASS], TARGET);
	line(&fresh[MISS], &fresh[INS_MISS], &steady[PASS], TARGET);
	line(&fresh[BUDGETED], &fresh[INS_BUDGET], &steady[PASS], TARGET);
	{
		/* The check's own cost: its ratio over the SYN's. */
		double own = (mean_ns(&fresh[BUDGETED]) /
			      mean_ns(&fresh[INS_BUDGET])) /
			     (mean_ns(&fresh[SYN]) / mean_ns(&fresh[INS_SYN]));

		printf("  the budget check alone: %.2fx the SYN path without "
		       "it, target <= 1.10x: %s\n",
		       own, own <= 1.1 ? "met" : "MISSED");
	}
	line(&steady[NON4], &steady[PASS], &steady[PASS], TARGET);
	line(&steady[NON6], &steady[PASS], &steady[PASS], TARGET);
	printf("  (for scale, Katran by the same method here: 3.0x the TX "
	       "floor for a hit, 5.9x for a SYN, 1.84x PASS for non-VIP; xlb: "
	       "%.2fx, %.2fx, %.2fx)\n",
	       mean_ns(&steady[EST]) / mean_ns(&steady[TX]),
	       mean_ns(&fresh[SYN]) / mean_ns(&steady[TX]),
	       mean_ns(&steady[NON4]) / mean_ns(&steady[PASS]));
	printf("\nproof of the paths: %llu SYNs placed %llu new flows with "
	       "%llu "
	       "connection-table misses (a SYN follows no entry and looks "
	       "none up); %llu non-SYN "
	       "frames placed %llu after %llu misses\n",
	       (unsigned long long)fresh[SYN].calls,
	       (unsigned long long)placed_syn, (unsigned long long)misses_syn,
	       (unsigned long long)fresh[MISS].calls,
	       (unsigned long long)placed_miss,
	       (unsigned long long)misses_miss);

	if (!xlb_stats_read(xlb_budget, &budget_stats))
		printf("insert budget: %llu SYNs at budget %u/s per CPU, %llu "
		       "bypassed (the check ran on every one)\n",
		       (unsigned long long)fresh[BUDGETED].calls,
		       XLB_NEW_FLOW_BUDGET_MAX,
		       (unsigned long long)budget_stats.global.lru_bypass);
	xlb_stats_free(&budget_stats);

	report_memory(xlb);
	floors_bpf__destroy(fl);
	floors_bpf__destroy(fl_syn);
	floors_bpf__destroy(fl_miss);
	floors_bpf__destroy(fl_budget);
	teardown(xlb, prog);
	teardown(xlb_syn, prog_syn);
	teardown(xlb_miss, prog_miss);
	teardown(xlb_budget, prog_budget);
	return 0;
}
