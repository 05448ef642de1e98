// SPDX-License-Identifier: GPL-2.0
/*
 * The command line parser: getopt_long over argv in two passes (global
 * options before the command, then the command's own, globals allowed there
 * too), then the operands. The commands are in cli_table.c.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli_table.h"
#include "since.h"

static int fail(char *err, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static const char *option_name(int id)
{
	for (const struct option *o = cli_long_options; o->name; o++)
		if (o->val == id)
			return o->name;
	return "?";
}

static int parse_u32(const char *text, __u32 min, __u32 max, __u32 *out, int id,
		     char *err, size_t len)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (!*text || *end || text[0] == '-' || text[0] == '+')
		return fail(err, len, "--%s '%s' is not a whole number",
			    option_name(id), text);
	if (errno || v < min || v > max)
		return fail(err, len, "--%s %s is out of range [%u, %u]",
			    option_name(id), text, min, max);
	*out = v;
	return 0;
}

/* Seconds, fractions allowed, into milliseconds. */
static int parse_seconds(const char *text, double min, double max, int *ms,
			 int id, char *err, size_t len)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (!*text || *end || errno || !isfinite(v))
		return fail(err, len, "--%s '%s' is not a number of seconds",
			    option_name(id), text);
	if (v < min || v > max)
		return fail(err, len, "--%s %s is out of range [%g, %g] s",
			    option_name(id), text, min, max);
	*ms = (int)lround(v * 1000);
	return 0;
}

static int apply_option(int id, const char *arg, struct cli *cli, char *err,
			size_t len)
{
	struct xlb_backend_spec *be = &cli->backend;
	__u32 v;
	int rc = 0;

	switch (id) {
	case OPT_PIN_PATH:
		if (!arg[0])
			return fail(err, len, "--pin-path is empty");
		cli->pin_path = arg;
		break;
	case OPT_JSON:
		cli->json = true;
		break;
	case OPT_LOCK_TIMEOUT:
		rc = parse_seconds(arg, 0, 3600, &cli->lock_timeout_ms, id, err,
				   len);
		break;
	case OPT_MODE:
		if (!strcmp(arg, "native"))
			cli->mode = XLB_MODE_NATIVE;
		else if (!strcmp(arg, "generic"))
			cli->mode = XLB_MODE_GENERIC;
		else
			return fail(err, len,
				    "--mode '%s' is not native or generic",
				    arg);
		break;
	case OPT_FORWARD:
		if (xlb_parse_mode(arg, &cli->forward))
			return fail(err, len,
				    "--forward '%s' is not l2dsr, ipip "
				    "or gue",
				    arg);
		cli->has_forward = true;
		break;
	case OPT_ICMP_ECHO:
		if (strcmp(arg, "on") && strcmp(arg, "off"))
			return fail(err, len,
				    "--icmp-echo '%s' is not on or off", arg);
		cli->no_icmp_echo = !strcmp(arg, "off");
		cli->has_icmp_echo = true;
		break;
	case OPT_TUNNEL_SOURCE: {
		union xlb_addr a;
		__u8 family;

		if (xlb_parse_addr(arg, &a, &family))
			return fail(err, len,
				    "--tunnel-source '%s' is not an address",
				    arg);
		if (family == XLB_FAMILY_V4) {
			cli->tunnel_source4 = a;
			cli->has_tunnel_source4 = true;
		} else {
			cli->tunnel_source6 = a;
			cli->has_tunnel_source6 = true;
		}
		break;
	}
	case OPT_GUE_PORT:
		rc = parse_u32(arg, 1, 65535, &cli->gue_port, id, err, len);
		break;
	case OPT_CONN_TABLE_SIZE:
		rc = parse_u32(arg, XLB_CONN_TABLE_MIN, XLB_CONN_TABLE_MAX,
			       &cli->conn_table_size, id, err, len);
		break;
	case OPT_UDP_TIMEOUT:
		rc = parse_u32(arg, 1, XLB_UDP_TIMEOUT_MAX_S,
			       &cli->udp_timeout_s, id, err, len);
		break;
	case OPT_NEW_FLOW_BUDGET:
		rc = parse_u32(arg, 0, XLB_NEW_FLOW_BUDGET_MAX,
			       &cli->new_flow_budget, id, err, len);
		cli->has_new_flow_budget = true;
		break;
	case OPT_FORCE:
		cli->force = true;
		break;
	case OPT_HASH_SEED: {
		unsigned long long seed;
		char *end;

		errno = 0;
		seed = strtoull(arg, &end, 0);
		if (!*arg || *end || arg[0] == '-' || arg[0] == '+' || errno ||
		    seed > 0xffffffffull)
			return fail(err, len,
				    "--hash-seed '%s' is not a number in [0, "
				    "0xffffffff]",
				    arg);
		cli->hash_seed = seed;
		cli->has_hash_seed = true;
		break;
	}
	case OPT_ALL:
		cli->all = true;
		break;
	case OPT_TABLE_SIZE:
		rc = parse_u32(arg, XLB_TABLE_SIZE_MIN, XLB_TABLE_SIZE_MAX,
			       &cli->table_size, id, err, len);
		break;
	case OPT_WEIGHT:
		rc = parse_u32(arg, 0, XLB_WEIGHT_MAX, &be->weight, id, err,
			       len);
		be->set |= XLB_SET_WEIGHT;
		break;
	case OPT_STATE:
		if (xlb_parse_state(arg, &be->state))
			return fail(err, len,
				    "--state '%s' is not active, draining or "
				    "down",
				    arg);
		be->set |= XLB_SET_STATE;
		break;
	case OPT_MAC:
		if (xlb_parse_mac(arg, be->mac) ||
		    !memcmp(be->mac, "\0\0\0\0\0\0", 6))
			return fail(err, len,
				    "--mac '%s' is not a unicast MAC "
				    "(aa:bb:cc:dd:ee:ff)",
				    arg);
		be->set |= XLB_SET_MAC;
		break;
	case OPT_NEIGH_TIMEOUT:
		rc = parse_seconds(arg, 0, 60, &cli->neigh_timeout_ms, id, err,
				   len);
		break;
	case OPT_WATCH:
		cli->watch = true;
		break;
	case OPT_INTERVAL:
		rc = parse_seconds(arg, 0, 3600, &cli->interval_ms, id, err,
				   len);
		break;
	case OPT_COUNT:
		rc = parse_u32(arg, 1, 1000000000, &v, id, err, len);
		cli->count = v;
		break;
	case OPT_DURATION:
		rc = parse_seconds(arg, 0.001, 86400 * 365, &cli->duration_ms,
				   id, err, len);
		break;
	case OPT_DRY_RUN:
		cli->dry_run = true;
		break;
	case OPT_STATE_DIR:
		cli->state_dir = arg;
		break;
	case OPT_ETCD:
		cli->etcd = arg;
		break;
	case OPT_CLUSTER_PREFIX:
		cli->cluster_prefix = arg;
		break;
	case OPT_XLBD_CONFIG:
		cli->xlbd_config = arg;
		break;
	case OPT_FOLLOW:
		cli->follow = true;
		break;
	case OPT_SINCE:
		if (cli_parse_since(arg, &cli->since))
			return fail(err, len,
				    "--since '%s' is not 90s, 10m, 2h, 1d, "
				    "epoch seconds or YYYY-MM-DDTHH:MM:SS",
				    arg);
		break;
	case OPT_CSV:
		cli->csv = true;
		break;
	case OPT_OBJ:
		cli->obj_path = arg;
		break;
	case OPT_XLBD:
		if (strncmp(arg, "http://", 7) || !arg[7])
			return fail(err, len,
				    "--xlbd '%s' is not an http:// URL", arg);
		cli->xlbd_url = arg;
		break;
	}
	return rc;
}

