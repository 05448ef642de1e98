// SPDX-License-Identifier: GPL-2.0
/* Creating, adopting and removing the pinned maps of one instance. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "xlb.skel.h"

const char *const xlb_map_names[MAP_COUNT] = {
	[MAP_META] = XLB_MAP_META,
	[MAP_CONFIG] = XLB_MAP_CONFIG,
	[MAP_PREFILTER] = XLB_MAP_PREFILTER,
	[MAP_VIPS] = XLB_MAP_VIPS,
	[MAP_VIP_ADDRS] = XLB_MAP_VIP_ADDRS,
	[MAP_TABLES] = XLB_MAP_TABLES,
	[MAP_BACKENDS] = XLB_MAP_BACKENDS,
	[MAP_BE_STATE] = XLB_MAP_BE_STATE,
	[MAP_BE_WEIGHT] = XLB_MAP_BE_WEIGHT,
	[MAP_CONNS] = XLB_MAP_CONNS,
	[MAP_BE_STATS] = XLB_MAP_BE_STATS,
	[MAP_VIP_STATS] = XLB_MAP_VIP_STATS,
	[MAP_GLOBAL] = XLB_MAP_GLOBAL,
	[MAP_PAIR_INTENT] = XLB_MAP_PAIR_INTENT,
	[MAP_VIP_DIGEST] = XLB_MAP_VIP_DIGEST,
};

/* What each pin must be: a pin of another layout is refused, not misread. */
static const struct {
	__u32 type, key_size, value_size;
} map_shapes[MAP_COUNT] = {
	[MAP_META] = { BPF_MAP_TYPE_ARRAY, 4, sizeof(struct xlb_meta) },
	[MAP_CONFIG] = { BPF_MAP_TYPE_ARRAY, 4, sizeof(struct xlb_config) },
	[MAP_PREFILTER] = { BPF_MAP_TYPE_ARRAY, 4,
			    sizeof(struct xlb_prefilter) },
	[MAP_VIPS] = { BPF_MAP_TYPE_HASH, sizeof(struct xlb_vip_key),
		       sizeof(struct xlb_vip) },
	[MAP_VIP_ADDRS] = { BPF_MAP_TYPE_HASH, sizeof(struct xlb_addr_key), 4 },
	[MAP_TABLES] = { BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4 },
	[MAP_BACKENDS] = { BPF_MAP_TYPE_ARRAY, 4, sizeof(struct xlb_backend) },
	[MAP_BE_STATE] = { BPF_MAP_TYPE_ARRAY, 4, 4 },
	[MAP_BE_WEIGHT] = { BPF_MAP_TYPE_ARRAY, 4, 4 },
	[MAP_CONNS] = { BPF_MAP_TYPE_LRU_HASH, sizeof(struct xlb_flow_key),
			sizeof(struct xlb_conn) },
	[MAP_BE_STATS] = { BPF_MAP_TYPE_PERCPU_ARRAY, 4,
			   sizeof(struct xlb_pair_counters) },
	[MAP_VIP_STATS] = { BPF_MAP_TYPE_PERCPU_ARRAY, 4,
			    sizeof(struct xlb_vip_counters) },
	[MAP_GLOBAL] = { BPF_MAP_TYPE_PERCPU_ARRAY, 4,
			 sizeof(struct xlb_global_counters) },
	[MAP_PAIR_INTENT] = { BPF_MAP_TYPE_ARRAY, 4,
			      sizeof(struct xlb_pair_intent) },
	[MAP_VIP_DIGEST] = { BPF_MAP_TYPE_ARRAY, 4, 4 },
};

/* libbpf's own messages: kept for our errors, printed only on request. */
static __thread char libbpf_last[256];

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	va_list copy;

	if (level == LIBBPF_DEBUG && !getenv("XLB_DEBUG"))
		return 0;
	va_copy(copy, ap);
	if (level != LIBBPF_DEBUG)
		vsnprintf(libbpf_last, sizeof(libbpf_last), fmt, copy);
	va_end(copy);
	if (getenv("XLB_DEBUG"))
		return vfprintf(stderr, fmt, ap);
	return 0;
}

static void libbpf_quiet(void)
{
	static bool done;

	if (!done) {
		libbpf_set_print(libbpf_print);
		done = true;
	}
}

