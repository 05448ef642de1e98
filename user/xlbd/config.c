// SPDX-License-Identifier: GPL-2.0
/*
 * xlbd's config file: JSON through json-c, every key in one table with its
 * type, range and place in the struct, so that parsing, --help and the man
 * page list the same keys. Semantic errors name the key path and the line
 * where the key first appears (json-c keeps no positions, so the line is
 * found by searching the path's keys in order in the text).
 */
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "xlb.h"
#include "config.h"

const char *const xlbd_prom_signal_names[XLBD_SIG_N] = {
	[XLBD_SIG_CPU_UTIL] = "cpu_util",
	[XLBD_SIG_MEM_UTIL] = "mem_util",
	[XLBD_SIG_LOAD1] = "load1",
	[XLBD_SIG_SERVICE_LATENCY] = "service_latency_s",
	[XLBD_SIG_SERVICE_LATENCY_LAST] = "service_latency_last_s",
	[XLBD_SIG_SERVICE_FAIL_RATIO] = "service_fail_ratio",
};

enum key_type {
	K_DOUBLE,
	K_UINT,
	K_U64,
	K_BOOL,
	K_SIZE,
	K_STRING, /* char[size] */
	K_PROBE_KIND,
	K_LOG_FORMAT,
};

struct key {
	const char *name;
	enum key_type type;
	size_t offset;
	double min, max;
	size_t size; /* K_STRING: the buffer */
	const char *help;
};

#define BRAIN(f, t, lo, hi, h)                                            \
	{                                                                 \
#f, t, offsetof(struct xlb_brain_config, f), lo, hi, 0, h \
	}
#define SHELL(n, f, t, lo, hi, h)                                   \
	{                                                           \
		n, t, offsetof(struct xlbd_config, f), lo, hi, 0, h \
	}
#define SHELL_STR(n, f, h)                                          \
	{                                                           \
		n, K_STRING, offsetof(struct xlbd_config, f), 0, 0, \
			sizeof(((struct xlbd_config *)0)->f), h     \
	}
#define PROBE(n, f, t, lo, hi, h)                                         \
	{                                                                 \
		n, t, offsetof(struct xlbd_probe_config, f), lo, hi, 0, h \
	}

