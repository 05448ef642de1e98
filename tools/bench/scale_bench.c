// SPDX-License-Identifier: GPL-2.0
/*
 * Issue 10's scale section, the data-plane and memory half (the shell,
 * tools/bench/bench-scale.sh, drives it and times `xlbctl config apply`).
 *
 *   scale_bench flows PIN_DIR N VIPS ROUNDS CALLS   on the instance at
 *       PIN_DIR, configured with VIPs 10.0.0.1..VIPS:80/tcp: one flow a
 *       VIP and the established path (an ACK, a random one of those flows
 *       each call) timed through BPF_PROG_TEST_RUN; then N flows filled by
 *       SYNs (spread over every possible CPU, as RSS would: the table's
 *       LRU is per CPU) and the established path timed again, a random
 *       flow of the N each call (its entry cold in the caches, as at a
 *       real fill) interleaved with one same flow. Beside each, the hit
 *       floor (tools/bench/floors.bpf.c: one lookup in a table of the same
 *       kind and size, filled with the same flows). Prints one CSV row a
 *       round and figure ("scale,SYSTEM,ROUND,METRIC,VALUE"), the entries
 *       counted in the table, and the kernel's memlock of every map.
 *   scale_bench create PIN_DIR CONN_TABLE_SIZE   an empty instance there
 *   scale_bench memory PIN_DIR   memlock (fdinfo) of every map of the
 *       instance, the per-VIP Maglev tables included, one line a map kind
 *       and a total line "total BYTES"
 *   scale_bench destroy PIN_DIR
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "floors.skel.h"
#include "packet.h"
#include "xlb.h"

static int n_vips = 64; /* VIPs 10.0.0.1..n_vips:80/tcp */

