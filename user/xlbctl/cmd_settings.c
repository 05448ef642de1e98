// SPDX-License-Identifier: GPL-2.0
/*
 * settings: show or change the data plane's run-time settings (xlb_config)
 * on a running instance: UDP idle timeout, new-flow insert budget, the
 * tunnel source and the GUE port. Without options it prints them. The hash
 * seed is not changed here: every established flow without an entry would
 * move.
 */
#include <json-c/json.h>
#include <stdio.h>

#include "commands.h"
#include "report.h"
#include "session.h"

/* The ipip/gue outer source of a family as text, "-" when unset. */
static const char *source_text(const struct xlb_config *c, __u8 family,
			       char *buf)
{
	if (!xlb_tunnel_source_is_set(c, family))
		return "-";
	return xlb_format_addr(family == XLB_FAMILY_V4 ? &c->tunnel_source4
						       : &c->tunnel_source6,
			       family, buf, XLB_ADDR_STRLEN);
}

static void print_settings(const struct cli *cli, const struct xlb_config *c)
{
	char a[XLB_ADDR_STRLEN], b[XLB_ADDR_STRLEN];

	if (cli->json) {
		json_object *doc = json_object_new_object();

		json_object_object_add(doc, "udp_timeout_s",
				       json_object_new_int64(c->udp_timeout_ns /
							     1000000000ull));
		json_object_object_add(doc, "hash_seed",
				       json_object_new_int64(c->hash_seed));
		json_object_object_add(
			doc, "new_flow_budget",
			json_object_new_int64(c->new_flow_budget));
		json_object_object_add(doc, "tunnel_source4",
				       json_object_new_string(source_text(
					       c, XLB_FAMILY_V4, a)));
		json_object_object_add(doc, "tunnel_source6",
				       json_object_new_string(source_text(
					       c, XLB_FAMILY_V6, b)));
		json_object_object_add(doc, "gue_port",
				       json_object_new_int(c->gue_port));
		printf("%s\n", json_object_to_json_string_ext(
				       doc, JSON_C_TO_STRING_PRETTY));
		json_object_put(doc);
		return;
	}
	printf("udp-timeout      %llu s\n",
	       (unsigned long long)(c->udp_timeout_ns / 1000000000ull));
	printf("hash-seed        0x%08x\n", c->hash_seed);
	if (c->new_flow_budget)
		printf("new-flow-budget  %u per second per CPU\n",
		       c->new_flow_budget);
	else
		printf("new-flow-budget  0 (unlimited)\n");
	printf("tunnel-source    %s %s\n", source_text(c, XLB_FAMILY_V4, a),
	       source_text(c, XLB_FAMILY_V6, b));
	printf("gue-port         %u\n", c->gue_port);
}

int cmd_settings(const struct cli *cli)
{
	bool change = cli->udp_timeout_s || cli->has_new_flow_budget ||
		      cli->has_tunnel_source4 || cli->has_tunnel_source6 ||
		      cli->gue_port;
	struct xlb_config cfg;
	struct xlb *xlb;
	int rc, err;

	rc = change ? session_open_writer(cli, &xlb) : session_open(cli, &xlb);
	if (rc)
		return rc;
	err = xlb_config_get(xlb, &cfg);
	if (!err && change) {
		if (cli->udp_timeout_s)
			cfg.udp_timeout_ns = cli->udp_timeout_s * 1000000000ull;
		if (cli->has_new_flow_budget)
			cfg.new_flow_budget = cli->new_flow_budget;
		if (cli->has_tunnel_source4)
			cfg.tunnel_source4 = cli->tunnel_source4;
		if (cli->has_tunnel_source6)
			cfg.tunnel_source6 = cli->tunnel_source6;
		if (cli->gue_port)
			cfg.gue_port = cli->gue_port;
		err = xlb_config_set(xlb, &cfg);
	}
	if (!err)
		print_settings(cli, &cfg);
	if (change)
		return session_finish(cli, xlb, err);
	/* A reader holds no lock and has nothing to commit. */
	rc = err ? report_lib(cli, err) : 0;
	xlb_close(xlb);
	return rc;
}
