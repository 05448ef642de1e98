// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl: attach, configure and observe xlb. A thin layer over libxlb:
 * parse the command line, run one command, exit with a documented code.
 * Stateless: every run reads the pinned maps afresh.
 */
#include <stdio.h>

#include <json-c/json.h>

#include "commands.h"
#include "output.h"
#include "report.h"

#ifndef XLB_VERSION
#define XLB_VERSION "unknown"
#endif

static int cmd_help(const struct cli *cli)
{
	if (!cli_usage(cli->help_topic, stdout)) {
		fprintf(stderr,
			"xlbctl: help: no command '%s' (xlbctl --help "
			"lists them)\n",
			cli->help_topic);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

static int cmd_version(const struct cli *cli)
{
	if (cli->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "version",
				       json_object_new_string(XLB_VERSION));
		json_object_object_add(doc, "layout_version",
				       json_object_new_int(XLB_LAYOUT_VERSION));
		json_object_object_add(
			doc, "migrates_from_layout",
			json_object_new_int(xlb_layout_migrates_from()));
		json_print(doc, stdout, false);
		json_object_put(doc);
	} else {
		printf("xlbctl %s (map layout version %d; upgrade migrates "
		       "pins of layout %d on)\n",
		       XLB_VERSION, XLB_LAYOUT_VERSION,
		       xlb_layout_migrates_from());
	}
	return EXIT_OK;
}

static int (*const handlers[CLI_COMMANDS])(const struct cli *) = {
	[CLI_HELP] = cmd_help,
	[CLI_VERSION] = cmd_version,
	[CLI_ATTACH] = cmd_attach,
	[CLI_DETACH] = cmd_detach,
	[CLI_STATUS] = cmd_status,
	[CLI_VIP_ADD] = cmd_vip_add,
	[CLI_VIP_DEL] = cmd_vip_del,
	[CLI_VIP_SET] = cmd_vip_set,
	[CLI_VIP_LIST] = cmd_vip_list,
	[CLI_BACKEND_ADD] = cmd_backend_add,
	[CLI_BACKEND_SET] = cmd_backend_set,
	[CLI_BACKEND_DEL] = cmd_backend_del,
	[CLI_BACKEND_LIST] = cmd_backend_list,
	[CLI_STATS] = cmd_stats,
	[CLI_TOP] = cmd_top,
	[CLI_CONFIG_APPLY] = cmd_config_apply,
	[CLI_CONFIG_DUMP] = cmd_config_dump,
	[CLI_SYNC] = cmd_sync,
	[CLI_DECISIONS] = cmd_decisions,
	[CLI_HISTORY_EXPORT] = cmd_history_export,
	[CLI_SETTINGS] = cmd_settings,
	[CLI_UPGRADE] = cmd_upgrade,
	[CLI_CLUSTER_STATUS] = cmd_cluster_status,
};

int main(int argc, char **argv)
{
	struct cli cli;
	char err[512];

	if (cli_parse(argc, argv, &cli, err, sizeof(err))) {
		fprintf(stderr, "xlbctl: %s\n", err);
		return EXIT_USAGE;
	}
	if (cli.help)
		return cmd_help(&cli);
	/* Rates and shares read better with a few digits than with 17. */
	json_c_set_serialization_double_format("%.6g", JSON_C_OPTION_GLOBAL);
	return handlers[cli.command](&cli);
}
