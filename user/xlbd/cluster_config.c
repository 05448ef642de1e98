// SPDX-License-Identifier: GPL-2.0
/*
 * The operator's configuration as one document in etcd (<prefix>/config,
 * put by `xlbctl config apply FILE --etcd URLS`), applied to this host's
 * maps exactly as `xlbctl config apply FILE` would: the same parser
 * (xlbctl's config_json.c, linked in), the same checks, the difference
 * from the maps applied as one libxlb transaction, which rolls a failure
 * part-way back: a document is applied whole or not at all.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "xlbd.h"
#include "cluster.h"
#include "../xlbctl/config_json.h"

/* The lock is taken on the loop: a busy writer costs a retry, not a stall. */
#define CONFIG_LOCK_TIMEOUT_MS 200

static int refuse(char *err, size_t errlen, int ret, const char *what)
{
	snprintf(err, errlen, "%s: %s", what, xlb_errmsg());
	return ret;
}

int xlbd_cluster_config_apply(struct xlbd *d, const char *text, int64_t rev,
			      size_t *n_changes, char *err, size_t errlen)
{
	const struct xlb_meta *meta = xlb_meta(d->xlb);
	struct xlb_change *changes = NULL;
	struct xlb_desired want, now;
	char line[256];
	size_t n = 0;
	int ret;

	*n_changes = 0;
	if (config_parse(text, &want, err, errlen))
		return -EINVAL;
	if (xlb_desired_check(&want, meta->max_vips, meta->max_backends)) {
		xlb_desired_free(&want);
		return refuse(err, errlen, -EINVAL, "check");
	}
	if (xlb_lock(d->xlb, CONFIG_LOCK_TIMEOUT_MS)) {
		xlb_desired_free(&want);
		return refuse(err, errlen, -EAGAIN, "the writer lock");
	}
	ret = xlb_desired_read(d->xlb, &now);
	if (ret) {
		refuse(err, errlen, ret, "read the maps");
		goto out;
	}
	ret = xlb_desired_diff(&now, &want, &changes, &n);
	xlb_desired_free(&now);
	if (ret) {
		ret = refuse(err, errlen, -EINVAL, "diff");
		goto out;
	}
	/*
	 * A new backend without a "mac": timeout 0 only asks the kernel to
	 * resolve it (the loop never waits for ARP); the caller tries again
	 * shortly and finds the answer in the neighbour table.
	 */
	ret = xlb_changes_resolve_macs(d->xlb, changes, n, 0);
	if (ret) {
		ret = refuse(err, errlen,
			     ret == -EHOSTUNREACH ? -EAGAIN : -EINVAL, "MAC");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		xlbd_log(d, "info",
			 "cluster: config revision %" PRId64 ": %s%s", rev,
			 d->cfg.brain.dry_run ? "would " : "",
			 xlb_change_format(&changes[i], line, sizeof(line)));
	if (n && !d->cfg.brain.dry_run) {
		ret = xlb_changes_apply(d->xlb, changes, n);
		if (ret) {
			/* libxlb rolled back: the maps are as before */
			ret = refuse(err, errlen, -EINVAL, "apply");
			goto out;
		}
	}
	*n_changes = n;
out:
	xlb_unlock(d->xlb);
	free(changes);
	xlb_desired_free(&want);
	/* the pairs xlbd tracks follow the maps at once, not at the tick */
	if (!ret && n && !d->cfg.brain.dry_run && xlbd_collect_pairs(d))
		xlbd_log(d, "error",
			 "cluster: read the maps after config "
			 "revision %" PRId64 ": %s",
			 rev, xlb_errmsg());
	return ret;
}
