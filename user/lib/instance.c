// SPDX-License-Identifier: GPL-2.0
/* Creating, adopting and removing the pinned maps of one instance. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "xlb.skel.h"

const char *const xlb_map_names[MAP_COUNT] = { XLB_MAP_NAMES };
_Static_assert(sizeof((const char *[]){ XLB_MAP_NAMES }) / sizeof(char *) ==
		       MAP_COUNT,
	       "XLB_MAP_NAMES and enum xlb_map_id disagree");

/* The name of xlb_meta while a creation is under way: renamed in last. */
#define META_PIN_NEW "xlb_meta_new" /* bpffs refuses names with a dot */

/*
 * What each pin must be, read from the BPF object's own map definitions, so
 * a map added there is checked with no edit here. A pin of another layout
 * is refused before anything is read from it, not misread.
 */
struct map_shape {
	__u32 type, key_size, value_size, max_entries, flags;
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

void xlb_failpoint(const char *name)
{
	const char *want = getenv("XLB_FAILPOINT");

	if (want && !strcmp(want, name))
		raise(SIGKILL);
}

static int shapes_load(struct map_shape shapes[MAP_COUNT])
{
	static struct map_shape cache[MAP_COUNT];
	static bool loaded;
	struct bpf_map *map;
	struct xlb_bpf *skel;
	bool seen[MAP_COUNT] = {};

	if (loaded) {
		memcpy(shapes, cache, sizeof(cache));
		return 0;
	}
	skel = xlb_bpf__open();
	if (!skel)
		return xlb_errno(errno, "open the BPF object");
	bpf_object__for_each_map(map, skel->obj)
	{
		int id = -1;

		if (bpf_map__is_internal(map))
			continue;
		for (int i = 0; i < MAP_COUNT; i++)
			if (!strcmp(xlb_map_names[i], bpf_map__name(map)))
				id = i;
		if (id < 0) {
			xlb_bpf__destroy(skel);
			return xlb_err(EPROTO,
				       "the BPF object has a map %s that "
				       "XLB_MAP_NAMES does not name",
				       bpf_map__name(map));
		}
		cache[id] = (struct map_shape){
			.type = bpf_map__type(map),
			.key_size = bpf_map__key_size(map),
			.value_size = bpf_map__value_size(map),
			.max_entries = bpf_map__max_entries(map),
			.flags = bpf_map__map_flags(map),
		};
		seen[id] = true;
	}
	xlb_bpf__destroy(skel);
	for (int i = 0; i < MAP_COUNT; i++)
		if (!seen[i])
			return xlb_err(EPROTO, "the BPF object has no map %s",
				       xlb_map_names[i]);
	loaded = true;
	memcpy(shapes, cache, sizeof(cache));
	return 0;
}

static struct xlb *handle_new(const char *pin_dir)
{
	struct xlb *xlb = calloc(1, sizeof(*xlb));

	if (!xlb)
		return NULL;
	snprintf(xlb->pin_dir, sizeof(xlb->pin_dir), "%s", pin_dir);
	xlb->dir_fd = -1;
	xlb->lock_fd = -1;
	for (int i = 0; i < MAP_COUNT; i++)
		xlb->fds[i] = -1;
	return xlb;
}

static void close_maps(struct xlb *xlb)
{
	pair_word_close(xlb);
	for (int i = 0; i < MAP_COUNT; i++) {
		if (xlb->fds[i] >= 0)
			close(xlb->fds[i]);
		xlb->fds[i] = -1;
		xlb->map_ids[i] = 0;
	}
}

void xlb_close(struct xlb *xlb)
{
	if (!xlb)
		return;
	close_maps(xlb);
	if (xlb->dir_fd >= 0)
		close(xlb->dir_fd);
	xlb_unlock(xlb);
	free(xlb);
}

static bool mount_ns_of(pid_t pid, struct stat *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/ns/mnt", pid);
	return !stat(path, st);
}

static pid_t parent_of(pid_t pid)
{
	char path[64], line[128];
	pid_t ppid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "PPid: %d", &ppid) == 1)
			break;
	fclose(f);
	return ppid;
}

