// SPDX-License-Identifier: GPL-2.0
/*
 * xlbd runs the route announcer (announce.*): tools/cluster/xlb-announce,
 * which enables BIRD's static protocol of the VIP only while this host's
 * data plane forwards it, as a child. Spawned with posix_spawnp (no shell,
 * none of the daemon's fds, signal mask cleared), its stdout and stderr
 * read through a non-blocking pipe into xlbd's log (its "enabled" and
 * "disabled" lines tell whether the route is announced). A 100 ms timer
 * reaps it with waitpid(WNOHANG) and starts it again after a backoff
 * that doubles while it keeps dying young: the loop never waits for it.
 * On xlbd's stop it gets SIGTERM and withdraws the route before it exits
 * (bounded wait, then SIGKILL). A SIGHUP changing an announce.* key stops
 * it and starts it with the new ones.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xlbd.h"

#define CHECK_NS 100000000L
#define BACKOFF_MIN_S 0.5
#define BACKOFF_MAX_S 30.0
/* a helper that ran this long died of something new: backoff restarts */
#define HEALTHY_RUN_S 10.0
/* the helper's SIGTERM path is one birdc call */
#define STOP_GRACE_MS 3000

struct announce {
	struct xlbd *d;
	pid_t pid; /* 0: none running */
	struct xlbd_watch timer, out;
	char line[512];
	size_t line_len;
	double started, next_start, backoff_s;
	bool restart_now; /* stopped for new keys: start again at once */
	int announced;	  /* the helper's last word: 1, 0, -1 unknown */
	uint64_t starts, restarts;
	int last_status; /* wait status of the last exit */
	/* the keys it runs with (a reload compares) */
	char keys[1024];
};

static struct announce *of(const struct xlbd *d)
{
	return d->announce;
}

/* "what the route is#how it is checked": a reload compares both parts */
static void keys_of(const struct xlbd_config *cfg, const char *pin_dir,
		    char *out, size_t len)
{
	snprintf(out, len, "%s|%s|%s|%s|%s#%u|%s", cfg->announce_vip,
		 cfg->announce_dev, cfg->announce_birdc_socket,
		 cfg->announce_protocol, pin_dir, cfg->announce_interval_ms,
		 cfg->announce_path);
}

/* Whether two keys_of strings name the same route (the part before '#'). */
static bool same_route(const char *a, const char *b)
{
	size_t n = strcspn(a, "#");

	return n == strcspn(b, "#") && !strncmp(a, b, n);
}

/* ---------------------------------------------------------------- output */

static void on_line(struct announce *a, const char *line)
{
	if (strstr(line, " enabled "))
		a->announced = 1;
	else if (strstr(line, " disabled "))
		a->announced = 0;
	xlbd_log(a->d, "info", "announce: %s",
		 strncmp(line, "xlb-announce: ", 14) ? line : line + 14);
}

static void close_out(struct announce *a)
{
	if (a->out.fd < 0)
		return;
	if (a->line_len) {
		a->line[a->line_len] = 0;
		on_line(a, a->line);
		a->line_len = 0;
	}
	xlbd_watch_del(a->d, &a->out);
	close(a->out.fd);
	a->out.fd = -1;
}

static void on_out(struct xlbd_watch *w, uint32_t events)
{
	struct announce *a =
		(void *)((char *)w - offsetof(struct announce, out));
	char buf[1024];
	ssize_t n;

	(void)events;
	while ((n = read(w->fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i] == '\n' ||
			    a->line_len == sizeof(a->line) - 1) {
				a->line[a->line_len] = 0;
				on_line(a, a->line);
				a->line_len = 0;
			}
			if (buf[i] != '\n')
				a->line[a->line_len++] = buf[i];
		}
	}
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		close_out(a); /* every writer gone */
}

/* ---------------------------------------------------------------- child */

