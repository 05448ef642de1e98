// SPDX-License-Identifier: GPL-2.0
/*
 * The scale hook: when a VIP's desired backend count (the capacity plan's)
 * changes, the configured argv (capacity.hook) runs with {vip}, {current}
 * and {desired} replaced, so that an orchestrator can add or remove
 * instances (`kubectl scale deployment/web --replicas={desired}`). It is
 * spawned with posix_spawnp, never through a shell, with the daemon's fds
 * closed and its signal mask cleared; the loop never waits for it: each
 * tick reaps finished hooks with waitpid(WNOHANG), logs their exit status,
 * and kills one past capacity.hook_timeout_s. One hook per VIP at a time:
 * a change while one runs is run when it ends (the latest count only).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xlbd.h"

struct hook_run {
	pid_t pid; /* 0: none running */
	double started, deadline;
	bool killed;
	unsigned int current, desired;
	bool pending; /* a newer count waits for this run to end */
	unsigned int pending_current, pending_desired;
};

struct hooks {
	struct hook_run *runs; /* by VIP key, parallel to keys */
	char (*keys)[XLB_VIP_STRLEN];
	unsigned int *last_desired;
	size_t n, cap;
};

static struct hooks *hooks_of(struct xlbd *d)
{
	if (!d->hooks)
		d->hooks = calloc(1, sizeof(struct hooks));
	return d->hooks;
}

/* A VIP's slot, found by key: the VIP list is rebuilt as the maps change. */
static ssize_t slot(struct hooks *h, const char *key, bool *fresh)
{
	for (size_t i = 0; i < h->n; i++)
		if (!strcmp(h->keys[i], key))
			return i;
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		void *r = realloc(h->runs, cap * sizeof(*h->runs));

		if (!r)
			return -1;
		h->runs = r;
		r = realloc(h->keys, cap * sizeof(*h->keys));
		if (!r)
			return -1;
		h->keys = r;
		r = realloc(h->last_desired, cap * sizeof(*h->last_desired));
		if (!r)
			return -1;
		h->last_desired = r;
		h->cap = cap;
	}
	memset(&h->runs[h->n], 0, sizeof(h->runs[h->n]));
	snprintf(h->keys[h->n], sizeof(h->keys[h->n]), "%s", key);
	h->last_desired[h->n] = 0;
	*fresh = true;
	return h->n++;
}

/* One argument with {vip}, {current} and {desired} replaced. */
static char *substitute(const char *arg, const char *vip, unsigned int current,
			unsigned int desired)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	while (*arg) {
		if (!strncmp(arg, "{vip}", 5)) {
			fputs(vip, f);
			arg += 5;
		} else if (!strncmp(arg, "{current}", 9)) {
			fprintf(f, "%u", current);
			arg += 9;
		} else if (!strncmp(arg, "{desired}", 9)) {
			fprintf(f, "%u", desired);
			arg += 9;
		} else {
			fputc(*arg++, f);
		}
	}
	if (fclose(f)) {
		free(out);
		return NULL;
	}
	return out;
}

static void spawn(struct xlbd *d, const char *vip, struct hook_run *r,
		  unsigned int current, unsigned int desired, double now)
{
	const struct xlbd_config *cfg = &d->cfg;
	char **argv = calloc(cfg->capacity_hook_n + 1, sizeof(*argv));
	pid_t pid;
	int ret = -ENOMEM;

	if (!argv)
		goto log;
	for (size_t i = 0; i < cfg->capacity_hook_n; i++) {
		argv[i] = substitute(cfg->capacity_hook[i], vip, current,
				     desired);
		if (!argv[i])
			goto out;
	}
	/* stdout and stderr are the daemon's log; SIGPIPE at its default */
	ret = -xlbd_spawn(argv, -1, true, &pid);
	if (!ret) {
		r->pid = pid;
		r->started = now;
		r->deadline = now + cfg->capacity_hook_timeout_s;
		r->killed = false;
		r->current = current;
		r->desired = desired;
		d->hook_runs++;
		xlbd_log(d, "info",
			 "capacity hook for %s: %u -> %u backends: %s started "
			 "(pid %d)",
			 vip, current, desired, argv[0], (int)pid);
	}
out:
	for (size_t i = 0; i < cfg->capacity_hook_n; i++)
		free(argv[i]);
	free(argv);
log:
	if (ret) {
		d->hook_failures++;
		xlbd_log(d, "error", "capacity hook for %s: %u -> %u: %s: %s",
			 vip, current, desired, cfg->capacity_hook[0],
			 strerror(-ret));
	}
}