/*
 * The nearest ancestor in another mount namespace than ours (ip netns exec
 * makes one for the command it runs): 0 when there is none or it cannot be
 * told, and then this process sees the mounts everyone sees.
 */
static pid_t outside_ancestor(void)
{
	struct stat self, other;
	pid_t pid = getppid();

	if (!mount_ns_of(getpid(), &self))
		return 0;
	for (int depth = 0; pid > 0 && depth < 64; depth++) {
		if (mount_ns_of(pid, &other) && (other.st_ino != self.st_ino ||
						 other.st_dev != self.st_dev))
			return pid;
		if (pid == 1)
			break;
		pid = parent_of(pid);
	}
	return 0;
}

/*
 * Whether /sys/fs/bpf is hidden from us though our callers have it: what
 * ip netns exec does when it remounts /sys.
 */
static bool bpffs_hidden(void)
{
	struct statfs fs;

	if (!statfs("/sys/fs/bpf", &fs) && fs.f_type == BPF_FS_MAGIC)
		return false;
	return outside_ancestor() != 0;
}

#define BPFFS_HINT_PRIVATE                                                   \
	"this command runs in a mount namespace of its own (ip netns exec "  \
	"remounts /sys): run it under nsenter --net=/run/netns/NAME, which " \
	"keeps the host's /sys/fs/bpf, or give --pin-path on a persistent "  \
	"bpffs"

static int not_bpffs(const char *path)
{
	if (bpffs_hidden())
		return xlb_err(ENOTSUP, "%s is not on a BPF filesystem: %s",
			       path, BPFFS_HINT_PRIVATE);
	return xlb_err(ENOTSUP,
		       "%s is not on a BPF filesystem (mount -t bpf bpf "
		       "/sys/fs/bpf)",
		       path);
}

/*
 * Pins on a bpffs that only this mount namespace sees (one mounted inside
 * ip netns exec) die with the last process in it: the XDP program would
 * vanish as soon as the command returns. Such a bpffs is refused.
 */
static int check_bpffs_shared(const char *path)
{
	char line[1024], want[32], mountinfo[64];
	pid_t outside = outside_ancestor();
	bool shared = false;
	struct stat st;
	FILE *f;

	if (!outside)
		return 0;
	if (stat(path, &st))
		return xlb_errno(errno, "%s", path);
	snprintf(mountinfo, sizeof(mountinfo), "/proc/%d/mountinfo", outside);
	f = fopen(mountinfo, "r");
	if (!f)
		return 0; /* cannot tell: do not refuse */
	snprintf(want, sizeof(want), " %u:%u ", major(st.st_dev),
		 minor(st.st_dev));
	while (!shared && fgets(line, sizeof(line), f))
		shared = strstr(line, want) && strstr(line, " - bpf ");
	fclose(f);
	if (!shared)
		return xlb_err(EXDEV,
			       "%s is on a BPF filesystem no other mount "
			       "namespace shares, so its pins would vanish "
			       "with this command: %s",
			       path, BPFFS_HINT_PRIVATE);
	return 0;
}

static int check_bpffs(const char *path)
{
	struct statfs fs;

	if (statfs(path, &fs))
		return xlb_errno(errno, "%s", path);
	if (fs.f_type != BPF_FS_MAGIC)
		return not_bpffs(path);
	return check_bpffs_shared(path);
}

/*
 * Whoever may write the pin directory, or rename or remove it, controls the
 * instance: they could hold the lock, swap maps or delete the link pins. So
 * the directory must be writable by its owner only, and each parent up to
 * the bpffs root owned by the caller or root, and sticky if others may
 * write it (the default bpffs root is 1777, like /tmp). Readers accept a
 * directory of root's or their own (group read-only monitoring); writers
 * only their own (xlb_check_writer).
 */
