// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * xdp-switch: loads the static XDP switch (switch.bpf.c) on the ports of a
 * test segment and reads its counters. Run it inside the switch namespace.
 *
 *   xdp-switch attach --pin DIR [--generic] PORT=MAC...
 *       load once, fill the port and forwarding maps (MAC is the address of
 *       the node behind PORT), attach to every PORT; maps pinned under DIR
 *   xdp-switch detach [--generic] PORT...
 *   xdp-switch stats --pin DIR [--json]
 *       counters summed over CPUs, "name value" per line or one JSON object
 *
 * The attachment outlives this process (netlink XDP); deleting the namespace
 * removes it together with the ports.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "xdp-switch.h"
#include "switch.skel.h"

struct port {
	const char *name;
	unsigned int ifindex;
	struct sw_mac mac;
};

static void usage(FILE *out)
{
	fprintf(out, "usage: xdp-switch attach --pin DIR [--generic] "
		     "PORT=MAC...\n"
		     "       xdp-switch detach [--generic] PORT...\n"
		     "       xdp-switch stats --pin DIR [--json]\n");
}

static int parse_mac(const char *text, struct sw_mac *mac)
{
	unsigned int b[6];
	char tail;
	int i;

	if (sscanf(text, "%x:%x:%x:%x:%x:%x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -1;
	memset(mac, 0, sizeof(*mac));
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -1;
		mac->addr[i] = b[i];
	}
	/* Group addresses are flooded, never looked up. */
	if (mac->addr[0] & 1)
		return -1;
	return 0;
}

/* "PORT=MAC" -> ifindex of PORT in this namespace and the MAC behind it. */
static int parse_port(char *arg, struct port *port)
{
	char *eq = strchr(arg, '=');

	if (!eq) {
		fprintf(stderr, "xdp-switch: %s: expected PORT=MAC\n", arg);
		return -1;
	}
	*eq = '\0';
	port->name = arg;
	port->ifindex = if_nametoindex(arg);
	if (!port->ifindex) {
		fprintf(stderr, "xdp-switch: %s: no such interface\n", arg);
		return -1;
	}
	if (parse_mac(eq + 1, &port->mac)) {
		fprintf(stderr, "xdp-switch: %s: bad unicast MAC '%s'\n", arg,
			eq + 1);
		return -1;
	}
	return 0;
}

static int add_port(struct xdp_switch_bpf *skel, const struct port *port)
{
	__u32 ifindex = port->ifindex;
	int err;

	err = bpf_map__update_elem(skel->maps.sw_ports, &ifindex,
				   sizeof(ifindex), &ifindex, sizeof(ifindex),
				   BPF_ANY);
	if (err) {
		fprintf(stderr, "xdp-switch: %s: failed to add port: %s\n",
			port->name, strerror(-err));
		return err;
	}
	err = bpf_map__update_elem(skel->maps.sw_fdb, &port->mac,
				   sizeof(port->mac), &ifindex, sizeof(ifindex),
				   BPF_ANY);
	if (err)
		fprintf(stderr, "xdp-switch: %s: failed to add fdb entry: %s\n",
			port->name, strerror(-err));
	return err;
}

static int cmd_attach(const char *pin_dir, __u32 mode, int argc, char **argv)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .pin_root_path = pin_dir);
	struct xdp_switch_bpf *skel = NULL;
	struct port *ports;
	int attached = 0;
	int err = -1;
	int prog_fd;
	int i;

	ports = calloc(argc, sizeof(*ports));
	if (!ports) {
		fprintf(stderr, "xdp-switch: out of memory\n");
		return -1;
	}
	for (i = 0; i < argc; i++)
		if (parse_port(argv[i], &ports[i]))
			goto cleanup;

	if (mkdir(pin_dir, 0700) && errno != EEXIST) {
		fprintf(stderr, "xdp-switch: failed to create %s: %s\n",
			pin_dir, strerror(errno));
		goto cleanup;
	}
	skel = xdp_switch_bpf__open_opts(&opts);
	if (!skel) {
		fprintf(stderr, "xdp-switch: failed to open the BPF object\n");
		goto cleanup;
	}
	err = xdp_switch_bpf__load(skel);
	if (err) {
		fprintf(stderr, "xdp-switch: failed to load: %s\n",
			strerror(-err));
		goto cleanup;
	}

	/* Maps first: a port must never see frames before it can forward. */
	for (i = 0; i < argc; i++) {
		err = add_port(skel, &ports[i]);
		if (err)
			goto cleanup;
	}
	prog_fd = bpf_program__fd(skel->progs.xdp_switch);
	for (attached = 0; attached < argc; attached++) {
		err = bpf_xdp_attach(ports[attached].ifindex, prog_fd, mode,
				     NULL);
		if (err) {
			fprintf(stderr,
				"xdp-switch: %s: failed to attach: %s\n",
				ports[attached].name, strerror(-err));
			goto cleanup;
		}
	}
	err = 0;