const char *xlb_libbpf_last_message(void)
{
	size_t len = strlen(libbpf_last);

	if (len && libbpf_last[len - 1] == '\n')
		libbpf_last[len - 1] = '\0';
	return libbpf_last;
}

static struct xlb *handle_new(const char *pin_dir)
{
	struct xlb *xlb = calloc(1, sizeof(*xlb));

	if (!xlb)
		return NULL;
	snprintf(xlb->pin_dir, sizeof(xlb->pin_dir), "%s", pin_dir);
	xlb->dir_fd = -1;
	for (int i = 0; i < MAP_COUNT; i++)
		xlb->fds[i] = -1;
	return xlb;
}

void xlb_close(struct xlb *xlb)
{
	if (!xlb)
		return;
	for (int i = 0; i < MAP_COUNT; i++)
		if (xlb->fds[i] >= 0)
			close(xlb->fds[i]);
	if (xlb->dir_fd >= 0)
		close(xlb->dir_fd); /* also drops the lock */
	free(xlb);
}

static int check_bpffs(const char *path)
{
	struct statfs fs;

	if (statfs(path, &fs))
		return xlb_errno(errno, "%s", path);
	if (fs.f_type != BPF_FS_MAGIC)
		return xlb_err(ENOTSUP,
			       "%s is not on a BPF filesystem (mount -t bpf "
			       "bpf "
			       "/sys/fs/bpf)",
			       path);
	return 0;
}

static int open_dir(struct xlb *xlb)
{
	int err;

	xlb->dir_fd = open(xlb->pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (xlb->dir_fd < 0) {
		if (errno == ENOENT)
			return xlb_err(ENOENT, "no xlb instance at %s",
				       xlb->pin_dir);
		return xlb_errno(errno, "%s", xlb->pin_dir);
	}
	err = check_bpffs(xlb->pin_dir);
	return err;
}

static int pin_path(const struct xlb *xlb, const char *name, char *buf,
		    size_t len)
{
	if ((size_t)snprintf(buf, len, "%s/%s", xlb->pin_dir, name) >= len)
		return xlb_err(ENAMETOOLONG, "pin path %s/%s is too long",
			       xlb->pin_dir, name);
	return 0;
}

static int read_meta(struct xlb *xlb)
{
	char path[PATH_MAX];
	__u32 zero = 0;
	int fd, err;

	err = pin_path(xlb, XLB_MAP_META, path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0) {
		if (errno == ENOENT)
			return xlb_err(ENOENT, "no xlb instance at %s",
				       xlb->pin_dir);
		return xlb_errno(errno, "open %s", path);
	}
	err = bpf_map_lookup_elem(fd, &zero, &xlb->meta);
	if (err) {
		err = xlb_errno(errno, "read %s (is it xlb's?)", path);
		close(fd);
		return err;
	}
	xlb->fds[MAP_META] = fd;
	if (xlb->meta.magic != XLB_META_MAGIC)
		return xlb_err(EPROTO, "%s is not an xlb metadata map", path);
	if (xlb->meta.layout_version != XLB_LAYOUT_VERSION)
		return xlb_err(EPROTO,
			       "pins at %s have layout version %u; this xlb "
			       "speaks version %u: remove them with the xlb "
			       "that made them (xlbctl detach --all)",
			       xlb->pin_dir, xlb->meta.layout_version,
			       XLB_LAYOUT_VERSION);
	return 0;
}

static int open_map(struct xlb *xlb, enum xlb_map_id id)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, err;

	err = pin_path(xlb, xlb_map_names[id], path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get(path);
	if (fd < 0)
		return xlb_errno(errno, "open %s", path);
	xlb->fds[id] = fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return xlb_errno(errno, "inspect %s", path);
	if (info.type != map_shapes[id].type ||
	    info.key_size != map_shapes[id].key_size ||
	    info.value_size != map_shapes[id].value_size)
		return xlb_err(EPROTO,
			       "%s has type %u, key %u and value %u bytes; "
			       "expected type %u, key %u, value %u bytes",
			       path, info.type, info.key_size, info.value_size,
			       map_shapes[id].type, map_shapes[id].key_size,
			       map_shapes[id].value_size);
	return 0;
}

static int adopt(struct xlb *xlb)
{
	int err;

	err = read_meta(xlb);
	for (int i = 0; !err && i < MAP_COUNT; i++)
		if (i != MAP_META)
			err = open_map(xlb, i);
	if (err)
		return err;
	xlb->ncpus = libbpf_num_possible_cpus();
	if (xlb->ncpus <= 0)
		return xlb_err(EINVAL, "cannot count the possible CPUs");
	return 0;
}

int xlb_open(const char *pin_dir, struct xlb **out)
{
	struct xlb *xlb;
	int err;

	libbpf_quiet();
	xlb = handle_new(pin_dir);
	if (!xlb)
		return xlb_err(ENOMEM, "out of memory");
	err = open_dir(xlb);
	if (!err)
		err = adopt(xlb);
	if (err) {
		xlb_close(xlb);
		return err;
	}
	*out = xlb;
	return 0;
}

/*
 * The nearest existing ancestor of path must be on bpffs: a pin directory
 * elsewhere could never hold pins, so none is created there.
 */
static int check_bpffs_ancestor(const char *path)
{
	char buf[PATH_MAX], *slash;
	struct statfs fs;

	snprintf(buf, sizeof(buf), "%s", path);
	while (statfs(buf, &fs)) {
		if (errno != ENOENT)
			return xlb_errno(errno, "%s", buf);
		slash = strrchr(buf, '/');
		if (!slash || slash == buf)
			snprintf(buf, sizeof(buf), "/");
		else
			*slash = '\0';
	}
	if (fs.f_type != BPF_FS_MAGIC)
		return xlb_err(ENOTSUP,
			       "%s is not on a BPF filesystem (mount -t bpf "
			       "bpf "
			       "/sys/fs/bpf)",
			       buf);
	return 0;
}

/* Creates path and its parents; *made says whether path itself was new. */
static int mkdir_parents(const char *path, bool *made)
{
	char buf[PATH_MAX];

	*made = false;
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return xlb_errno(errno, "mkdir %s", buf);
		*p = '/';
	}
	if (!mkdir(buf, 0700))
		*made = true;
	else if (errno != EEXIST)
		return xlb_errno(errno, "mkdir %s", buf);
	return 0;
}