static int check_owner(const char *what, const struct stat *st, bool parent)
{
	uid_t me = geteuid();

	if (st->st_uid != me && st->st_uid != 0)
		return xlb_err(EPERM,
			       "refusing %s: %s owned by uid %u, not by uid %u "
			       "or root (xlb creates its pin directory itself, "
			       "mode 0700)",
			       what, parent ? "a parent is" : "it is",
			       st->st_uid, me);
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) &&
	    !(parent && (st->st_mode & S_ISVTX)))
		return xlb_err(EPERM,
			       "refusing %s: mode %04o lets group or others "
			       "write it (chmod go-w)",
			       what, st->st_mode & 07777);
	return 0;
}

int xlb_check_writer(struct xlb *xlb)
{
	struct stat st;

	if (fstat(xlb->dir_fd, &st))
		return xlb_errno(errno, "%s", xlb->pin_dir);
	if (st.st_uid != geteuid())
		return xlb_err(EPERM,
			       "refusing to write to %s: it is owned by uid "
			       "%u, "
			       "not by uid %u (remove it; xlb creates its pin "
			       "directory itself, mode 0700)",
			       xlb->pin_dir, st.st_uid, geteuid());
	return 0;
}

static int check_ownership(int dir_fd, const char *pin_dir)
{
	char buf[PATH_MAX], what[PATH_MAX + 32], *slash;
	struct statfs fs;
	struct stat st;
	int err;

	if (fstat(dir_fd, &st))
		return xlb_errno(errno, "%s", pin_dir);
	err = check_owner(pin_dir, &st, false);
	snprintf(buf, sizeof(buf), "%s", pin_dir);
	while (!err) {
		slash = strrchr(buf, '/');
		if (!slash)
			snprintf(buf, sizeof(buf), "."); /* relative: the cwd */
		else if (slash == buf)
			buf[1] = '\0';
		else
			*slash = '\0';
		if (statfs(buf, &fs) || fs.f_type != BPF_FS_MAGIC)
			break;
		if (stat(buf, &st))
			return xlb_errno(errno, "%s", buf);
		snprintf(what, sizeof(what), "%s (parent %s)", pin_dir, buf);
		err = check_owner(what, &st, true);
		if (!strcmp(buf, "/") || !strcmp(buf, "."))
			break;
	}
	return err;
}

