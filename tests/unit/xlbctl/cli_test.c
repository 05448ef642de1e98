// SPDX-License-Identifier: GPL-2.0
/*
 * xlbctl's command line, parsed without running anything: every command
 * with good operands and options, and bad inputs refused with a message
 * that names the problem.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "cli.h"
#include "testing.h"

#include "parse_words.h"

#define PARSE_OK(cli, ...)                                                \
	do {                                                              \
		char err_[256];                                           \
		CHECK(!parse(cli, err_, sizeof(err_), __VA_ARGS__, NULL), \
		      "refused: %s", err_);                               \
	} while (0)

/* Refused, with a message containing want. */
#define PARSE_BAD(want, ...)                                                 \
	do {                                                                 \
		struct cli c_;                                               \
		char err_[256];                                              \
		CHECK(parse(&c_, err_, sizeof(err_), ##__VA_ARGS__, NULL) == \
			      -EINVAL,                                       \
		      "accepted: %s", #__VA_ARGS__);                         \
		CHECK(strstr(err_, want), "message '%s' lacks '%s'", err_,   \
		      want);                                                 \
	} while (0)

TEST(attach_takes_its_options_and_defaults)
{
	struct cli c;

	PARSE_OK(&c, "attach", "eth0");
	CHECK_EQ(c.command, CLI_ATTACH);
	CHECK(!strcmp(c.ifname, "eth0"), "ifname %s", c.ifname);
	CHECK_EQ(c.mode, XLB_MODE_NATIVE);
	CHECK(!strcmp(c.pin_path, XLB_PIN_DIR_DEFAULT), "pin path");
	CHECK_EQ(c.lock_timeout_ms, XLB_LOCK_TIMEOUT_DEFAULT_MS);
	CHECK_EQ(c.conn_table_size, 0);
	PARSE_OK(&c, "attach", "veth1", "--mode", "generic", "--forward",
		 "l2dsr", "--conn-table-size", "65536", "--udp-timeout", "90",
		 "--force");
	CHECK_EQ(c.mode, XLB_MODE_GENERIC);
	CHECK_EQ(c.conn_table_size, 65536);
	CHECK_EQ(c.udp_timeout_s, 90);
	CHECK(c.force, "--force");
}

TEST(global_options_go_before_or_after_the_command)
{
	struct cli c;

	PARSE_OK(&c, "--pin-path", "/sys/fs/bpf/t", "--json", "vip", "list");
	CHECK(!strcmp(c.pin_path, "/sys/fs/bpf/t") && c.json, "before");
	PARSE_OK(&c, "vip", "list", "--json", "--pin-path=/sys/fs/bpf/u");
	CHECK(!strcmp(c.pin_path, "/sys/fs/bpf/u") && c.json, "after");
	PARSE_OK(&c, "--lock-timeout", "0.25", "sync");
	CHECK_EQ(c.lock_timeout_ms, 250);
	PARSE_OK(&c, "sync", "--lock-timeout", "0");
	CHECK_EQ(c.lock_timeout_ms, 0);
}

TEST(vip_commands_parse_the_vip)
{
	struct cli c;

	PARSE_OK(&c, "vip", "add", "10.0.0.1:80/tcp", "--table-size", "251");
	CHECK_EQ(c.command, CLI_VIP_ADD);
	CHECK_EQ(c.table_size, 251);
	CHECK_EQ(c.vip.family, XLB_FAMILY_V4);
	CHECK_EQ(ntohs(c.vip.port), 80);
	CHECK_EQ(c.vip.proto, 6);
	CHECK(!strcmp(c.object, "10.0.0.1:80/tcp"), "object '%s'", c.object);
	CHECK(!c.no_icmp_echo, "echo answered by default");
	PARSE_OK(&c, "vip", "add", "10.0.0.1:80/tcp", "--icmp-echo", "off");
	CHECK(c.no_icmp_echo, "--icmp-echo off");
	PARSE_OK(&c, "vip", "add", "10.0.0.1:80/tcp", "--icmp-echo", "on");
	CHECK(!c.no_icmp_echo, "--icmp-echo on");
	PARSE_OK(&c, "vip", "del", "[fd00::1]:53/udp");
	CHECK_EQ(c.command, CLI_VIP_DEL);
	CHECK_EQ(c.vip.family, XLB_FAMILY_V6);
	CHECK_EQ(c.vip.proto, 17);
	PARSE_OK(&c, "vip", "list");
	CHECK_EQ(c.command, CLI_VIP_LIST);
}

TEST(backend_add_defaults_to_weight_100_active)
{
	struct cli c;

	PARSE_OK(&c, "backend", "add", "10.0.0.1:80/tcp", "10.0.0.11");
	CHECK_EQ(c.command, CLI_BACKEND_ADD);
	CHECK_EQ(c.backend.weight, XLB_WEIGHT_DEFAULT);
	CHECK_EQ(c.backend.state, XLB_STATE_ACTIVE);
	CHECK_EQ(c.backend.family, XLB_FAMILY_V4);
	CHECK(!(c.backend.set & XLB_SET_MAC), "MAC not given");
	CHECK_EQ(c.neigh_timeout_ms, CLI_NEIGH_TIMEOUT_DEFAULT_MS);
	CHECK(!strcmp(c.object, "10.0.0.1:80/tcp 10.0.0.11"), "object '%s'",
	      c.object);
	PARSE_OK(&c, "backend", "add", "[fd00::1]:80/tcp", "fd00::11",
		 "--weight", "0", "--state", "draining", "--mac",
		 "02:00:00:00:00:0b", "--neigh-timeout", "2.5");
	CHECK_EQ(c.backend.weight, 0);
	CHECK_EQ(c.backend.state, XLB_STATE_DRAINING);
	CHECK_EQ(c.backend.mac[5], 0x0b);
	CHECK(c.backend.set & XLB_SET_MAC, "MAC given");
	CHECK_EQ(c.neigh_timeout_ms, 2500);
}

TEST(backend_set_records_only_what_is_given)
{
	struct cli c;

	PARSE_OK(&c, "backend", "set", "10.0.0.1:80/tcp", "10.0.0.11",
		 "--state", "down");
	CHECK_EQ(c.backend.set, XLB_SET_STATE);
	CHECK_EQ(c.backend.state, XLB_STATE_DOWN);
	PARSE_OK(&c, "backend", "set", "10.0.0.1:80/tcp", "10.0.0.11",
		 "--weight", "10000");
	CHECK_EQ(c.backend.set, XLB_SET_WEIGHT);
	CHECK_EQ(c.backend.weight, XLB_WEIGHT_MAX);
	PARSE_OK(&c, "backend", "del", "10.0.0.1:80/tcp", "10.0.0.11");
	CHECK_EQ(c.command, CLI_BACKEND_DEL);
	PARSE_OK(&c, "backend", "list");
	CHECK(!c.has_vip, "no VIP");
	PARSE_OK(&c, "backend", "list", "10.0.0.1:80/tcp", "--json");
	CHECK(c.has_vip && c.json, "VIP and --json");
}

TEST(stats_top_config_sync_detach_version_parse)
{
	struct cli c;

	PARSE_OK(&c, "stats");
	CHECK(c.command == CLI_STATS && !c.watch, "plain stats");
	CHECK_EQ(c.interval_ms, CLI_INTERVAL_DEFAULT_MS);
	PARSE_OK(&c, "stats", "--watch", "--interval", "0.5", "--json");
	CHECK(c.watch && c.json, "watch");
	CHECK_EQ(c.interval_ms, 500);
	PARSE_OK(&c, "stats", "--count", "3");
	CHECK(c.watch, "--count implies --watch");
	CHECK_EQ(c.count, 3);
	PARSE_OK(&c, "top", "--duration", "2", "--interval", "0.2");
	CHECK_EQ(c.command, CLI_TOP);
	CHECK_EQ(c.duration_ms, 2000);
	PARSE_OK(&c, "config", "apply", "x.json", "--dry-run");
	CHECK(c.command == CLI_CONFIG_APPLY && c.dry_run, "dry run");
	CHECK(!strcmp(c.file, "x.json"), "file");
	PARSE_OK(&c, "config", "apply", "-");
	CHECK(!strcmp(c.file, "-") && !c.dry_run, "stdin");
	PARSE_OK(&c, "config", "dump");
	CHECK_EQ(c.command, CLI_CONFIG_DUMP);
	PARSE_OK(&c, "sync", "--all");
	CHECK(c.command == CLI_SYNC && c.all, "sync --all");
	PARSE_OK(&c, "detach", "--all");
	CHECK(c.command == CLI_DETACH && c.all && !c.ifname, "detach --all");
	PARSE_OK(&c, "detach", "eth1");
	CHECK(!c.all && !strcmp(c.ifname, "eth1"), "detach eth1");
	PARSE_OK(&c, "status", "--json");
	CHECK(c.command == CLI_STATUS && c.json, "status");
	PARSE_OK(&c, "version");
	CHECK_EQ(c.command, CLI_VERSION);
	PARSE_OK(&c, "--version");
	CHECK_EQ(c.command, CLI_VERSION);
}

TEST(help_is_accepted_everywhere)
{
	struct cli c;

	PARSE_OK(&c, "--help");
	CHECK(c.help && !c.help_topic, "xlbctl --help");
	PARSE_OK(&c, "vip", "--help");
	CHECK(c.help && !strcmp(c.help_topic, "vip"), "group help");
	PARSE_OK(&c, "backend", "add", "--help");
	CHECK(c.help && !strcmp(c.help_topic, "backend add"), "command");
	/* --help wins over missing operands. */
	PARSE_OK(&c, "attach", "-h");
	CHECK(c.help && !strcmp(c.help_topic, "attach"), "attach -h");
	PARSE_OK(&c, "help", "config", "apply");
	CHECK(c.help && !strcmp(c.help_topic, "config apply"), "help X Y");
	PARSE_OK(&c, "help");
	CHECK(c.help && !c.help_topic, "help");
}

TEST(parsing_twice_starts_afresh)
{
	struct cli c;

	PARSE_OK(&c, "backend", "set", "10.0.0.1:80/tcp", "10.0.0.11",
		 "--weight", "5", "--json");
	PARSE_OK(&c, "backend", "add", "10.0.0.1:80/tcp", "10.0.0.12");
	CHECK(!c.json, "--json leaked from the previous parse");
	CHECK_EQ(c.backend.weight, XLB_WEIGHT_DEFAULT);
}

TEST(bad_commands_and_operands_are_named)
{
	PARSE_BAD("no command given");
	PARSE_BAD("unknown command 'frob'", "frob");
	PARSE_BAD("vip: missing subcommand (add, del, set, list)", "vip");
	PARSE_BAD("vip set: nothing to change (--forward or --icmp-echo)",
		  "vip", "set", "10.0.0.1:80/tcp");
	PARSE_BAD("--forward 'dsr' is not l2dsr", "vip", "set",
		  "10.0.0.1:80/tcp", "--forward", "dsr");
	PARSE_BAD("backend: unknown subcommand 'show'", "backend", "show");
	PARSE_BAD("attach: missing DEV", "attach");
	PARSE_BAD("unexpected operand 'eth1'", "attach", "eth0", "eth1");
	PARSE_BAD("too long for an interface name", "attach",
		  "an-interface-name-that-is-too-long");
	PARSE_BAD("detach: give an interface or --all", "detach");
	PARSE_BAD("not both", "detach", "eth0", "--all");
	PARSE_BAD("vip add: missing VIP", "vip", "add");
	PARSE_BAD("backend add: missing BACKEND", "backend", "add",
		  "10.0.0.1:80/tcp");
	PARSE_BAD("config apply: missing FILE", "config", "apply");
	PARSE_BAD("unexpected operand 'x'", "status", "x");
}

TEST(bad_addresses_are_refused)
{
	PARSE_BAD("is not a VIP", "vip", "add", "10.0.0.1");
	PARSE_BAD("bad port", "vip", "add", "10.0.0.1:0/tcp");
	PARSE_BAD("bad port", "vip", "add", "10.0.0.1:65536/tcp");
	PARSE_BAD("protocol must be tcp or udp", "vip", "add",
		  "10.0.0.1:80/sctp");
	PARSE_BAD("bad address", "vip", "add", "10.0.0.300:80/tcp");
	PARSE_BAD("write IPv6 VIPs as [ADDR]:PORT", "vip", "del",
		  "fd00::1:80/tcp");
	PARSE_BAD("'10.0.0' is not an IPv4 or IPv6 address", "backend", "add",
		  "10.0.0.1:80/tcp", "10.0.0");
	PARSE_BAD("is not a VIP", "backend", "list", "nonsense");
}

TEST(bad_option_values_are_refused_with_the_range)
{
	PARSE_BAD("--weight 20000 is out of range [0, 10000]", "backend", "add",
		  "10.0.0.1:80/tcp", "10.0.0.11", "--weight", "20000");
	PARSE_BAD("--weight '-1' is not a whole number", "backend", "set",
		  "10.0.0.1:80/tcp", "10.0.0.11", "--weight", "-1");
	PARSE_BAD("--weight 'ten' is not a whole number", "backend", "set",
		  "10.0.0.1:80/tcp", "10.0.0.11", "--weight", "ten");
	PARSE_BAD("--state 'up' is not active, draining or down", "backend",
		  "set", "10.0.0.1:80/tcp", "10.0.0.11", "--state", "up");
	PARSE_BAD("--mac '02:00:00:00:00' is not a unicast MAC", "backend",
		  "add", "10.0.0.1:80/tcp", "10.0.0.11", "--mac",
		  "02:00:00:00:00");
	PARSE_BAD("--mac '01:00:5e:00:00:01' is not a unicast MAC", "backend",
		  "add", "10.0.0.1:80/tcp", "10.0.0.11", "--mac",
		  "01:00:5e:00:00:01");
	PARSE_BAD("nothing to set", "backend", "set", "10.0.0.1:80/tcp",
		  "10.0.0.11");
	PARSE_BAD("--mode 'offload' is not native or generic", "attach", "eth0",
		  "--mode", "offload");
	/* The mode is per VIP: attach refuses any but l2dsr. */
	PARSE_BAD("attach: --forward ipip is per VIP", "attach", "eth0",
		  "--forward", "ipip");
	PARSE_BAD("--forward 'gre' is not l2dsr, ipip or gue", "vip", "add",
		  "10.0.0.1:80/tcp", "--forward", "gre");
	PARSE_BAD("--icmp-echo 'yes' is not on or off", "vip", "add",
		  "10.0.0.1:80/tcp", "--icmp-echo", "yes");
	PARSE_BAD("--conn-table-size 100 is out of range [1024, 67108864]",
		  "attach", "eth0", "--conn-table-size", "100");
	PARSE_BAD("--udp-timeout 0 is out of range [1, 86400]", "attach",
		  "eth0", "--udp-timeout", "0");
	PARSE_BAD("--table-size 2 is out of range [3, 1048573]", "vip", "add",
		  "10.0.0.1:80/tcp", "--table-size", "2");
	PARSE_BAD("--lock-timeout 'soon' is not a number of seconds",
		  "--lock-timeout", "soon", "sync");
	PARSE_BAD("--interval -1 is out of range", "stats", "--interval", "-1");
	PARSE_BAD("--count 0 is out of range", "top", "--count", "0");
	PARSE_BAD("option '--weight' needs a value", "backend", "set",
		  "10.0.0.1:80/tcp", "10.0.0.11", "--weight");
	PARSE_BAD("--pin-path is empty", "--pin-path", "", "status");
}

TEST(options_of_other_commands_are_refused)
{
	PARSE_BAD("vip list: --weight is not an option of this command", "vip",
		  "list", "--weight", "3");
	PARSE_BAD("--dry-run is not an option", "sync", "--dry-run");
	PARSE_BAD("--weight belongs after the command", "--weight", "3", "vip",
		  "list");
	PARSE_BAD("unknown option '--frobnicate'", "status", "--frobnicate");
	PARSE_BAD("--watch needs --interval above 0", "stats", "--watch",
		  "--interval", "0");
}

TEST(messages_name_the_command_once)
{
	struct cli c;
	char err[256];

	CHECK(parse(&c, err, sizeof(err), "--lock-timeout", "soon", "sync",
		    NULL) == -EINVAL,
	      "accepted");
	CHECK(!strncmp(err, "--lock-timeout 'soon'", 21), "message '%s'", err);
	CHECK(parse(&c, err, sizeof(err), "--frob", NULL) == -EINVAL, "accepte"
								      "d");
	CHECK(!strcmp(err, "unknown option '--frob'"), "message '%s'", err);
	CHECK(parse(&c, err, sizeof(err), "sync", "--lock-timeout", "x",
		    NULL) == -EINVAL,
	      "accepted");
	CHECK(!strncmp(err, "sync: --lock-timeout 'x'", 24), "message '%s'",
	      err);
}
