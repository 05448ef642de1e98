// SPDX-License-Identifier: GPL-2.0
/*
 * xlb-decap: installs bpf/decap.bpf.c on a backend of an ipip or gue VIP.
 *   xlb-decap attach [--gue-port N] DEV VIP...
 *                                 load, fill the VIPs, attach (XDP link);
 *                                 GUE is taken on UDP port N (default 6080,
 *                                 the LB's settings --gue-port)
 *   xlb-decap detach DEV          remove the pins (the link goes with them)
 *   xlb-decap stats DEV           the counters, summed over CPUs
 * Pins under /sys/fs/bpf/xlb-decap/NETNS/DEV/ (link, xlb_decap_vips,
 * xlb_decap_stats), so the program stays attached after the tool exits.
 */
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "decap.skel.h"
#include "xlb.h"
#include "xlb_decap.h"

#define PIN_ROOT "/sys/fs/bpf/xlb-decap"

/*
 * PIN_ROOT/NETNS/DEV[/NAME]: NETNS is the network namespace's inode, as
 * bpffs is shared by every namespace and each may have its own eth0.
 */
static void pin_path(char *buf, size_t len, const char *dev, const char *name)
{
	struct stat st = {};

	stat("/proc/self/ns/net", &st);
	snprintf(buf, len, PIN_ROOT "/%lu/%s%s%s", (unsigned long)st.st_ino,
		 dev, name ? "/" : "", name ? name : "");
}

static int attach(const char *dev, __u16 gue_port, int n, char **vips)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct bpf_link *link = NULL;
	struct decap_bpf *skel;
	int ifindex, err = 1;
	__u32 one = 1;

	ifindex = if_nametoindex(dev);
	if (!ifindex) {
		fprintf(stderr, "xlb-decap: no interface %s\n", dev);
		return 1;
	}
	pin_path(dir, sizeof(dir), dev, NULL);
	if (!access(dir, F_OK)) {
		fprintf(stderr,
			"xlb-decap: already attached to %s (%s): detach "
			"first\n",
			dev, dir);
		return 1;
	}
	skel = decap_bpf__open();
	if (!skel) {
		fprintf(stderr, "xlb-decap: failed to open: %s\n",
			strerror(errno));
		return 1;
	}
	skel->rodata->gue_port = gue_port;
	if (decap_bpf__load(skel)) {
		fprintf(stderr, "xlb-decap: failed to load: %s\n",
			strerror(errno));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		struct xlb_addr_key key = {};

		if (xlb_parse_addr(vips[i], &key.addr, &key.family)) {
			fprintf(stderr, "xlb-decap: '%s' is not an address\n",
				vips[i]);
			goto out;
		}
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.xlb_decap_vips),
					&key, &one, BPF_ANY)) {
			fprintf(stderr, "xlb-decap: failed to add %s: %s\n",
				vips[i], strerror(errno));
			goto out;
		}
	}
	link = bpf_program__attach_xdp(skel->progs.xlb_decap, ifindex);
	if (!link) {
		fprintf(stderr, "xlb-decap: failed to attach to %s: %s\n", dev,
			strerror(errno));
		goto out;
	}
	pin_path(path, sizeof(path), "", NULL);
	if ((mkdir(PIN_ROOT, 0700) && errno != EEXIST) ||
	    (mkdir(path, 0700) && errno != EEXIST) || mkdir(dir, 0700)) {
		fprintf(stderr, "xlb-decap: failed to create %s: %s\n", dir,
			strerror(errno));
		goto out;
	}
	pin_path(path, sizeof(path), dev, "link");
	err = bpf_link__pin(link, path);
	pin_path(path, sizeof(path), dev, XLB_DECAP_MAP_VIPS);
	if (!err)
		err = bpf_map__pin(skel->maps.xlb_decap_vips, path);
	pin_path(path, sizeof(path), dev, XLB_DECAP_MAP_STATS);
	if (!err)
		err = bpf_map__pin(skel->maps.xlb_decap_stats, path);
	if (err) {
		fprintf(stderr, "xlb-decap: failed to pin under %s: %s\n", dir,
			strerror(-err));
		err = 1;
		goto out;
	}
	printf("xlb-decap: attached to %s for %d VIP%s\n", dev, n,
	       n == 1 ? "" : "s");
