// SPDX-License-Identifier: GPL-2.0
#include "stats.h"
#include "faults.h"

#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct backend_stats backend_stats;

static void put_u64(struct json_object *obj, const char *key,
		    unsigned long long v)
{
	json_object_object_add(obj, key, json_object_new_uint64(v));
}

char *stats_json(const char *name)
{
	struct backend_stats *s = &backend_stats;
	struct json_object *root = json_object_new_object();
	struct json_object *http = json_object_new_object();
	struct json_object *udp = json_object_new_object();
	struct json_object *tcp = json_object_new_object();
	struct json_object *faults = json_object_new_object();
	char *text;

	json_object_object_add(root, "name", json_object_new_string(name));
	put_u64(http, "requests", atomic_load(&s->http_requests));
	put_u64(http, "ok", atomic_load(&s->http_ok));
	put_u64(http, "errors_5xx", atomic_load(&s->http_errors));
	put_u64(http, "delayed", atomic_load(&s->http_delayed));
	put_u64(http, "hung_total", atomic_load(&s->http_hung_total));
	json_object_object_add(
		http, "hung_now",
		json_object_new_int64(atomic_load(&s->http_hung_now)));
	json_object_object_add(root, "http", http);

	put_u64(udp, "datagrams", atomic_load(&s->udp_datagrams));
	put_u64(udp, "replies", atomic_load(&s->udp_replies));
	put_u64(udp, "errors", atomic_load(&s->udp_errors));
	json_object_object_add(root, "udp", udp);

	put_u64(tcp, "connections", atomic_load(&s->tcp_connections));
	json_object_object_add(
		tcp, "open", json_object_new_int64(atomic_load(&s->tcp_open)));
	put_u64(tcp, "bytes", atomic_load(&s->tcp_bytes));
	json_object_object_add(root, "tcp_echo", tcp);

	put_u64(faults, "latency_ms", fault_latency_ms());
	json_object_object_add(faults, "error_rate",
			       json_object_new_double(fault_error_rate()));
	json_object_object_add(faults, "hang",
			       json_object_new_boolean(fault_hang()));
	put_u64(faults, "cpu_us", fault_cpu_us());
	json_object_object_add(root, "faults", faults);

	text = strdup(
		json_object_to_json_string_ext(root, JSON_C_TO_STRING_PLAIN));
	json_object_put(root);
	return text;
}
