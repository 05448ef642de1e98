// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of xlbd's shell without maps or sockets: the config file
 * (defaults, every kind of refusal with its line and key path), the
 * /metrics text (families, escapes, NaN and Inf), and the decision log's
 * JSON lines (unknown numbers as null, the deviating features).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "testing.h"
#include "xlbd.h"

static int parse(const char *text, struct xlbd_config *cfg, char *err,
		 size_t errlen)
{
	err[0] = 0;
	return xlbd_config_parse("t.conf", text, strlen(text), cfg, err,
				 errlen);
}

#define EXPECT_REFUSED(text, want)                                             \
	do {                                                                   \
		struct xlbd_config c_;                                         \
		char e_[512];                                                  \
		int r_ = parse(text, &c_, e_, sizeof(e_));                     \
		CHECK(r_ != 0, "accepted: %s", text);                          \
		CHECK(strstr(e_, want), "said \"%s\", want \"%s\"", e_, want); \
	} while (0)

TEST(config_empty_object_gives_every_default)
{
	struct xlbd_config cfg, def;
	char err[256];

	CHECK_EQ(parse("{}", &cfg, err, sizeof(err)), 0);
	xlbd_config_default(&def);
	CHECK(cfg.probe.kind == XLBD_PROBE_TCP, "probe kind");
	CHECK(cfg.probe.interval_s == 0.1, "interval %g", cfg.probe.interval_s);
	CHECK(cfg.probe.fast_interval_s == 0.02, "fast interval %g",
	      cfg.probe.fast_interval_s);
	CHECK(cfg.scrape_enabled, "scrape enabled");
	CHECK(!strcmp(cfg.scrape_url, "http://BACKEND:9470/metrics"), "url %s",
	      cfg.scrape_url);
	CHECK(cfg.retention_s == 86400, "retention %g", cfg.retention_s);
	CHECK(!memcmp(&cfg.brain, &def.brain, sizeof(cfg.brain)), "brain "
								  "defaults "
								  "differ from "
								  "xlb_brain_"
								  "config_"
								  "default");
	CHECK_EQ(cfg.brain.probe_fall, 2);
	CHECK_EQ(cfg.brain.probe_rise, 3);
	xlbd_config_free(&cfg);
	xlbd_config_free(&def);
}

TEST(config_sets_brain_and_shell_keys)
{
	struct xlbd_config cfg;
	char err[256];
	const char *text =
		"{ \"brain\": { \"anomaly_k\": 2, \"max_step\": 0.5, "
		"\"dry_run\": true, \"seed\": 18446744073709551615 },\n"
		"  \"probe\": { \"kind\": \"http\", \"http_path\": \"/h\", "
		"\"http_status\": 204 },\n"
		"  \"vips\": { \"10.0.0.1:53/udp\": {}, \"10.0.0.1:80/tcp\": "
		"{ \"probe\": { \"timeout_s\": 0.5, \"fast_interval_s\": "
		"0.05 } } },\n"
		"  \"scrape\": { \"max_bytes\": 2048 }, \"store\": { "
		"\"retention_s\": 3600 }, \"log\": { \"format\": \"json\" },\n"
		"  \"prometheus\": { \"url\": \"http://p:9090\", \"queries\": "
		"{ "
		"\"cpu_util\": \"up\", \"service_latency_last_s\": \"last\" } "
		"} }";
	const struct xlbd_probe_config *p;

	CHECK_EQ(parse(text, &cfg, err, sizeof(err)), 0);
	CHECK_EQ(cfg.brain.anomaly_k, 2);
	CHECK(cfg.brain.max_step == 0.5, "max_step");
	CHECK(cfg.brain.dry_run, "dry_run");
	CHECK(cfg.brain.seed == UINT64_MAX, "seed %llu",
	      (unsigned long long)cfg.brain.seed);
	CHECK_EQ(cfg.scrape_max_bytes, 2048);
	CHECK(cfg.log_format == XLBD_LOG_JSON, "log format");
	CHECK(!strcmp(cfg.prometheus_url, "http://p:9090"), "prom url");
	CHECK(cfg.promql[XLBD_SIG_CPU_UTIL] &&
		      !strcmp(cfg.promql[XLBD_SIG_CPU_UTIL], "up"),
	      "promql");
	CHECK(cfg.promql[XLBD_SIG_SERVICE_LATENCY_LAST] &&
		      !strcmp(cfg.promql[XLBD_SIG_SERVICE_LATENCY_LAST], "las"
									 "t"),
	      "promql service_latency_last_s");
	/* A VIP's probe starts from the top level's, UDP ones from none. */
	p = xlbd_config_probe(&cfg, "10.0.0.1:80/tcp");
	CHECK(p->kind == XLBD_PROBE_HTTP && p->timeout_s == 0.5 &&
		      p->fast_interval_s == 0.05 && p->http_status == 204 &&
		      !strcmp(p->http_path, "/h"),
	      "tcp VIP probe");
	p = xlbd_config_probe(&cfg, "10.0.0.1:53/udp");
	CHECK(p->kind == XLBD_PROBE_NONE, "udp VIP probe kind %d", p->kind);
	p = xlbd_config_probe(&cfg, "10.0.0.2:80/tcp");
	CHECK(p == &cfg.probe, "other VIPs take the top level");
	xlbd_config_free(&cfg);
}