static const struct key brain_keys[] = {
	BRAIN(tick_s, K_DOUBLE, 0.05, 60, "tick period, seconds"),
	BRAIN(probe_fall, K_UINT, 1, 100,
	      "consecutive probe failures that set health down"),
	BRAIN(probe_rise, K_UINT, 1, 100,
	      "consecutive probe successes that end it"),
	BRAIN(staleness_limit_s, K_DOUBLE, 0, 3600,
	      "values carried forward this long, then unknown"),
	BRAIN(window, K_UINT, 2, 100000, "ticks of rolling mean/std"),
	BRAIN(regression_window, K_UINT, 4, 100000,
	      "ticks of the per-pair load regression"),
	BRAIN(forecast_window, K_UINT, 4, 1000000,
	      "ticks of the per-VIP demand forecaster"),
	BRAIN(forecast_horizon, K_UINT, 1, 3600, "ticks ahead for weights"),
	BRAIN(iforest_trees, K_UINT, 1, 10000, "Isolation Forest trees"),
	BRAIN(iforest_samples, K_UINT, 2, 65536,
	      "subsample psi, capped at the rows there are"),
	BRAIN(iforest_retrain_s, K_UINT, 1, 86400,
	      "seconds between retrains on healthy rows"),
	BRAIN(iforest_min_rows, K_UINT, 2, 1000000,
	      "healthy rows before scoring"),
	BRAIN(seed, K_U64, 0, 1.8446744073709552e19, "random seed"),
	BRAIN(anomaly_threshold, K_DOUBLE, 0, 1,
	      "score at or above is anomalous"),
	BRAIN(anomaly_min_z, K_DOUBLE, 0, 1000,
	      "robust deviation a bad-direction feature needs for the "
	      "forest's score to count"),
	BRAIN(anomaly_strong_z, K_DOUBLE, 0, 1000,
	      "robust deviation that is anomalous whatever the forest says"),
	BRAIN(anomaly_k, K_UINT, 1, 1000,
	      "anomalous ticks out of anomaly_m that drain"),
	BRAIN(anomaly_m, K_UINT, 1, 1000,
	      "the window of ticks anomaly_k counts in"),
	BRAIN(max_step, K_DOUBLE, 0.001, 10,
	      "factor change per tick, relative"),
	BRAIN(hysteresis, K_DOUBLE, 0, 1,
	      "no write below this relative change"),
	BRAIN(min_factor, K_DOUBLE, 0.001, 1, "smallest factor"),
	BRAIN(hot_ratio, K_DOUBLE, 1, 1000,
	      "in-flight or latency vs the fleet median that is hot"),
	BRAIN(hot_min_latency_s, K_DOUBLE, 0, 3600,
	      "latency above the fleet median by at least this to be hot"),
	BRAIN(hot_min_in_flight, K_DOUBLE, 0, 1e9,
	      "in flight above the fleet median by at least this to be hot"),
	BRAIN(slow_start_s, K_DOUBLE, 0, 3600, "slow start after recovery"),
	BRAIN(slow_start_from, K_DOUBLE, 0, 1,
	      "slow start begins at this share of the weight"),
	BRAIN(slow_start_aggression, K_DOUBLE, 0.01, 100,
	      "slow start curve exponent (Envoy)"),
	BRAIN(max_ejection_percent, K_DOUBLE, 0, 100,
	      "most of a VIP's backends drained on anomaly"),
	BRAIN(ejection_base_s, K_DOUBLE, 0, 86400,
	      "ejection time, doubling with each repeat"),
	BRAIN(ejection_max_s, K_DOUBLE, 0, 864000, "longest ejection"),
	BRAIN(ejection_decay_s, K_DOUBLE, 0, 864000,
	      "healthy time that forgets one repeat"),
	BRAIN(panic_threshold, K_DOUBLE, 0, 1,
	      "below this share healthy, anomaly drains stop"),
	BRAIN(forget_after_s, K_DOUBLE, 0, 864000,
	      "a pair gone this long is forgotten"),
	BRAIN(capacity_horizon_s, K_DOUBLE, 0, 86400, "capacity plan horizon"),
	BRAIN(capacity_high, K_DOUBLE, 0, 10,
	      "predicted utilisation that activates a standby"),
	BRAIN(capacity_low, K_DOUBLE, 0, 10,
	      "predicted utilisation that returns one"),
	BRAIN(capacity_ticks, K_UINT, 1, 100000,
	      "ticks above/below before acting"),
	BRAIN(capacity_dwell_s, K_DOUBLE, 0, 86400,
	      "seconds between capacity changes"),
	BRAIN(dry_run, K_BOOL, 0, 1, "decide and log, write nothing"),
};

static const struct key probe_keys[] = {
	PROBE("kind", kind, K_PROBE_KIND, 0, 0, "tcp, http, udp or none"),
	PROBE("port", port, K_UINT, 0, 65535, "0: the VIP's port"),
	PROBE("interval_s", interval_s, K_DOUBLE, 0.01, 3600,
	      "between probes of one backend"),
	PROBE("jitter", jitter, K_DOUBLE, 0, 0.5,
	      "share of the interval, either way"),
	PROBE("fast_interval_s", fast_interval_s, K_DOUBLE, 0.001, 3600,
	      "between probes while a fall or rise runs"),
	PROBE("timeout_s", timeout_s, K_DOUBLE, 0.001, 60,
	      "a probe slower than this fails"),
	{ "http_path", K_STRING, offsetof(struct xlbd_probe_config, http_path),
	  0, 0, sizeof(((struct xlbd_probe_config *)0)->http_path),
	  "path of the HTTP GET" },
	PROBE("http_status", http_status, K_UINT, 100, 599,
	      "the status an HTTP probe expects"),
	{ "udp_payload", K_STRING,
	  offsetof(struct xlbd_probe_config, udp_payload), 0, 0,
	  sizeof(((struct xlbd_probe_config *)0)->udp_payload),
	  "the datagram a UDP probe sends (a reply is success)" },
	{ "udp_payload_hex", K_STRING,
	  offsetof(struct xlbd_probe_config, udp_payload_hex), 0, 0,
	  sizeof(((struct xlbd_probe_config *)0)->udp_payload_hex),
	  "the same as hex bytes (e.g. a DNS query), instead" },
};

static const struct key scrape_keys[] = {
	SHELL("enabled", scrape_enabled, K_BOOL, 0, 1,
	      "scrape each backend's agent"),
	SHELL_STR("url", scrape_url, "URL; BACKEND is the backend's address"),
	SHELL("interval_s", scrape_interval_s, K_DOUBLE, 0.1, 3600,
	      "between scrapes of one agent"),
	SHELL("timeout_s", scrape_timeout_s, K_DOUBLE, 0.01, 60,
	      "a scrape slower than this fails"),
	SHELL("max_bytes", scrape_max_bytes, K_SIZE, 1024, 1 << 30,
	      "a longer body fails"),
};