static void spawn(struct announce *a)
{
	const struct xlbd_config *cfg = &a->d->cfg;
	char interval[16];
	char *argv[] = { (char *)cfg->announce_path,
			 "--dev",
			 (char *)cfg->announce_dev,
			 "--vip",
			 (char *)cfg->announce_vip,
			 "--birdc-socket",
			 (char *)cfg->announce_birdc_socket,
			 "--protocol",
			 (char *)cfg->announce_protocol,
			 "--pin-path",
			 (char *)a->d->opt.pin_dir,
			 "--interval-ms",
			 interval,
			 NULL };
	int pipefd[2], ret;
	pid_t pid;

	snprintf(interval, sizeof(interval), "%u", cfg->announce_interval_ms);
	keys_of(cfg, a->d->opt.pin_dir, a->keys, sizeof(a->keys));
	if (pipe2(pipefd, O_CLOEXEC)) {
		xlbd_log(a->d, "error", "announce: pipe: %s", strerror(errno));
		return;
	}
	/*
	 * SIGPIPE stays ignored: should xlbd die, the helper's next log line
	 * must not kill it with the route left announced and nothing
	 * checking it. Its TERM (from xlbd) withdraws the route.
	 */
	ret = xlbd_spawn(argv, pipefd[1], false, &pid);
	close(pipefd[1]);
	a->starts++;
	a->started = xlbd_now();
	if (ret) {
		close(pipefd[0]);
		xlbd_log(a->d, "error", "announce: cannot start %s: %s",
			 cfg->announce_path, strerror(ret));
		a->last_status = 127 << 8;
		a->next_start = a->started + a->backoff_s;
		a->backoff_s = a->backoff_s * 2 < BACKOFF_MAX_S
				       ? a->backoff_s * 2
				       : BACKOFF_MAX_S;
		return;
	}
	close_out(a);
	a->out.fd = pipefd[0];
	fcntl(a->out.fd, F_SETFL, fcntl(a->out.fd, F_GETFL) | O_NONBLOCK);
	if (xlbd_watch_add(a->d, &a->out, EPOLLIN)) {
		close(a->out.fd);
		a->out.fd = -1;
	}
	a->pid = pid;
	a->announced = -1;
	xlbd_log(a->d, "info",
		 "announce: started %s (pid %d) for %s on %s, BIRD protocol "
		 "%s at %s",
		 cfg->announce_path, (int)pid, cfg->announce_vip,
		 cfg->announce_dev, cfg->announce_protocol,
		 cfg->announce_birdc_socket);
}

static void exited(struct announce *a, int status, double now)
{
	bool young = now - a->started < HEALTHY_RUN_S;

	a->pid = 0;
	a->last_status = status;
	/* what it said before it went: its withdrawal line, if any */
	if (a->out.fd >= 0)
		on_out(&a->out, EPOLLIN);
	if (a->restart_now) {
		a->restart_now = false;
		a->next_start = now;
		a->backoff_s = BACKOFF_MIN_S;
		return;
	}
	if (!young)
		a->backoff_s = BACKOFF_MIN_S;
	a->next_start = now + a->backoff_s;
	xlbd_log(a->d, "warn",
		 "announce: the helper (%s) %s %d; starting it again in %.1f "
		 "s",
		 a->d->cfg.announce_path,
		 WIFSIGNALED(status) ? "was killed by signal" : "exited with",
		 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
		 a->backoff_s);
	a->restarts++;
	a->backoff_s = a->backoff_s * 2 < BACKOFF_MAX_S ? a->backoff_s * 2
							: BACKOFF_MAX_S;
}

static void on_timer(struct xlbd_watch *w, uint32_t events)
{
	struct announce *a =
		(void *)((char *)w - offsetof(struct announce, timer));
	double now = xlbd_now();
	uint64_t n;
	int status;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	if (a->pid && waitpid(a->pid, &status, WNOHANG) == a->pid)
		exited(a, status, now);
	if (!a->pid && a->d->cfg.announce_vip[0] && now >= a->next_start)
		spawn(a);
}

/* ---------------------------------------------------------------- API */

int xlbd_announce_start(struct xlbd *d)
{
	struct itimerspec its = { .it_interval.tv_nsec = CHECK_NS,
				  .it_value.tv_nsec = 1000000L };
	struct announce *a;

	if (!d->cfg.announce_vip[0])
		return 0;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->d = d;
	a->out.fd = -1;
	a->out.fn = on_out;
	a->announced = -1;
	a->backoff_s = BACKOFF_MIN_S;
	a->timer.fn = on_timer;
	a->timer.fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (a->timer.fd < 0 || timerfd_settime(a->timer.fd, 0, &its, NULL) ||
	    xlbd_watch_add(d, &a->timer, EPOLLIN)) {
		xlbd_log(d, "error", "announce: timer: %s", strerror(errno));
		if (a->timer.fd >= 0)
			close(a->timer.fd);
		free(a);
		return -errno;
	}
	d->announce = a;
	return 0;
}