/* Map pins without xlb_meta: a creation that died part-way. */
static void remove_partial_pins(struct xlb *xlb)
{
	char path[PATH_MAX];

	for (int i = 0; i < MAP_COUNT; i++)
		if (!pin_path(xlb, xlb_map_names[i], path, sizeof(path)))
			unlink(path);
}

/* Sizes as the kernel made them: it rounds a per-CPU LRU up to the CPUs. */
static __u32 kernel_max_entries(const struct bpf_map *map)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(bpf_map__fd(map), &info, &len))
		return bpf_map__max_entries(map);
	return info.max_entries;
}

static int write_initial_state(const struct xlb_bpf *skel,
			       const struct xlb_create_opts *opts)
{
	struct xlb_meta meta = {
		.magic = XLB_META_MAGIC,
		.layout_version = XLB_LAYOUT_VERSION,
		.max_vips = kernel_max_entries(skel->maps.xlb_vips),
		.max_backends = kernel_max_entries(skel->maps.xlb_backends),
		.conn_table_size = kernel_max_entries(skel->maps.xlb_conns),
	};
	struct xlb_config cfg = {
		.udp_timeout_ns = (__u64)(opts->udp_timeout_s
						  ? opts->udp_timeout_s
						  : XLB_UDP_TIMEOUT_DEFAULT_S) *
				  1000000000ull,
		.hash_seed = opts->hash_seed,
	};
	__u32 zero = 0;

	if (bpf_map__update_elem(skel->maps.xlb_config, &zero, sizeof(zero),
				 &cfg, sizeof(cfg), BPF_ANY))
		return xlb_errno(errno, "write %s", XLB_MAP_CONFIG);
	/* Last: a meta entry marks the instance complete. */
	if (bpf_map__update_elem(skel->maps.xlb_meta, &zero, sizeof(zero),
				 &meta, sizeof(meta), BPF_ANY))
		return xlb_errno(errno, "write %s", XLB_MAP_META);
	return 0;
}