static int open_dir(struct xlb *xlb)
{
	struct stat st;
	int err;

	xlb->dir_fd = open(xlb->pin_dir,
			   O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (xlb->dir_fd < 0) {
		if (errno == ENOENT)
			return xlb_err(ENOENT, "no xlb instance at %s",
				       xlb->pin_dir);
		if (errno == ELOOP || errno == ENOTDIR)
			return xlb_err(ENOTDIR,
				       "refusing %s: not a directory (a "
				       "symbolic link?)",
				       xlb->pin_dir);
		return xlb_errno(errno, "%s", xlb->pin_dir);
	}
	err = check_bpffs(xlb->pin_dir);
	if (!err)
		err = check_ownership(xlb->dir_fd, xlb->pin_dir);
	if (!err && fstat(xlb->dir_fd, &st))
		err = xlb_errno(errno, "%s", xlb->pin_dir);
	/* Not ours (root's, for a monitor): read-only opens, never a write. */
	if (!err)
		xlb->readonly = st.st_uid != geteuid();
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

/* Opens one pin and checks it against its definition; reads nothing. */
static int open_checked(struct xlb *xlb, enum xlb_map_id id,
			const struct map_shape *want)
{
	LIBBPF_OPTS(bpf_obj_get_opts, get_opts,
		    .file_flags = xlb->readonly ? BPF_F_RDONLY : 0);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char path[PATH_MAX];
	int fd, err;

	err = pin_path(xlb, xlb_map_names[id], path, sizeof(path));
	if (err)
		return err;
	fd = bpf_obj_get_opts(path, &get_opts);
	if (fd < 0) {
		if (errno == ENOENT && id == MAP_META)
			return -ENOENT;
		return xlb_errno(errno, "open %s", path);
	}
	xlb->fds[id] = fd;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return xlb_errno(errno, "inspect %s (is it a map?)", path);
	if (info.type != want->type || info.key_size != want->key_size ||
	    info.value_size != want->value_size ||
	    info.max_entries != want->max_entries ||
	    map_flags_as_created(info.type, info.map_flags) != want->flags)
		return xlb_err(EPROTO,
			       "%s has type %u, key %u, value %u bytes, %u "
			       "entries, flags 0x%x; expected type %u, key "
			       "%u, value %u bytes, %u entries, flags 0x%x",
			       path, info.type, info.key_size, info.value_size,
			       info.max_entries, info.map_flags, want->type,
			       want->key_size, want->value_size,
			       want->max_entries, want->flags);
	xlb->map_ids[id] = info.id;
	return 0;
}

static bool map_pinned(const struct xlb *xlb, enum xlb_map_id id)
{
	char path[PATH_MAX];

	return !pin_path(xlb, xlb_map_names[id], path, sizeof(path)) &&
	       !access(path, F_OK);
}

/*
 * A map that pins of an older layout lack (layout_adds_map), made for an
 * upgrade: the new program is loaded against it, the migration pins it.
 */
static int map_create_unpinned(struct xlb *xlb, enum xlb_map_id id,
			       const struct map_shape *s)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = s->flags);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd;

	fd = bpf_map_create(s->type, xlb_map_names[id], s->key_size,
			    s->value_size, s->max_entries, &opts);
	if (fd < 0)
		return xlb_errno(errno, "create %s for the layout migration",
				 xlb_map_names[id]);
	xlb->fds[id] = fd;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len))
		xlb->map_ids[id] = info.id;
	return 0;
}

static bool any_map_pinned(const struct xlb *xlb)
{
	char path[PATH_MAX];

	for (int i = 0; i < MAP_COUNT; i++)
		if (!pin_path(xlb, xlb_map_names[i], path, sizeof(path)) &&
		    !access(path, F_OK))
			return true;
	return !pin_path(xlb, META_PIN_NEW, path, sizeof(path)) &&
	       !access(path, F_OK);
}

static int unfinished(const struct xlb *xlb)
{
	return xlb_err(ENOENT,
		       "the instance at %s is unfinished (its creation was "
		       "interrupted): xlbctl attach or xlbctl detach --all "
		       "removes it",
		       xlb->pin_dir);
}

/* older: pins of an older layout that xlb_upgrade can migrate are taken. */
static int read_meta(struct xlb *xlb, const struct map_shape *shapes,
		     bool older)
{
	static const struct xlb_meta blank;
	__u32 zero = 0;
	int err;

	err = open_checked(xlb, MAP_META, &shapes[MAP_META]);
	if (err == -ENOENT)
		return any_map_pinned(xlb)
			       ? unfinished(xlb)
			       : xlb_err(ENOENT, "no xlb instance at %s",
					 xlb->pin_dir);
	if (err)
		return err;
	/* The value size is checked: the read fits xlb->meta. */
	if (bpf_map_lookup_elem(xlb->fds[MAP_META], &zero, &xlb->meta))
		return xlb_errno(errno, "read %s/%s", xlb->pin_dir,
				 XLB_MAP_META);
	if (!memcmp(&xlb->meta, &blank, sizeof(blank)))
		return unfinished(
			xlb); /* pinned, never written: a killed creator */
	if (xlb->meta.magic != XLB_META_MAGIC)
		return xlb_err(EPROTO, "%s/%s is not an xlb metadata map",
			       xlb->pin_dir, XLB_MAP_META);
	if (xlb->meta.layout_version == XLB_LAYOUT_VERSION ||
	    (older && xlb->meta.layout_version < XLB_LAYOUT_VERSION &&
	     layout_migratable(xlb->meta.layout_version)))
		return 0;
	if (xlb->meta.layout_version < XLB_LAYOUT_VERSION &&
	    layout_migratable(xlb->meta.layout_version))
		return xlb_err(EPROTO,
			       "pins at %s have layout version %u; this xlb "
			       "speaks version %u: xlbctl upgrade migrates "
			       "them, every flow kept",
			       xlb->pin_dir, xlb->meta.layout_version,
			       XLB_LAYOUT_VERSION);
	return xlb_err(EPROTO,
		       "pins at %s have layout version %u; this xlb speaks "
		       "version %u and migrates from %d on: remove them with "
		       "the xlb that made them (xlbctl detach --all)",
		       xlb->pin_dir, xlb->meta.layout_version,
		       XLB_LAYOUT_VERSION, xlb_layout_migrates_from());
}

