// SPDX-License-Identifier: GPL-2.0
/*
 * The writer lock: flock() on a file under XLB_LOCK_DIR named after the pin
 * path, not on the pin directory. Its identity outlives the instance, so a
 * writer that waited while the instance was removed and created again locks
 * the same thing as everyone else and then finds (xlb_verify) that its maps
 * are no longer the pinned ones. The kernel drops the lock when the holder
 * exits, so a killed writer never leaves it behind. Whoever removes the
 * instance removes its lock file while holding it; a waiter that then gets
 * the lock of the removed file sees the path name another file (or none)
 * and starts over, so the lock never splits.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

/* The PID holding an flock on this inode, from /proc/locks; 0 if unknown. */
static int lock_holder(int fd, char *comm, size_t len)
{
	unsigned int maj, min;
	unsigned long ino;
	char line[256], kind[16], path[64];
	struct stat st;
	FILE *f;
	int pid = 0, found = 0;

	comm[0] = '\0';
	if (fstat(fd, &st))
		return 0;
	f = fopen("/proc/locks", "r");
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%*d: %15s %*s %*s %d %x:%x:%lu", kind, &pid,
			   &maj, &min, &ino) != 5)
			continue;
		found = !strcmp(kind, "FLOCK") && ino == st.st_ino &&
			maj == major(st.st_dev) && min == minor(st.st_dev);
	}
	fclose(f);
	if (!found)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	f = fopen(path, "r");
	if (f) {
		if (fgets(comm, len, f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
	}
	return pid;
}

/*
 * The pin path made absolute and lexically normal (no "//", ".", "..", or
 * trailing "/"), so that every spelling of one directory names one lock.
 */
static int normal_path(const char *pin_dir, char *out, size_t len)
{
	char buf[PATH_MAX], *save = NULL, *part;
	size_t n = 0;

	if (pin_dir[0] == '/') {
		snprintf(buf, sizeof(buf), "%s", pin_dir);
	} else {
		char cwd[PATH_MAX];

		if (!getcwd(cwd, sizeof(cwd)))
			return xlb_errno(errno, "getcwd");
		if ((size_t)snprintf(buf, sizeof(buf), "%s/%s", cwd, pin_dir) >=
		    sizeof(buf))
			return xlb_err(ENAMETOOLONG, "%s is too long", pin_dir);
	}
	out[0] = '\0';
	for (part = strtok_r(buf, "/", &save); part;
	     part = strtok_r(NULL, "/", &save)) {
		if (!strcmp(part, "."))
			continue;
		if (!strcmp(part, "..")) {
			char *slash = strrchr(out, '/');

			n = slash ? (size_t)(slash - out) : 0;
			out[n] = '\0';
			continue;
		}
		if (n + strlen(part) + 2 > len)
			return xlb_err(ENAMETOOLONG, "%s is too long", pin_dir);
		n += snprintf(out + n, len - n, "/%s", part);
	}
	if (!n)
		snprintf(out, len, "/");
	return 0;
}

/*
 * XLB_LOCK_DIR/<path, "/" as "-" and anything unusual as \xNN>.lock. Two
 * paths that differ only in "/" against "-" share a lock: harmless.
 */
int xlb_lock_path(const char *pin_dir, char *out, size_t len)
{
	char norm[PATH_MAX];
	size_t n;
	int err;

	err = normal_path(pin_dir, norm, sizeof(norm));
	if (err)
		return err;
	n = snprintf(out, len, "%s/", XLB_LOCK_DIR);
	for (const char *p = norm + 1; *p && n + 5 < len; p++) {
		unsigned char c = *p;

		if (c == '/')
			out[n++] = '-';
		else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '_' || c == '.' ||
			 c == '-')
			out[n++] = c;
		else
			n += snprintf(out + n, len - n, "\\x%02x", c);
	}
	if (n + 6 >= len)
		return xlb_err(ENAMETOOLONG, "lock name for %s is too long",
			       pin_dir);
	snprintf(out + n, len - n, ".lock");
	return 0;
}

