// SPDX-License-Identifier: GPL-2.0
/*
 * Children of xlbd (the capacity hook, the route announcer): spawned with
 * posix_spawnp, never through a shell, stdin from /dev/null, none of
 * xlbd's other descriptors, in a process group of their own (a terminal's
 * ^C reaches xlbd, which stops them), and with the signals xlbd blocks for
 * its signalfd (HUP, TERM, INT) back at their defaults and unblocked.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>

#include "xlbd.h"

extern char **environ;

int xlbd_spawn(char *const argv[], int out_fd, bool sigpipe_default, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, deflt;
	int ret;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&attr);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	/* dup2 clears close-on-exec on the copies the child writes to */
	if (out_fd >= 0) {
		posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
		posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	}
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	sigemptyset(&none);
	sigemptyset(&deflt);
	if (sigpipe_default)
		sigaddset(&deflt, SIGPIPE);
	sigaddset(&deflt, SIGHUP);
	sigaddset(&deflt, SIGTERM);
	sigaddset(&deflt, SIGINT);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &deflt);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
						POSIX_SPAWN_SETSIGDEF |
						POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0);
	ret = posix_spawnp(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return ret;
}