static int adopt(struct xlb *xlb, bool older)
{
	struct map_shape shapes[MAP_COUNT];
	int err;

	err = shapes_load(shapes);
	if (!err)
		err = read_meta(xlb, shapes, older);
	if (err)
		return err;
	/* The sizes chosen at creation are the ones the meta entry records. */
	shapes[MAP_CONNS].max_entries = xlb->meta.conn_table_size;
	shapes[MAP_VIPS].max_entries = xlb->meta.max_vips;
	shapes[MAP_BACKENDS].max_entries = xlb->meta.max_backends;
	for (int i = 0; !err && i < MAP_COUNT; i++) {
		if (i == MAP_META)
			continue;
		if (older && layout_adds_map(xlb->meta.layout_version, i) &&
		    !map_pinned(xlb, i))
			err = map_create_unpinned(xlb, i, &shapes[i]);
		else
			err = open_checked(xlb, i, &shapes[i]);
	}
	if (err)
		return err;
	xlb->ncpus = libbpf_num_possible_cpus();
	if (xlb->ncpus <= 0)
		return xlb_err(EINVAL, "cannot count the possible CPUs");
	return 0;
}

static int open_instance(const char *pin_dir, bool older, struct xlb **out)
{
	struct xlb *xlb;
	int err;

	libbpf_quiet();
	xlb = handle_new(pin_dir);
	if (!xlb)
		return xlb_err(ENOMEM, "out of memory");
	err = open_dir(xlb);
	if (!err)
		err = adopt(xlb, older);
	if (err) {
		xlb_close(xlb);
		return err;
	}
	*out = xlb;
	return 0;
}

int xlb_open(const char *pin_dir, struct xlb **out)
{
	return open_instance(pin_dir, false, out);
}

int xlb_open_for_upgrade(const char *pin_dir, struct xlb **out)
{
	return open_instance(pin_dir, true, out);
}

/* The id of the map pinned at path, 0 when there is none. */
static __u32 pinned_id(const char *path)
{
	LIBBPF_OPTS(bpf_obj_get_opts, get_opts, .file_flags = BPF_F_RDONLY);
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get_opts(path, &get_opts);

	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		info.id = 0;
	close(fd);
	return info.id;
}