static const __u8 lb_mac[6] = { 0x02, 0x1b, 0x00, 0x00, 0x00, 0x02 };
static const char *const map_names[] = { XLB_MAP_NAMES };

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what)
{
	fprintf(stderr, "scale_bench: %s: %s\n", what, xlb_errmsg());
	exit(1);
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

/* Flow i: source 100.{i>>16}.{i>>8}.{i}:1024 + i % 60000, VIP 10.0.0.{1 + i % 64}. */
static void set_flow(struct pkt *p, long i)
{
	__u8 *ip = p->data + p->l3;
	__u8 *l4 = p->data + p->l4;
	__u16 port = 1024 + i % 60000;

	ip[12] = 100;
	ip[13] = i >> 16;
	ip[14] = i >> 8;
	ip[15] = i;
	ip[19] = 1 + i % n_vips;
	l4[0] = port >> 8;
	l4[1] = port & 0xff;
	pkt_ipv4_checksum(p);
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

/*
 * Every map of the instance by the kernel's accounting: the named pins and
 * the Maglev table of each configured VIP (inner maps of xlb_tables).
 * Prints "NAME BYTES" lines to out (when not NULL); returns the total.
 */
static long memory(struct xlb *xlb, FILE *out)
{
	long total = 0, tables = 0, n_tables = 0;
	int outer = xlb_map_fd(xlb, XLB_MAP_TABLES);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	for (size_t i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
		long b = memlock_of(xlb_map_fd(xlb, map_names[i]));

		if (out)
			fprintf(out, "%s %ld\n", map_names[i], b);
		total += b;
	}
	if (bpf_obj_get_info_by_fd(outer, &info, &len))
		return total;
	for (__u32 k = 0; k < info.max_entries; k++) {
		__u32 id;
		int fd;

		if (bpf_map_lookup_elem(outer, &k, &id))
			continue;
		fd = bpf_map_get_fd_by_id(id);
		if (fd < 0)
			continue;
		tables += memlock_of(fd);
		n_tables++;
		close(fd);
	}
	if (out)
		fprintf(out, "maglev_tables(%ld) %ld\n", n_tables, tables);
	return total + tables;
}

static long count_entries(int fd)
{
	struct xlb_flow_key key, next;
	long n = 0;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

static __u32 run(int prog, struct pkt *p)
{
	static __u8 out[PKT_MAX];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data,
		    .data_size_in = p->len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);

	if (bpf_prog_test_run_opts(prog, &opts)) {
		fprintf(stderr, "scale_bench: test run: %s\n", strerror(errno));
		exit(1);
	}
	return opts.retval == XDP_TX ? opts.duration : (__u32)-1;
}

struct timed {
	const char *system;
	int prog;
	bool each_flow; /* a different flow of the fill each call */
	double ns;
	long calls, wrong;
};

static void timed_chunk(struct timed *t, struct pkt *ack, long n, long fill,
			unsigned long *rng)
{
	for (long i = 0; i < n; i++) {
		__u32 d;

		if (t->each_flow) {
			*rng = *rng * 6364136223846793005ul +
			       1442695040888963407ul;
			set_flow(ack,
				 (long)((*rng >> 33) % (unsigned long)fill));
		} else {
			set_flow(ack, 0);
		}
		d = run(t->prog, ack);
		if (d == (__u32)-1) {
			t->wrong++;
			continue;
		}
		t->ns += d;
		t->calls++;
	}
}

/*
 * The data plane on the instance at pin_dir (configured by the caller):
 * first a table with one flow a VIP, timed; then filled to n flows, timed
 * again. The same calls in the same process, rounds of each kind.
 */
static int flows(const char *pin_dir, long n, int rounds, long calls)
{
	struct pkt_spec syn = { .family = XLB_FAMILY_V4,
				.src = "100.0.0.1",
				.dst = "10.0.0.1",
				.sport = 1024,
				.dport = 80,
				.proto = IPPROTO_TCP,
				.tcp_flags = 0x02 };
	struct pkt_spec ack_spec = syn;
	int ncpu = libbpf_num_possible_cpus(), prog, hit, insert;
	struct floors_bpf *fl;
	double t0, fill_s, fill_ns = 0;
	unsigned long rng = 12345;
	long wrong = 0, wrong_floor = 0, present;
	struct pkt p, ack;
	struct xlb *xlb;

	if (xlb_open(pin_dir, &xlb))
		die(pin_dir);
	prog = xlb_prog_load(xlb, lb_mac);
	if (prog < 0)
		die("load");
	/* the hit floor: one lookup in a table of the same kind and size */
	fl = floors_bpf__open();
	if (!fl ||
	    bpf_map__set_max_entries(fl->maps.floor_conns,
				     xlb_meta(xlb)->conn_table_size) ||
	    floors_bpf__load(fl)) {
		fprintf(stderr, "scale_bench: load the floors: %s\n",
			strerror(errno));
		return 1;
	}
	hit = bpf_program__fd(fl->progs.floor_hit);
	insert = bpf_program__fd(fl->progs.floor_insert);
	ack_spec.tcp_flags = 0x10;
	pkt_build(&p, &syn);
	pkt_build(&ack, &ack_spec);
	pin_cpu(0);
	for (long i = 0; i < n_vips; i++) {
		set_flow(&p, i);
		if (run(prog, &p) == (__u32)-1 || run(insert, &p) == (__u32)-1)
			die("the first SYN of a VIP was not forwarded");
	}
	printf("scale,xlb,0,conn_table_size,%u\n",
	       xlb_meta(xlb)->conn_table_size);
	printf("scale,xlb,0,possible_cpus,%d\n", ncpu);
	for (int r = 1; r <= rounds; r++) {
		struct timed t[2] = {
			{ "empty_each_flow", prog, true, 0, 0, 0 },
			{ "floor_empty_each_flow", hit, true, 0, 0, 0 },
		};

		for (int c = 0; c < 10; c++)
			for (int k = 0; k < 2; k++)
				timed_chunk(&t[k], &ack, calls / 10, n_vips,
					    &rng);
		for (int k = 0; k < 2; k++) {
			printf("scale,%s,%d,established_ns,%.1f\n", t[k].system,
			       r, t[k].calls ? t[k].ns / t[k].calls : -1.0);
			if (t[k].wrong)
				fprintf(stderr,
					"scale_bench: %s: %ld ACKs not "
					"forwarded\n",
					t[k].system, t[k].wrong);
		}
	}

	/* the fill, CPU by CPU in chunks, as RSS spreads flows */
	t0 = now_s();
	for (long i = n_vips; i < n; i++) {
		__u32 d;

		if (i % 10000 == 0)
			pin_cpu((int)(i / 10000) % ncpu);
		set_flow(&p, i);
		d = run(prog, &p);
		if (d == (__u32)-1)
			wrong++;
		else
			fill_ns += d;
		if (run(insert, &p) == (__u32)-1)
			wrong_floor++;
	}
	fill_s = now_s() - t0;
	pin_cpu(0);
	present = count_entries(xlb_map_fd(xlb, XLB_MAP_CONNS));
	printf("scale,xlb,0,fill_flows,%ld\n", n);
	printf("scale,xlb,0,flows_in_table,%ld\n", present);
	printf("scale,xlb,0,fill_wall_s,%.3f\n", fill_s);
	printf("scale,xlb,0,syn_ns_during_fill,%.1f\n",
	       fill_ns / (double)(n - n_vips - wrong));
	if (wrong || wrong_floor)
		fprintf(stderr,
			"scale_bench: %ld SYNs not forwarded, %ld not "
			"inserted by the floor\n",
			wrong, wrong_floor);

	for (int r = 1; r <= rounds; r++) {
		struct timed t[3] = {
			{ "full_each_flow", prog, true, 0, 0, 0 },
			{ "full_one_flow", prog, false, 0, 0, 0 },
			{ "floor_full_each_flow", hit, true, 0, 0, 0 },
		};

		/* interleaved in 10 chunks, so drift weighs on all alike */
		for (int c = 0; c < 10; c++)
			for (int k = 0; k < 3; k++)
				timed_chunk(&t[k], &ack, calls / 10, n, &rng);
		for (int k = 0; k < 3; k++) {
			printf("scale,%s,%d,established_ns,%.1f\n", t[k].system,
			       r, t[k].calls ? t[k].ns / t[k].calls : -1.0);
			if (t[k].wrong)
				fprintf(stderr,
					"scale_bench: %s: %ld ACKs not "
					"forwarded (a flow lost?)\n",
					t[k].system, t[k].wrong);
		}
	}
	/* still there after the timed calls: nothing was evicted */
	printf("scale,xlb,0,flows_in_table_after,%ld\n",
	       count_entries(xlb_map_fd(xlb, XLB_MAP_CONNS)));
	printf("scale,xlb,0,maps_memlock_bytes,%ld\n", memory(xlb, NULL));
	printf("scale,xlb,0,conns_memlock_bytes,%ld\n",
	       memlock_of(xlb_map_fd(xlb, XLB_MAP_CONNS)));
	floors_bpf__destroy(fl);
	close(prog);
	xlb_close(xlb);
	return 0;
}

int main(int argc, char **argv)
{
	struct xlb *xlb;

	if (argc == 7 && !strcmp(argv[1], "flows")) {
		n_vips = atoi(argv[4]);
		if (n_vips < 1 || n_vips > 254) {
			fprintf(stderr, "scale_bench: VIPS %s is not 1..254\n",
				argv[4]);
			return 2;
		}
		return flows(argv[2], atol(argv[3]), atoi(argv[5]),
			     atol(argv[6]));
	}
	if (argc == 4 && !strcmp(argv[1], "create")) {
		struct xlb_create_opts opts = { .conn_table_size =
							(__u32)atol(argv[3]) };

		if (xlb_create(argv[2], &opts, &xlb))
			die(argv[2]);
		xlb_close(xlb);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "memory")) {
		long total;

		if (xlb_open(argv[2], &xlb))
			die(argv[2]);
		total = memory(xlb, stdout);
		printf("total %ld\n", total);
		xlb_close(xlb);
		return 0;
	}
	if (argc == 3 && !strcmp(argv[1], "destroy")) {
		if (xlb_open(argv[2], &xlb))
			die(argv[2]);
		if (xlb_lock(xlb, XLB_LOCK_TIMEOUT_DEFAULT_MS) ||
		    xlb_destroy(xlb))
			die("destroy");
		xlb_close(xlb);
		return 0;
	}
	fprintf(stderr, "usage: scale_bench flows PIN_DIR N VIPS ROUNDS CALLS "
			"| create "
			"PIN_DIR "
			"CONN_TABLE_SIZE | memory PIN_DIR | destroy PIN_DIR\n");
	return 2;
}
