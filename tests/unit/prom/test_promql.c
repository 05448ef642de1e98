// SPDX-License-Identifier: GPL-2.0
/* The Prometheus /api/v1/query reader: vectors, scalars and refusals. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "node_signals.h"
#include "testing.h"

static char err[256];
static struct xlb_promql_vector v;

static int parse(const char *json)
{
	return xlb_promql_parse_vector(json, strlen(json), &v, err,
				       sizeof(err));
}

TEST(reads_an_instant_vector)
{
	const char *json = "{\"status\":\"success\",\"data\":{\"resultType\":"
			   "\"vector\","
			   "\"result\":[{\"metric\":{\"__name__\":\"node_"
			   "load1\","
			   "\"instance\":\"10.0.0.2:9470\",\"job\":\"xlb\"},"
			   "\"value\":[1700000000.5,\"0.25\"]},"
			   "{\"metric\":{\"instance\":\"10.0.0.3:9470\"},"
			   "\"value\":[1700000000.5,\"NaN\"]},"
			   "{\"metric\":{},\"value\":[1700000000,\"+Inf\"]}]}}";

	CHECK_EQ(parse(json), 0);
	test_defer((void (*)(void *))xlb_promql_vector_free, &v);
	CHECK_EQ(v.n, 3);
	CHECK(!strcmp(xlb_promql_label(&v.samples[0], "instance"), "10.0.0.2:"
								   "9470"),
	      "instance");
	CHECK(!strcmp(xlb_promql_label(&v.samples[0], "__name__"), "node_"
								   "load1"),
	      "name");
	CHECK(xlb_promql_label(&v.samples[1], "job") == NULL, "absent");
	CHECK(v.samples[0].value == 0.25 &&
		      v.samples[0].timestamp_s == 1700000000.5,
	      "value %g ts %f", v.samples[0].value, v.samples[0].timestamp_s);
	CHECK(isnan(v.samples[1].value), "NaN");
	CHECK(isinf(v.samples[2].value) && v.samples[2].n_labels == 0, "Inf");
}

TEST(reads_a_scalar_and_an_empty_vector)
{
	CHECK_EQ(parse("{\"status\":\"success\",\"data\":{\"resultType\":"
		       "\"scalar\",\"result\":[1700000000,\"3.5\"]}}"),
		 0);
	CHECK(v.n == 1 && v.samples[0].value == 3.5, "scalar");
	xlb_promql_vector_free(&v);
	CHECK_EQ(parse("{\"status\":\"success\",\"data\":{\"resultType\":"
		       "\"vector\",\"result\":[]}}"),
		 0);
	CHECK_EQ(v.n, 0);
	xlb_promql_vector_free(&v);
}

TEST(refuses_errors_and_malformed_responses)
{
	static const struct {
		const char *json, *err;
	} cases[] = {
		{ "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":"
		  "\"parse error at char 5\"}",
		  "query failed: bad_data: parse error at char 5" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\","
		  "\"result\":[]}}",
		  "resultType \"matrix\"" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
		  "\"result\":[{\"metric\":{}}]}}",
		  "result[0]: no metric or value" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
		  "\"result\":[{\"metric\":{},\"value\":[1,\"x\"]}]}}",
		  "result[0]: malformed" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vector\","
		  "\"result\":[{\"metric\":{\"a\":1},\"value\":[1,\"1\"]}]}}",
		  "not a string" },
		{ "{\"status\":\"success\",\"data\":{\"resultType\":\"vec",
		  "invalid JSON: truncated" },
		{ "{\"status\":\"success\"} x", "invalid JSON" },
		{ "{\"data\":{}}", "no \"status\"" },
		{ "{\"status\":\"success\"}", "no data.resultType" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse(cases[i].json);

		CHECK(rc == -EINVAL, "case %zu: rc %d", i, rc);
		CHECK(strstr(err, cases[i].err), "case %zu: '%s', want '%s'", i,
		      err, cases[i].err);
		CHECK(v.n == 0 && v.samples == NULL, "case %zu: not empty", i);
	}
}

TEST(refuses_too_many_labels)
{
	char json[2048];
	int n = snprintf(json, sizeof(json),
			 "{\"status\":\"success\",\"data\":{\"resultType\":"
			 "\"vector\",\"result\":[{\"metric\":{");

	for (int i = 0; i <= XLB_PROM_MAX_LABELS; i++)
		n += snprintf(json + n, sizeof(json) - n, "%s\"l%d\":\"v\"",
			      i ? "," : "", i);
	snprintf(json + n, sizeof(json) - n, "},\"value\":[1,\"1\"]}]}}");
	CHECK_EQ(parse(json), -E2BIG);
	CHECK(strstr(err, "more than 16 labels"), "%s", err);
	CHECK(v.n == 0, "empty");
}