static const struct key prometheus_keys[] = {
	SHELL_STR("url", prometheus_url,
		  "a Prometheus server instead of agents (\"\": none)"),
};

static const struct key store_keys[] = {
	SHELL("enabled", store_enabled, K_BOOL, 0, 1,
	      "keep history in STATE_DIR/history.db"),
	SHELL("retention_s", retention_s, K_DOUBLE, 60, 31536000,
	      "history older than this is deleted (5 min aggregates)"),
	SHELL("raw_retention_s", raw_retention_s, K_DOUBLE, 0, 31536000,
	      "per-tick samples kept this long (0: none)"),
	SHELL("retention_10s_s", retention_10s_s, K_DOUBLE, 0, 31536000,
	      "10 s aggregates kept this long (0: none)"),
	SHELL("retention_1m_s", retention_1m_s, K_DOUBLE, 0, 31536000,
	      "1 min aggregates kept this long (0: none)"),
	SHELL("save_every", save_every, K_UINT, 1, 3600,
	      "ticks between saves of the brain's state"),
};

static const struct key capacity_keys[] = {
	SHELL("hook_timeout_s", capacity_hook_timeout_s, K_DOUBLE, 0.1, 86400,
	      "a scale hook running longer is killed"),
};

static const struct key cluster_keys[] = {
	SHELL_STR("etcd", cluster_etcd,
		  "etcd endpoints, comma-separated (\"\": run alone)"),
	SHELL_STR("prefix", cluster_prefix, "keys of this cluster in etcd"),
	SHELL_STR("host_id", cluster_host_id,
		  "this host's name (\"\": hostname)"),
	SHELL("lease_ttl_s", cluster_lease_ttl_s, K_UINT, 1, 60,
	      "leader lease; a dead leader is replaced within it"),
};

static const struct key announce_keys[] = {
	SHELL_STR("vip", announce_vip,
		  "VIP whose route xlb-announce drives (\"\": no helper)"),
	SHELL_STR("dev", announce_dev, "interface xlb is attached to"),
	SHELL_STR("birdc_socket", announce_birdc_socket,
		  "BIRD's control socket"),
	SHELL_STR("protocol", announce_protocol,
		  "BIRD static protocol holding the VIP's route"),
	SHELL("interval_ms", announce_interval_ms, K_UINT, 10, 60000,
	      "the helper's local check period"),
	SHELL_STR("path", announce_path,
		  "the helper (a name is looked up in PATH)"),
};

