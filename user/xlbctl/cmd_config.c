// SPDX-License-Identifier: GPL-2.0
/*
 * config apply and config dump: the whole desired state in one JSON file.
 * apply reads and checks the whole file before it touches anything, prints
 * the difference, then applies it as one transaction (libxlb rolls back a
 * failure part-way).
 */
#include <errno.h>
#include <stdlib.h>

#include "commands.h"
#include "config_json.h"
#include "etcd_client.h"
#include "output.h"
#include "report.h"
#include "session.h"

static void print_changes(const struct xlb_change *changes, size_t n)
{
	char line[256];

	for (size_t i = 0; i < n; i++)
		printf("%s\n",
		       xlb_change_format(&changes[i], line, sizeof(line)));
	fflush(stdout);
}

/* No difference left: rebuild tables a killed writer left stale, if any. */
static int finish_unchanged(const struct cli *cli, struct xlb *xlb)
{
	struct xlb_vip_entry *vips;
	size_t n, stale = 0;
	int err, rebuilt = 0;

	err = xlb_vip_list(xlb, &vips, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++)
		stale += vips[i].table_stale;
	free(vips);
	if (stale && !cli->dry_run) {
		err = xlb_sync(xlb, false, &rebuilt);
		if (err)
			return err;
	}
	if (stale && cli->dry_run)
		printf("no changes; %zu stale table%s would be rebuilt\n",
		       stale, stale == 1 ? "" : "s");
	else if (rebuilt)
		printf("no changes; rebuilt %d stale table%s\n", rebuilt,
		       rebuilt == 1 ? "" : "s");
	else
		printf("no changes\n");
	return 0;
}

int config_apply_desired(const struct cli *cli, struct xlb *xlb,
			 const struct xlb_desired *want)
{
	const struct xlb_meta *meta = xlb_meta(xlb);
	struct xlb_change *changes = NULL;
	struct xlb_desired now;
	size_t n;
	int err;

	err = xlb_desired_check(want, meta->max_vips, meta->max_backends);
	if (!err)
		err = xlb_desired_read(xlb, &now);
	if (err)
		return err;
	err = xlb_desired_diff(&now, want, &changes, &n);
	xlb_desired_free(&now);
	if (err)
		return err;
	/* A dry run sends no ARP: its new backends show "(neighbour table)". */
	if (!cli->dry_run)
		err = xlb_changes_resolve_macs(xlb, changes, n,
					       cli->neigh_timeout_ms);
	if (!err && !n)
		err = finish_unchanged(cli, xlb);
	if (!err && n)
		print_changes(changes, n);
	if (!err && n && cli->dry_run)
		printf("dry run: %zu change%s, none applied\n", n,
		       n == 1 ? "" : "s");
	if (!err && n && !cli->dry_run) {
		err = xlb_changes_apply(xlb, changes, n);
		if (!err)
			printf("applied %zu change%s\n", n, n == 1 ? "" : "s");
	}
	free(changes);
	return err;
}

int cmd_config_apply(const struct cli *cli)
{
	struct xlb_desired want;
	char msg[512];
	struct xlb *xlb;
	int rc, err;

	/* --etcd: for every LB host of the cluster (cmd_config_etcd.c) */
	if (cli->etcd)
		return cmd_config_apply_etcd(cli);
	/* The whole file is checked before the maps are even opened. */
	err = config_load(cli->file, &want, msg, sizeof(msg));
	if (err)
		return report(cli, err == -ENOENT ? err : -EINVAL, "%s", msg);
	rc = cli->dry_run ? session_open(cli, &xlb)
			  : session_open_writer(cli, &xlb);
	if (rc) {
		xlb_desired_free(&want);
		return rc;
	}
	err = config_apply_desired(cli, xlb, &want);
	xlb_desired_free(&want);
	if (err)
		rc = report_lib(cli, err);
	xlb_unlock(xlb);
	xlb_close(xlb);
	return rc;
}

int cmd_config_dump(const struct cli *cli)
{
	struct xlb_desired now;
	json_object *doc;
	struct xlb *xlb;
	int rc, err;

	if (cli->etcd)
		return cmd_config_dump_etcd(cli);
	rc = session_open(cli, &xlb);
	if (rc)
		return rc;
	err = xlb_desired_read(xlb, &now);
	if (err) {
		rc = report_lib(cli, err);
	} else {
		doc = config_to_json(&now);
		json_print(doc, stdout, false);
		json_object_put(doc);
		xlb_desired_free(&now);
	}
	xlb_close(xlb);
	return rc;
}