TEST(config_unknown_keys_refused_with_line_and_path)
{
	EXPECT_REFUSED("{\n \"brain\": {\n  \"anomaly_q\": 1\n }\n}",
		       "t.conf:3: brain.anomaly_q: unknown key");
	EXPECT_REFUSED("{ \"brian\": {} }", "t.conf:1: brian: unknown key");
	EXPECT_REFUSED("{\n\"vips\": { \"10.0.0.1:80/tcp\": {\n \"probes\": {} "
		       "} } }",
		       "t.conf:3: vips.10.0.0.1:80/tcp.probes: unknown key");
	EXPECT_REFUSED("{ \"prometheus\": { \"queries\": { \"cpu\": \"x\" } } "
		       "}",
		       "prometheus.queries.cpu: unknown signal");
}

TEST(config_bad_values_refused_naming_the_key)
{
	EXPECT_REFUSED("{ \"brain\": { \"anomaly_k\": \"3\" } }", "brain."
								  "anomaly_k: "
								  "\"3\" is "
								  "not a "
								  "number");
	EXPECT_REFUSED("{ \"brain\": { \"anomaly_k\": 2.5 } }", "brain.anomaly_"
								"k: 2.5 is not "
								"a whole "
								"number");
	EXPECT_REFUSED("{ \"brain\": {\n\"max_ejection_percent\": 101 } }",
		       "t.conf:2: brain.max_ejection_percent: 101 is out of "
		       "range [0, 100]");
	EXPECT_REFUSED("{ \"brain\": { \"dry_run\": 1 } }", "brain.dry_run: 1 "
							    "is not true or "
							    "false");
	EXPECT_REFUSED("{ \"probe\": { \"kind\": \"icmp\" } }", "probe.kind: "
								"\"icmp\" is "
								"not tcp, "
								"http, "
								"udp or none");
	EXPECT_REFUSED("{ \"log\": { \"format\": \"xml\" } }", "log.format: "
							       "\"xml\" is not "
							       "text or json");
	EXPECT_REFUSED("{ \"vips\": { \"10.0.0.1\": {} } }", "vips.10.0.0.1: "
							     "not a VIP");
	EXPECT_REFUSED("{ \"scrape\": { \"url\": \"nowhere\" } }", "scrape.url:"
								   " \"nowhere"
								   "\" is not "
								   "a URL");
	EXPECT_REFUSED("{ \"brain\": [] }", "brain: not an object");
	EXPECT_REFUSED("[]", "the file is not a JSON object");
	/* A whole-config rule, from the core's check. */
	EXPECT_REFUSED("{ \"brain\": { \"anomaly_k\": 6, \"anomaly_m\": 5 } }",
		       "brain.anomaly_");
}

