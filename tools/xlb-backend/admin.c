// SPDX-License-Identifier: GPL-2.0
#include "admin.h"
#include "faults.h"
#include "http.h"
#include "stats.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *backend_name;

/* A POST /fault, validated as a whole before anything changes. */
struct fault_change {
	bool set_latency, set_rate, set_hang, set_cpu, crash, reset;
	unsigned long latency_ms, cpu_us;
	double error_rate;
	bool hang;
	char error[160];
};

/* Marks an admin request whose answer, once sent, ends the process. */
static int crash_marker;

static bool parse_ulong(const char *text, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	if (!text || text[0] < '0' || text[0] > '9')
		return false;
	*out = strtoul(text, &end, 10);
	return !errno && *end == '\0' && *out <= max;
}

static bool parse_flag(const char *text, bool *out)
{
	if (text && (!strcmp(text, "1") || !strcmp(text, "true"))) {
		*out = true;
		return true;
	}
	if (text && (!strcmp(text, "0") || !strcmp(text, "false"))) {
		*out = false;
		return true;
	}
	return false;
}

static enum MHD_Result collect_change(void *cls, enum MHD_ValueKind kind,
				      const char *key, const char *value)
{
	struct fault_change *c = cls;
	bool ok;

	(void)kind;
	if (!strcmp(key, "latency_ms")) {
		ok = parse_ulong(value, FAULT_LATENCY_MS_MAX, &c->latency_ms);
		c->set_latency = true;
	} else if (!strcmp(key, "error_rate")) {
		ok = value && !fault_parse_rate(value, &c->error_rate);
		c->set_rate = true;
	} else if (!strcmp(key, "hang")) {
		ok = parse_flag(value, &c->hang);
		c->set_hang = true;
	} else if (!strcmp(key, "cpu_us")) {
		ok = parse_ulong(value, FAULT_CPU_US_MAX, &c->cpu_us);
		c->set_cpu = true;
	} else if (!strcmp(key, "crash")) {
		ok = parse_flag(value, &c->crash);
	} else if (!strcmp(key, "reset")) {
		ok = parse_flag(value, &c->reset);
	} else {
		snprintf(c->error, sizeof(c->error),
			 "unknown parameter '%s' (latency_ms, error_rate, "
			 "hang, cpu_us, crash, reset)\n",
			 key);
		return MHD_NO;
	}
	if (!ok) {
		snprintf(c->error, sizeof(c->error), "bad value '%s' for %s\n",
			 value ? value : "", key);
		return MHD_NO;
	}
	return MHD_YES;
}

static void apply_change(const struct fault_change *c)
{
	if (c->reset) {
		fault_set_latency_ms(0, "admin reset");
		fault_set_error_rate(0, "admin reset");
		fault_set_hang(false, "admin reset");
	}
	if (c->set_latency)
		fault_set_latency_ms(c->latency_ms, "admin");
	if (c->set_rate)
		fault_set_error_rate(c->error_rate, "admin");
	if (c->set_hang)
		fault_set_hang(c->hang, "admin");
	if (c->set_cpu)
		fault_set_cpu_us(c->cpu_us, "admin");
}

static char *faults_json(void)
{
	struct json_object *o = json_object_new_object();
	char *text;

	json_object_object_add(o, "latency_ms",
			       json_object_new_uint64(fault_latency_ms()));
	json_object_object_add(o, "error_rate",
			       json_object_new_double(fault_error_rate()));
	json_object_object_add(o, "hang",
			       json_object_new_boolean(fault_hang()));
	json_object_object_add(o, "cpu_us",
			       json_object_new_uint64(fault_cpu_us()));
	text = strdup(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int code,
			     char *body, const char *type)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!body)
		return MHD_NO;
	r = MHD_create_response_from_buffer(strlen(body), body,
					    MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "X-Backend", backend_name);
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result post_fault(struct MHD_Connection *conn, void **req_cls)
{
	struct fault_change c = { 0 };
	char *json;

	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_change,
				  &c);
	if (c.error[0])
		return reply(conn, MHD_HTTP_BAD_REQUEST, strdup(c.error),
			     "text/plain");
	if (c.crash) {
		/* Answer first; the completion callback then aborts. */
		*req_cls = &crash_marker;
		return reply(conn, MHD_HTTP_OK, strdup("crashing\n"),
			     "text/plain");
	}
	apply_change(&c);
	json = faults_json();
	return reply(conn, MHD_HTTP_OK, json, "application/json");
}

static enum MHD_Result admin_request(void *cls, struct MHD_Connection *conn,
				     const char *url, const char *method,
				     const char *version,
				     const char *upload_data,
				     size_t *upload_data_size, void **req_cls)
{
	static int seen;

	(void)cls, (void)version, (void)upload_data;
	if (!*req_cls) {
		*req_cls = &seen;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!strcmp(url, "/fault") && !strcmp(method, "POST"))
		return post_fault(conn, req_cls);
	if (!strcmp(url, "/fault") && !strcmp(method, "GET"))
		return reply(conn, MHD_HTTP_OK, faults_json(),
			     "application/json");
	if (!strcmp(url, "/stats") && !strcmp(method, "GET"))
		return reply(conn, MHD_HTTP_OK, stats_json(backend_name),
			     "application/json");
	if (!strcmp(url, "/health") && !strcmp(method, "GET"))
		return reply(conn, MHD_HTTP_OK, strdup("ok\n"), "text/plain");
	return reply(conn, MHD_HTTP_NOT_FOUND,
		     strdup("not found: use POST /fault?..., GET /fault, "
			    "GET /stats, GET /health\n"),
		     "text/plain");
}

static void admin_completed(void *cls, struct MHD_Connection *conn,
			    void **req_cls,
			    enum MHD_RequestTerminationCode code)
{
	(void)cls, (void)conn, (void)code;
	if (*req_cls == &crash_marker)
		fault_crash("admin");
}

struct MHD_Daemon *admin_start(const struct backend_options *opts)
{
	backend_name = opts->name;
	return http_start_daemon(opts, opts->admin_port, 1, 0, admin_request,
				 admin_completed, "admin");
}
