// SPDX-License-Identifier: GPL-2.0
/*
 * upgrade: replace the running program with a new build through
 * bpf_link_update, reusing every pinned map, so established flows keep their
 * connection entries and no packet passes unbalanced. An object of another
 * layout is refused before anything changes.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>

#include "commands.h"
#include "output.h"
#include "report.h"
#include "session.h"
#include "upgrade.h"

static void print_result(const struct cli *cli,
			 const struct xlb_upgrade_result *r, size_t n)
{
	if (cli->json) {
		json_object *doc = json_object_new_object();
		json_object *list = json_object_new_array();

		for (size_t i = 0; i < n; i++) {
			json_object *o = json_object_new_object();

			json_object_object_add(
				o, "interface",
				json_object_new_string(r[i].ifname));
			json_object_object_add(
				o, "old_prog_id",
				json_object_new_int64(r[i].old_prog_id));
			json_object_object_add(
				o, "new_prog_id",
				json_object_new_int64(r[i].new_prog_id));
			json_object_array_add(list, o);
		}
		json_object_object_add(doc, "dry_run",
				       json_object_new_boolean(cli->dry_run));
		json_object_object_add(doc, "layout_from",
				       json_object_new_int64(r[0].layout_from));
		json_object_object_add(doc, "layout_to",
				       json_object_new_int64(r[0].layout_to));
		json_object_object_add(doc, "migration",
				       json_object_new_string(r[0].migration));
		json_object_object_add(doc, "attachments", list);
		json_print(doc, stdout, false);
		json_object_put(doc);
		return;
	}
	/* Once: the migration is the instance's, not an attachment's. */
	if (r[0].migration[0] && cli->dry_run)
		printf("%s\n", r[0].migration);
	else if (r[0].migration[0])
		printf("layout %u migrated to %u (%s)\n", r[0].layout_from,
		       r[0].layout_to, r[0].migration);
	for (size_t i = 0; i < n; i++) {
		if (cli->dry_run)
			printf("%s: program %u would be replaced (the new one "
			       "loaded and verified against the pinned maps)\n",
			       r[i].ifname, r[i].old_prog_id);
		else
			printf("%s: program %u replaced by %u\n", r[i].ifname,
			       r[i].old_prog_id, r[i].new_prog_id);
	}
}

int cmd_upgrade(const struct cli *cli)
{
	const char *ifnames[1] = { cli->ifname };
	struct xlb_upgrade_opts opts = {
		.obj_path = cli->obj_path,
		.ifnames = ifnames,
		.n_ifnames = cli->ifname ? 1 : 0,
		.dry_run = cli->dry_run,
	};
	struct xlb_upgrade_result *res;
	struct xlb *xlb;
	size_t n;
	int rc, err;

	/* Pins of an older layout open too: the upgrade migrates them. */
	err = xlb_open_for_upgrade(cli->pin_path, &xlb);
	if (err)
		return report_lib(cli, err);
	rc = session_lock(cli, xlb);
	if (rc)
		return rc;
	err = xlb_upgrade(xlb, &opts, &res, &n);
	if (!err) {
		print_result(cli, res, n);
		free(res);
	}
	return session_finish(cli, xlb, err);
}