TEST(config_announce_keys_start_the_helper_only_when_complete)
{
	struct xlbd_config cfg;
	char err[512];

	CHECK_EQ(parse("{ \"announce\": { \"vip\": \"10.0.0.1:80/tcp\", "
		       "\"dev\": \"eth0\", \"interval_ms\": 100 } }",
		       &cfg, err, sizeof(err)),
		 0);
	CHECK(!strcmp(cfg.announce_vip, "10.0.0.1:80/tcp"), "vip %s",
	      cfg.announce_vip);
	CHECK_EQ(cfg.announce_interval_ms, 100);
	CHECK(!strcmp(cfg.announce_protocol, "xlb_vips"), "protocol %s",
	      cfg.announce_protocol);
	CHECK(!strcmp(cfg.announce_birdc_socket, "/run/bird/bird.ctl"),
	      "socket %s", cfg.announce_birdc_socket);
	CHECK(!strcmp(cfg.announce_path, "xlb-announce"), "path %s",
	      cfg.announce_path);
	xlbd_config_free(&cfg);
	CHECK_EQ(parse("{}", &cfg, err, sizeof(err)), 0);
	CHECK(!cfg.announce_vip[0], "a helper by default: %s",
	      cfg.announce_vip);
	xlbd_config_free(&cfg);
	EXPECT_REFUSED("{ \"announce\": { \"vip\": \"10.0.0.1:80/tcp\" } }",
		       "announce.vip: \"10.0.0.1:80/tcp\" needs announce.dev");
	EXPECT_REFUSED("{ \"announce\": { \"vip\": \"[fd00::1]:80/tcp\", "
		       "\"dev\": \"eth0\" } }",
		       "is not ADDR:PORT/tcp|udp (IPv4)");
	EXPECT_REFUSED("{ \"announce\": { \"interval_ms\": 5 } }", "announce."
								   "interval_"
								   "ms: 5 is "
								   "out of "
								   "range");
	EXPECT_REFUSED("{ \"announce\": { \"bird\": 1 } }", "announce.bird");
}

TEST(config_udp_probe_for_a_udp_vip_with_its_payload)
{
	struct xlbd_config cfg;
	char err[512];

	CHECK_EQ(parse("{ \"vips\": { \"10.0.0.1:53/udp\": { \"probe\": "
		       "{ \"kind\": \"udp\", \"udp_payload_hex\": "
		       "\"00ff\" } }, \"10.0.0.1:54/udp\": {} } }",
		       &cfg, err, sizeof(err)),
		 0);
	CHECK(xlbd_config_probe(&cfg, "10.0.0.1:53/udp")->kind ==
		      XLBD_PROBE_UDP,
	      "the VIP's udp probe");
	CHECK(!strcmp(xlbd_config_probe(&cfg, "10.0.0.1:53/udp")
			      ->udp_payload_hex,
		      "00ff"),
	      "hex payload");
	/* a UDP VIP without a probe of its own: none, as before */
	CHECK(xlbd_config_probe(&cfg, "10.0.0.1:54/udp")->kind ==
		      XLBD_PROBE_NONE,
	      "udp VIP defaults to none");
	CHECK(!strcmp(cfg.probe.udp_payload, "xlb-probe"), "payload %s",
	      cfg.probe.udp_payload);
	xlbd_config_free(&cfg);
	EXPECT_REFUSED("{ \"probe\": { \"udp_payload_hex\": \"abc\" } }",
		       "probe.udp_payload_hex: not an even number of hex "
		       "digits");
	EXPECT_REFUSED("{ \"vips\": { \"10.0.0.1:53/udp\": { \"probe\": "
		       "{ \"udp_payload_hex\": \"zz\" } } } }",
		       "udp_payload_hex: not an even number of hex digits");
}

TEST(config_syntax_errors_refused_with_their_line)
{
	EXPECT_REFUSED("{\n \"brain\": {\n  \"tick_s\": 1,,\n }\n}", "t.conf:3:"
								     " not "
								     "valid "
								     "JSON");
	EXPECT_REFUSED("{ \"brain\": {", "t.conf:1: not valid JSON: "
					 "unexpected end of file");
	EXPECT_REFUSED("{}\n{}", "t.conf:2: not valid JSON");
	EXPECT_REFUSED("", "not valid JSON");
}

TEST(config_missing_file_is_enoent)
{
	struct xlbd_config cfg;
	char err[256];

	CHECK_EQ(xlbd_config_load("/nonexistent/xlbd.conf", &cfg, err,
				  sizeof(err)),
		 -ENOENT);
	CHECK(strstr(err, "/nonexistent/xlbd.conf"), "err %s", err);
}

