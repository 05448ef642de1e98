// SPDX-License-Identifier: GPL-2.0
/*
 * Attachments: one program per interface, loaded with that interface's MAC
 * and sharing the instance's pinned maps, attached through a bpf_link pinned
 * as link_<ifname>. The pinned link keeps the program attached when the
 * control plane exits, crashes or restarts, and stops other tools from
 * replacing it by accident.
 */
#include <dirent.h>
#include <errno.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "xlb.skel.h"

static int link_pin_path(const struct xlb *xlb, const char *ifname, char *buf,
			 size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/" XLB_LINK_PIN_PREFIX "%s",
			     xlb->pin_dir, ifname) >= len)
		return xlb_err(ENAMETOOLONG, "pin path too long");
	return 0;
}

static int interface_mac(const char *ifname, __u8 mac[6])
{
	struct ifreq ifr = {};
	int fd, err = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return xlb_errno(errno, "socket");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = xlb_errno(errno, "read the MAC of %s", ifname);
	else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER)
		err = xlb_err(EINVAL, "%s is not an Ethernet interface",
			      ifname);
	else
		memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	close(fd);
	return err;
}

/* The interface a pinned link attaches to; 0 once its device is gone. */
static int link_ifindex(int link_fd, __u32 *ifindex, __u32 *prog_id,
			__u32 *link_id)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
		return -errno;
	if (info.type != BPF_LINK_TYPE_XDP)
		return -EINVAL;
	*ifindex = info.xdp.ifindex;
	*prog_id = info.prog_id;
	*link_id = info.id;
	return 0;
}

static const char *prog_name(__u32 id, char *buf, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 info_len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	snprintf(buf, len, "?");
	if (fd >= 0) {
		if (!bpf_obj_get_info_by_fd(fd, &info, &info_len))
			snprintf(buf, len, "%s", info.name);
		close(fd);
	}
	return buf;
}

/*
 * Refuses when another program is attached, unless forced; a forced replace
 * works only for programs attached without a link (ip link, xdp-loader).
 */
static int make_room(const char *ifname, int ifindex, bool force)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);
	char name[BPF_OBJ_NAME_LEN];
	__u32 flags;

	if (bpf_xdp_query(ifindex, 0, &query))
		return xlb_errno(errno, "query XDP on %s", ifname);
	if (!query.prog_id)
		return 0;
	prog_name(query.prog_id, name, sizeof(name));
	if (!force)
		return xlb_err(EBUSY,
			       "%s already has an XDP program (id %u, %s); "
			       "--force replaces it",
			       ifname, query.prog_id, name);
	flags = query.attach_mode == XDP_ATTACHED_SKB  ? XDP_FLAGS_SKB_MODE
		: query.attach_mode == XDP_ATTACHED_HW ? XDP_FLAGS_HW_MODE
						       : XDP_FLAGS_DRV_MODE;
	if (bpf_xdp_detach(ifindex, flags, NULL)) {
		if (errno == EBUSY)
			return xlb_err(EBUSY,
				       "%s: program %u (%s) is attached "
				       "through "
				       "a bpf_link its owner holds; detach it "
				       "there",
				       ifname, query.prog_id, name);
		return xlb_errno(errno, "detach program %u from %s",
				 query.prog_id, name);
	}
	return 0;
}

/* Loads a program for one interface against the pinned maps. */
static int load_program(struct xlb *xlb, const __u8 mac[6],
			struct xlb_bpf **out)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .pin_root_path = xlb->pin_dir);
	struct xlb_bpf *skel;
	int err;

	skel = xlb_bpf__open_opts(&open_opts);
	if (!skel)
		return xlb_errno(errno, "open the BPF object");
	memcpy((void *)skel->rodata->lb_mac, mac, 6);
	/* libbpf reuses a pin only when its size matches the definition. */
	bpf_map__set_max_entries(skel->maps.xlb_conns,
				 xlb->meta.conn_table_size);
	bpf_map__set_max_entries(skel->maps.xlb_vips, xlb->meta.max_vips);
	bpf_map__set_max_entries(skel->maps.xlb_backends,
				 xlb->meta.max_backends);
	err = xlb_bpf__load(skel);
	if (err) {
		xlb_bpf__destroy(skel);
		return xlb_err(-err, "load the data plane: %s",
			       xlb_libbpf_last_message());
	}
	*out = skel;
	return 0;
}

int xlb_prog_load(struct xlb *xlb, const __u8 mac[6])
{
	struct xlb_bpf *skel;
	int err, fd;

	err = load_program(xlb, mac, &skel);
	if (err)
		return err;
	fd = dup(bpf_program__fd(skel->progs.xlb_xdp));
	if (fd < 0)
		fd = xlb_errno(errno, "dup");
	xlb_bpf__destroy(skel);
	return fd;
}

