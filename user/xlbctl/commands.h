/* SPDX-License-Identifier: GPL-2.0 */
/* The commands: each runs one parsed command line and returns the exit code. */
#ifndef XLBCTL_COMMANDS_H
#define XLBCTL_COMMANDS_H

#include "cli.h"

/* cmd_attach.c */
int cmd_attach(const struct cli *cli);
int cmd_detach(const struct cli *cli);
int cmd_status(const struct cli *cli);
/* cmd_vip.c */
int cmd_vip_add(const struct cli *cli);
int cmd_vip_del(const struct cli *cli);
int cmd_vip_set(const struct cli *cli);
int cmd_vip_list(const struct cli *cli);
/* cmd_backend.c */
int cmd_backend_add(const struct cli *cli);
int cmd_backend_set(const struct cli *cli);
int cmd_backend_del(const struct cli *cli);
int cmd_backend_list(const struct cli *cli);
/* cmd_stats.c */
int cmd_stats(const struct cli *cli);
/* cmd_top.c */
int cmd_top(const struct cli *cli);
/* cmd_config.c */
int cmd_config_apply(const struct cli *cli);
int cmd_config_dump(const struct cli *cli);
/*
 * Diffs want against the maps, prints the changes and (unless --dry-run)
 * applies them as one transaction; the writer lock is held.
 */
int config_apply_desired(const struct cli *cli, struct xlb *xlb,
			 const struct xlb_desired *want);
/* cmd_sync.c */
int cmd_sync(const struct cli *cli);
/* cmd_decisions.c */
int cmd_decisions(const struct cli *cli);
/* cmd_history.c */
int cmd_history_export(const struct cli *cli);
/* cmd_settings.c */
int cmd_settings(const struct cli *cli);

/* cmd_upgrade.c */
int cmd_upgrade(const struct cli *cli);
/* cmd_cluster.c */
int cmd_cluster_status(const struct cli *cli);

#endif
