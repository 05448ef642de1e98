// SPDX-License-Identifier: GPL-2.0
/*
 * pktbench: the XDP pieces of the side-by-side packet-rate benchmark
 * (tools/bench/bench-side-by-side.sh). Run inside a namespace with
 * nsenter --net=... so that interface names are the namespace's.
 *
 *   pktbench floor attach DEV [--conn-table] --vip ADDR:PORT/udp|tcp
 *                 --mac OWN_MAC MAC...
 *   pktbench sink attach DEV --port PORT --pin DIR
 *   pktbench sink read DIR
 *   pktbench detach DEV
 *   pktbench send DEV --src-mac M --dst-mac M --src-ip A --dst-ip A
 *                 --port P [--flows N] [--seconds S] [--count N] [--size B]
 *                 [--sender auto|live|packet]
 *
 * attach prints the program id (for bpf_stats); send prints
 * "sent N seconds T sender live|packet" and never runs longer than --seconds
 * or sends more than --count frames. --sender auto (the default) sends live
 * frames, and through AF_PACKET (packet_sender.c) when the kernel refuses
 * them before the first frame.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "packet_sender.h"
#include "pktbench.h"
#include "floor_fwd.skel.h"
#include "sender.skel.h"
#include "sink.skel.h"

#define SEND_CHUNK 65536

static int usage(void)
{
	fprintf(stderr, "usage: pktbench floor attach DEV [--conn-table] --vip "
			"ADDR:PORT/udp|tcp --mac OWN_MAC BACKEND_MAC...\n"
			"       pktbench sink attach DEV --port PORT --pin "
			"DIR\n"
			"       pktbench sink read DIR\n"
			"       pktbench detach DEV\n"
			"       pktbench send DEV --src-mac MAC --dst-mac MAC "
			"--src-ip ADDR --dst-ip ADDR\n"
			"                     --port PORT [--flows N] "
			"[--seconds S] [--count N] [--size BYTES]\n"
			"                     [--sender auto|live|packet]\n");
	return 2;
}

static int parse_mac(const char *s, unsigned char *mac)
{
	unsigned int b[6];
	char extra;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
		   &b[5], &extra) != 6) {
		fprintf(stderr, "pktbench: %s: not a MAC address\n", s);
		return -1;
	}
	for (int i = 0; i < 6; i++) {
		if (b[i] > 0xff) {
			fprintf(stderr, "pktbench: %s: not a MAC address\n", s);
			return -1;
		}
		mac[i] = b[i];
	}
	return 0;
}

static int parse_ulong(const char *what, const char *s, unsigned long min,
		       unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	if (errno || end == s || *end || *out < min || *out > max) {
		fprintf(stderr, "pktbench: %s %s: not a number in %lu-%lu\n",
			what, s, min, max);
		return -1;
	}
	return 0;
}

static int parse_ip4(const char *what, const char *s, __be32 *out)
{
	if (inet_pton(AF_INET, s, out) != 1) {
		fprintf(stderr, "pktbench: %s %s: not an IPv4 address\n", what,
			s);
		return -1;
	}
	return 0;
}

static int ifindex_of(const char *dev)
{
	int ifindex = if_nametoindex(dev);

	if (!ifindex)
		fprintf(stderr, "pktbench: %s: no such interface here\n", dev);
	return ifindex;
}

static int attach_prog(int ifindex, const char *dev, struct bpf_program *prog)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_program__fd(prog), err;

	err = bpf_xdp_attach(ifindex, fd, XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		fprintf(stderr, "pktbench: Failed to attach XDP to %s: %s\n",
			dev, strerror(-err));
		return -1;
	}
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		printf("%u\n", info.id);
	return 0;
}

/* floor attach DEV --vip ADDR:PORT/PROTO --mac OWN MAC... */
static int cmd_floor(int argc, char **argv)
{
	struct floor_fwd_bpf *skel = NULL;
	char addr[64], proto[8];
	const char *dev, *vip = NULL, *own = NULL;
	unsigned int port;
	__be32 vip_addr;
	int ifindex, n = 0, err = 1;
	bool stateful = false;

	if (argc < 3 || strcmp(argv[1], "attach"))
		return usage();
	dev = argv[2];
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--vip") && i + 1 < argc)
			vip = argv[++i];
		else if (!strcmp(argv[i], "--mac") && i + 1 < argc)
			own = argv[++i];
		else if (!strcmp(argv[i], "--conn-table"))
			stateful = true;
		else if (argv[i][0] == '-')
			return usage();
	}
	if (!vip || !own)
		return usage();
	if (sscanf(vip, "%63[0-9.]:%u/%7s", addr, &port, proto) != 3 ||
	    port < 1 || port > 65535 ||
	    (strcmp(proto, "udp") && strcmp(proto, "tcp")) ||
	    inet_pton(AF_INET, addr, &vip_addr) != 1) {
		fprintf(stderr, "pktbench: --vip %s: want ADDR:PORT/udp|tcp\n",
			vip);
		return 2;
	}
	ifindex = ifindex_of(dev);
	if (!ifindex)
		return 1;
	skel = floor_fwd_bpf__open();
	if (!skel) {
		fprintf(stderr, "pktbench: Failed to open the floor "
				"forwarder\n");
		return 1;
	}
	skel->rodata->vip_addr = vip_addr;
	skel->rodata->vip_port = htons(port);
	skel->rodata->vip_proto = strcmp(proto, "udp") ? IPPROTO_TCP
						       : IPPROTO_UDP;
	if (parse_mac(own, (unsigned char *)skel->bss->own_mac.addr))
		goto cleanup;
	for (int i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--vip") || !strcmp(argv[i], "--mac")) {
			i++;
			continue;
		}
		if (!strcmp(argv[i], "--conn-table"))
			continue;
		if (n == PKTBENCH_MAX_BACKENDS) {
			fprintf(stderr, "pktbench: more than %d backends\n",
				PKTBENCH_MAX_BACKENDS);
			goto cleanup;
		}
		if (parse_mac(
			    argv[i],
			    (unsigned char *)skel->bss->backend_macs[n++].addr))
			goto cleanup;
	}
	if (!n) {
		fprintf(stderr, "pktbench: floor attach: no backend MAC\n");
		goto cleanup;
	}
	skel->rodata->n_backends = n;
	/* Only the chosen program is loaded; the table only when it is used. */
	bpf_program__set_autoload(stateful ? skel->progs.floor_fwd
					   : skel->progs.floor_fwd_conn,
				  false);
	if (!stateful)
		bpf_map__set_max_entries(skel->maps.floor_conns, 1);
	if (floor_fwd_bpf__load(skel)) {
		fprintf(stderr, "pktbench: Failed to load the floor "
				"forwarder\n");
		goto cleanup;
	}
	if (attach_prog(ifindex, dev,
			stateful ? skel->progs.floor_fwd_conn
				 : skel->progs.floor_fwd))
		goto cleanup;
	err = 0;
