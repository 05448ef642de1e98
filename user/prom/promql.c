// SPDX-License-Identifier: GPL-2.0
/*
 * The Prometheus HTTP API as a signal source: a /api/v1/query response read
 * with json-c into (labels -> value) samples (see node_signals.h).
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "node_signals.h"

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

static const char *string_field(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* The API's sample value: [ <unix time>, "<value as a string>" ]. */
static int read_value(json_object *pair, struct xlb_promql_sample *s)
{
	json_object *ts, *val;
	const char *text;
	char *end;

	if (!json_object_is_type(pair, json_type_array) ||
	    json_object_array_length(pair) != 2)
		return -EINVAL;
	ts = json_object_array_get_idx(pair, 0);
	val = json_object_array_get_idx(pair, 1);
	if (!(json_object_is_type(ts, json_type_double) ||
	      json_object_is_type(ts, json_type_int)) ||
	    !json_object_is_type(val, json_type_string))
		return -EINVAL;
	s->timestamp_s = json_object_get_double(ts);
	text = json_object_get_string(val);
	if (!strcasecmp(text, "NaN")) {
		s->value = NAN;
		return 0;
	}
	if (!strcmp(text, "+Inf") || !strcmp(text, "Inf")) {
		s->value = INFINITY;
		return 0;
	}
	if (!strcmp(text, "-Inf")) {
		s->value = -INFINITY;
		return 0;
	}
	errno = 0;
	s->value = strtod(text, &end);
	if (end == text || *end || errno == ERANGE)
		return -EINVAL;
	return 0;
}

static int read_labels(json_object *metric, struct xlb_promql_sample *s)
{
	if (!json_object_is_type(metric, json_type_object))
		return -EINVAL;
	json_object_object_foreach(metric, key, val)
	{
		if (!json_object_is_type(val, json_type_string))
			return -EINVAL;
		if (s->n_labels == XLB_PROM_MAX_LABELS)
			return -E2BIG;
		s->labels[s->n_labels].name = strdup(key);
		s->labels[s->n_labels].value =
			strdup(json_object_get_string(val));
		s->n_labels++;
		if (!s->labels[s->n_labels - 1].name ||
		    !s->labels[s->n_labels - 1].value)
			return -ENOMEM;
	}
	return 0;
}

void xlb_promql_vector_free(struct xlb_promql_vector *v)
{
	for (size_t i = 0; v->samples && i < v->n; i++) {
		for (size_t j = 0; j < v->samples[i].n_labels; j++) {
			free((char *)v->samples[i].labels[j].name);
			free((char *)v->samples[i].labels[j].value);
		}
	}
	free(v->samples);
	v->samples = NULL;
	v->n = 0;
}

int xlb_promql_parse_vector(const char *json, size_t len,
			    struct xlb_promql_vector *out, char *err,
			    size_t errlen)
{
	struct json_tokener *tok;
	json_object *root, *data, *result;
	const char *status, *type;
	size_t n;
	int rc = 0;

	out->samples = NULL;
	out->n = 0;
	if (err && errlen)
		err[0] = '\0';
	tok = json_tokener_new();
	if (!tok)
		return fail(err, errlen, -ENOMEM, "out of memory");
	root = json_tokener_parse_ex(tok, json, (int)len);
	if (!root || json_tokener_get_parse_end(tok) != len) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		json_object_put(root);
		json_tokener_free(tok);
		return fail(err, errlen, -EINVAL, "invalid JSON: %s",
			    e == json_tokener_continue ? "truncated"
			    : e == json_tokener_success
				    ? "text after the JSON value"
				    : json_tokener_error_desc(e));
	}
	json_tokener_free(tok);

	status = string_field(root, "status");
	if (!status) {
		rc = fail(err, errlen, -EINVAL,
			  "no \"status\" in the response");
		goto out;
	}
	if (strcmp(status, "success")) {
		const char *etype = string_field(root, "errorType");
		const char *emsg = string_field(root, "error");

		rc = fail(err, errlen, -EINVAL, "query failed: %s: %s",
			  etype ? etype : status, emsg ? emsg : "(no message)");
		goto out;
	}
	if (!json_object_object_get_ex(root, "data", &data) ||
	    !(type = string_field(data, "resultType")) ||
	    !json_object_object_get_ex(data, "result", &result)) {
		rc = fail(err, errlen, -EINVAL,
			  "no data.resultType or data.result");
		goto out;
	}
	if (!strcmp(type, "scalar")) {
		out->samples = calloc(1, sizeof(*out->samples));
		if (!out->samples) {
			rc = fail(err, errlen, -ENOMEM, "out of memory");
			goto out;
		}
		out->n = 1;
		if (read_value(result, &out->samples[0])) {
			rc = fail(err, errlen, -EINVAL,
				  "scalar: malformed [time, \"value\"]");
			goto out;
		}
		goto out;
	}
	if (strcmp(type, "vector")) {
		rc = fail(err, errlen, -EINVAL,
			  "resultType \"%s\", expected \"vector\" (an instant "
			  "query)",
			  type);
		goto out;
	}
	if (!json_object_is_type(result, json_type_array)) {
		rc = fail(err, errlen, -EINVAL, "data.result is not an array");
		goto out;
	}
	n = json_object_array_length(result);
	out->samples = calloc(n ? n : 1, sizeof(*out->samples));
	if (!out->samples) {
		rc = fail(err, errlen, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *el = json_object_array_get_idx(result, i);
		json_object *metric, *value;
		struct xlb_promql_sample *s = &out->samples[i];

		out->n = i + 1; /* so free() sees this sample's labels */
		if (!json_object_is_type(el, json_type_object) ||
		    !json_object_object_get_ex(el, "metric", &metric) ||
		    !json_object_object_get_ex(el, "value", &value)) {
			rc = fail(err, errlen, -EINVAL,
				  "result[%zu]: no metric or value", i);
			goto out;
		}
		rc = read_labels(metric, s);
		if (rc) {
			rc = fail(err, errlen, rc, "result[%zu]: %s", i,
				  rc == -E2BIG	  ? "more than 16 labels"
				  : rc == -ENOMEM ? "out of memory"
						  : "a label value is not a "
						    "string");
			goto out;
		}
		if (read_value(value, s)) {
			rc = fail(err, errlen, -EINVAL,
				  "result[%zu]: malformed [time, \"value\"]",
				  i);
			goto out;
		}
	}
out:
	if (rc)
		xlb_promql_vector_free(out);
	json_object_put(root);
	return rc;
}

const char *xlb_promql_label(const struct xlb_promql_sample *sample,
			     const char *name)
{
	for (size_t i = 0; i < sample->n_labels; i++) {
		if (!strcmp(sample->labels[i].name, name))
			return sample->labels[i].value;
	}
	return NULL;
}
