// SPDX-License-Identifier: GPL-2.0
/*
 * The writer lock: flock() on the pin directory. The kernel drops it when the
 * holder exits, so a killed writer never leaves it behind.
 */
#include <errno.h>
#include <stdio.h>
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

int xlb_lock(struct xlb *xlb, int timeout_ms)
{
	struct timespec pause = { .tv_nsec = 10 * 1000 * 1000 };
	char comm[32];
	int waited = 0, pid;

	if (xlb->locked)
		return 0;
	while (flock(xlb->dir_fd, LOCK_EX | LOCK_NB)) {
		if (errno != EWOULDBLOCK)
			return xlb_errno(errno, "lock %s", xlb->pin_dir);
		if (waited >= timeout_ms) {
			pid = lock_holder(xlb->dir_fd, comm, sizeof(comm));
			if (pid && comm[0])
				return xlb_err(EAGAIN,
					       "%s is locked by another writer "
					       "(pid %d, %s) for over %d ms",
					       xlb->pin_dir, pid, comm,
					       timeout_ms);
			if (pid)
				return xlb_err(EAGAIN,
					       "%s is locked by another writer "
					       "(pid %d) for over %d ms",
					       xlb->pin_dir, pid, timeout_ms);
			return xlb_err(EAGAIN,
				       "%s is locked by another writer for "
				       "over %d ms",
				       xlb->pin_dir, timeout_ms);
		}
		nanosleep(&pause, NULL);
		waited += 10;
	}
	xlb->locked = true;
	return 0;
}

void xlb_unlock(struct xlb *xlb)
{
	if (!xlb->locked)
		return;
	flock(xlb->dir_fd, LOCK_UN);
	xlb->locked = false;
}

int xlb_require_lock(struct xlb *xlb, const char *what)
{
	if (!xlb->locked)
		return xlb_err(ENOLCK, "%s: the writer lock is not held", what);
	return 0;
}