TEST(config_example_in_the_tree_parses)
{
	struct xlbd_config cfg;
	char err[512];

	/* tests/run.sh runs from the top of the tree. */
	if (access("user/xlbd/xlbd.conf.example", R_OK))
		SKIP("not run from the top of the tree");
	CHECK(xlbd_config_load("user/xlbd/xlbd.conf.example", &cfg, err,
			       sizeof(err)) == 0,
	      "%s", err);
	CHECK(xlbd_config_probe(&cfg, "10.0.0.1:80/tcp")->kind ==
		      XLBD_PROBE_HTTP,
	      "per-VIP probe");
	xlbd_config_free(&cfg);
}

/* A daemon with one VIP and one pair, as the tick leaves it. */
static struct xlbd *fake_daemon(void)
{
	struct xlbd *d = calloc(1, sizeof(*d));
	struct xlbd_pair *p = calloc(1, sizeof(*p));

	xlbd_config_default(&d->cfg);
	d->vips = calloc(1, sizeof(*d->vips));
	d->n_vips = 1;
	strcpy(d->vips[0].key, "10.0.0.1:80/tcp");
	d->vips[0].demand_per_s = 42.5;
	d->pairs = calloc(1, sizeof(*d->pairs));
	d->pairs[0] = p;
	d->n_pairs = 1;
	strcpy(p->vip_text, "10.0.0.1:80/tcp");
	strcpy(p->addr_text, "a\"b\\c\nd"); /* every escape at once */
	p->info.weight = 50;
	p->info.base_weight = 100;
	p->info.factor = 500;
	p->info.health = XLB_HEALTH_DRAINING;
	p->info.op_state = XLB_OP_ACTIVE;
	p->probe.last_latency_s = NAN;
	p->probe.total_failed = 7;
	p->obs.metrics_age_s = INFINITY;
	d->stage_s[XLBD_STAGE_APPLY] = 0.25;
	d->decisions_by_rule[XLB_RULE_PROBE_DOWN] = 3;
	return d;
}

static void free_daemon(void *arg)
{
	struct xlbd *d = arg;

	xlbd_config_free(&d->cfg);
	free(d->pairs[0]);
	free(d->pairs);
	free(d->vips);
	free(d);
}

TEST(metrics_text_has_help_type_and_escaped_labels)
{
	struct xlbd *d = fake_daemon();
	size_t len;
	char *text;

	test_defer(free_daemon, d);
	text = xlbd_metrics_render(d, &len);
	CHECK(text && len == strlen(text), "render");
	test_defer(free, text);
	CHECK(strstr(text, "# HELP xlbd_pair_effective_weight "), "HELP");
	CHECK(strstr(text, "# TYPE xlbd_pair_effective_weight gauge\n"), "TYP"
									 "E");
	CHECK(strstr(text, "xlbd_pair_effective_weight{vip=\"10.0.0.1:80/tcp\","
			   "backend=\"a\\\"b\\\\c\\nd\"} 50\n"),
	      "escaped sample missing:\n%.400s", text);
	CHECK(strstr(text, "xlbd_pair_base_weight{vip=\"10.0.0.1:80/tcp\","),
	      "base weight");
	CHECK(strstr(text, "} 0.5\n"), "factor 0.5");
	CHECK(strstr(text, "xlbd_pair_probe_latency_seconds{vip=\"10.0.0.1:80/"
			   "tcp\",backend=\"a\\\"b\\\\c\\nd\"} NaN\n"),
	      "NaN");
	CHECK(strstr(text, "xlbd_pair_scrape_age_seconds{vip=\"10.0.0.1:80/"
			   "tcp\",backend=\"a\\\"b\\\\c\\nd\"} +Inf\n"),
	      "+Inf");
	CHECK(strstr(text, "# TYPE xlbd_pair_probes_failed_total counter\n"),
	      "counter type");
	CHECK(strstr(text, "xlbd_vip_demand_per_second{vip=\"10.0.0.1:80/"
			   "tcp\"} "
			   "42.5\n"),
	      "demand");
	CHECK(strstr(text, "xlbd_tick_stage_seconds{stage=\"apply\"} 0.25\n"),
	      "stage");
	CHECK(strstr(text, "xlbd_decisions_total{rule=\"probe_down\"} 3\n"),
	      "decisions by rule:\n%s", strstr(text, "xlbd_decisions_total"));
	CHECK(strstr(text, "\nxlbd_tick_lateness_seconds 0\n"), "lateness");
	/* Every line is a comment or "name{...} value": no stray text. */
	for (char *line = text; *line;) {
		char *nl = strchr(line, '\n');

		CHECK(nl, "last line not terminated");
		CHECK(line[0] == '#' || (line[0] >= 'a' && line[0] <= 'z'),
		      "odd line: %.*s", (int)(nl - line), line);
		line = nl + 1;
	}
}

