// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file of xlbctl config apply: good files parse with
 * their defaults, every bad one is refused naming the JSON path (or line
 * and column) of the problem, and dump output reads back unchanged.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_json.h"
#include "testing.h"

static void free_desired(void *d)
{
	xlb_desired_free(d);
}

#define BAD(want, text)                                                       \
	do {                                                                  \
		struct xlb_desired d_;                                        \
		char err_[512];                                               \
		CHECK(config_parse(text, &d_, err_, sizeof(err_)) == -EINVAL, \
		      "accepted: %s", text);                                  \
		CHECK(strstr(err_, want), "message '%s' lacks '%s'", err_,    \
		      want);                                                  \
	} while (0)

static const char *const good = "{\n"
				"  \"version\": 1,\n"
				"  \"vips\": [\n"
				"    { \"vip\": \"10.0.0.1:80/tcp\",\n"
				"      \"table_size\": 251,\n"
				"      \"icmp_echo\": false,\n"
				"      \"forward\": \"ipip\",\n"
				"      \"backends\": [\n"
				"        { \"address\": \"10.0.0.11\" },\n"
				"        { \"address\": \"10.0.0.12\", "
				"\"weight\": 0, \"state\": \"draining\",\n"
				"          \"mac\": \"02:00:0a:00:00:0c\" } ] "
				"},\n"
				"    { \"vip\": \"[fd00::1]:53/udp\" }\n"
				"  ]\n"
				"}\n";

TEST(a_good_file_parses_with_defaults)
{
	struct xlb_desired d;
	char err[512];

	CHECK(!config_parse(good, &d, err, sizeof(err)), "refused: %s", err);
	test_defer(free_desired, &d);
	CHECK_EQ(d.n_vips, 2);
	CHECK_EQ(d.vips[0].table_size, 251);
	CHECK(d.vips[0].no_icmp_echo, "icmp_echo false");
	CHECK(!d.vips[1].no_icmp_echo, "icmp_echo on by default");
	CHECK_EQ(d.vips[0].forward, XLB_FORWARD_IPIP);
	CHECK_EQ(d.vips[1].forward, XLB_FORWARD_L2DSR);
	CHECK_EQ(ntohs(d.vips[0].key.port), 80);
	CHECK_EQ(d.vips[0].n_backends, 2);
	CHECK_EQ(d.vips[0].backends[0].weight, XLB_WEIGHT_DEFAULT);
	CHECK_EQ(d.vips[0].backends[0].state, XLB_STATE_ACTIVE);
	CHECK(!d.vips[0].backends[0].has_mac, "no MAC given");
	CHECK_EQ(d.vips[0].backends[1].weight, 0);
	CHECK_EQ(d.vips[0].backends[1].state, XLB_STATE_DRAINING);
	CHECK(d.vips[0].backends[1].has_mac, "MAC given");
	CHECK_EQ(d.vips[0].backends[1].mac[5], 0x0c);
	CHECK_EQ(d.vips[1].key.family, XLB_FAMILY_V6);
	CHECK_EQ(d.vips[1].table_size, XLB_TABLE_SIZE_DEFAULT);
	CHECK_EQ(d.vips[1].n_backends, 0);
}

TEST(an_empty_vip_list_is_a_valid_config)
{
	struct xlb_desired d;
	char err[512];

	CHECK(!config_parse("{\"vips\": []}", &d, err, sizeof(err)), "%s", err);
	CHECK_EQ(d.n_vips, 0);
	xlb_desired_free(&d);
}

