// SPDX-License-Identifier: GPL-2.0
/*
 * libxlb's desired-state diff (what config apply prints and applies): pure,
 * so it is tested here without maps. Deletions come first, a table size
 * change replaces the VIP, a file without a MAC keeps the pair's, and
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

TEST(equal_states_have_no_changes)
{
	size_t n;

	diff_text(base, base, &n);
	CHECK_EQ(n, 0);
	/* No MAC in the file: the pair keeps the one it has. */
	diff_text(base,
		  "{\"vips\": [" V80 "\"backends\": [{\"address\": "
		  "\"10.0.0.12\"}, {\"address\": \"10.0.0.11\"}]}]}",
		  &n);
	CHECK_EQ(n, 0);
}

TEST(settings_change_in_place)
{
	const char *to = "{\"vips\": [" V80 "\"backends\": ["
			 "{\"address\": \"10.0.0.11\", \"weight\": 50},"
			 "{\"address\": \"10.0.0.12\", \"state\": "
			 "\"draining\", "
			 "\"mac\": \"02:00:00:00:00:0d\"}]}]}";
	const char *text;
	size_t n;

	text = diff_text(base, to, &n);
	CHECK_EQ(n, 2);
	CHECK(!strcmp(text, "set backend 10.0.0.1:80/tcp 10.0.0.11 weight "
			    "100 -> 50|set backend 10.0.0.1:80/tcp 10.0.0.12 "
			    "state active -> draining mac 02:00:00:00:00:0c "
			    "-> 02:00:00:00:00:0d"),
	      "got %s", text);
}

TEST(deletions_come_before_additions)
{
	const char *to = "{\"vips\": [" V80 "\"backends\": ["
			 "{\"address\": \"10.0.0.13\"}]},"
			 "{\"vip\": \"10.0.0.1:53/udp\"}]}";
	const char *text;
	size_t n;

	text = diff_text(base, to, &n);
	CHECK_EQ(n, 4);
	CHECK(!strcmp(text, "del backend 10.0.0.1:80/tcp 10.0.0.11|"
			    "del backend 10.0.0.1:80/tcp 10.0.0.12|"
			    "add vip 10.0.0.1:53/udp table-size 65537|"
			    "add backend 10.0.0.1:80/tcp 10.0.0.13 weight 100 "
			    "state active mac (neighbour table)"),
	      "got %s", text);
}

TEST(a_vip_no_longer_wanted_is_deleted_whole)
{
	const char *text;
	size_t n;

	text = diff_text(base, "{\"vips\": []}", &n);
	CHECK_EQ(n, 1);
	CHECK(!strcmp(text, "del vip 10.0.0.1:80/tcp"), "got %s", text);
}

TEST(a_new_table_size_replaces_the_vip_keeping_macs)
{
	const char *to = "{\"vips\": [" V80 "\"table_size\": 251, "
			 "\"backends\": [{\"address\": \"10.0.0.11\"}]}]}";
	const char *text;
	size_t n;

	text = diff_text(base, to, &n);
	CHECK_EQ(n, 3);
	CHECK(!strcmp(text, "del vip 10.0.0.1:80/tcp|add vip 10.0.0.1:80/tcp "
			    "table-size 251|add backend 10.0.0.1:80/tcp "
			    "10.0.0.11 weight 100 state active mac "
			    "02:00:00:00:00:0b"),
	      "got %s", text);
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