static void put_json(void *o)
{
	json_object_put(o);
}

TEST(decision_line_is_json_with_nulls_and_features)
{
	struct xlb_brain_decision dec = {
		.rule = XLB_RULE_ANOMALY_DRAIN,
		.old_factor = 1000,
		.new_factor = 250,
		.old_health = XLB_HEALTH_OK,
		.new_health = XLB_HEALTH_DRAINING,
		.anomaly_score = 0.71,
		.predicted_util = NAN,
		.n_top = 1,
	};
	json_object *o, *v, *f;
	char *line;

	strcpy(dec.top[0].name, "probe_latency_s");
	dec.top[0].value = 0.2;
	dec.top[0].fleet_median = 0.001;
	dec.top[0].own_mean = NAN;
	strcpy(dec.reason, "3 of 5 \"anomalous\" ticks");
	line = xlbd_decision_json(1700000000.5, "10.0.0.1:80/tcp", "10.0.0.11",
				  &dec, false, true);
	CHECK(line && !strchr(line, '\n'), "one line");
	test_defer(free, line);
	o = json_tokener_parse(line);
	CHECK(o, "not JSON: %s", line);
	test_defer(put_json, o);
	CHECK(json_object_object_get_ex(o, "time", &v) &&
		      json_object_get_double(v) == 1700000000.5,
	      "time");
	CHECK(json_object_object_get_ex(o, "rule", &v) &&
		      !strcmp(json_object_get_string(v), "anomaly_drain"),
	      "rule %s", line);
	CHECK(json_object_object_get_ex(o, "new_factor", &v) &&
		      json_object_get_double(v) == 0.25,
	      "new_factor");
	CHECK(json_object_object_get_ex(o, "new_health", &v) &&
		      !strcmp(json_object_get_string(v), "draining"),
	      "new_health");
	CHECK(json_object_object_get_ex(o, "predicted_util", &v) && !v,
	      "NaN is not null: %s", line);
	CHECK(json_object_object_get_ex(o, "reason", &v) &&
		      !strcmp(json_object_get_string(v), "3 of 5 \"anomalous\" "
							 "ticks"),
	      "reason");
	CHECK(json_object_object_get_ex(o, "features", &v) &&
		      json_object_array_length(v) == 1,
	      "features");
	f = json_object_array_get_idx(v, 0);
	CHECK(json_object_object_get_ex(f, "fleet_median", &v) &&
		      json_object_get_double(v) == 0.001,
	      "fleet median");
	CHECK(json_object_object_get_ex(f, "own_mean", &v) && !v, "own mean");
	CHECK(json_object_object_get_ex(o, "applied", &v) &&
		      json_object_get_boolean(v),
	      "applied");
}

int main(int argc, char **argv)
{
	return test_main(argc, argv);
}

/*
 * A handler that deletes a watch (curl closing a socket) must keep the
 * rest of the same epoll batch from calling it: its memory is freed.
 */
TEST(deleted_watch_is_dropped_from_the_pending_batch)
{
	struct xlbd d = { .epfd = -1 };
	struct xlbd_watch a = { .fd = -1 }, b = { .fd = -1 };
	struct epoll_event batch[3] = {
		{ .data.ptr = &a },
		{ .data.ptr = &b },
		{ .data.ptr = &a },
	};

	d.pending = batch;
	d.n_pending = 3;
	xlbd_watch_del(&d, &a);
	CHECK(batch[0].data.ptr == NULL && batch[2].data.ptr == NULL, "a still "
								      "pendin"
								      "g");
	CHECK(batch[1].data.ptr == &b, "b dropped too");
}
