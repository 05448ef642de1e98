// SPDX-License-Identifier: GPL-2.0
/*
 * Attachments: one program per interface, loaded with that interface's MAC
 * and sharing the instance's pinned maps, attached through a bpf_link pinned
 * as link_<ifname>. The pinned link keeps the program attached when the
 * control plane exits, crashes or restarts, and stops other tools from
 * replacing it by accident.
 *
 * One instance may serve interfaces of several network namespaces, where
 * names and ifindexes repeat. A link pin belongs to this namespace when the
 * program its link runs is the one XDP reports on its ifindex here; others
 * are left alone. When the plain name is held by another namespace's
 * attachment, the pin is link_<ifname>@<netns inode>.
 *
 * Every attach and detach brings xlb_devmap (devmap.c), the two-armed
 * redirect targets, in line with the attachments.
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
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "xlb.skel.h"

static int link_pin_path(const struct xlb *xlb, const char *name, char *buf,
			 size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/" XLB_LINK_PIN_PREFIX "%s",
			     xlb->pin_dir, name) >= len)
		return xlb_err(ENAMETOOLONG, "pin path too long");
	return 0;
}

int xlb_interface_mac(const char *ifname, __u8 mac[6])
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

struct link_state {
	__u32 ifindex; /* 0 once its device is gone */
	__u32 prog_id, link_id;
	bool here; /* attached on ifindex in this network namespace */
	enum xlb_xdp_mode mode;
};

/* The program XDP runs on ifindex in this namespace, in any mode. */
static bool runs_here(__u32 ifindex, __u32 prog_id, enum xlb_xdp_mode *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);

	if (!ifindex || bpf_xdp_query(ifindex, 0, &query))
		return false;
	if (query.skb_prog_id == prog_id) {
		*mode = XLB_MODE_GENERIC;
		return true;
	}
	*mode = XLB_MODE_NATIVE;
	return query.drv_prog_id == prog_id || query.hw_prog_id == prog_id;
}

static int link_state(int link_fd, struct link_state *st)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	enum xlb_xdp_mode mode = XLB_MODE_NATIVE;

	memset(st, 0, sizeof(*st));
	if (bpf_obj_get_info_by_fd(link_fd, &info, &len))
		return -errno;
	if (info.type != BPF_LINK_TYPE_XDP)
		return -EINVAL;
	st->ifindex = info.xdp.ifindex;
	st->prog_id = info.prog_id;
	st->link_id = info.id;
	st->here = runs_here(st->ifindex, st->prog_id, &mode);
	st->mode = mode;
	return 0;
}

