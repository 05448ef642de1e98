// SPDX-License-Identifier: GPL-2.0
/*
 * A list of changes applied as one transaction. Each library call already
 * leaves the maps consistent; this adds all-or-nothing over the list: the
 * state before is read first, and a failure part-way applies the difference
 * back to it. A process killed part-way leaves consistent maps a few steps
 * short of the goal: the next diff against the same file lists exactly what
 * is left, and the tables left stale are rebuilt at the end of every apply.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

enum failpoint_action {
	FAILPOINT_NONE,
	FAILPOINT_FAIL,
	FAILPOINT_KILL,
};

struct failpoint {
	enum failpoint_action action;
	size_t at;
};

/* XLB_FAILPOINT_APPLY=fail:N|kill:N: the tests' way to break change N. */
static struct failpoint failpoint_read(void)
{
	struct failpoint fp = {};
	const char *env = getenv("XLB_FAILPOINT_APPLY");
	char action[8];

	if (env && sscanf(env, "%7[a-z]:%zu", action, &fp.at) == 2) {
		if (!strcmp(action, "fail"))
			fp.action = FAILPOINT_FAIL;
		else if (!strcmp(action, "kill"))
			fp.action = FAILPOINT_KILL;
	}
	return fp;
}

static int apply_one(struct xlb *xlb, const struct xlb_change *c)
{
	const struct xlb_backend_spec *s = &c->spec;

	switch (c->kind) {
	case XLB_CHANGE_VIP_DEL:
		return xlb_vip_del(xlb, &c->vip);
	case XLB_CHANGE_VIP_ADD: {
		int err = xlb_vip_add(xlb, &c->vip, c->table_size);

		if (!err && c->no_icmp_echo)
			err = xlb_vip_set_icmp_echo(xlb, &c->vip, false);
		/* Before its pairs: each copies the VIP's mode when added. */
		if (!err && c->forward != XLB_FORWARD_L2DSR)
			err = xlb_vip_set_mode(xlb, &c->vip, c->forward);
		return err;
	}
	case XLB_CHANGE_VIP_MODE:
		return xlb_vip_set_mode(xlb, &c->vip, c->forward);
	case XLB_CHANGE_VIP_SET:
		return xlb_vip_set_icmp_echo(xlb, &c->vip, !c->no_icmp_echo);
	case XLB_CHANGE_VIP_RESIZE:
		return xlb_vip_set_table_size(xlb, &c->vip, c->table_size);
	case XLB_CHANGE_BACKEND_DEL:
		return xlb_backend_del(xlb, &c->vip, &s->addr, s->family);
	case XLB_CHANGE_BACKEND_ADD: {
		struct xlb_backend_spec spec = *s;

		if (!(spec.set & XLB_SET_MAC) && c->needs_mac)
			return xlb_err(EINVAL, "no MAC known for it");
		if (!(spec.set & XLB_SET_MAC)) {
			memcpy(spec.mac, XLB_TUNNEL_MAC, 6);
			spec.set |= XLB_SET_MAC;
		}
		return xlb_backend_add(xlb, &c->vip, &spec);
	}
	case XLB_CHANGE_BACKEND_SET:
		if (c->needs_mac && !(s->set & XLB_SET_MAC))
			return xlb_err(EINVAL, "no MAC known for it");
		return xlb_backend_set(xlb, &c->vip, s);
	}
	return xlb_err(EINVAL, "unknown change kind %d", c->kind);
}

/* A failpoint set at change i (i == n: after the last, before the rebuild). */
static int failpoint_hit(const struct failpoint *fp, size_t i)
{
	if (!fp || fp->action == FAILPOINT_NONE || fp->at != i)
		return 0;
	if (fp->action == FAILPOINT_KILL)
		kill(getpid(), SIGKILL);
	return xlb_err(EIO, "failpoint XLB_FAILPOINT_APPLY");
}

/* Applies each change, stopping at the first failure; *done counts. */
static int apply_all(struct xlb *xlb, const struct xlb_change *changes,
		     size_t n, const struct failpoint *fp, size_t *done)
{
	char line[256], msg[512];
	int err = 0;

	for (*done = 0; *done < n; (*done)++) {
		const struct xlb_change *c = &changes[*done];

		err = failpoint_hit(fp, *done);
		if (!err)
			err = apply_one(xlb, c);
		if (err) {
			snprintf(msg, sizeof(msg), "%s", xlb_errmsg());
			return xlb_err(-err, "%s: %s",
				       xlb_change_format(c, line, sizeof(line)),
				       msg);
		}
	}
	return failpoint_hit(fp, n);
}

/* Rebuilds what the changes touched and anything else left stale. */
static int rebuild_tables(struct xlb *xlb)
{
	int rebuilt, err;

	err = xlb_commit(xlb);
	if (!err)
		err = xlb_sync(xlb, false, &rebuilt);
	return err;
}

/* Brings the maps back to before; keeps going past failures. */
static int roll_back(struct xlb *xlb, const struct xlb_desired *before)
{
	struct xlb_change *undo;
	struct xlb_desired now;
	size_t n, done;
	int err, first = 0;

	err = xlb_desired_read(xlb, &now);
	if (err)
		return err;
	err = xlb_desired_diff(&now, before, &undo, &n);
	xlb_desired_free(&now);
	if (err)
		return err;
	for (size_t i = 0; i < n; i += done + 1) {
		err = apply_all(xlb, undo + i, n - i, NULL, &done);
		if (err && !first)
			first = err;
	}
	free(undo);
	err = rebuild_tables(xlb);
	return first ? first : err;
}

int xlb_changes_apply(struct xlb *xlb, const struct xlb_change *changes,
		      size_t n)
{
	struct failpoint fp = failpoint_read();
	struct xlb_desired before;
	struct pair_snapshot snap;
	char msg[512];
	size_t done;
	int err, undo_err;

	err = xlb_require_lock(xlb, "apply");
	if (!err)
		err = xlb_verify(xlb); /* the maps are still the pinned ones */
	if (!err)
		err = xlb_desired_read(xlb, &before);
	if (err)
		return err;
	/*
	 * One read of every pair slot for the whole list: each change then
	 * finds its pair and a free slot in memory (internal.h, xlb.cache),
	 * so applying n changes costs n writes, not n reads of all slots.
	 * Only this process writes while the lock is held.
	 */
	err = pair_snapshot_read(xlb, &snap);
	if (err) {
		xlb_desired_free(&before);
		return err;
	}
	xlb->cache = &snap;
	err = apply_all(xlb, changes, n, &fp, &done);
	if (!err)
		err = rebuild_tables(xlb);
	/* The roll-back reads the maps afresh: it trusts no copy. */
	xlb->cache = NULL;
	pair_snapshot_free(&snap);
	if (err) {
		snprintf(msg, sizeof(msg), "%s", xlb_errmsg());
		undo_err = roll_back(xlb, &before);
		if (undo_err)
			err = xlb_err(-err, "%s; rolling back failed too: %s",
				      msg, xlb_errmsg());
		else
			err = xlb_err(-err,
				      "%s (rolled back to the state before)",
				      msg);
	}
	xlb_desired_free(&before);
	return err;
}
