// SPDX-License-Identifier: GPL-2.0
/*
 * libxlb's desired-state diff (what config apply prints and applies): pure,
 * so it is tested here without maps. Deletions come first, a table size
 * change resizes the VIP in place, a file without a MAC keeps the pair's, and
 * equal states give no changes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"
#include "testing.h"

static void load(const char *text, struct xlb_desired *d)
{
	char err[512];

	if (config_parse(text, d, err, sizeof(err))) {
		fprintf(stderr, "bad test config: %s\n", err);
		abort();
	}
}

/* The changes as text lines joined by '|'. */
static char *diff_text(const char *from, const char *to, size_t *n)
{
	struct xlb_desired a, b;
	struct xlb_change *changes;
	static char out[4096];
	char line[256];

	load(from, &a);
	load(to, &b);
	out[0] = '\0';
	if (xlb_desired_diff(&a, &b, &changes, n))
		abort();
	for (size_t i = 0; i < *n; i++)
		snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s",
			 i ? "|" : "",
			 xlb_change_format(&changes[i], line, sizeof(line)));
	free(changes);
	xlb_desired_free(&a);
	xlb_desired_free(&b);
	return out;
}

#define V80 "{\"vip\": \"10.0.0.1:80/tcp\", "
#define MAC_B "\"mac\": \"02:00:00:00:00:0b\""
#define MAC_C "\"mac\": \"02:00:00:00:00:0c\""

static const char *const base = "{\"vips\": [" V80 "\"backends\": ["
				"{\"address\": \"10.0.0.11\", " MAC_B "},"
				"{\"address\": \"10.0.0.12\", " MAC_C "}]}]}";

/* The diff from one state to another is exactly want. */
static void expect_diff(const char *from, const char *to, size_t n_want,
			const char *want)
{
	const char *text;
	size_t n;

	text = diff_text(from, to, &n);
	CHECK_EQ(n, n_want);
	CHECK(!strcmp(text, want), "got %s", text);
}

TEST(equal_states_have_no_changes)
{
	expect_diff(base, base, 0, "");
	/* No MAC in the file: the pair keeps the one it has. */
	expect_diff(base,
		    "{\"vips\": [" V80 "\"backends\": [{\"address\": "
		    "\"10.0.0.12\"}, {\"address\": \"10.0.0.11\"}]}]}",
		    0, "");
}

TEST(settings_change_in_place)
{
	expect_diff(base,
		    "{\"vips\": [" V80 "\"backends\": ["
		    "{\"address\": \"10.0.0.11\", \"weight\": 50},"
		    "{\"address\": \"10.0.0.12\", \"state\": \"draining\", "
		    "\"mac\": \"02:00:00:00:00:0d\"}]}]}",
		    2,
		    "set backend 10.0.0.1:80/tcp 10.0.0.11 weight 100 -> 50|"
		    "set backend 10.0.0.1:80/tcp 10.0.0.12 state active -> "
		    "draining mac 02:00:00:00:00:0c -> 02:00:00:00:00:0d");
}

TEST(deletions_come_before_additions)
{
	expect_diff(base,
		    "{\"vips\": [" V80 "\"backends\": ["
		    "{\"address\": \"10.0.0.13\"}]},"
		    "{\"vip\": \"10.0.0.1:53/udp\"}]}",
		    4,
		    "del backend 10.0.0.1:80/tcp 10.0.0.11|"
		    "del backend 10.0.0.1:80/tcp 10.0.0.12|"
		    "add vip 10.0.0.1:53/udp table-size 65537|"
		    "add backend 10.0.0.1:80/tcp 10.0.0.13 weight 100 "
		    "state active mac (neighbour table)");
}

TEST(icmp_echo_is_set_in_place)
{
	expect_diff(base,
		    "{\"vips\": [" V80 "\"icmp_echo\": false, \"backends\": ["
		    "{\"address\": \"10.0.0.11\"},"
		    "{\"address\": \"10.0.0.12\"}]},"
		    "{\"vip\": \"10.0.0.1:53/udp\", \"icmp_echo\": false}]}",
		    2,
		    "add vip 10.0.0.1:53/udp table-size 65537 icmp-echo off|"
		    "set vip 10.0.0.1:80/tcp icmp-echo off");
	expect_diff("{\"vips\": [" V80 "\"icmp_echo\": false}]}",
		    "{\"vips\": [" V80 "\"icmp_echo\": true}]}", 1,
		    "set vip 10.0.0.1:80/tcp icmp-echo on");
}

TEST(forward_mode_changes_in_place_after_the_pairs)
{
	/* Pairs with MACs: the mode alone changes, flows and pairs kept. */
	expect_diff(base,
		    "{\"vips\": [" V80 "\"forward\": \"ipip\", \"backends\": ["
		    "{\"address\": \"10.0.0.11\"}, {\"address\": "
		    "\"10.0.0.12\", "
		    "\"weight\": 50}]}]}",
		    2,
		    "set backend 10.0.0.1:80/tcp 10.0.0.12 weight 100 -> 50|"
		    "set vip 10.0.0.1:80/tcp forward ipip");
	/* A new tunnelling VIP: its mode with it, its backends need no MAC. */
	expect_diff("{\"vips\": []}",
		    "{\"vips\": [" V80 "\"forward\": \"ipip\", \"backends\": ["
		    "{\"address\": \"192.168.9.11\"}]}]}",
		    2,
		    "add vip 10.0.0.1:80/tcp table-size 65537 forward ipip|"
		    "add backend 10.0.0.1:80/tcp 192.168.9.11 weight 100 "
		    "state active mac none (tunnelled)");
}

TEST(a_vip_turning_l2dsr_resolves_its_pairs_macs_first)
{
	/* Pairs of a tunnelling VIP without a MAC (as the maps read back). */
	const char *ipip = "{\"vips\": [" V80 "\"forward\": \"ipip\", "
			   "\"backends\": [{\"address\": \"10.0.0.11\"}, "
			   "{\"address\": \"10.0.0.12\", " MAC_C "}]}]}";

	expect_diff(ipip,
		    "{\"vips\": [" V80 "\"backends\": [{\"address\": "
		    "\"10.0.0.11\"}, {\"address\": \"10.0.0.12\"}]}]}",
		    2,
		    "set backend 10.0.0.1:80/tcp 10.0.0.11 mac none -> "
		    "(neighbour table)|"
		    "set vip 10.0.0.1:80/tcp forward l2dsr");
}

TEST(a_vip_no_longer_wanted_is_deleted_whole)
{
	expect_diff(base, "{\"vips\": []}", 1, "del vip 10.0.0.1:80/tcp");
}

TEST(a_new_table_size_resizes_the_vip_in_place)
{
	/* The pairs stay (no delete, no add): their flows keep them. */
	expect_diff(base,
		    "{\"vips\": [" V80 "\"table_size\": 251, "
		    "\"backends\": [{\"address\": \"10.0.0.11\"}]}]}",
		    2,
		    "del backend 10.0.0.1:80/tcp 10.0.0.12|"
		    "resize vip 10.0.0.1:80/tcp table-size 251 (flows kept)");
}

TEST(diff_there_and_back_restores)
{
	const char *to = "{\"vips\": [" V80 "\"table_size\": 251, "
			 "\"backends\": [{\"address\": \"10.0.0.13\", " MAC_C
			 ", \"weight\": 7}]}]}";
	size_t n_there, n_back;

	diff_text(base, to, &n_there);
	diff_text(to, base, &n_back);
	CHECK(n_there > 0 && n_back > 0, "changes both ways");
	diff_text(to, to, &n_there);
	CHECK_EQ(n_there, 0);
}