out:
	if (err) {
		const char *names[] = { "link", XLB_DECAP_MAP_VIPS,
					XLB_DECAP_MAP_STATS };

		for (size_t i = 0; i < 3; i++) {
			pin_path(path, sizeof(path), dev, names[i]);
			unlink(path);
		}
		rmdir(dir);
	}
	bpf_link__destroy(link); /* the pin, when made, keeps it attached */
	decap_bpf__destroy(skel);
	return err ? 1 : 0;
}

static int detach(const char *dev)
{
	const char *names[] = { "link", XLB_DECAP_MAP_VIPS,
				XLB_DECAP_MAP_STATS };
	char path[PATH_MAX];
	int err = 0;

	for (size_t i = 0; i < 3; i++) {
		pin_path(path, sizeof(path), dev, names[i]);
		if (unlink(path) && errno != ENOENT) {
			fprintf(stderr, "xlb-decap: failed to remove %s: %s\n",
				path, strerror(errno));
			err = 1;
		}
	}
	pin_path(path, sizeof(path), dev, NULL);
	if (rmdir(path) && errno != ENOENT) {
		fprintf(stderr, "xlb-decap: failed to remove %s: %s\n", path,
			strerror(errno));
		err = 1;
	}
	pin_path(path, sizeof(path), "", NULL);
	rmdir(path); /* the namespace's directory, once empty */
	return err;
}

static int stats(const char *dev)
{
	struct xlb_decap_counters sum = {}, *per;
	char path[PATH_MAX];
	int fd, n = libbpf_num_possible_cpus();
	__u32 zero = 0;

	pin_path(path, sizeof(path), dev, XLB_DECAP_MAP_STATS);
	fd = bpf_obj_get(path);
	if (fd < 0 || n <= 0) {
		fprintf(stderr, "xlb-decap: not attached to %s (%s)\n", dev,
			path);
		return 1;
	}
	per = calloc(n, sizeof(*per));
	if (!per || bpf_map_lookup_elem(fd, &zero, per)) {
		fprintf(stderr, "xlb-decap: failed to read %s\n", path);
		free(per);
		close(fd);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		sum.decapsulated += per[i].decapsulated;
		sum.not_vip += per[i].not_vip;
		sum.passed += per[i].passed;
		sum.gue_decapsulated += per[i].gue_decapsulated;
	}
	printf("decapsulated %llu\ngue_decapsulated %llu\nnot_vip %llu\n"
	       "passed %llu\n",
	       (unsigned long long)sum.decapsulated,
	       (unsigned long long)sum.gue_decapsulated,
	       (unsigned long long)sum.not_vip, (unsigned long long)sum.passed);
	free(per);
	close(fd);
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "Usage: xlb-decap attach [--gue-port N] DEV VIP...\n"
			"       xlb-decap detach DEV\n"
			"       xlb-decap stats DEV\n");
	return 1;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "attach")) {
		unsigned long port = XLB_GUE_PORT_DEFAULT;
		int first = 2;
		char *end;

		if (argc >= 3 && !strcmp(argv[2], "--gue-port")) {
			errno = 0;
			port = argc >= 4 ? strtoul(argv[3], &end, 10) : 0;
			if (argc < 4 || errno || *end || !port ||
			    port > 65535) {
				fprintf(stderr,
					"xlb-decap: --gue-port '%s' is not "
					"1-65535\n",
					argc >= 4 ? argv[3] : "");
				return 1;
			}
			first = 4;
		}
		if (argc - first < 2)
			return usage();
		return attach(argv[first], port, argc - first - 1,
			      argv + first + 1);
	}
	if (argc == 3 && !strcmp(argv[1], "detach"))
		return detach(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "stats"))
		return stats(argv[2]);
	return usage();
}