cleanup:
	floor_fwd_bpf__destroy(skel);
	return err;
}

static int sink_read(const char *dir)
{
	struct pktbench_sink_stats total = {};
	struct pktbench_sink_stats *vals;
	char path[512];
	int ncpus = libbpf_num_possible_cpus(), fd;
	__u32 zero = 0;

	snprintf(path, sizeof(path), "%s/pktbench_sink", dir);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "pktbench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	vals = calloc(ncpus, sizeof(*vals));
	if (!vals || bpf_map_lookup_elem(fd, &zero, vals)) {
		fprintf(stderr, "pktbench: Failed to read %s\n", path);
		free(vals);
		close(fd);
		return 1;
	}
	for (int i = 0; i < ncpus; i++) {
		total.packets += vals[i].packets;
		total.other += vals[i].other;
	}
	printf("packets %llu other %llu\n", total.packets, total.other);
	free(vals);
	close(fd);
	return 0;
}

/* sink attach DEV --port P --pin DIR | sink read DIR */
static int cmd_sink(int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts);
	struct sink_bpf *skel;
	const char *dir = NULL;
	unsigned long port = 0;
	int ifindex, err = 1;

	if (argc == 3 && !strcmp(argv[1], "read"))
		return sink_read(argv[2]);
	if (argc != 7 || strcmp(argv[1], "attach"))
		return usage();
	for (int i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--port")) {
			if (parse_ulong("--port", argv[i + 1], 1, 65535, &port))
				return 2;
		} else if (!strcmp(argv[i], "--pin")) {
			dir = argv[i + 1];
		} else {
			return usage();
		}
	}
	if (!port || !dir)
		return usage();
	ifindex = ifindex_of(argv[2]);
	if (!ifindex)
		return 1;
	opts.pin_root_path = dir;
	skel = sink_bpf__open_opts(&opts);
	if (!skel) {
		fprintf(stderr, "pktbench: Failed to open the sink\n");
		return 1;
	}
	skel->rodata->sink_port = htons(port);
	if (sink_bpf__load(skel)) {
		fprintf(stderr, "pktbench: Failed to load the sink (pin %s)\n",
			dir);
		goto cleanup;
	}
	if (attach_prog(ifindex, argv[2], skel->progs.sink))
		goto cleanup;
	err = 0;
