// SPDX-License-Identifier: GPL-2.0
/* vip add, del and list. */
#include <errno.h>
#include <stdlib.h>

#include "commands.h"
#include "output.h"
#include "report.h"
#include "session.h"

int cmd_vip_add(const struct cli *cli)
{
	struct xlb *xlb;
	int rc, err;

	rc = session_open_writer(cli, &xlb);
	if (rc)
		return rc;
	err = xlb_vip_add(xlb, &cli->vip, cli->table_size);
	/* Before any backend: its pairs copy the VIP's mode when added. */
	if (!err && cli->forward != XLB_FORWARD_L2DSR)
		err = xlb_vip_set_mode(xlb, &cli->vip, cli->forward);
	if (!err && cli->no_icmp_echo)
		err = xlb_vip_set_icmp_echo(xlb, &cli->vip, false);
	return session_finish(cli, xlb, err);
}

/*
 * The maps' own desired state with this VIP's settings changed, applied
 * as config apply would: a VIP turning l2dsr has its backends' MACs
 * resolved and set before its mode, and a failure part-way rolls back.
 */
int cmd_vip_set(const struct cli *cli)
{
	struct xlb_desired_vip *vip = NULL;
	char text[XLB_VIP_STRLEN];
	struct xlb_desired want;
	struct xlb *xlb;
	int rc, err;

	rc = cli->dry_run ? session_open(cli, &xlb)
			  : session_open_writer(cli, &xlb);
	if (rc)
		return rc;
	err = xlb_desired_read(xlb, &want);
	if (err) {
		rc = report_lib(cli, err);
		goto out;
	}
	for (size_t i = 0; i < want.n_vips && !vip; i++)
		if (!xlb_vip_key_cmp(&want.vips[i].key, &cli->vip))
			vip = &want.vips[i];
	if (!vip) {
		rc = report(cli, -ENOENT, "VIP %s does not exist",
			    xlb_format_vip(&cli->vip, text, sizeof(text)));
	} else {
		if (cli->has_forward)
			vip->forward = cli->forward;
		if (cli->has_icmp_echo)
			vip->no_icmp_echo = cli->no_icmp_echo;
		err = config_apply_desired(cli, xlb, &want);
		if (err)
			rc = report_lib(cli, err);
	}
	xlb_desired_free(&want);
out:
	xlb_unlock(xlb);
	xlb_close(xlb);
	return rc;
}

int cmd_vip_del(const struct cli *cli)
{
	struct xlb *xlb;
	int rc;

	rc = session_open_writer(cli, &xlb);
	if (rc)
		return rc;
	return session_finish(cli, xlb, xlb_vip_del(xlb, &cli->vip));
}

/* Backends of each VIP: all of them, and those taking new flows. */
static void count_pairs(const struct xlb_vip_entry *vip,
			const struct xlb_pair_info *pairs, size_t n,
			size_t *total, size_t *active)
{
	*total = *active = 0;
	for (size_t i = 0; i < n; i++) {
		if (xlb_vip_key_cmp(&pairs[i].vip, &vip->key))
			continue;
		(*total)++;
		*active += pairs[i].state == XLB_STATE_ACTIVE;
	}
}

static void list_text(const struct xlb_vip_entry *vips, size_t n_vips,
		      const struct xlb_pair_info *pairs, size_t n_pairs)
{
	struct table *t = table_new("lrrrl", "VIP", "ID", "TABLE", "BACKENDS",
				    "TABLE STATE", NULL);
	char text[XLB_VIP_STRLEN];
	size_t total, active;

	for (size_t i = 0; i < n_vips; i++) {
		count_pairs(&vips[i], pairs, n_pairs, &total, &active);
		table_row(t);
		table_cell(t, "%s",
			   xlb_format_vip(&vips[i].key, text, sizeof(text)));
		table_cell(t, "%u", vips[i].vip.id);
		table_cell(t, "%u", vips[i].vip.table_size);
		table_cell(t, "%zu/%zu", active, total);
		table_cell(t, "%s",
			   vips[i].table_stale ? "stale (xlbctl sync rebuilds "
						 "it)"
					       : "ok");
	}
	table_print(t, stdout);
	table_free(t);
}

static void list_json(const struct xlb_vip_entry *vips, size_t n_vips,
		      const struct xlb_pair_info *pairs, size_t n_pairs)
{
	json_object *list = json_object_new_array();
	char text[XLB_VIP_STRLEN];
	size_t total, active;

	for (size_t i = 0; i < n_vips; i++) {
		json_object *o = json_object_new_object();

		count_pairs(&vips[i], pairs, n_pairs, &total, &active);
		json_object_object_add(
			o, "vip",
			json_object_new_string(xlb_format_vip(
				&vips[i].key, text, sizeof(text))));
		json_object_object_add(o, "id",
				       json_object_new_int(vips[i].vip.id));
		json_object_object_add(
			o, "table_size",
			json_object_new_int(vips[i].vip.table_size));
		json_object_object_add(o, "backends",
				       json_object_new_int(total));
		json_object_object_add(o, "active_backends",
				       json_object_new_int(active));
		json_object_object_add(
			o, "table_stale",
			json_object_new_boolean(vips[i].table_stale));
		json_object_object_add(
			o, "icmp_echo",
			json_object_new_boolean(
				!(vips[i].vip.flags & XLB_VIP_F_NO_ICMP_ECHO)));
		json_object_array_add(list, o);
	}
	json_print(list, stdout, false);
	json_object_put(list);
}

int cmd_vip_list(const struct cli *cli)
{
	struct xlb_vip_entry *vips = NULL;
	struct xlb_pair_info *pairs = NULL;
	size_t n_vips, n_pairs;
	struct xlb *xlb;
	int rc, err;

	rc = session_open(cli, &xlb);
	if (rc)
		return rc;
	err = xlb_vip_list(xlb, &vips, &n_vips);
	if (!err)
		err = xlb_backend_list(xlb, NULL, &pairs, &n_pairs);
	if (err)
		rc = report_lib(cli, err);
	else if (cli->json)
		list_json(vips, n_vips, pairs, n_pairs);
	else
		list_text(vips, n_vips, pairs, n_pairs);
	free(vips);
	free(pairs);
	xlb_close(xlb);
	return rc;
}
