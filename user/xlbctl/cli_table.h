/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What cli.c (the parser) and cli_table.c (the table of commands and
 * their usage) share; callers use cli.h.
 */
#ifndef XLBCTL_CLI_TABLE_H
#define XLBCTL_CLI_TABLE_H

#include <getopt.h>
#include <stddef.h>

#include "cli.h"

/* Long options; BIT() turns those from OPT_PIN_PATH on into a mask. */
enum option_id {
	OPT_HELP = 'h',
	/* Global: every command takes these. */
	OPT_PIN_PATH = 256,
	OPT_JSON,
	OPT_LOCK_TIMEOUT,
	/* Per command. */
	OPT_MODE,
	OPT_FORWARD,
	OPT_CONN_TABLE_SIZE,
	OPT_UDP_TIMEOUT,
	OPT_FORCE,
	OPT_ALL,
	OPT_TABLE_SIZE,
	OPT_WEIGHT,
	OPT_STATE,
	OPT_MAC,
	OPT_NEIGH_TIMEOUT,
	OPT_WATCH,
	OPT_INTERVAL,
	OPT_COUNT,
	OPT_DURATION,
	OPT_DRY_RUN,
	OPT_HASH_SEED,
	OPT_NEW_FLOW_BUDGET,
	OPT_STATE_DIR,
	OPT_FOLLOW,
	OPT_SINCE,
	OPT_CSV,
	OPT_XLBD,
	OPT_OBJ,
	OPT_TUNNEL_SOURCE,
	OPT_ETCD,
	OPT_CLUSTER_PREFIX,
	OPT_XLBD_CONFIG,
	OPT_ICMP_ECHO,
	OPT_GUE_PORT,
};

#define BIT(opt) (1ul << ((opt)-OPT_PIN_PATH))
#define GLOBAL_OPTIONS \
	(BIT(OPT_PIN_PATH) | BIT(OPT_JSON) | BIT(OPT_LOCK_TIMEOUT))

extern const struct option cli_long_options[];

/* One command: what --help prints, and what the parser accepts. */
struct command_spec {
	enum cli_command command;
	const char *name;     /* as typed: "backend add" */
	const char *operands; /* "VIP BACKEND", "[VIP]" */
	int min_operands, max_operands;
	unsigned long options; /* BIT(OPT_*) beyond the global ones */
	const char *summary;
	const char *details; /* option lines */
};

extern const struct command_spec cli_commands[];
extern const size_t cli_n_commands;

#endif