/* Only its owner may write where the locks live, or anyone could hold one. */
static int lock_dir_ready(void)
{
	struct stat st;

	if (mkdir(XLB_LOCK_DIR, 0700) && errno != EEXIST)
		return xlb_errno(errno, "create %s", XLB_LOCK_DIR);
	if (lstat(XLB_LOCK_DIR, &st))
		return xlb_errno(errno, "%s", XLB_LOCK_DIR);
	if (!S_ISDIR(st.st_mode))
		return xlb_err(ENOTDIR, "%s is not a directory", XLB_LOCK_DIR);
	if (st.st_uid != geteuid() || (st.st_mode & (S_IWGRP | S_IWOTH)))
		return xlb_err(EPERM,
			       "%s is owned by uid %u with mode %04o: it must "
			       "be owned by uid %u and writable by no one "
			       "else",
			       XLB_LOCK_DIR, st.st_uid, st.st_mode & 07777,
			       geteuid());
	return 0;
}

static int open_lock_file(const char *path)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return xlb_errno(errno, "open the lock %s", path);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		close(fd);
		return xlb_err(EPERM, "%s is not a lock file of uid %u", path,
			       geteuid());
	}
	return fd;
}

static bool same_file(int fd, const char *path)
{
	struct stat held, named;

	return !fstat(fd, &held) && !stat(path, &named) &&
	       held.st_ino == named.st_ino && held.st_dev == named.st_dev;
}

void xlb_lock_remove(struct xlb *xlb)
{
	char path[PATH_MAX];

	if (xlb->locked && !xlb_lock_path(xlb->pin_dir, path, sizeof(path)) &&
	    same_file(xlb->lock_fd, path))
		unlink(path);
}

static int lock_busy(struct xlb *xlb, int fd, int timeout_ms)
{
	char comm[32];
	int pid = lock_holder(fd, comm, sizeof(comm));

	if (pid && comm[0])
		return xlb_err(EAGAIN,
			       "%s is locked by another writer (pid %d, %s) "
			       "for over %d ms",
			       xlb->pin_dir, pid, comm, timeout_ms);
	if (pid)
		return xlb_err(EAGAIN,
			       "%s is locked by another writer (pid %d) for "
			       "over %d ms",
			       xlb->pin_dir, pid, timeout_ms);
	return xlb_err(EAGAIN, "%s is locked by another writer for over %d ms",
		       xlb->pin_dir, timeout_ms);
}

int xlb_lock_acquire(struct xlb *xlb, int timeout_ms)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	char path[PATH_MAX];
	int waited = 0, fd, err;

	if (xlb->locked)
		return 0;
	err = lock_dir_ready();
	if (!err)
		err = xlb_lock_path(xlb->pin_dir, path, sizeof(path));
	if (err)
		return err;
again:
	fd = open_lock_file(path);
	if (fd < 0)
		return fd;
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK) {
			err = xlb_errno(errno, "lock %s", path);
			close(fd);
			return err;
		}
		if (waited >= timeout_ms) {
			err = lock_busy(xlb, fd, timeout_ms);
			close(fd);
			return err;
		}
		nanosleep(&pause, NULL);
		waited += 10;
	}
	if (!same_file(fd, path)) {
		close(fd); /* removed by the last holder: lock the new one */
		goto again;
	}
	xlb->lock_fd = fd;
	xlb->locked = true;
	return 0;
}

int xlb_lock(struct xlb *xlb, int timeout_ms)
{
	int err;

	if (xlb->locked)
		return 0;
	/* Only the owner of the pin directory writes: say so before waiting. */
	err = xlb_check_writer(xlb);
	if (!err)
		err = xlb_lock_acquire(xlb, timeout_ms);
	if (err)
		return err;
	/* What we opened before waiting may have been removed meanwhile. */
	err = xlb_verify(xlb);
	if (!err)
		err = xlb_check_writer(xlb);
	if (err)
		xlb_unlock(xlb);
	return err;
}

void xlb_unlock(struct xlb *xlb)
{
	if (!xlb->locked)
		return;
	flock(xlb->lock_fd, LOCK_UN);
	close(xlb->lock_fd);
	xlb->lock_fd = -1;
	xlb->locked = false;
}

int xlb_require_lock(struct xlb *xlb, const char *what)
{
	if (!xlb->locked)
		return xlb_err(ENOLCK, "%s: the writer lock is not held", what);
	return 0;
}