int xlb_verify(struct xlb *xlb)
{
	char path[PATH_MAX], why[512];
	struct xlb *fresh;
	bool same = true;
	int err;

	for (int i = 0; same && i < MAP_COUNT; i++) {
		__u32 id;

		same = !pin_path(xlb, xlb_map_names[i], path, sizeof(path));
		id = same ? pinned_id(path) : 0;
		/* Made for a migration (map_create_unpinned), not pinned yet. */
		if (!id && layout_adds_map(xlb->meta.layout_version, i))
			continue;
		same = same && id == xlb->map_ids[i];
	}
	if (same)
		return 0;
	for (size_t i = 0; i < sizeof(xlb->dirty) / sizeof(xlb->dirty[0]); i++)
		if (xlb->dirty[i])
			return xlb_err(ESTALE,
				       "the instance at %s was replaced after "
				       "this change began: nothing was "
				       "committed",
				       xlb->pin_dir);
	err = xlb_open(xlb->pin_dir, &fresh);
	if (err) {
		snprintf(why, sizeof(why), "%s", xlb_errmsg());
		return xlb_err(ESTALE,
			       "the maps this handle opened at %s are no "
			       "longer pinned there, and reopening failed: %s",
			       xlb->pin_dir, why);
	}
	/* Take over the new instance's maps; the lock stays ours. */
	close_maps(xlb);
	memcpy(xlb->fds, fresh->fds, sizeof(xlb->fds));
	memcpy(xlb->map_ids, fresh->map_ids, sizeof(xlb->map_ids));
	xlb->meta = fresh->meta;
	xlb->ncpus = fresh->ncpus;
	if (xlb->dir_fd >= 0)
		close(xlb->dir_fd);
	xlb->dir_fd = fresh->dir_fd;
	for (int i = 0; i < MAP_COUNT; i++)
		fresh->fds[i] = -1;
	fresh->dir_fd = -1;
	xlb_close(fresh);
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
		return not_bpffs(buf);
	return check_bpffs_shared(buf);
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

/* A link pin means a live attachment may hang on it: never remove those. */
static int count_link_pins(const struct xlb *xlb, size_t *n)
{
	size_t prefix = strlen(XLB_LINK_PIN_PREFIX);
	struct dirent *de;
	DIR *dir;

	*n = 0;
	dir = opendir(xlb->pin_dir);
	if (!dir)
		return xlb_errno(errno, "read %s", xlb->pin_dir);
	while ((de = readdir(dir)))
		*n += !strncmp(de->d_name, XLB_LINK_PIN_PREFIX, prefix);
	closedir(dir);
	return 0;
}

/* Removes what an interrupted creation left: map pins, no (valid) meta. */
static int remove_unfinished(struct xlb *xlb)
{
	char path[PATH_MAX];
	size_t links;
	int err;

	err = count_link_pins(xlb, &links);
	if (err)
		return err;
	if (links)
		return xlb_err(EBUSY,
			       "%s has no valid xlb_meta but %zu link pins: "
			       "not removing it (inspect it with bpftool)",
			       xlb->pin_dir, links);
	close_maps(xlb);
	for (int i = 0; i < MAP_COUNT; i++)
		if (!pin_path(xlb, xlb_map_names[i], path, sizeof(path)) &&
		    unlink(path) && errno != ENOENT)
			return xlb_errno(errno, "remove %s", path);
	if (!pin_path(xlb, META_PIN_NEW, path, sizeof(path)) && unlink(path) &&
	    errno != ENOENT)
		return xlb_errno(errno, "remove %s", path);
	return 0;
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
		.gue_port = XLB_GUE_PORT_DEFAULT,
	};
	__u32 zero = 0;

	if (bpf_map__update_elem(skel->maps.xlb_config, &zero, sizeof(zero),
				 &cfg, sizeof(cfg), BPF_ANY))
		return xlb_errno(errno, "write %s", XLB_MAP_CONFIG);
	if (bpf_map__update_elem(skel->maps.xlb_meta, &zero, sizeof(zero),
				 &meta, sizeof(meta), BPF_ANY))
		return xlb_errno(errno, "write %s", XLB_MAP_META);
	return 0;
}

/*
 * libbpf pins every map at load. xlb_meta is pinned under a temporary name
 * and renamed into place only once the initial state is written, so an
 * instance with xlb_meta is complete, and one killed part-way has none
 * (remove_unfinished cleans it up under the lock).
 */