cleanup:
	sink_bpf__destroy(skel);
	return err;
}

static int cmd_detach(int argc, char **argv)
{
	int ifindex, err;

	if (argc != 2)
		return usage();
	ifindex = ifindex_of(argv[1]);
	if (!ifindex)
		return 1;
	err = bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL);
	if (err) {
		fprintf(stderr, "pktbench: Failed to detach XDP from %s: %s\n",
			argv[1], strerror(-err));
		return 1;
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The 42-byte Ethernet/IPv4/UDP header of a SIZE-byte frame, sport 0. */
static void build_header(unsigned char *h, const unsigned char *dst_mac,
			 const unsigned char *src_mac, __be32 saddr,
			 __be32 daddr, unsigned int dport, unsigned int size)
{
	unsigned int ip_len = size - 14, sum = 0;
	unsigned char *ip = h + 14, *udp = h + 34;

	memset(h, 0, PKTBENCH_HDR_LEN);
	memcpy(h, dst_mac, 6);
	memcpy(h + 6, src_mac, 6);
	h[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = ip_len >> 8;
	ip[3] = ip_len & 0xff;
	ip[6] = 0x40; /* DF */
	ip[8] = 64;
	ip[9] = IPPROTO_UDP;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	for (int i = 0; i < 20; i += 2)
		sum += (ip[i] << 8) | ip[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	ip[10] = sum >> 8;
	ip[11] = sum & 0xff;
	udp[2] = dport >> 8;
	udp[3] = dport & 0xff;
	udp[4] = (ip_len - 20) >> 8;
	udp[5] = (ip_len - 20) & 0xff;
}

/*
 * The live-frames sender: the frame as template, XDP_TX of every run a frame
 * on the wire. -errno when the kernel refuses (seen: EPERM on one machine).
 */
static int live_send(int ifindex, const unsigned char *frame, unsigned int size,
		     unsigned int flows, unsigned long seconds,
		     unsigned long count, unsigned long long *sent,
		     double *elapsed)
{
	struct sender_bpf *skel;
	int err = 0;
	double start;

	*sent = 0;
	*elapsed = 0;
	skel = sender_bpf__open();
	if (!skel)
		return -errno;
	memcpy(skel->bss->header, frame, PKTBENCH_HDR_LEN);
	skel->rodata->sport_base = 10000;
	skel->rodata->n_flows = flows;
	if (sender_bpf__load(skel)) {
		err = -errno;
		goto out;
	}
	start = now_s();
	do {
		struct xdp_md ctx = { .data_end = size,
				      .ingress_ifindex = ifindex };
		unsigned long left = count - skel->bss->sent;
		LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = frame,
			    .data_size_in = size, .ctx_in = &ctx,
			    .ctx_size_in = sizeof(ctx),
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES,
			    .repeat = left < SEND_CHUNK ? left : SEND_CHUNK);

		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.sender),
					   &run)) {
			err = -errno;
			break;
		}
		*elapsed = now_s() - start;
	} while (*elapsed < seconds && skel->bss->sent < count);
	*sent = skel->bss->sent;