static int pinned_link_state(const char *path, struct link_state *st)
{
	int fd = bpf_obj_get(path), err;

	if (fd < 0)
		return -errno;
	err = link_state(fd, st);
	close(fd);
	return err;
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

static unsigned long netns_inode(void)
{
	struct stat st;

	return stat("/proc/self/ns/net", &st) ? 0 : st.st_ino;
}

int xlb_prefilter_section_reuse(struct xlb *xlb, struct bpf_object *obj)
{
	struct bpf_map *map =
		bpf_object__find_map_by_name(obj, XLB_PREFILTER_SECTION);

	if (map && bpf_map__reuse_fd(map, xlb->fds[MAP_PREFILTER]))
		return xlb_errno(errno, "reuse %s/%s for the program's %s",
				 xlb->pin_dir, XLB_MAP_PREFILTER,
				 XLB_PREFILTER_SECTION);
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

	if (getenv("XLB_FAILPOINT") && !strcmp(getenv("XLB_FAILPOINT"), "attach"
									"-loa"
									"d"))
		return xlb_err(EIO, "load the data plane: failed on purpose "
				    "(XLB_FAILPOINT=attach-load)");
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
	/*
	 * The devmap by fd, not by pin: the kernel adds BPF_F_RDONLY_PROG to
	 * a devmap's flags, and libbpf 1.1 then refuses to reuse the pin.
	 */
	err = bpf_map__set_pin_path(skel->maps.xlb_devmap, NULL);
	if (!err)
		err = bpf_map__reuse_fd(skel->maps.xlb_devmap,
					xlb->fds[MAP_DEVMAP]);
	if (err) {
		xlb_bpf__destroy(skel);
		return xlb_err(-err, "reuse %s/%s", xlb->pin_dir,
			       XLB_MAP_DEVMAP);
	}
	err = xlb_prefilter_section_reuse(xlb, skel->obj);
	if (err) {
		xlb_bpf__destroy(skel);
		return err;
	}
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

/* Pin names link_<ifname> and link_<ifname>@<netns>: the ifname part. */
static bool pin_names(const char *pin, const char *ifname)
{
	size_t n = strlen(ifname);

	return !strncmp(pin, ifname, n) && (!pin[n] || pin[n] == '@');
}

/*
 * This namespace's attachment to ifindex, if any: its pin path and state.
 * Returns 1 when found, 0 when not, or a negative errno.
 */
static int find_here(struct xlb *xlb, const char *ifname, __u32 ifindex,
		     char *path, size_t len, struct link_state *st)
{
	size_t prefix = strlen(XLB_LINK_PIN_PREFIX);
	struct dirent *de;
	int found = 0;
	DIR *dir;

	dir = opendir(xlb->pin_dir);
	if (!dir)
		return xlb_errno(errno, "read %s", xlb->pin_dir);
	while (!found && (de = readdir(dir))) {
		if (strncmp(de->d_name, XLB_LINK_PIN_PREFIX, prefix) ||
		    !pin_names(de->d_name + prefix, ifname))
			continue;
		if ((size_t)snprintf(path, len, "%s/%s", xlb->pin_dir,
				     de->d_name) >= len)
			continue;
		found = !pinned_link_state(path, st) && st->here &&
			st->ifindex == ifindex;
	}
	closedir(dir);
	return found;
}

/*
 * A free pin path for a new attachment to ifname. A pin whose link's
 * device is gone is stale and removed; a pin whose device still exists
 * (here under another name, or in another namespace) is never touched.
 */
static int free_pin_path(struct xlb *xlb, const char *ifname, char *path,
			 size_t len)
{
	char name[NAME_MAX];
	struct link_state st;
	int err;

	for (int tries = 0; tries < 2; tries++) {
		if (!tries)
			snprintf(name, sizeof(name), "%s", ifname);
		else
			snprintf(name, sizeof(name), "%s@%lu", ifname,
				 netns_inode());
		err = link_pin_path(xlb, name, path, len);
		if (err)
			return err;
		err = pinned_link_state(path, &st);
		if (err == -ENOENT)
			return 0;
		if (!err && !st.ifindex) {
			unlink(path); /* its interface went away */
			return 0;
		}
	}
	return xlb_err(EEXIST,
		       "%s: the pins for %s are held by live attachments of "
		       "other interfaces or namespaces",
		       xlb->pin_dir, ifname);
}

/*
 * Makes way for xlb on an interface that runs a program attached without a
 * link (ip link, xdp-loader): removes exactly that program (XDP_FLAGS_REPLACE
 * with it as the expected one) and returns its fd so a failed attach can
 * put it back. Programs attached through a link cannot be replaced.
 */
static int take_over(const char *ifname, int ifindex, bool force, int *old_fd,
		     __u32 *old_flags)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, query);
	LIBBPF_OPTS(bpf_xdp_attach_opts, detach_opts);
	char name[BPF_OBJ_NAME_LEN];
	__u32 flags;

	*old_fd = -1;
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
	*old_fd = bpf_prog_get_fd_by_id(query.prog_id);
	if (*old_fd < 0)
		return xlb_errno(errno, "open program %u on %s", query.prog_id,
				 ifname);
	detach_opts.old_prog_fd = *old_fd;
	if (bpf_xdp_detach(ifindex, flags | XDP_FLAGS_REPLACE, &detach_opts)) {
		int err = errno;

		close(*old_fd);
		*old_fd = -1;
		if (err == EBUSY)
			return xlb_err(EBUSY,
				       "%s: program %u (%s) is attached "
				       "through a bpf_link its owner holds; "
				       "detach it there",
				       ifname, query.prog_id, name);
		return xlb_errno(err, "detach program %u (%s) from %s",
				 query.prog_id, name, ifname);
	}
	*old_flags = flags;
	return 0;
}

/* --force on our own attachment: swap the program of its link in place. */
static int replace_own(struct xlb *xlb, const char *ifname, const char *path,
		       const struct link_state *st, const __u8 mac[6])
{
	LIBBPF_OPTS(bpf_link_update_opts, update_opts);
	struct xlb_bpf *skel;
	int err, link_fd, old_fd;

	err = load_program(xlb, mac, &skel);
	if (err)
		return err;
	link_fd = bpf_obj_get(path);
	old_fd = bpf_prog_get_fd_by_id(st->prog_id);
	if (link_fd < 0 || old_fd < 0) {
		err = xlb_errno(errno, "open the attachment to %s", ifname);
	} else {
		update_opts.flags = BPF_F_REPLACE;
		update_opts.old_prog_fd = old_fd;
		if (bpf_link_update(link_fd,
				    bpf_program__fd(skel->progs.xlb_xdp),
				    &update_opts))
			err = xlb_errno(errno, "replace the program on %s",
					ifname);
	}
	if (link_fd >= 0)
		close(link_fd);
	if (old_fd >= 0)
		close(old_fd);
	xlb_bpf__destroy(skel);
	return err;
}

static int detach_pin(const char *ifname, const char *path);