int xlb_attach(struct xlb *xlb, const char *ifname,
	       const struct xlb_attach_opts *opts)
{
	LIBBPF_OPTS(bpf_link_create_opts, link_opts);
	__u32 ifindex, linked_ifindex, prog_id, link_id;
	struct xlb_bpf *skel = NULL;
	char path[PATH_MAX];
	__u8 mac[6];
	int err, fd;

	err = xlb_require_lock(xlb, "attach");
	if (err)
		return err;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return xlb_err(ENODEV, "no interface %s", ifname);
	err = link_pin_path(xlb, ifname, path, sizeof(path));
	if (err)
		return err;

	fd = bpf_obj_get(path);
	if (fd >= 0) {
		err = link_ifindex(fd, &linked_ifindex, &prog_id, &link_id);
		close(fd);
		if (!err && linked_ifindex == ifindex)
			return xlb_err(EEXIST, "already attached to %s",
				       ifname);
		unlink(path); /* its interface went away: a stale pin */
	}

	err = interface_mac(ifname, mac);
	if (!err)
		err = make_room(ifname, ifindex, opts->force);
	if (!err)
		err = load_program(xlb, mac, &skel);
	if (err)
		return err;

	link_opts.flags = opts->mode == XLB_MODE_GENERIC ? XDP_FLAGS_SKB_MODE
							 : XDP_FLAGS_DRV_MODE;
	fd = bpf_link_create(bpf_program__fd(skel->progs.xlb_xdp), ifindex,
			     BPF_XDP, &link_opts);
	if (fd < 0) {
		err = xlb_errno(errno, "attach to %s in %s mode", ifname,
				opts->mode == XLB_MODE_GENERIC ? "generic"
							       : "native");
	} else {
		if (bpf_obj_pin(fd, path))
			err = xlb_errno(errno, "pin %s", path);
		close(fd); /* the pin holds the link; without one, detached */
	}
	xlb_bpf__destroy(skel);
	return err;
}

int xlb_detach(struct xlb *xlb, const char *ifname)
{
	char path[PATH_MAX];
	int err, fd;

	err = xlb_require_lock(xlb, "detach");
	if (!err)
		err = link_pin_path(xlb, ifname, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno == ENOENT)
			return xlb_err(ENOENT, "not attached to %s", ifname);
		return xlb_errno(errno, "open %s", path);
	}
	/* Detach now, even if some process still holds the link open. */
	if (bpf_link_detach(fd) && errno != ENOLINK)
		err = xlb_errno(errno, "detach from %s", ifname);
	close(fd);
	if (!err && unlink(path))
		err = xlb_errno(errno, "remove %s", path);
	return err;
}

static int attachment_cmp(const void *a, const void *b)
{
	return strcmp(((const struct xlb_attachment *)a)->ifname,
		      ((const struct xlb_attachment *)b)->ifname);
}

int xlb_attachments(struct xlb *xlb, struct xlb_attachment **out, size_t *n)
{
	size_t prefix = strlen(XLB_LINK_PIN_PREFIX), count = 0, cap = 8;
	struct xlb_attachment *list;
	struct dirent *de;
	DIR *dir;

	dir = opendir(xlb->pin_dir);
	if (!dir)
		return xlb_errno(errno, "read %s", xlb->pin_dir);
	list = calloc(cap, sizeof(*list));
	while (list && (de = readdir(dir))) {
		LIBBPF_OPTS(bpf_xdp_query_opts, query);
		struct xlb_attachment *a;
		char path[PATH_MAX + NAME_MAX + 2];
		__u32 ifindex, prog_id, link_id;
		int fd, err;

		if (strncmp(de->d_name, XLB_LINK_PIN_PREFIX, prefix))
			continue;
		if (count == cap) {
			void *grown = realloc(list, 2 * cap * sizeof(*list));

			if (!grown)
				break;
			list = grown;
			cap *= 2;
		}
		snprintf(path, sizeof(path), "%s/%s", xlb->pin_dir, de->d_name);
		fd = bpf_obj_get(path);
		if (fd < 0)
			continue;
		err = link_ifindex(fd, &ifindex, &prog_id, &link_id);
		close(fd);
		a = &list[count];
		memset(a, 0, sizeof(*a));
		snprintf(a->ifname, sizeof(a->ifname), "%s",
			 de->d_name + prefix);
		if (!err && ifindex) {
			a->ifindex = ifindex;
			a->prog_id = prog_id;
			a->link_id = link_id;
			if (!bpf_xdp_query(ifindex, 0, &query))
				a->mode = query.attach_mode == XDP_ATTACHED_SKB
						  ? XLB_MODE_GENERIC
						  : XLB_MODE_NATIVE;
		}
		count++;
	}
	closedir(dir);
	if (!list)
		return xlb_err(ENOMEM, "out of memory");
	qsort(list, count, sizeof(*list), attachment_cmp);
	*out = list;
	*n = count;
	return 0;
}