out:
	sender_bpf__destroy(skel);
	return err;
}

static int cmd_send(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "src-mac", required_argument, NULL, 'S' },
		{ "dst-mac", required_argument, NULL, 'D' },
		{ "src-ip", required_argument, NULL, 's' },
		{ "dst-ip", required_argument, NULL, 'd' },
		{ "port", required_argument, NULL, 'p' },
		{ "flows", required_argument, NULL, 'f' },
		{ "seconds", required_argument, NULL, 't' },
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 'z' },
		{ "sender", required_argument, NULL, 'w' },
		{},
	};
	unsigned char src_mac[6], dst_mac[6], frame[1500] = {};
	unsigned long port = 0, flows = 1024, seconds = 5, count = 100000000;
	unsigned long size = 60;
	const char *dev, *sender = "auto";
	int have = 0, ifindex, opt, err;
	__be32 saddr = 0, daddr = 0;
	unsigned long long sent;
	double elapsed;

	if (argc < 2 || argv[1][0] == '-')
		return usage();
	dev = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (opt) {
		case 'S':
			if (parse_mac(optarg, src_mac))
				return 2;
			have |= 1;
			break;
		case 'D':
			if (parse_mac(optarg, dst_mac))
				return 2;
			have |= 2;
			break;
		case 's':
			if (parse_ip4("--src-ip", optarg, &saddr))
				return 2;
			have |= 4;
			break;
		case 'd':
			if (parse_ip4("--dst-ip", optarg, &daddr))
				return 2;
			have |= 8;
			break;
		case 'p':
			if (parse_ulong("--port", optarg, 1, 65535, &port))
				return 2;
			have |= 16;
			break;
		case 'f':
			if (parse_ulong("--flows", optarg, 1, 50000, &flows))
				return 2;
			break;
		case 't':
			if (parse_ulong("--seconds", optarg, 1, 600, &seconds))
				return 2;
			break;
		case 'c':
			if (parse_ulong("--count", optarg, 1, 1000000000,
					&count))
				return 2;
			break;
		case 'z':
			if (parse_ulong("--size", optarg, 60, 1500, &size))
				return 2;
			break;
		case 'w':
			if (strcmp(optarg, "auto") && strcmp(optarg, "live") &&
			    strcmp(optarg, "packet")) {
				fprintf(stderr,
					"pktbench: --sender: %s is not auto, "
					"live or packet\n",
					optarg);
				return 2;
			}
			sender = optarg;
			break;
		default:
			return usage();
		}
	}
	if (have != 31 || optind != argc)
		return usage();
	ifindex = ifindex_of(dev);
	if (!ifindex)
		return 1;
	build_header(frame, dst_mac, src_mac, saddr, daddr, port, size);
	if (strcmp(sender, "packet")) {
		err = live_send(ifindex, frame, size, flows, seconds, count,
				&sent, &elapsed);
		if (!err) {
			sender = "live";
		} else if (!strcmp(sender, "auto") && !sent) {
			fprintf(stderr,
				"pktbench: live frames refused on %s (%s): "
				"sending through AF_PACKET\n",
				dev, strerror(-err));
			sender = "packet";
		} else {
			fprintf(stderr, "pktbench: Failed to send on %s: %s\n",
				dev, strerror(-err));
			return 1;
		}
	}
	if (!strcmp(sender, "packet")) {
		err = packet_send(ifindex, frame, size, flows, seconds, count,
				  &sent, &elapsed);
		if (err) {
			fprintf(stderr,
				"pktbench: Failed to send on %s through "
				"AF_PACKET: %s\n",
				dev, strerror(-err));
			return 1;
		}
	}
	printf("sent %llu seconds %.6f sender %s\n", sent, elapsed, sender);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "floor"))
		return cmd_floor(argc - 1, argv + 1);
	if (!strcmp(argv[1], "sink"))
		return cmd_sink(argc - 1, argv + 1);
	if (!strcmp(argv[1], "detach"))
		return cmd_detach(argc - 1, argv + 1);
	if (!strcmp(argv[1], "send"))
		return cmd_send(argc - 1, argv + 1);
	return usage();
}