/*
 * getopt_long over argv (argv[0] a name, not parsed). With spec NULL only
 * global options are taken and parsing stops at the first operand. Returns
 * the index of the first operand.
 */
static int parse_options(int argc, char **argv, const struct command_spec *spec,
			 struct cli *cli, char *err, size_t len)
{
	/* Messages name the command, once there is one. */
	const char *where = spec ? spec->name : NULL;
	unsigned long allowed = GLOBAL_OPTIONS | (spec ? spec->options : 0);
	int id, rc;

	optind = 0; /* a full reset: cli_parse may run many times */
	opterr = 0;
	while ((id = getopt_long(argc, argv, spec ? ":h" : "+:h",
				 cli_long_options, NULL)) != -1) {
		if (id == '?')
			return fail(err, len, "%s%sunknown option '%s'",
				    where ? where : "", where ? ": " : "",
				    argv[optind - 1]);
		if (id == ':')
			return fail(err, len, "%s%soption '%s' needs a value",
				    where ? where : "", where ? ": " : "",
				    argv[optind - 1]);
		if (id == OPT_HELP) {
			cli->help = true;
			continue;
		}
		if (!(allowed & BIT(id))) {
			if (!spec)
				return fail(err, len,
					    "--%s belongs after the command",
					    option_name(id));
			return fail(err, len,
				    "%s: --%s is not an option of "
				    "this command",
				    where, option_name(id));
		}
		rc = apply_option(id, optarg, cli, err, len);
		if (rc && where) {
			/* Name the command: "backend add: --weight ..." */
			char msg[256];

			snprintf(msg, sizeof(msg), "%s", err);
			return fail(err, len, "%s: %s", where, msg);
		}
		if (rc)
			return rc;
	}
	return optind;
}