static int create_maps(struct xlb *xlb, const struct xlb_create_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .pin_root_path = xlb->pin_dir);
	__u32 conns = opts->conn_table_size ? opts->conn_table_size
					    : XLB_CONN_TABLE_DEFAULT;
	struct xlb_bpf *skel;
	int err;

	if (conns < XLB_CONN_TABLE_MIN || conns > XLB_CONN_TABLE_MAX)
		return xlb_err(EINVAL,
			       "connection table size %u is out of range "
			       "[%u, %u]",
			       conns, XLB_CONN_TABLE_MIN, XLB_CONN_TABLE_MAX);
	if (opts->udp_timeout_s > XLB_UDP_TIMEOUT_MAX_S)
		return xlb_err(EINVAL, "UDP timeout %u s is above %u s",
			       opts->udp_timeout_s, XLB_UDP_TIMEOUT_MAX_S);

	remove_partial_pins(xlb);
	skel = xlb_bpf__open_opts(&open_opts);
	if (!skel)
		return xlb_errno(errno, "open the BPF object");
	bpf_map__set_max_entries(skel->maps.xlb_conns, conns);
	err = xlb_bpf__load(skel);
	if (err) {
		err = xlb_err(-err, "load the data plane: %s",
			      xlb_libbpf_last_message());
		remove_partial_pins(xlb);
	} else {
		err = write_initial_state(skel, opts);
	}
	xlb_bpf__destroy(skel);
	return err;
}

int xlb_create(const char *pin_dir, const struct xlb_create_opts *opts,
	       struct xlb **out)
{
	struct xlb_create_opts defaults = {};
	bool made_dir = false;
	struct xlb *xlb;
	int err;

	libbpf_quiet();
	if (!opts)
		opts = &defaults;
	xlb = handle_new(pin_dir);
	if (!xlb)
		return xlb_err(ENOMEM, "out of memory");
	err = check_bpffs_ancestor(pin_dir);
	if (!err)
		err = mkdir_parents(pin_dir, &made_dir);
	if (!err)
		err = open_dir(xlb);
	if (!err)
		err = xlb_lock(xlb, opts->lock_timeout_ms
					    ? opts->lock_timeout_ms
					    : XLB_LOCK_TIMEOUT_DEFAULT_MS);
	if (!err) {
		err = read_meta(xlb);
		if (err == -ENOENT)
			err = create_maps(xlb, opts);
		if (!err) {
			for (int i = 0; i < MAP_COUNT; i++) {
				if (xlb->fds[i] >= 0)
					close(xlb->fds[i]);
				xlb->fds[i] = -1;
			}
			err = adopt(xlb);
		}
	}
	if (err) {
		xlb_close(xlb);
		if (made_dir)
			rmdir(pin_dir); /* leave no trace of a failed creation */
		return err;
	}
	*out = xlb;
	return 0;
}

int xlb_destroy(struct xlb *xlb)
{
	struct xlb_attachment *att;
	char path[PATH_MAX];
	size_t n;
	int err;

	err = xlb_require_lock(xlb, "destroy");
	if (err)
		return err;
	err = xlb_attachments(xlb, &att, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n && !err; i++)
		err = xlb_detach(xlb, att[i].ifname);
	free(att);
	if (err)
		return err;
	for (int i = 0; i < MAP_COUNT; i++) {
		if (pin_path(xlb, xlb_map_names[i], path, sizeof(path)))
			continue;
		if (unlink(path) && errno != ENOENT)
			return xlb_errno(errno, "remove %s", path);
	}
	if (rmdir(xlb->pin_dir) && errno != ENOENT)
		return xlb_errno(errno, "remove %s", xlb->pin_dir);
	return 0;
}

const char *xlb_pin_dir(const struct xlb *xlb)
{
	return xlb->pin_dir;
}

const struct xlb_meta *xlb_meta(const struct xlb *xlb)
{
	return &xlb->meta;
}

int xlb_map_fd(const struct xlb *xlb, const char *name)
{
	for (int i = 0; i < MAP_COUNT; i++)
		if (!strcmp(xlb_map_names[i], name))
			return xlb->fds[i];
	return -1;
}
