/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlbctl's side of the cluster in etcd (user/xlbd/cluster.c): which
 * endpoints and prefix, and one request through the v3 JSON gateway
 * (xlbd's codec, user/xlbd/cluster_etcd.c). A command line may block:
 * plain libcurl, one endpoint after another until one answers.
 */
#ifndef XLBCTL_ETCD_CLIENT_H
#define XLBCTL_ETCD_CLIENT_H

#include <stddef.h>

#include "cli.h"
#include "../xlbd/cluster_etcd.h"

/*
 * --etcd and --prefix, else xlbd's config (--config FILE, default
 * /etc/xlb/xlbd.conf) cluster.etcd and cluster.prefix, else the prefix
 * /xlb/default. 0, or an exit code with the message printed.
 */
int etcd_target(const struct cli *cli, char *etcd, size_t elen, char *prefix,
		size_t plen);

/*
 * POSTs body to path (e.g. "/v3/kv/range") of the first endpoint of the
 * comma-separated list that answers; the answer parsed into r (free it
 * with etcd_reply_free), the endpoint used in used. 0, or -EIO with err
 * naming the last endpoint tried and why.
 */
int etcd_post(const char *endpoints, const char *path, const char *body,
	      struct etcd_reply *r, char *used, size_t ulen, char *err,
	      size_t errlen);

/* cmd_config_etcd.c: config apply FILE --etcd, config dump --etcd */
int cmd_config_apply_etcd(const struct cli *cli);
int cmd_config_dump_etcd(const struct cli *cli);

#endif