static const struct key log_keys[] = {
	SHELL("format", log_format, K_LOG_FORMAT, 0, 0, "stderr: text or json"),
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- errors */

struct ctx {
	const char *name, *text;
	size_t len;
	char *err;
	size_t errlen;
	const char *path[4];
	int depth;
};

static int line_at(const char *text, size_t len, size_t pos)
{
	int line = 1;

	for (size_t i = 0; i < pos && i < len; i++)
		line += text[i] == '\n';
	return line;
}

static const char *find_in(const char *hay, size_t hlen, const char *needle)
{
	size_t n = strlen(needle);

	for (size_t i = 0; n && i + n <= hlen; i++)
		if (!memcmp(hay + i, needle, n))
			return hay + i;
	return NULL;
}

/* The line where the path's last key appears, its parents searched first. */
static int line_of_path(const struct ctx *c)
{
	size_t pos = 0;
	char quoted[300];

	for (int i = 0; i < c->depth; i++) {
		const char *at;

		snprintf(quoted, sizeof(quoted), "\"%s\"", c->path[i]);
		at = find_in(c->text + pos, c->len - pos, quoted);
		if (!at)
			break;
		pos = at - c->text;
	}
	return line_at(c->text, c->len, pos);
}

static int fail(struct ctx *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct ctx *c, const char *fmt, ...)
{
	char path[400] = "", why[300];
	size_t off = 0;
	va_list ap;

	for (int i = 0; i < c->depth; i++)
		off += snprintf(path + off, sizeof(path) - off, "%s%s",
				i ? "." : "", c->path[i]);
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	snprintf(c->err, c->errlen, "%s:%d: %s: %s", c->name, line_of_path(c),
		 path, why);
	return -EINVAL;
}

static void push(struct ctx *c, const char *key)
{
	c->path[c->depth++] = key;
}

static void pop(struct ctx *c)
{
	c->depth--;
}

/* ---------------------------------------------------------------- values */

static int get_number(struct ctx *c, json_object *v, double *out)
{
	json_type t = json_object_get_type(v);

	if (t != json_type_double && t != json_type_int)
		return fail(c, "%s is not a number",
			    json_object_to_json_string(v));
	*out = json_object_get_double(v);
	if (!isfinite(*out))
		return fail(c, "not a finite number");
	return 0;
}

static int set_key(struct ctx *c, const struct key *k, void *base,
		   json_object *v)
{
	char *field = (char *)base + k->offset;
	double x = 0;
	int err;

	switch (k->type) {
	case K_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			return fail(c, "%s is not true or false",
				    json_object_to_json_string(v));
		*(bool *)field = json_object_get_boolean(v);
		return 0;
	case K_STRING:
	case K_PROBE_KIND:
	case K_LOG_FORMAT: {
		const char *s;

		if (!json_object_is_type(v, json_type_string))
			return fail(c, "%s is not a string",
				    json_object_to_json_string(v));
		s = json_object_get_string(v);
		if (k->type == K_STRING) {
			if (strlen(s) >= k->size)
				return fail(c, "longer than %zu characters",
					    k->size - 1);
			strcpy(field, s);
		} else if (k->type == K_PROBE_KIND) {
			enum xlbd_probe_kind *kind = (void *)field;

			if (!strcmp(s, "tcp"))
				*kind = XLBD_PROBE_TCP;
			else if (!strcmp(s, "http"))
				*kind = XLBD_PROBE_HTTP;
			else if (!strcmp(s, "udp"))
				*kind = XLBD_PROBE_UDP;
			else if (!strcmp(s, "none"))
				*kind = XLBD_PROBE_NONE;
			else
				return fail(c,
					    "\"%s\" is not tcp, http, udp or "
					    "none",
					    s);
		} else {
			enum xlbd_log_format *f = (void *)field;

			if (!strcmp(s, "text"))
				*f = XLBD_LOG_TEXT;
			else if (!strcmp(s, "json"))
				*f = XLBD_LOG_JSON;
			else
				return fail(c, "\"%s\" is not text or json", s);
		}
		return 0;
	}
	default:
		break;
	}
	err = get_number(c, v, &x);
	if (err)
		return err;
	if (x < k->min || x > k->max)
		return fail(c, "%g is out of range [%g, %g]", x, k->min,
			    k->max);
	if (k->type != K_DOUBLE && x != floor(x))
		return fail(c, "%g is not a whole number", x);
	switch (k->type) {
	case K_DOUBLE:
		*(double *)field = x;
		break;
	case K_UINT:
		*(unsigned int *)field = (unsigned int)x;
		break;
	case K_U64:
		/* Exact beyond 2^53 only as an integer literal. */
		*(uint64_t *)field =
			json_object_is_type(v, json_type_int)
				? (uint64_t)json_object_get_uint64(v)
				: (uint64_t)x;
		break;
	case K_SIZE:
		*(size_t *)field = (size_t)x;
		break;
	default:
		break;
	}
	return 0;
}

static int parse_section(struct ctx *c, json_object *obj,
			 const struct key *keys, size_t n, void *base)
{
	if (!json_object_is_type(obj, json_type_object))
		return fail(c, "not an object");
	json_object_object_foreach(obj, name, v)
	{
		size_t i;
		int err;

		for (i = 0; i < n && strcmp(keys[i].name, name); i++)
			;
		push(c, name);
		if (i == n)
			return fail(c, "unknown key");
		err = set_key(c, &keys[i], base, v);
		if (err)
			return err;
		pop(c);
	}
	return 0;
}

static int parse_vips(struct ctx *c, json_object *obj, struct xlbd_config *cfg)
{
	if (!json_object_is_type(obj, json_type_object))
		return fail(c, "not an object of VIP: {\"probe\": {...}}");
	json_object_object_foreach(obj, name, v)
	{
		struct xlbd_vip_config *vc, *grown;
		struct xlb_vip_key key;
		int err;

		push(c, name);
		if (xlb_parse_vip(name, &key))
			return fail(c, "not a VIP (ADDR:PORT/tcp|udp): %s",
				    xlb_errmsg());
		if (!json_object_is_type(v, json_type_object))
			return fail(c, "not an object");
		grown = realloc(cfg->vips, (cfg->n_vips + 1) * sizeof(*vc));
		if (!grown)
			return fail(c, "out of memory");
		cfg->vips = grown;
		vc = &cfg->vips[cfg->n_vips++];
		memset(vc, 0, sizeof(*vc));
		/* A VIP's probe starts from the top-level probe settings;
		 * a UDP VIP's connect-based kinds mean none. */
		vc->probe = cfg->probe;
		if (key.proto == IPPROTO_UDP &&
		    cfg->probe.kind != XLBD_PROBE_UDP)
			vc->probe.kind = XLBD_PROBE_NONE;
		xlb_format_vip(&key, vc->vip, sizeof(vc->vip));
		json_object_object_foreach(v, sub, sv)
		{
			push(c, sub);
			if (strcmp(sub, "probe"))
				return fail(c, "unknown key");
			err = parse_section(c, sv, probe_keys, N(probe_keys),
					    &vc->probe);
			if (err)
				return err;
			pop(c);
		}
		pop(c);
	}
	return 0;
}

static int parse_prometheus(struct ctx *c, json_object *obj,
			    struct xlbd_config *cfg)
{
	if (!json_object_is_type(obj, json_type_object))
		return fail(c, "not an object");
	json_object_object_foreach(obj, name, v)
	{
		int err;

		push(c, name);
		if (!strcmp(name, "url")) {
			err = set_key(c, &prometheus_keys[0], cfg, v);
			if (err)
				return err;
		} else if (!strcmp(name, "queries")) {
			if (!json_object_is_type(v, json_type_object))
				return fail(c, "not an object");
			json_object_object_foreach(v, sig, q)
			{
				int i;

				push(c, sig);
				for (i = 0;
				     i < XLBD_SIG_N &&
				     strcmp(xlbd_prom_signal_names[i], sig);
				     i++)
					;
				if (i == XLBD_SIG_N)
					return fail(c, "unknown signal "
						       "(cpu_util, "
						       "mem_util, load1, "
						       "service_latency_s, "
						       "service_latency_last_s,"
						       " "
						       "service_fail_ratio)");
				if (!json_object_is_type(q, json_type_string) ||
				    !*json_object_get_string(q))
					return fail(c, "not a PromQL string");
				free(cfg->promql[i]);
				cfg->promql[i] =
					strdup(json_object_get_string(q));
				pop(c);
			}
		} else {
			return fail(c, "unknown key");
		}
		pop(c);
	}
	return 0;
}

/* One hook argument: a string, placeholders only those three. */
static int check_hook_arg(struct ctx *c, json_object *a, size_t i)
{
	const char *s, *open;

	if (!json_object_is_type(a, json_type_string) ||
	    (i == 0 && !*json_object_get_string(a)))
		return fail(c, "argument %zu: not a%s string", i,
			    i ? "" : " non-empty");
	s = json_object_get_string(a);
	for (open = strchr(s, '{'); open; open = strchr(open + 1, '{'))
		if (strncmp(open, "{vip}", 5) &&
		    strncmp(open, "{current}", 9) &&
		    strncmp(open, "{desired}", 9))
			return fail(c,
				    "argument %zu: unknown placeholder in "
				    "\"%s\" ({vip}, {current}, {desired})",
				    i, s);
	return 0;
}

/*
 * capacity.hook: an argv array (never a shell line), run when a VIP's
 * desired count changes; {vip}, {current} and {desired} are replaced.
 */
static int parse_hook(struct ctx *c, json_object *v, struct xlbd_config *cfg)
{
	size_t n, i;
	char **argv;
	int err = 0;

	if (!json_object_is_type(v, json_type_array))
		return fail(c, "not an array of strings (an argv: no shell "
			       "runs it)");
	n = json_object_array_length(v);
	if (n > 256)
		return fail(c, "%zu arguments: at most 256", n);
	argv = calloc(n + 1, sizeof(*argv));
	if (!argv)
		return fail(c, "out of memory");
	for (i = 0; i < n && !err; i++) {
		json_object *a = json_object_array_get_idx(v, i);

		err = check_hook_arg(c, a, i);
		if (!err && !(argv[i] = strdup(json_object_get_string(a))))
			err = fail(c, "out of memory");
	}
	if (err) {
		for (i = 0; i < n; i++)
			free(argv[i]);
		free(argv);
		return err;
	}
	for (i = 0; i < cfg->capacity_hook_n; i++)
		free(cfg->capacity_hook[i]);
	free(cfg->capacity_hook);
	cfg->capacity_hook = argv;
	cfg->capacity_hook_n = n;
	return 0;
}

static int parse_capacity(struct ctx *c, json_object *obj,
			  struct xlbd_config *cfg)
{
	if (!json_object_is_type(obj, json_type_object))
		return fail(c, "not an object");
	json_object_object_foreach(obj, name, v)
	{
		int err;

		push(c, name);
		if (!strcmp(name, "hook_timeout_s"))
			err = set_key(c, &capacity_keys[0], cfg, v);
		else if (!strcmp(name, "hook"))
			err = parse_hook(c, v, cfg);
		else
			err = fail(c, "unknown key (hook, hook_timeout_s)");
		if (err)
			return err;
		pop(c);
	}
	return 0;
}

/* ---------------------------------------------------------------- config */

void xlbd_config_default(struct xlbd_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	xlb_brain_config_default(&cfg->brain);
	cfg->probe.kind = XLBD_PROBE_TCP;
	cfg->probe.interval_s = 0.1;
	cfg->probe.jitter = 0.2;
	cfg->probe.fast_interval_s = 0.02;
	cfg->probe.timeout_s = 0.25;
	strcpy(cfg->probe.http_path, "/");
	cfg->probe.http_status = 200;
	strcpy(cfg->probe.udp_payload, "xlb-probe");
	cfg->scrape_enabled = true;
	strcpy(cfg->scrape_url, XLBD_SCRAPE_URL_DEFAULT);
	cfg->scrape_interval_s = 1.0;
	cfg->scrape_timeout_s = 0.5;
	cfg->scrape_max_bytes = 4u << 20;
	cfg->store_enabled = true;
	cfg->retention_s = 86400;
	cfg->raw_retention_s = 600;
	cfg->retention_10s_s = 3600;
	cfg->retention_1m_s = 21600;
	cfg->save_every = 1;
	cfg->log_format = XLBD_LOG_TEXT;
	cfg->capacity_hook_timeout_s = 30;
	strcpy(cfg->cluster_prefix, "/xlb/default");
	cfg->cluster_lease_ttl_s = 2;
	strcpy(cfg->announce_birdc_socket, "/run/bird/bird.ctl");
	strcpy(cfg->announce_protocol, "xlb_vips");
	cfg->announce_interval_ms = 200;
	strcpy(cfg->announce_path, "xlb-announce");
}

void xlbd_config_free(struct xlbd_config *cfg)
{
	free(cfg->vips);
	for (int i = 0; i < XLBD_SIG_N; i++)
		free(cfg->promql[i]);
	for (size_t i = 0; i < cfg->capacity_hook_n; i++)
		free(cfg->capacity_hook[i]);
	free(cfg->capacity_hook);
	memset(cfg, 0, sizeof(*cfg));
}

void xlbd_config_move(struct xlbd_config *dst, struct xlbd_config *src)
{
	xlbd_config_free(dst);
	*dst = *src;
	memset(src, 0, sizeof(*src));
}

static int parse_top(struct ctx *c, json_object *root, struct xlbd_config *cfg)
{
	json_object *vips = NULL;
	int err = 0;

	if (!json_object_is_type(root, json_type_object))
		return fail(c, "the file is not a JSON object");
	json_object_object_foreach(root, name, v)
	{
		push(c, name);
		if (!strcmp(name, "brain"))
			err = parse_section(c, v, brain_keys, N(brain_keys),
					    &cfg->brain);
		else if (!strcmp(name, "probe"))
			err = parse_section(c, v, probe_keys, N(probe_keys),
					    &cfg->probe);
		else if (!strcmp(name, "scrape"))
			err = parse_section(c, v, scrape_keys, N(scrape_keys),
					    cfg);
		else if (!strcmp(name, "prometheus"))
			err = parse_prometheus(c, v, cfg);
		else if (!strcmp(name, "store"))
			err = parse_section(c, v, store_keys, N(store_keys),
					    cfg);
		else if (!strcmp(name, "log"))
			err = parse_section(c, v, log_keys, N(log_keys), cfg);
		else if (!strcmp(name, "capacity"))
			err = parse_capacity(c, v, cfg);
		else if (!strcmp(name, "cluster"))
			err = parse_section(c, v, cluster_keys, N(cluster_keys),
					    cfg);
		else if (!strcmp(name, "announce"))
			err = parse_section(c, v, announce_keys,
					    N(announce_keys), cfg);
		else if (!strcmp(name, "vips"))
			vips = v; /* after "probe", whatever the order */
		else
			err = fail(c, "unknown key (brain, probe, vips, "
				      "scrape, prometheus, store, log, "
				      "capacity, cluster, announce)");
		if (err)
			return err;
		pop(c);
	}
	if (vips) {
		push(c, "vips");
		err = parse_vips(c, vips, cfg);
		if (err)
			return err;
		pop(c);
	}
	return 0;
}

static int check_whole(struct ctx *c, struct xlbd_config *cfg)
{
	char why[256] = "";

	if (xlb_brain_config_check(&cfg->brain, why, sizeof(why))) {
		char key[64];
		size_t n = strcspn(why, ":");

		/* The core names the key first: "anomaly_k: 6 > anomaly_m". */
		snprintf(key, sizeof(key), "%.*s", (int)n, why);
		push(c, "brain");
		push(c, key);
		snprintf(c->err, c->errlen, "%s:%d: brain.%s", c->name,
			 line_of_path(c), why);
		return -EINVAL;
	}
	if (cfg->probe.timeout_s > cfg->probe.interval_s * 10) {
		push(c, "probe");
		push(c, "timeout_s");
		return fail(c, "%g is more than 10 intervals (%g s)",
			    cfg->probe.timeout_s, cfg->probe.interval_s);
	}
	for (size_t i = 0; i <= cfg->n_vips; i++) {
		const struct xlbd_probe_config *p =
			i < cfg->n_vips ? &cfg->vips[i].probe : &cfg->probe;
		const char *h = p->udp_payload_hex;
		size_t n = strlen(h), hex = strspn(h, "0123456789abcdefABCDEF");

		if (hex == n && n % 2 == 0)
			continue;
		if (i < cfg->n_vips) {
			push(c, "vips");
			push(c, cfg->vips[i].vip);
		}
		push(c, "probe");
		push(c, "udp_payload_hex");
		return fail(c, "not an even number of hex digits");
	}
	if (cfg->prometheus_url[0] && !strstr(cfg->prometheus_url, "://")) {
		push(c, "prometheus");
		push(c, "url");
		return fail(c, "\"%s\" is not a URL", cfg->prometheus_url);
	}
	if (cfg->prometheus_url[0]) {
		int n = 0;

		for (int i = 0; i < XLBD_SIG_N; i++)
			n += cfg->promql[i] != NULL;
		if (!n) {
			push(c, "prometheus");
			push(c, "queries");
			return fail(c, "prometheus.url needs at least one "
				       "query");
		}
	}
	if (cfg->announce_vip[0]) {
		struct xlb_vip_key vip;
		const char *why = NULL;

		if (xlb_parse_vip(cfg->announce_vip, &vip) ||
		    vip.family != XLB_FAMILY_V4)
			why = "is not ADDR:PORT/tcp|udp (IPv4)";
		else if (!cfg->announce_dev[0])
			why = "needs announce.dev";
		else if (!cfg->announce_birdc_socket[0] ||
			 !cfg->announce_path[0])
			why = "needs announce.birdc_socket and announce.path";
		if (why) {
			push(c, "announce");
			push(c, "vip");
			return fail(c, "\"%s\" %s", cfg->announce_vip, why);
		}
	}
	if (!strstr(cfg->scrape_url, "://")) {
		push(c, "scrape");
		push(c, "url");
		return fail(c, "\"%s\" is not a URL", cfg->scrape_url);
	}
	return 0;
}

int xlbd_config_parse(const char *name, const char *text, size_t len,
		      struct xlbd_config *cfg, char *err, size_t errlen)
{
	struct ctx c = { .name = name,
			 .text = text,
			 .len = len,
			 .err = err,
			 .errlen = errlen };
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	json_object *root;
	int ret;

	xlbd_config_default(cfg);
	tok = json_tokener_new();
	if (!tok) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	/* Not strict: C and C++ comments are allowed (the example has them). */
	json_tokener_set_flags(tok, 0);
	root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!root || jerr != json_tokener_success ||
	    json_tokener_get_parse_end(tok) < len) {
		size_t at = json_tokener_get_parse_end(tok);

		if (jerr == json_tokener_success) {
			/* Only blanks may follow the object. */
			while (at < len && strchr(" \t\r\n", text[at]))
				at++;
			if (at == len)
				goto parsed;
		}
		snprintf(err, errlen, "%s:%d: not valid JSON: %s", name,
			 line_at(text, len, at),
			 jerr == json_tokener_continue ? "unexpected end of "
							 "file"
			 : jerr == json_tokener_success
				 ? "text after the object"
				 : json_tokener_error_desc(jerr));
		json_object_put(root);
		json_tokener_free(tok);
		xlbd_config_free(cfg);
		return -EINVAL;
	}
parsed:
	json_tokener_free(tok);
	ret = parse_top(&c, root, cfg);
	if (!ret)
		ret = check_whole(&c, cfg);
	json_object_put(root);
	if (ret)
		xlbd_config_free(cfg);
	return ret;
}