TEST(dump_output_parses_back_to_the_same_state)
{
	struct xlb_desired d, again;
	json_object *doc;
	char err[512];

	CHECK(!config_parse(good, &d, err, sizeof(err)), "%s", err);
	test_defer(free_desired, &d);
	doc = config_to_json(&d);
	CHECK(!config_parse(json_object_to_json_string(doc), &again, err,
			    sizeof(err)),
	      "dump refused: %s", err);
	json_object_put(doc);
	test_defer(free_desired, &again);
	CHECK_EQ(again.n_vips, d.n_vips);
	for (size_t v = 0; v < d.n_vips; v++) {
		CHECK(!xlb_vip_key_cmp(&again.vips[v].key, &d.vips[v].key),
		      "VIP %zu", v);
		CHECK_EQ(again.vips[v].table_size, d.vips[v].table_size);
		CHECK_EQ(again.vips[v].no_icmp_echo, d.vips[v].no_icmp_echo);
		CHECK_EQ(again.vips[v].forward, d.vips[v].forward);
		CHECK_EQ(again.vips[v].n_backends, d.vips[v].n_backends);
		for (size_t b = 0; b < d.vips[v].n_backends; b++)
			CHECK(!memcmp(&again.vips[v].backends[b],
				      &d.vips[v].backends[b],
				      sizeof(d.vips[v].backends[b])),
			      "vips[%zu].backends[%zu] differs", v, b);
	}
}

TEST(bad_json_names_line_and_column)
{
	BAD("the file is empty", "");
	BAD("the file is empty", "  \n ");
	BAD("unexpected end of file", "{\"vips\": [");
	BAD("line 2, column", "{\"vips\": []\n,}");
	BAD("line 1, column 13", "{\"vips\":[]} x");
	/* Strict JSON: no comments, no single-quoted values, no trailing commas. */
	BAD("line 1, column 14", "{\"vips\": []} // comment");
	BAD("line 1, column 11", "{\"vips\": ['a']}");
	BAD("line 1, column 13", "{\"vips\": [1,]}");
}

TEST(wrong_shapes_name_the_json_path)
{
	BAD("the top level must be an object", "[]");
	BAD("vips: missing", "{}");
	BAD("vips: expected an array, got object", "{\"vips\": {}}");
	BAD("unknown key 'vip' (expected version vips)", "{\"vip\": "
							 "\"10.0.0.1:80/tcp\", "
							 "\"vips\": []}");
	BAD("version: 2 is not a version", "{\"version\": 2, \"vips\": []}");
	BAD("vips[0]: expected an object, got string", "{\"vips\": "
						       "[\"10.0.0.1:80/"
						       "tcp\"]}");
	BAD("vips[0].vip: missing", "{\"vips\": [{}]}");
	BAD("vips[0].vip: expected a string, got int", "{\"vips\": [{\"vip\": "
						       "80}]}");
	BAD("vips[0]: unknown key 'backend' (expected vip table_size "
	    "icmp_echo forward backends)",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", \"backend\": []}]}");
	BAD("vips[0].backends: expected an array, got object", "{\"vips\": "
							       "[{\"vip\": "
							       "\"10.0.0.1:80/"
							       "tcp\", "
							       "\"backends\": "
							       "{}}]}");
	BAD("vips[0].backends[0].address: missing", "{\"vips\": [{\"vip\": "
						    "\"10.0.0.1:80/tcp\", "
						    "\"backends\": "
						    "[{}]}]}");
	BAD("vips[0].backends[0]: unknown key 'weigth'",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", \"backends\": "
	    "[{\"address\": \"10.0.0.11\", \"weigth\": 5}]}]}");
	BAD("vips[0].backends[0].weight: expected a whole number, got string",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", \"backends\": "
	    "[{\"address\": \"10.0.0.11\", \"weight\": \"5\"}]}]}");
	BAD("vips[0].backends[0].weight: expected a whole number, got double",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", \"backends\": "
	    "[{\"address\": \"10.0.0.11\", \"weight\": 1.5}]}]}");
}