int xlb_attach(struct xlb *xlb, const char *ifname,
	       const struct xlb_attach_opts *opts)
{
	LIBBPF_OPTS(bpf_link_create_opts, link_opts);
	struct xlb_bpf *skel = NULL;
	char path[PATH_MAX];
	struct link_state st;
	int err, fd, old_fd = -1;
	__u32 ifindex, old_flags = 0;
	__u8 mac[6];

	err = xlb_require_lock(xlb, "attach");
	if (err)
		return err;
	ifindex = if_nametoindex(ifname);
	if (!ifindex)
		return xlb_err(ENODEV, "no interface %s", ifname);
	err = xlb_interface_mac(ifname, mac);
	if (err)
		return err;
	err = find_here(xlb, ifname, ifindex, path, sizeof(path), &st);
	if (err < 0)
		return err;
	if (err) {
		if (!opts->force)
			return xlb_err(EEXIST, "already attached to %s",
				       ifname);
		err = replace_own(xlb, ifname, path, &st, mac);
		return err ? err : xlb_devmap_sync(xlb);
	}

	/* Load and verify first: a failure leaves the interface as it was. */
	err = free_pin_path(xlb, ifname, path, sizeof(path));
	if (!err)
		err = load_program(xlb, mac, &skel);
	if (!err)
		err = take_over(ifname, ifindex, opts->force, &old_fd,
				&old_flags);
	if (err) {
		xlb_bpf__destroy(skel);
		return err;
	}

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
	/* A redirect target from now on; if it cannot be, no attachment. */
	if (!err && (err = xlb_devmap_sync(xlb))) {
		char why[256];

		snprintf(why, sizeof(why), "%s", xlb_errmsg());
		detach_pin(ifname, path);
		xlb_devmap_sync(xlb);
		err = xlb_err(-err, "attach to %s: %s", ifname, why);
	}
	if (err && old_fd >= 0)
		bpf_xdp_attach(ifindex, old_fd, old_flags, NULL); /* put back */
	if (old_fd >= 0)
		close(old_fd);
	xlb_bpf__destroy(skel);
	return err;
}

static int detach_pin(const char *ifname, const char *path)
{
	int err = 0, fd;

	fd = bpf_obj_get(path);
	if (fd < 0)
		return xlb_errno(errno, "open %s", path);
	/* Detach now, even if some process still holds the link open. */
	if (bpf_link_detach(fd) && errno != ENOLINK)
		err = xlb_errno(errno, "detach from %s", ifname);
	close(fd);
	if (!err && unlink(path))
		err = xlb_errno(errno, "remove %s", path);
	return err;
}

int xlb_detach(struct xlb *xlb, const char *ifname)
{
	struct xlb_attachment *att;
	char path[PATH_MAX];
	struct link_state st;
	__u32 ifindex;
	size_t n;
	int err, found = 0;

	err = xlb_require_lock(xlb, "detach");
	if (err)
		return err;
	ifindex = if_nametoindex(ifname);
	if (ifindex) {
		found = find_here(xlb, ifname, ifindex, path, sizeof(path),
				  &st);
		if (found < 0)
			return found;
		if (found) {
			err = detach_pin(ifname, path);
			return err ? err : xlb_devmap_sync(xlb);
		}
	}
	/* Not attached here: a stale pin of that name may go, a live one not. */
	err = xlb_attachments(xlb, &att, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(att[i].ifname, ifname))
			continue;
		if (!att[i].ifindex) {
			err = xlb_detach_attachment(xlb, &att[i]);
			free(att);
			return err;
		}
		found = -1;
	}
	free(att);
	if (found < 0)
		return xlb_err(ENOENT,
			       "not attached to %s in this network namespace "
			       "(the %s attachment of this instance is in "
			       "another one: detach it there)",
			       ifname, ifname);
	return xlb_err(ENOENT, "not attached to %s", ifname);
}

int xlb_detach_attachment(struct xlb *xlb, const struct xlb_attachment *a)
{
	char path[PATH_MAX + NAME_MAX + 2];
	int err;

	if (a->elsewhere)
		return xlb_err(EBUSY,
			       "%s (ifindex %d) is attached in another network "
			       "namespace: detach it there",
			       a->ifname, a->ifindex);
	snprintf(path, sizeof(path), "%s/%s", xlb->pin_dir, a->pin);
	err = detach_pin(a->ifname, path);
	return err ? err : xlb_devmap_sync(xlb);
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
		struct xlb_attachment *a;
		char path[PATH_MAX + NAME_MAX + 2];
		struct link_state st;

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
		if (pinned_link_state(path, &st))
			continue;
		a = &list[count];
		memset(a, 0, sizeof(*a));
		snprintf(a->pin, sizeof(a->pin), "%s", de->d_name);
		snprintf(a->ifname, sizeof(a->ifname), "%.*s",
			 (int)strcspn(de->d_name + prefix, "@"),
			 de->d_name + prefix);
		a->ifindex = st.ifindex;
		a->prog_id = st.prog_id;
		a->link_id = st.link_id;
		a->mode = st.mode;
		a->elsewhere = st.ifindex && !st.here;
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