static int create_maps(struct xlb *xlb, const struct xlb_create_opts *opts)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts,
		    .pin_root_path = xlb->pin_dir);
	__u32 conns = opts->conn_table_size ? opts->conn_table_size
					    : XLB_CONN_TABLE_DEFAULT;
	char meta_new[PATH_MAX], meta_path[PATH_MAX];
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
	err = pin_path(xlb, META_PIN_NEW, meta_new, sizeof(meta_new));
	if (!err)
		err = pin_path(xlb, XLB_MAP_META, meta_path, sizeof(meta_path));
	if (!err)
		err = remove_unfinished(xlb);
	if (err)
		return err;

	skel = xlb_bpf__open_opts(&open_opts);
	if (!skel)
		return xlb_errno(errno, "open the BPF object");
	bpf_map__set_max_entries(skel->maps.xlb_conns, conns);
	bpf_map__set_pin_path(skel->maps.xlb_meta, meta_new);
	err = xlb_bpf__load(skel);
	if (err)
		err = xlb_err(-err, "load the data plane: %s",
			      xlb_libbpf_last_message());
	if (!err) {
		xlb_failpoint("create-before-meta");
		err = write_initial_state(skel, opts);
	}
	if (!err && rename(meta_new, meta_path))
		err = xlb_errno(errno, "pin %s", meta_path);
	xlb_bpf__destroy(skel);
	if (err)
		remove_unfinished(xlb);
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
	/* The lock first: it serialises creators and removers. */
	err = check_bpffs_ancestor(pin_dir);
	if (!err)
		err = xlb_lock_acquire(xlb,
				       opts->lock_timeout_ms
					       ? opts->lock_timeout_ms
					       : XLB_LOCK_TIMEOUT_DEFAULT_MS);
	if (!err)
		err = mkdir_parents(pin_dir, &made_dir);
	if (!err)
		err = open_dir(xlb);
	if (!err)
		err = xlb_check_writer(xlb);
	if (!err) {
		err = adopt(xlb, false);
		if (err == -ENOENT) {
			close_maps(xlb);
			err = create_maps(xlb, opts);
			if (!err)
				err = adopt(xlb, false);
		}
	}
	if (err) {
		/* Leave no trace of a failed creation. */
		if (made_dir && !rmdir(pin_dir))
			xlb_lock_remove(xlb);
		xlb_close(xlb);
		return err;
	}
	*out = xlb;
	return 0;
}

int xlb_remove_unfinished(const char *pin_dir, int lock_timeout_ms)
{
	struct xlb *xlb;
	int err;

	libbpf_quiet();
	xlb = handle_new(pin_dir);
	if (!xlb)
		return xlb_err(ENOMEM, "out of memory");
	err = xlb_lock_acquire(xlb, lock_timeout_ms
					    ? lock_timeout_ms
					    : XLB_LOCK_TIMEOUT_DEFAULT_MS);
	if (!err)
		err = open_dir(xlb);
	if (!err)
		err = xlb_check_writer(xlb);
	if (!err) {
		err = adopt(xlb, false);
		if (!err)
			err = xlb_err(EEXIST, "%s is a complete instance",
				      pin_dir);
		else if (err == -ENOENT && any_map_pinned(xlb))
			err = remove_unfinished(xlb);
	}
	if (!err && rmdir(pin_dir) && errno != ENOENT)
		err = xlb_errno(errno, "remove %s", pin_dir);
	if (!err)
		xlb_lock_remove(xlb);
	xlb_close(xlb);
	return err;
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
	/* All or nothing: check every attachment may go before the first. */
	for (size_t i = 0; i < n && !err; i++)
		if (att[i].elsewhere)
			err = xlb_detach_attachment(xlb, &att[i]);
	for (size_t i = 0; i < n && !err; i++)
		err = xlb_detach_attachment(xlb, &att[i]);
	free(att);
	if (err)
		return err;
	for (int i = 0; i < MAP_COUNT; i++) {
		if (pin_path(xlb, xlb_map_names[i], path, sizeof(path)))
			continue;
		if (unlink(path) && errno != ENOENT)
			return xlb_errno(errno, "remove %s", path);
	}
	if (!pin_path(xlb, META_PIN_NEW, path, sizeof(path)))
		unlink(path);
	if (rmdir(xlb->pin_dir) && errno != ENOENT)
		return xlb_errno(errno, "remove %s", xlb->pin_dir);
	xlb_lock_remove(xlb);
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