void xlbd_announce_stop(struct xlbd *d)
{
	struct announce *a = of(d);
	int status, waited = 0;

	if (!a)
		return;
	if (a->pid) {
		/* the helper withdraws the route on TERM: give it time */
		kill(a->pid, SIGTERM);
		while (waitpid(a->pid, &status, WNOHANG) == 0 &&
		       waited < STOP_GRACE_MS) {
			struct timespec ts = { .tv_nsec = 20000000L };

			nanosleep(&ts, NULL);
			waited += 20;
		}
		if (waited >= STOP_GRACE_MS) {
			xlbd_log(d, "warn",
				 "announce: the helper (pid %d) did not stop "
				 "within %d ms: killed",
				 (int)a->pid, STOP_GRACE_MS);
			kill(-a->pid, SIGKILL);
			waitpid(a->pid, &status, 0);
		}
		if (a->out.fd >= 0)
			on_out(&a->out, EPOLLIN);
		xlbd_log(d, "info", "announce: the helper (pid %d) stopped",
			 (int)a->pid);
	}
	close_out(a);
	xlbd_watch_del(d, &a->timer);
	close(a->timer.fd);
	free(a);
	d->announce = NULL;
}

int xlbd_announce_reconfigure(struct xlbd *d)
{
	struct announce *a = of(d);
	char keys[sizeof(((struct announce *)0)->keys)];
	bool keep_route;

	if (!a)
		return xlbd_announce_start(d);
	keys_of(&d->cfg, d->opt.pin_dir, keys, sizeof(keys));
	if (!strcmp(keys, a->keys))
		return 0;
	keep_route = d->cfg.announce_vip[0] && same_route(keys, a->keys);
	xlbd_log(d, "info", "announce: the announce keys changed on reload: %s",
		 !d->cfg.announce_vip[0] ? "stopping the helper"
		 : a->pid		 ? "restarting the helper"
					 : "starting the helper");
	snprintf(a->keys, sizeof(a->keys), "%s", keys);
	if (a->pid) {
		/*
		 * Reaped by the timer, which starts it again if wanted. The
		 * same route checked another way (interval, path): killed,
		 * so BIRD keeps it announced for the new helper; another VIP,
		 * device, BIRD or protocol: TERM, the old route withdrawn.
		 */
		a->restart_now = true;
		kill(keep_route ? -a->pid : a->pid,
		     keep_route ? SIGKILL : SIGTERM);
	} else {
		a->next_start = xlbd_now();
		a->backoff_s = BACKOFF_MIN_S;
	}
	return 0;
}

void xlbd_announce_metrics(const struct xlbd *d, FILE *f)
{
	const struct announce *a = of(d);

	if (!a)
		return;
	fprintf(f,
		"# HELP xlbd_announce_running 1 while the route announcer "
		"(announce.path) runs\n"
		"# TYPE xlbd_announce_running gauge\n"
		"xlbd_announce_running %d\n"
		"# HELP xlbd_announce_announced the announcer's last word: 1 "
		"route enabled, 0 withdrawn, -1 not said yet\n"
		"# TYPE xlbd_announce_announced gauge\n"
		"xlbd_announce_announced %d\n"
		"# HELP xlbd_announce_starts_total times the announcer was "
		"started\n"
		"# TYPE xlbd_announce_starts_total counter\n"
		"xlbd_announce_starts_total %llu\n"
		"# HELP xlbd_announce_restarts_total times it died and was "
		"started again\n"
		"# TYPE xlbd_announce_restarts_total counter\n"
		"xlbd_announce_restarts_total %llu\n"
		"# HELP xlbd_announce_pid its process id (0: none running)\n"
		"# TYPE xlbd_announce_pid gauge\n"
		"xlbd_announce_pid %d\n",
		a->pid != 0, a->pid ? a->announced : 0,
		(unsigned long long)a->starts, (unsigned long long)a->restarts,
		(int)a->pid);
}