cleanup:
	/* All or nothing: undo the attachments of a partial failure. */
	if (err)
		while (attached-- > 0)
			bpf_xdp_detach(ports[attached].ifindex, mode, NULL);
	xdp_switch_bpf__destroy(skel);
	free(ports);
	return err ? -1 : 0;
}

static int cmd_detach(__u32 mode, int argc, char **argv)
{
	unsigned int ifindex;
	int rc = 0;
	int err;
	int i;

	for (i = 0; i < argc; i++) {
		ifindex = if_nametoindex(argv[i]);
		if (!ifindex) {
			fprintf(stderr, "xdp-switch: %s: no such interface\n",
				argv[i]);
			rc = -1;
			continue;
		}
		err = bpf_xdp_detach(ifindex, mode, NULL);
		if (err) {
			fprintf(stderr,
				"xdp-switch: %s: failed to detach: %s\n",
				argv[i], strerror(-err));
			rc = -1;
		}
	}
	return rc;
}

static int cmd_stats(const char *pin_dir, bool json)
{
	struct sw_stats *percpu = NULL;
	struct sw_stats sum = {};
	char path[PATH_MAX];
	__u32 zero = 0;
	int ncpus;
	int rc = -1;
	int fd = -1;
	int i;

	snprintf(path, sizeof(path), "%s/sw_stats", pin_dir);
	fd = bpf_obj_get(path);
	if (fd < 0) {
		fprintf(stderr, "xdp-switch: failed to open %s: %s\n", path,
			strerror(errno));
		goto cleanup;
	}
	ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0) {
		fprintf(stderr, "xdp-switch: failed to count CPUs\n");
		goto cleanup;
	}
	percpu = calloc(ncpus, sizeof(*percpu));
	if (!percpu) {
		fprintf(stderr, "xdp-switch: out of memory\n");
		goto cleanup;
	}
	if (bpf_map_lookup_elem(fd, &zero, percpu)) {
		fprintf(stderr, "xdp-switch: failed to read %s: %s\n", path,
			strerror(errno));
		goto cleanup;
	}
	for (i = 0; i < ncpus; i++) {
		sum.rx += percpu[i].rx;
		sum.forwarded += percpu[i].forwarded;
		sum.flooded += percpu[i].flooded;
		sum.drop_unknown += percpu[i].drop_unknown;
		sum.drop_hairpin += percpu[i].drop_hairpin;
		sum.drop_short += percpu[i].drop_short;
	}
	if (json)
		printf("{\"rx\":%llu,\"forwarded\":%llu,\"flooded\":%llu,"
		       "\"drop_unknown\":%llu,\"drop_hairpin\":%llu,"
		       "\"drop_short\":%llu}\n",
		       sum.rx, sum.forwarded, sum.flooded, sum.drop_unknown,
		       sum.drop_hairpin, sum.drop_short);
	else
		printf("rx %llu\nforwarded %llu\nflooded %llu\n"
		       "drop_unknown %llu\ndrop_hairpin %llu\ndrop_short "
		       "%llu\n",
		       sum.rx, sum.forwarded, sum.flooded, sum.drop_unknown,
		       sum.drop_hairpin, sum.drop_short);
	rc = 0;

cleanup:
	free(percpu);
	if (fd >= 0)
		close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "pin", required_argument, NULL, 'p' },
		{ "generic", no_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	__u32 mode = XDP_FLAGS_DRV_MODE;
	const char *pin_dir = NULL;
	const char *cmd;
	bool json = false;
	int opt;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	cmd = argv[1];
	optind = 2;
	while ((opt = getopt_long(argc, argv, "p:gjh", options, NULL)) != -1) {
		switch (opt) {
		case 'p':
			pin_dir = optarg;
			break;
		case 'g':
			mode = XDP_FLAGS_SKB_MODE;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	argc -= optind;
	argv += optind;

	if (!strcmp(cmd, "attach") && pin_dir && argc > 0)
		return cmd_attach(pin_dir, mode, argc, argv) ? 1 : 0;
	if (!strcmp(cmd, "detach") && argc > 0)
		return cmd_detach(mode, argc, argv) ? 1 : 0;
	if (!strcmp(cmd, "stats") && pin_dir && argc == 0)
		return cmd_stats(pin_dir, json) ? 1 : 0;
	usage(stderr);
	return 2;
}
