/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlbctl's command line: argv in, a filled struct cli out, no side effects,
 * so every good and bad input is unit-tested without root.
 */
#ifndef XLBCTL_CLI_H
#define XLBCTL_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "xlb.h"

enum cli_command {
	CLI_HELP,
	CLI_VERSION,
	CLI_ATTACH,
	CLI_DETACH,
	CLI_STATUS,
	CLI_VIP_ADD,
	CLI_VIP_DEL,
	CLI_VIP_SET,
	CLI_VIP_LIST,
	CLI_BACKEND_ADD,
	CLI_BACKEND_SET,
	CLI_BACKEND_DEL,
	CLI_BACKEND_LIST,
	CLI_STATS,
	CLI_TOP,
	CLI_CONFIG_APPLY,
	CLI_CONFIG_DUMP,
	CLI_SYNC,
	CLI_DECISIONS,
	CLI_HISTORY_EXPORT,
	CLI_SETTINGS,
	CLI_UPGRADE,
	CLI_CLUSTER_STATUS,
	CLI_COMMANDS,
};

#define CLI_NEIGH_TIMEOUT_DEFAULT_MS 1000
#define CLI_INTERVAL_DEFAULT_MS 1000

struct cli {
	enum cli_command command;
	const char *name; /* "backend add": how messages name the command */
	char object[160]; /* its operands, for messages: "VIP BACKEND" */
	bool help;	  /* --help: print the usage of help_topic */
	const char *help_topic; /* a command ("vip add"), group, or NULL */

	/* Global options. */
	const char *pin_path;
	bool json;
	int lock_timeout_ms;

	/* attach, detach */
	const char *ifname;
	enum xlb_xdp_mode mode;
	bool force;
	bool all;	       /* detach --all, sync --all */
	__u32 conn_table_size; /* 0: not given */
	__u32 udp_timeout_s;   /* 0: not given */
	__u32 hash_seed;
	bool has_hash_seed;
	__u32 new_flow_budget; /* inserts per s per CPU */
	bool has_new_flow_budget;
	const char *obj_path; /* upgrade --obj; NULL: the built-in object */

	/* vip, backend */
	struct xlb_vip_key vip;
	bool has_vip;
	__u32 table_size;		 /* 0: not given */
	enum xlb_forward_mode forward;	 /* vip add --forward; attach: l2dsr */
	bool no_icmp_echo;		 /* vip add --icmp-echo off */
	bool has_forward, has_icmp_echo; /* vip set: what to change */
	/* settings --tunnel-source: the ipip outer source, per family */
	union xlb_addr tunnel_source4, tunnel_source6;
	bool has_tunnel_source4, has_tunnel_source6;
	__u32 gue_port; /* settings --gue-port; 0: not given */
	/* backend add/set: .set has XLB_SET_* for each option given */
	struct xlb_backend_spec backend;
	int neigh_timeout_ms;

	/* stats, top */
	bool watch;
	int interval_ms;
	long count;	      /* 0: unbounded */
	int duration_ms;      /* 0: unbounded */
	const char *xlbd_url; /* top: xlbd's listener; NULL: the default */

	/* config */
	const char *file;
	bool dry_run;

	/* decisions, history export: xlbd's state directory */
	const char *state_dir;
	bool follow;
	bool csv;
	double since; /* CLOCK_REALTIME seconds; 0: everything */

	/* cluster status: NULL: from xlbd's config */
	const char *etcd, *cluster_prefix, *xlbd_config;
};

#define CLI_STATE_DIR_DEFAULT "/var/lib/xlb"

/*
 * Fills cli from argv (which getopt may reorder). Returns 0, or -EINVAL
 * with a one-line message in err naming the problem.
 */
int cli_parse(int argc, char **argv, struct cli *cli, char *err, size_t errlen);

/*
 * Usage of one command, of a group ("vip"), or of all (topic NULL); returns
 * how many commands matched.
 */
int cli_usage(const char *topic, FILE *out);

#endif
