// SPDX-License-Identifier: GPL-2.0
/*
 * The commands xlbctl knows: their names, operands, the options each takes,
 * and the usage text --help prints from them.
 */
#include <string.h>

#include "cli_table.h"

const struct option cli_long_options[] = {
	{ "help", no_argument, NULL, OPT_HELP },
	{ "pin-path", required_argument, NULL, OPT_PIN_PATH },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "forward", required_argument, NULL, OPT_FORWARD },
	{ "conn-table-size", required_argument, NULL, OPT_CONN_TABLE_SIZE },
	{ "udp-timeout", required_argument, NULL, OPT_UDP_TIMEOUT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "table-size", required_argument, NULL, OPT_TABLE_SIZE },
	{ "weight", required_argument, NULL, OPT_WEIGHT },
	{ "state", required_argument, NULL, OPT_STATE },
	{ "mac", required_argument, NULL, OPT_MAC },
	{ "neigh-timeout", required_argument, NULL, OPT_NEIGH_TIMEOUT },
	{ "watch", no_argument, NULL, OPT_WATCH },
	{ "interval", required_argument, NULL, OPT_INTERVAL },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	{ "follow", no_argument, NULL, OPT_FOLLOW },
	{ "since", required_argument, NULL, OPT_SINCE },
	{ "csv", no_argument, NULL, OPT_CSV },
	{ "hash-seed", required_argument, NULL, OPT_HASH_SEED },
	{ "new-flow-budget", required_argument, NULL, OPT_NEW_FLOW_BUDGET },
	{ "xlbd", required_argument, NULL, OPT_XLBD },
	{ "obj", required_argument, NULL, OPT_OBJ },
	{ "tunnel-source", required_argument, NULL, OPT_TUNNEL_SOURCE },
	{ "etcd", required_argument, NULL, OPT_ETCD },
	{ "prefix", required_argument, NULL, OPT_CLUSTER_PREFIX },
	{ "config", required_argument, NULL, OPT_XLBD_CONFIG },
	{ "icmp-echo", required_argument, NULL, OPT_ICMP_ECHO },
	{ "gue-port", required_argument, NULL, OPT_GUE_PORT },
	{},
};