int xlbd_config_load(const char *path, struct xlbd_config *cfg, char *err,
		     size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	int ret;

	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	FILE *mem = open_memstream(&text, &len);
	char buf[4096];
	size_t n;

	while (mem && (n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, mem);
	if (ferror(f) || !mem) {
		snprintf(err, errlen, "%s: read failed", path);
		fclose(f);
		if (mem)
			fclose(mem);
		free(text);
		return -EIO;
	}
	fclose(f);
	fclose(mem);
	ret = xlbd_config_parse(path, text, len, cfg, err, errlen);
	free(text);
	return ret;
}

const struct xlbd_probe_config *xlbd_config_probe(const struct xlbd_config *cfg,
						  const char *vip)
{
	for (size_t i = 0; i < cfg->n_vips; i++)
		if (!strcmp(cfg->vips[i].vip, vip))
			return &cfg->vips[i].probe;
	return &cfg->probe;
}

static void print_value(FILE *out, const struct key *k, const void *base)
{
	const char *field = (const char *)base + k->offset;

	switch (k->type) {
	case K_DOUBLE:
		fprintf(out, "%g", *(const double *)field);
		break;
	case K_UINT:
		fprintf(out, "%u", *(const unsigned int *)field);
		break;
	case K_U64:
		fprintf(out, "%llu",
			(unsigned long long)*(const uint64_t *)field);
		break;
	case K_BOOL:
		fprintf(out, "%s", *(const bool *)field ? "true" : "false");
		break;
	case K_SIZE:
		fprintf(out, "%zu", *(const size_t *)field);
		break;
	case K_STRING:
		fprintf(out, "\"%s\"", field);
		break;
	case K_PROBE_KIND:
		fprintf(out, "\"%s\"",
			(const char *[]){
				"tcp", "http", "none",
				"udp" }[*(const enum xlbd_probe_kind *)field]);
		break;
	case K_LOG_FORMAT:
		fprintf(out, "\"%s\"",
			*(const enum xlbd_log_format *)field ? "json" : "text");
		break;
	}
}

static void print_keys(FILE *out, const char *section, const struct key *keys,
		       size_t n, const void *base)
{
	for (size_t i = 0; i < n; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s.%s", section, keys[i].name);
		fprintf(out, "  %-32s ", name);
		print_value(out, &keys[i], base);
		fprintf(out, "  %s\n", keys[i].help);
	}
}

void xlbd_config_print_keys(FILE *out)
{
	struct xlbd_config d;

	xlbd_config_default(&d);
	print_keys(out, "brain", brain_keys, N(brain_keys), &d.brain);
	print_keys(out, "probe", probe_keys, N(probe_keys), &d.probe);
	fprintf(out, "  %-32s %s  %s\n", "vips.VIP.probe.*", "(probe.*)",
		"per VIP; UDP VIPs default to kind none");
	print_keys(out, "scrape", scrape_keys, N(scrape_keys), &d);
	print_keys(out, "prometheus", prometheus_keys, N(prometheus_keys), &d);
	fprintf(out, "  %-32s %s  %s\n", "prometheus.queries.SIGNAL", "(none)",
		"PromQL per signal: cpu_util, mem_util, load1,");
	fprintf(out, "  %-32s %s  %s\n", "", "",
		"service_latency_s, service_latency_last_s,");
	fprintf(out, "  %-32s %s  %s\n", "", "",
		"service_fail_ratio; matched by instance");
	print_keys(out, "store", store_keys, N(store_keys), &d);
	print_keys(out, "log", log_keys, N(log_keys), &d);
	fprintf(out, "  %-32s %s  %s\n", "capacity.hook", "[]",
		"argv run (no shell) when a VIP's desired count changes;");
	fprintf(out, "  %-32s %s  %s\n", "", "  ",
		"{vip}, {current}, {desired} replaced in each argument");
	print_keys(out, "capacity", capacity_keys, N(capacity_keys), &d);
	print_keys(out, "cluster", cluster_keys, N(cluster_keys), &d);
	print_keys(out, "announce", announce_keys, N(announce_keys), &d);
	xlbd_config_free(&d);
}