/* The command named by argv[0] (and argv[1] for a group); *words used. */
static const struct command_spec *find_command(int argc, char **argv,
					       int *words, bool *is_group)
{
	size_t len = strlen(argv[0]);

	*is_group = false;
	for (size_t i = 0; i < cli_n_commands; i++) {
		const char *name = cli_commands[i].name;

		if (strncmp(name, argv[0], len))
			continue;
		if (!name[len]) {
			*words = 1;
			return &cli_commands[i];
		}
		if (name[len] != ' ')
			continue;
		*is_group = true;
		if (argc > 1 && !strcmp(name + len + 1, argv[1])) {
			*words = 2;
			return &cli_commands[i];
		}
	}
	return NULL;
}

static void subcommands_of(const char *group, char *buf, size_t len)
{
	size_t glen = strlen(group);

	buf[0] = '\0';
	for (size_t i = 0; i < cli_n_commands; i++) {
		const char *name = cli_commands[i].name;

		if (!strncmp(name, group, glen) && name[glen] == ' ')
			snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
				 buf[0] ? ", " : "", name + glen + 1);
	}
}

static int check_operands(const struct command_spec *spec, int n,
			  char **operands, char *err, size_t len)
{
	char words[64], *missing;

	if (n > spec->max_operands)
		return fail(err, len, "%s: unexpected operand '%s'", spec->name,
			    operands[spec->max_operands]);
	if (n >= spec->min_operands)
		return 0;
	/* Name the first operand missing: "VIP BACKEND" with one given. */
	snprintf(words, sizeof(words), "%s", spec->operands);
	missing = strtok(words, " ");
	for (int i = 0; i < n && missing; i++)
		missing = strtok(NULL, " ");
	return fail(err, len, "%s: missing %s (usage: xlbctl %s %s)",
		    spec->name, missing ? missing : "operand", spec->name,
		    spec->operands);
}

static int parse_vip_operand(const struct command_spec *spec, const char *text,
			     struct cli *cli, char *err, size_t len)
{
	if (xlb_parse_vip(text, &cli->vip))
		return fail(err, len, "%s: %s", spec->name, xlb_errmsg());
	cli->has_vip = true;
	return 0;
}

/* Operands into fields; the checks that need more than one option. */
static int finish(const struct command_spec *spec, int n, char **operands,
		  struct cli *cli, char *err, size_t len)
{
	struct xlb_backend_spec *be = &cli->backend;
	int rc = 0;

	for (int i = 0; i < n; i++)
		snprintf(cli->object + strlen(cli->object),
			 sizeof(cli->object) - strlen(cli->object), "%s%s",
			 i ? " " : "", operands[i]);
	switch (spec->command) {
	case CLI_ATTACH:
	case CLI_DETACH:
	case CLI_UPGRADE:
		if (spec->command == CLI_ATTACH &&
		    cli->forward != XLB_FORWARD_L2DSR)
			return fail(err, len,
				    "attach: --forward %s is per VIP (vip add "
				    "VIP --forward %s)",
				    xlb_mode_name(cli->forward),
				    xlb_mode_name(cli->forward));
		if (spec->command == CLI_DETACH && (n > 0) == cli->all)
			return fail(err, len,
				    "detach: give an interface or "
				    "--all%s",
				    n ? ", not both" : "");
		if (n && strlen(operands[0]) >= IF_NAMESIZE)
			return fail(err, len,
				    "%s: '%s' is too long for an interface "
				    "name",
				    spec->name, operands[0]);
		if (n)
			cli->ifname = operands[0];
		break;
	case CLI_VIP_SET:
		if (!cli->has_forward && !cli->has_icmp_echo)
			return fail(err, len,
				    "vip set: nothing to change (--forward "
				    "or --icmp-echo)");
		/* fall through */
	case CLI_VIP_ADD:
	case CLI_VIP_DEL:
		rc = parse_vip_operand(spec, operands[0], cli, err, len);
		break;
	case CLI_BACKEND_LIST:
		if (n)
			rc = parse_vip_operand(spec, operands[0], cli, err,
					       len);
		break;
	case CLI_BACKEND_ADD:
	case CLI_BACKEND_SET:
	case CLI_BACKEND_DEL:
		rc = parse_vip_operand(spec, operands[0], cli, err, len);
		if (rc)
			break;
		if (xlb_parse_addr(operands[1], &be->addr, &be->family))
			return fail(err, len, "%s: %s", spec->name,
				    xlb_errmsg());
		if (spec->command == CLI_BACKEND_SET && !be->set)
			return fail(err, len,
				    "backend set: nothing to set (give "
				    "--weight, --state or --mac)");
		if (spec->command == CLI_BACKEND_ADD) {
			if (!(be->set & XLB_SET_WEIGHT))
				be->weight = XLB_WEIGHT_DEFAULT;
			if (!(be->set & XLB_SET_STATE))
				be->state = XLB_STATE_ACTIVE;
		}
		break;
	case CLI_STATS:
		if (cli->count || cli->duration_ms)
			cli->watch = true;
		if (cli->watch && !cli->interval_ms)
			return fail(err, len,
				    "stats: --watch needs --interval above 0");
		break;
	case CLI_TOP:
		if (!cli->interval_ms)
			return fail(err, len,
				    "top: --interval must be above 0");
		break;
	case CLI_CONFIG_APPLY:
		cli->file = operands[0];
		break;
	case CLI_HISTORY_EXPORT:
		if (!cli->csv)
			return fail(err, len,
				    "history export: give --csv (the only "
				    "format)");
		break;
	default:
		break;
	}
	return rc;
}

