/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scale-out through etcd (issue 12): one xlbd leads by lease and publishes
 * the brain's factor and health of every pair as one document
 * (<prefix>/state, fenced by the leader key); the others apply it through
 * libxlb and write none of their own tick decisions. Every request runs on
 * xlbd's curl multi: nothing here blocks the loop. With cluster.etcd empty
 * every call is a no-op and xlbd runs alone.
 */
#ifndef XLBD_CLUSTER_H
#define XLBD_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct xlbd;
struct xlbd_pair;
struct xlb_brain_decision;

int xlbd_cluster_start(struct xlbd *d);
void xlbd_cluster_stop(struct xlbd *d);
/*
 * After a reload (SIGHUP): when any cluster.* key changed, leave (the
 * lease revoked, so a leader hands over now) and start again with the new
 * keys; cluster.etcd emptied: alone from now on.
 */
int xlbd_cluster_reconfigure(struct xlbd *d);
/* The tick's decisions may be written: no cluster, or this host leads. */
bool xlbd_cluster_decides(const struct xlbd *d);
/*
 * A probe's health transition on this host (apply.c, before writing it):
 * recorded and reported to the leader, its reason completed, and on a
 * follower's rise its factor and health replaced by the leader's state.
 * true: write it here.
 */
bool xlbd_cluster_probe(struct xlbd *d, const struct xlbd_pair *p,
			struct xlb_brain_decision *dec);
/* probe.c: a failed probe without a transition (a leader may confirm). */
void xlbd_cluster_probe_failed(struct xlbd *d, struct xlbd_pair *p);
/* After the tick's apply, and after a probe transition: publish / report. */
void xlbd_cluster_tick(struct xlbd *d);
/* curl.c: 1 when easy was one of the cluster's requests. */
int xlbd_cluster_done(struct xlbd *d, void *easy, int code, long status);
void xlbd_cluster_metrics(const struct xlbd *d, FILE *f);

/*
 * cluster_config.c: the operator's configuration document (the text of
 * <prefix>/config at revision rev) applied to the maps in one libxlb
 * transaction, as `xlbctl config apply` does. 0 (*n_changes made);
 * -EINVAL refused (not a valid configuration, or an apply libxlb rolled
 * back); -EAGAIN try again (the writer lock busy, a new backend's MAC not
 * resolved yet). err says why.
 */
int xlbd_cluster_config_apply(struct xlbd *d, const char *text, int64_t rev,
			      size_t *n_changes, char *err, size_t errlen);

#endif