/* Reaps a finished run, kills one past its deadline; never blocks. */
static void reap(struct xlbd *d, const char *vip, struct hook_run *r,
		 double now)
{
	int status;
	pid_t got;

	if (!r->pid)
		return;
	got = waitpid(r->pid, &status, WNOHANG);
	if (got == 0) {
		if (!r->killed && now >= r->deadline) {
			/* its process group: what it started goes too */
			kill(-r->pid, SIGKILL);
			kill(r->pid, SIGKILL);
			r->killed = true;
			d->hook_failures++;
			xlbd_log(d, "error",
				 "capacity hook for %s: %u -> %u: still "
				 "running after %.3g s "
				 "(capacity.hook_timeout_s)"
				 ": killed",
				 vip, r->current, r->desired, now - r->started);
		}
		return;
	}
	if (got < 0) {
		xlbd_log(d, "error", "capacity hook for %s: waitpid %d: %s",
			 vip, (int)r->pid, strerror(errno));
	} else if (WIFEXITED(status)) {
		if (WEXITSTATUS(status))
			d->hook_failures++;
		xlbd_log(d, WEXITSTATUS(status) ? "error" : "info",
			 "capacity hook for %s: %u -> %u: exit status %d after "
			 "%.3g s",
			 vip, r->current, r->desired, WEXITSTATUS(status),
			 now - r->started);
	} else if (WIFSIGNALED(status)) {
		if (!r->killed)
			d->hook_failures++;
		xlbd_log(d, "error",
			 "capacity hook for %s: %u -> %u: killed by signal %d "
			 "after %.3g s",
			 vip, r->current, r->desired, WTERMSIG(status),
			 now - r->started);
	}
	r->pid = 0;
}

void xlbd_scale_hook_tick(struct xlbd *d, double now)
{
	struct hooks *h = hooks_of(d);

	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++) {
		struct hook_run *r = &h->runs[i];

		reap(d, h->keys[i], r, now);
		if (!r->pid && r->pending) {
			r->pending = false;
			spawn(d, h->keys[i], r, r->pending_current,
			      r->pending_desired, now);
		}
	}
	for (size_t i = 0; i < d->n_vips; i++) {
		const struct xlbd_vip *v = &d->vips[i];
		bool fresh = false;
		ssize_t s;

		if (!v->have_out)
			continue;
		s = slot(h, v->key, &fresh);
		if (s < 0)
			return;
		/* the first count seen is where it starts: no hook */
		if (fresh || h->last_desired[s] == v->out.desired) {
			h->last_desired[s] = v->out.desired;
			continue;
		}
		h->last_desired[s] = v->out.desired;
		d->hook_changes++;
		if (!d->cfg.capacity_hook_n)
			continue;
		if (d->cfg.brain.dry_run) {
			xlbd_log(d, "info",
				 "capacity hook for %s: %u -> %u backends: "
				 "not run (dry run)",
				 v->key, v->out.active, v->out.desired);
			continue;
		}
		struct hook_run *r = &h->runs[s];

		if (r->pid) {
			r->pending = true;
			r->pending_current = v->out.active;
			r->pending_desired = v->out.desired;
			continue;
		}
		spawn(d, v->key, r, v->out.active, v->out.desired, now);
	}
}

/* At exit: hooks still running are left to finish on their own, logged. */
void xlbd_scale_hook_fini(struct xlbd *d)
{
	struct hooks *h = d->hooks;

	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++) {
		reap(d, h->keys[i], &h->runs[i], xlbd_now());
		if (h->runs[i].pid)
			xlbd_log(d, "warn",
				 "capacity hook for %s (pid %d) still running "
				 "at exit: left to finish",
				 h->keys[i], (int)h->runs[i].pid);
	}
	free(h->runs);
	free(h->keys);
	free(h->last_desired);
	free(h);
	d->hooks = NULL;
}