const struct command_spec cli_commands[] = {
	{ CLI_ATTACH, "attach", "DEV", 1, 1,
	  BIT(OPT_MODE) | BIT(OPT_FORWARD) | BIT(OPT_CONN_TABLE_SIZE) |
		  BIT(OPT_UDP_TIMEOUT) | BIT(OPT_FORCE) | BIT(OPT_HASH_SEED) |
		  BIT(OPT_NEW_FLOW_BUDGET),
	  "attach xlb to interface DEV (the first attach creates the instance)",
	  "  --mode native|generic   XDP mode (default native)\n"
	  "  --forward l2dsr         accepted for compatibility; the mode is "
	  "per\n"
	  "                          VIP (vip add --forward)\n"
	  "  --conn-table-size N     connection table entries, fixed when the\n"
	  "                          instance is created (default 524288)\n"
	  "  --udp-timeout S         UDP flow idle timeout, 1-86400 s "
	  "(default 30)\n"
	  "  --force                 replace another XDP program on DEV\n"
	  "  --hash-seed N           flow hash seed, 0-0xffffffff: the same "
	  "on\n"
	  "                          every LB host of one ECMP group (default\n"
	  "                          random at creation)\n"
	  "  --new-flow-budget N     connection-table inserts per second per\n"
	  "                          CPU, 0-100000000, 0 = unlimited "
	  "(default);\n"
	  "                          past it new flows are forwarded but not\n"
	  "                          remembered (counter lru_bypass)\n" },
	{ CLI_DETACH, "detach", "DEV | --all", 0, 1, BIT(OPT_ALL),
	  "detach from DEV; --all detaches everywhere and removes every pin",
	  "" },
	{ CLI_UPGRADE, "upgrade", "[DEV]", 0, 1,
	  BIT(OPT_OBJ) | BIT(OPT_DRY_RUN),
	  "swap in a new build of the program, keeping every map and flow "
	  "(on DEV, or every attachment in this namespace)",
	  "  --obj PATH              the new BPF object (default: the one "
	  "built\n"
	  "                          into this xlbctl)\n"
	  "  --dry-run               load and verify it, replace nothing\n" },
	{ CLI_STATUS, "status", "", 0, 0, 0,
	  "where xlb is attached, its pins, limits and counts", "" },
	{ CLI_VIP_ADD, "vip add", "VIP", 1, 1,
	  BIT(OPT_TABLE_SIZE) | BIT(OPT_FORWARD) | BIT(OPT_ICMP_ECHO),
	  "add a VIP: ADDR:PORT/tcp|udp or [V6ADDR]:PORT/tcp|udp",
	  "  --table-size N          Maglev table slots, a prime (default "
	  "65537)\n"
	  "  --forward l2dsr|ipip|gue\n"
	  "                          l2dsr (default): new MAC, backends on "
	  "this\n"
	  "                          segment; ipip: IP-in-IP, gue: IP-in-UDP "
	  "to\n"
	  "                          backends anywhere routed (they run "
	  "xlb-decap)\n"
	  "  --icmp-echo on|off      the LB answers ping to the address "
	  "(default\n"
	  "                          on; off on every VIP of it: the stack "
	  "does)\n" },
	{ CLI_VIP_DEL, "vip del", "VIP", 1, 1, 0,
	  "remove a VIP with its backends and table", "" },
	{ CLI_VIP_SET, "vip set", "VIP", 1, 1,
	  BIT(OPT_FORWARD) | BIT(OPT_ICMP_ECHO) | BIT(OPT_DRY_RUN) |
		  BIT(OPT_NEIGH_TIMEOUT),
	  "change a VIP's forwarding mode or ICMP echo in place, its flows "
	  "and backends kept",
	  "  --forward l2dsr|ipip|gue\n"
	  "                          turning l2dsr, backends added without a "
	  "MAC\n"
	  "                          get theirs from the neighbour table "
	  "first\n"
	  "  --icmp-echo on|off      the LB answers ping to the address\n"
	  "  --dry-run               print the changes, apply none\n" },
	{ CLI_VIP_LIST, "vip list", "", 0, 0, 0,
	  "list VIPs, their tables and whether a table is stale", "" },
	{ CLI_BACKEND_ADD, "backend add", "VIP BACKEND", 2, 2,
	  BIT(OPT_WEIGHT) | BIT(OPT_STATE) | BIT(OPT_MAC) |
		  BIT(OPT_NEIGH_TIMEOUT),
	  "add backend address BACKEND to VIP",
	  "  --weight W              0-10000 (default 100); 0 takes no new "
	  "flows\n"
	  "  --state S               active (default), draining or down\n"
	  "  --mac MAC               the backend's MAC (default: from the\n"
	  "                          neighbour table of the attached "
	  "interfaces)\n"
	  "  --neigh-timeout S       wait for ARP/ND this long (default 1)\n" },
	{ CLI_BACKEND_SET, "backend set", "VIP BACKEND", 2, 2,
	  BIT(OPT_WEIGHT) | BIT(OPT_STATE) | BIT(OPT_MAC),
	  "change a backend's weight, state or MAC",
	  "  --weight W              0-10000; 0 takes no new flows\n"
	  "  --state S               active, draining (keeps its flows, takes "
	  "no\n"
	  "                          new ones) or down (its flows move now)\n"
	  "  --mac MAC               the backend's MAC\n" },
	{ CLI_BACKEND_DEL, "backend del", "VIP BACKEND", 2, 2, 0,
	  "remove a backend from VIP (its flows move)", "" },
	{ CLI_BACKEND_LIST, "backend list", "[VIP]", 0, 1, 0,
	  "list backends (of one VIP) with pair id, weight, state and MAC",
	  "" },
	{ CLI_STATS, "stats", "", 0, 0,
	  BIT(OPT_WATCH) | BIT(OPT_INTERVAL) | BIT(OPT_COUNT) |
		  BIT(OPT_DURATION),
	  "rates per VIP and backend, shares of new flows, drops by reason",
	  "  --interval S            rates over S seconds (default 1; 0: "
	  "totals only)\n"
	  "  --watch                 repeat every interval until interrupted\n"
	  "  --count N               stop after N reports (implies --watch)\n"
	  "  --duration S            stop after S seconds (implies "
	  "--watch)\n" },
	{ CLI_TOP, "top", "", 0, 0,
	  BIT(OPT_INTERVAL) | BIT(OPT_COUNT) | BIT(OPT_DURATION) |
		  BIT(OPT_XLBD),
	  "live full-screen stats ('q' quits); without a terminal, snapshots",
	  "  --interval S            refresh every S seconds (default 1)\n"
	  "  --count N               stop after N refreshes\n"
	  "  --duration S            stop after S seconds\n"
	  "  --xlbd URL              xlbd's listener, for the anomaly, "
	  "forecast\n"
	  "                          and decisions columns (default "
	  "http://127.0.0.1:9469,\n"
	  "                          used when it answers at start)\n" },
	{ CLI_CONFIG_APPLY, "config apply", "FILE", 1, 1,
	  BIT(OPT_DRY_RUN) | BIT(OPT_NEIGH_TIMEOUT) | BIT(OPT_ETCD) |
		  BIT(OPT_CLUSTER_PREFIX),
	  "make the maps match a JSON file (- for stdin), all or nothing",
	  "  --dry-run               print the changes, apply nothing\n"
	  "  --neigh-timeout S       wait for ARP/ND this long (default 1)\n"
	  "  --etcd URL[,URL]        check it, then put it in etcd for every "
	  "LB\n"
	  "                          host's xlbd of the cluster (no local "
	  "apply)\n"
	  "  --prefix P              the cluster's keys (default: xlbd's\n"
	  "                          cluster.prefix, else /xlb/default)\n" },
	{ CLI_CONFIG_DUMP, "config dump", "", 0, 0,
	  BIT(OPT_ETCD) | BIT(OPT_CLUSTER_PREFIX),
	  "print the configuration as JSON that config apply takes",
	  "  --etcd URL[,URL]        the cluster's, from etcd (--json: with "
	  "its\n"
	  "                          revision)\n"
	  "  --prefix P              the cluster's keys (as for config "
	  "apply)\n" },
	{ CLI_SETTINGS, "settings", "", 0, 0,
	  BIT(OPT_UDP_TIMEOUT) | BIT(OPT_NEW_FLOW_BUDGET) |
		  BIT(OPT_TUNNEL_SOURCE) | BIT(OPT_GUE_PORT),
	  "show or change the data plane's run-time settings",
	  "  --udp-timeout S         UDP flow idle timeout, 1-86400 s\n"
	  "  --new-flow-budget N     connection-table inserts per second per\n"
	  "                          CPU, 0 = unlimited\n"
	  "  --tunnel-source ADDR    ipip/gue outer source of ADDR's family "
	  "(the\n"
	  "                          LB's address towards the backends); once "
	  "per\n"
	  "                          family\n"
	  "  --gue-port N            gue outer UDP destination port, 1-65535\n"
	  "                          (default 6080; xlb-decap --gue-port)\n" },
	{ CLI_CLUSTER_STATUS, "cluster status", "", 0, 0,
	  BIT(OPT_ETCD) | BIT(OPT_CLUSTER_PREFIX) | BIT(OPT_XLBD_CONFIG),
	  "the LB hosts' xlbd in etcd: leader, applied revisions, digests",
	  "  --etcd URL[,URL]        etcd endpoints (default: xlbd's "
	  "cluster.etcd)\n"
	  "  --prefix P              the cluster's keys (default: "
	  "cluster.prefix)\n"
	  "  --config FILE           xlbd's config (default "
	  "/etc/xlb/xlbd.conf)\n" },
	{ CLI_SYNC, "sync", "", 0, 0, BIT(OPT_ALL),
	  "rebuild stale tables from the weights and states in the maps",
	  "  --all                   rebuild every table, stale or not\n" },
	{ CLI_DECISIONS, "decisions", "", 0, 0,
	  BIT(OPT_STATE_DIR) | BIT(OPT_FOLLOW) | BIT(OPT_SINCE),
	  "xlbd's decisions, from its decision log (--json: the log's lines)",
	  "  --since T               from T: seconds ago with a unit (90s, "
	  "10m, 2h,\n"
	  "                          1d), epoch seconds, or "
	  "YYYY-MM-DDTHH:MM:SS (UTC)\n"
	  "  --follow                then wait for new ones until "
	  "interrupted\n"
	  "  --state-dir DIR         xlbd's state directory (default "
	  "/var/lib/xlb)\n" },
	{ CLI_HISTORY_EXPORT, "history export", "", 0, 0,
	  BIT(OPT_STATE_DIR) | BIT(OPT_SINCE) | BIT(OPT_CSV),
	  "xlbd's per-tick samples of every pair, from its SQLite history",
	  "  --csv                   CSV with a header line (the only format)\n"
	  "  --since T               from T (as for decisions)\n"
	  "  --state-dir DIR         xlbd's state directory (default "
	  "/var/lib/xlb)\n" },
	{ CLI_VERSION, "version", "", 0, 0, 0, "print the version", "" },
};