TEST(bad_values_name_the_json_path)
{
	BAD("vips[0].icmp_echo: expected true or false, got string",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", \"icmp_echo\": "
	    "\"off\"}]}");
	BAD("vips[0].vip: '10.0.0.1:80' is not a VIP", "{\"vips\": [{\"vip\": "
						       "\"10.0.0.1:80\"}]}");
	BAD("vips[0].forward: mode 'dsr' is not l2dsr", "{\"vips\": [{\"vip\": "
							"\"10.0.0.1:80/tcp\", "
							"\"forward\": "
							"\"dsr\"}]}");
	BAD("vips[0].forward: expected a string, got int", "{\"vips\": "
							   "[{\"vip\": "
							   "\"10.0.0.1:80/"
							   "tcp\", "
							   "\"forward\": 1}]}");
	BAD("vips[1].backends[0].weight: 20000 is out of range [0, 10000]",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\"}, {\"vip\": "
	    "\"10.0.0.1:81/tcp\", \"backends\": [{\"address\": \"10.0.0.11\", "
	    "\"weight\": 20000}]}]}");
	BAD("vips[0].backends[0].weight: -3 is out of range [0, 10000]",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", \"backends\": "
	    "[{\"address\": \"10.0.0.11\", \"weight\": -3}]}]}");
	BAD("vips[0].backends[0].address: '10.0.0.300' is not an IPv4 or IPv6",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", \"backends\": "
	    "[{\"address\": \"10.0.0.300\"}]}]}");
	BAD("vips[0].backends[0].state: 'up' is not active, draining or down",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", \"backends\": "
	    "[{\"address\": \"10.0.0.11\", \"state\": \"up\"}]}]}");
	BAD("vips[0].backends[0].mac: '01:00:5e:00:00:01' is not a unicast",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", \"backends\": "
	    "[{\"address\": \"10.0.0.11\", \"mac\": "
	    "\"01:00:5e:00:00:01\"}]}]}");
	BAD("vips[0].table_size: 65536 is not a prime in [3, 1048573]",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", \"table_size\": "
	    "65536}]}");
	BAD("vips[0].backends: 4 backends do not fit a table of 3 slots",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", \"table_size\": 3, "
	    "\"backends\": [{\"address\": \"10.0.0.11\"}, {\"address\": "
	    "\"10.0.0.12\"}, {\"address\": \"10.0.0.13\"}, {\"address\": "
	    "\"10.0.0.14\"}]}]}");
}

TEST(duplicates_name_both_places)
{
	BAD("vips[1].vip: 10.0.0.1:80/tcp is also vips[0]", "{\"vips\": "
							    "[{\"vip\": "
							    "\"10.0.0.1:80/"
							    "tcp\"}, {\"vip\": "
							    "\"10.0.0.1:80/"
							    "TCP\"}]}");
	BAD("vips[0].backends[2].address: 10.0.0.11 is also "
	    "vips[0].backends[0]",
	    "{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", \"backends\": "
	    "[{\"address\": \"10.0.0.11\"}, {\"address\": \"10.0.0.12\"}, "
	    "{\"address\": \"10.0.0.11\"}]}]}");
}

TEST(the_same_backend_may_serve_several_vips)
{
	struct xlb_desired d;
	char err[512];

	CHECK(!config_parse("{\"vips\": [{\"vip\": \"10.0.0.1:80/tcp\", "
			    "\"backends\": [{\"address\": \"10.0.0.11\"}]}, "
			    "{\"vip\": \"10.0.0.1:443/tcp\", \"backends\": "
			    "[{\"address\": \"10.0.0.11\"}]}]}",
			    &d, err, sizeof(err)),
	      "%s", err);
	xlb_desired_free(&d);
}

TEST(files_are_read_and_missing_ones_named)
{
	char path[] = "/tmp/xlbctl-config-test-XXXXXX", err[512];
	struct xlb_desired d;
	int fd = mkstemp(path);

	CHECK(fd >= 0, "mkstemp");
	CHECK(write(fd, good, strlen(good)) == (ssize_t)strlen(good), "write");
	close(fd);
	CHECK(!config_load(path, &d, err, sizeof(err)), "%s", err);
	CHECK_EQ(d.n_vips, 2);
	xlb_desired_free(&d);
	unlink(path);
	CHECK(config_load(path, &d, err, sizeof(err)) == -ENOENT, "missing "
								  "file");
	CHECK(strstr(err, "No such file"), "message: %s", err);
	CHECK(config_load("/tmp", &d, err, sizeof(err)) < 0, "a directory");
	CHECK(strstr(err, "cannot read it"), "message: %s", err);
}