static void defaults(struct cli *cli)
{
	memset(cli, 0, sizeof(*cli));
	cli->command = CLI_HELP;
	cli->name = "xlbctl";
	cli->pin_path = XLB_PIN_DIR_DEFAULT;
	cli->lock_timeout_ms = XLB_LOCK_TIMEOUT_DEFAULT_MS;
	cli->mode = XLB_MODE_NATIVE;
	cli->neigh_timeout_ms = CLI_NEIGH_TIMEOUT_DEFAULT_MS;
	cli->interval_ms = CLI_INTERVAL_DEFAULT_MS;
	cli->state_dir = CLI_STATE_DIR_DEFAULT;
}

/* "xlbctl help [COMMAND...]": the topic is kept in cli->object. */
static int help_command(int argc, char **argv, struct cli *cli)
{
	for (int i = 0; i < argc; i++)
		snprintf(cli->object + strlen(cli->object),
			 sizeof(cli->object) - strlen(cli->object), "%s%s",
			 i ? " " : "", argv[i]);
	cli->command = CLI_HELP;
	cli->help = true;
	cli->help_topic = argc ? cli->object : NULL;
	return 0;
}

int cli_parse(int argc, char **argv, struct cli *cli, char *err, size_t errlen)
{
	const struct command_spec *spec;
	int first, words, rest, rc;
	char **sub, list[64];
	bool is_group;

	defaults(cli);
	err[0] = '\0';
	/* "xlbctl --version" is "xlbctl version", as packaging tools expect. */
	if (argc == 2 && !strcmp(argv[1], "--version")) {
		static char *version_argv[] = { "version" };

		argc = 1;
		argv = version_argv;
		first = 0;
		goto lookup;
	}
	first = parse_options(argc, argv, NULL, cli, err, errlen);
	if (first < 0)
		return first;
	if (first >= argc) {
		if (cli->help)
			return help_command(0, NULL, cli);
		return fail(err, errlen,
			    "no command given (xlbctl --help lists them)");
	}
	if (!strcmp(argv[first], "help"))
		return help_command(argc - first - 1, argv + first + 1, cli);

lookup:
	spec = find_command(argc - first, argv + first, &words, &is_group);
	if (!spec) {
		const char *next = first + 1 < argc ? argv[first + 1] : NULL;

		if (!is_group)
			return fail(err, errlen,
				    "unknown command '%s' (xlbctl --help "
				    "lists them)",
				    argv[first]);
		if (cli->help ||
		    (next && (!strcmp(next, "--help") || !strcmp(next, "-h"))))
			return help_command(1, argv + first, cli);
		subcommands_of(argv[first], list, sizeof(list));
		if (!next || next[0] == '-')
			return fail(err, errlen, "%s: missing subcommand (%s)",
				    argv[first], list);
		return fail(err, errlen, "%s: unknown subcommand '%s' (%s)",
			    argv[first], next, list);
	}
	cli->command = spec->command;
	cli->name = spec->name;

	/* The command's own options; its last word stands in for argv[0]. */
	sub = argv + first + words - 1;
	rest = parse_options(argc - first - words + 1, sub, spec, cli, err,
			     errlen);
	if (rest < 0)
		return rest;
	if (cli->help) {
		cli->help_topic = spec->name;
		return 0;
	}
	rc = check_operands(spec, argc - first - words + 1 - rest, sub + rest,
			    err, errlen);
	if (!rc)
		rc = finish(spec, argc - first - words + 1 - rest, sub + rest,
			    cli, err, errlen);
	return rc;
}