const size_t cli_n_commands = sizeof(cli_commands) / sizeof(cli_commands[0]);

static void usage_of(const struct command_spec *c, FILE *out)
{
	const char *line = c->details;

	fprintf(out, "\n  xlbctl %s%s%s%s\n      %s\n", c->name,
		c->operands[0] ? " " : "", c->operands,
		line[0] ? " [options]" : "", c->summary);
	/* Option lines, indented under their command. */
	while (*line) {
		size_t len = strcspn(line, "\n");

		fprintf(out, "    %.*s\n", (int)len, line);
		line += len + (line[len] == '\n');
	}
}

static bool matches(const char *name, const char *topic)
{
	size_t len = strlen(topic);

	return !strncmp(name, topic, len) && (!name[len] || name[len] == ' ');
}

int cli_usage(const char *topic, FILE *out)
{
	int shown = 0;

	for (size_t i = 0; topic && i < cli_n_commands; i++)
		shown += matches(cli_commands[i].name, topic);
	if (topic && !shown)
		return 0;
	if (!topic)
		fprintf(out, "Usage: xlbctl [--pin-path DIR] [--json] "
			     "[--lock-timeout S] COMMAND ...\n"
			     "Attach, configure and observe the xlb XDP load "
			     "balancer.\n\nCommands:\n");
	else
		fprintf(out, "Usage:\n");
	for (size_t i = 0; i < cli_n_commands; i++)
		if (!topic || matches(cli_commands[i].name, topic))
			usage_of(&cli_commands[i], out);
	fprintf(out,
		"\nGlobal options (before or after the command):\n"
		"  --pin-path DIR          the instance's pins (default %s)\n"
		"  --json                  JSON output of read commands\n"
		"  --lock-timeout S        wait for the writer lock this long "
		"(default 5)\n"
		"  -h, --help              this text\n",
		XLB_PIN_DIR_DEFAULT);
	fprintf(out, "\nExit codes: 0 ok, 1 bad usage or input, 2 not found, "
		     "3 conflict, 4 lock\ntimeout, 5 system or kernel error "
		     "(see xlbctl(8)).\n");
	if (!topic)
		fprintf(out, "\nVIP: ADDR:PORT/tcp|udp or "
			     "[V6ADDR]:PORT/tcp|udp. BACKEND: an IPv4 or IPv6 "
			     "address.\n");
	return topic ? shown : (int)cli_n_commands;
}
