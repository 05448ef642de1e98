// SPDX-License-Identifier: GPL-2.0
/*
 * etcd v3 JSON gateway codec: request bodies and answers (cluster_etcd.h).
 * The gateway writes 64-bit integers as JSON strings and leaves out fields
 * at their zero value; both are accepted here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cluster_etcd.h"

size_t etcd_body_append(char *data, size_t size, size_t nmemb, void *body)
{
	struct etcd_body *b = body;
	size_t len = size * nmemb;
	char *p;

	if (len > ETCD_BODY_MAX - b->n)
		return 0;
	p = realloc(b->p, b->n + len + 1);
	if (!p)
		return 0;
	memcpy(p + b->n, data, len);
	b->p = p;
	b->n += len;
	p[b->n] = '\0';
	return len;
}

char *etcd_b64_encode(const void *buf, size_t len)
{
	char *out = malloc(4 * ((len + 2) / 3) + 1);

	if (!out)
		return NULL;
	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	return out;
}

void *etcd_b64_decode(const char *s, size_t *len)
{
	size_t n = strlen(s), pad = 0;
	unsigned char *out;
	int got;

	if (n % 4)
		return NULL;
	out = malloc(n / 4 * 3 + 1);
	if (!out)
		return NULL;
	got = EVP_DecodeBlock(out, (const unsigned char *)s, (int)n);
	if (got < 0) {
		free(out);
		return NULL;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes. */
	while (pad < 2 && n > pad && s[n - 1 - pad] == '=')
		pad++;
	*len = (size_t)got - pad;
	out[*len] = '\0';
	return out;
}

static int add_b64(struct json_object *o, const char *name, const void *buf,
		   size_t len)
{
	char *b = etcd_b64_encode(buf, len);

	if (!b)
		return -ENOMEM;
	json_object_object_add(o, name, json_object_new_string(b));
	free(b);
	return 0;
}

static int add_i64(struct json_object *o, const char *name, int64_t v)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRId64, v);
	json_object_object_add(o, name, json_object_new_string(num));
	return 0;
}

static char *finish(struct json_object *o, int err)
{
	char *text = NULL;

	if (!err)
		text = strdup(json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

static struct json_object *put_request(const char *key, const void *val,
				       size_t len, int64_t lease, int *err)
{
	struct json_object *o = json_object_new_object();

	*err = add_b64(o, "key", key, strlen(key));
	if (!*err)
		*err = add_b64(o, "value", val, len);
	if (!*err && lease)
		add_i64(o, "lease", lease);
	return o;
}

char *etcd_put_body(const char *key, const void *val, size_t len, int64_t lease)
{
	int err;
	struct json_object *o = put_request(key, val, len, lease, &err);

	return finish(o, err);
}

char *etcd_range_prefix_body(const char *prefix)
{
	struct json_object *o = json_object_new_object();
	size_t n = strlen(prefix);
	char *end = strdup(prefix);
	int err;

	if (!end || !n) {
		free(end);
		json_object_put(o);
		return NULL;
	}
	end[n - 1]++;
	err = add_b64(o, "key", prefix, n);
	if (!err)
		err = add_b64(o, "range_end", end, n);
	free(end);
	return finish(o, err);
}

char *etcd_watch_prefix_body(const char *prefix, int64_t start_rev)
{
	struct json_object *o = json_object_new_object();
	struct json_object *c = json_object_new_object();
	size_t n = strlen(prefix);
	char *end = strdup(prefix);
	int err;

	if (!end || !n) {
		free(end);
		json_object_put(c);
		json_object_put(o);
		return NULL;
	}
	end[n - 1]++;
	err = add_b64(c, "key", prefix, n);
	if (!err)
		err = add_b64(c, "range_end", end, n);
	free(end);
	if (start_rev)
		add_i64(c, "start_revision", start_rev);
	json_object_object_add(o, "create_request", c);
	return finish(o, err);
}

char *etcd_lease_grant_body(int64_t ttl_s)
{
	struct json_object *o = json_object_new_object();

	add_i64(o, "TTL", ttl_s);
	return finish(o, 0);
}

char *etcd_lease_keepalive_body(int64_t lease)
{
	struct json_object *o = json_object_new_object();

	add_i64(o, "ID", lease);
	return finish(o, 0);
}

char *etcd_campaign_body(const char *key, const char *val, int64_t lease)
{
	struct json_object *o = json_object_new_object();
	struct json_object *cmp = json_object_new_object();
	struct json_object *ok = json_object_new_object();
	struct json_object *no = json_object_new_object();
	struct json_object *rng = json_object_new_object();
	struct json_object *arr;
	int err, put_err;

	err = add_b64(cmp, "key", key, strlen(key));
	json_object_object_add(cmp, "target", json_object_new_string("CREATE"));
	json_object_object_add(cmp, "result", json_object_new_string("EQUAL"));
	add_i64(cmp, "create_revision", 0);
	arr = json_object_new_array();
	json_object_array_add(arr, cmp);
	json_object_object_add(o, "compare", arr);

	json_object_object_add(ok, "request_put",
			       put_request(key, val, strlen(val), lease,
					   &put_err));
	err = err ? err : put_err;
	arr = json_object_new_array();
	json_object_array_add(arr, ok);
	json_object_object_add(o, "success", arr);

	if (!err)
		err = add_b64(rng, "key", key, strlen(key));
	json_object_object_add(no, "request_range", rng);
	arr = json_object_new_array();
	json_object_array_add(arr, no);
	json_object_object_add(o, "failure", arr);
	return finish(o, err);
}

char *etcd_fenced_put_body(const char *leader_key, int64_t leader_rev,
			   const char *key, const void *val, size_t len)
{
	struct json_object *o = json_object_new_object();
	struct json_object *cmp = json_object_new_object();
	struct json_object *ok = json_object_new_object();
	struct json_object *arr;
	int err, put_err;

	err = add_b64(cmp, "key", leader_key, strlen(leader_key));
	json_object_object_add(cmp, "target", json_object_new_string("CREATE"));
	json_object_object_add(cmp, "result", json_object_new_string("EQUAL"));
	add_i64(cmp, "create_revision", leader_rev);
	arr = json_object_new_array();
	json_object_array_add(arr, cmp);
	json_object_object_add(o, "compare", arr);
	json_object_object_add(ok, "request_put",
			       put_request(key, val, len, 0, &put_err));
	err = err ? err : put_err;
	arr = json_object_new_array();
	json_object_array_add(arr, ok);
	json_object_object_add(o, "success", arr);
	return finish(o, err);
}

static int64_t get_i64(struct json_object *o, const char *name)
{
	struct json_object *v;

	if (!o || !json_object_object_get_ex(o, name, &v))
		return 0;
	if (json_object_is_type(v, json_type_string))
		return strtoll(json_object_get_string(v), NULL, 10);
	return json_object_get_int64(v);
}

static int parse_kvs(struct json_object *kvs, struct etcd_reply *r)
{
	size_t i, n;

	if (!kvs || !json_object_is_type(kvs, json_type_array))
		return 0;
	n = json_object_array_length(kvs);
	r->kvs = calloc(n ? n : 1, sizeof(*r->kvs));
	if (!r->kvs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct json_object *kv = json_object_array_get_idx(kvs, i);
		struct etcd_kv *e = &r->kvs[r->n_kvs];
		struct json_object *k, *v;
		size_t klen;

		if (!json_object_object_get_ex(kv, "key", &k))
			continue;
		e->key = etcd_b64_decode(json_object_get_string(k), &klen);
		if (json_object_object_get_ex(kv, "value", &v))
			e->val = etcd_b64_decode(json_object_get_string(v),
						 &e->val_len);
		else
			e->val = calloc(1, 1);
		if (!e->key || !e->val) {
			free(e->key);
			free(e->val);
			snprintf(r->err, sizeof(r->err),
				 "a key or value is not base64");
			return -EINVAL;
		}
		e->create_rev = get_i64(kv, "create_revision");
		e->mod_rev = get_i64(kv, "mod_revision");
		e->lease = get_i64(kv, "lease");
		r->n_kvs++;
	}
	return 0;
}

static int parse_events(struct json_object *evs, struct etcd_reply *r)
{
	struct json_object *kvs = json_object_new_array(), *kv, *t;
	size_t i, n = json_object_array_length(evs), first;
	int err;

	for (i = 0; i < n; i++) {
		struct json_object *ev = json_object_array_get_idx(evs, i);

		if (json_object_object_get_ex(ev, "kv", &kv))
			json_object_array_add(kvs, json_object_get(kv));
	}
	first = r->n_kvs;
	err = parse_kvs(kvs, r);
	json_object_put(kvs);
	/* parse_kvs keeps the events' order; mark the DELETEs */
	for (i = 0; !err && i < n && first < r->n_kvs; i++) {
		struct json_object *ev = json_object_array_get_idx(evs, i);

		if (!json_object_object_get_ex(ev, "kv", &kv))
			continue;
		if (json_object_object_get_ex(ev, "type", &t) &&
		    !strcmp(json_object_get_string(t), "DELETE"))
			r->kvs[first].deleted = 1;
		first++;
	}
	return err;
}

static int parse_obj(struct json_object *root, struct etcd_reply *r)
{
	struct json_object *o, *v, *resps;
	int err = 0;

	memset(r, 0, sizeof(*r));
	if (!root || !json_object_is_type(root, json_type_object)) {
		snprintf(r->err, sizeof(r->err), "answer is not a JSON object");
		return -EINVAL;
	}
	if (json_object_object_get_ex(root, "error", &v) ||
	    json_object_object_get_ex(root, "message", &v)) {
		snprintf(r->err, sizeof(r->err), "etcd: %s",
			 json_object_get_string(v));
		return -EINVAL;
	}
	/* keepalive answers wrap their body in "result" */
	o = json_object_object_get_ex(root, "result", &v) ? v : root;
	if (json_object_object_get_ex(o, "header", &v))
		r->revision = get_i64(v, "revision");
	r->lease_id = get_i64(o, "ID");
	r->ttl = get_i64(o, "TTL");
	if (json_object_object_get_ex(o, "succeeded", &v))
		r->succeeded = json_object_get_boolean(v);
	if (json_object_object_get_ex(o, "kvs", &v))
		err = parse_kvs(v, r);
	if (!err && json_object_object_get_ex(o, "responses", &resps) &&
	    json_object_array_length(resps) > 0) {
		struct json_object *first = json_object_array_get_idx(resps, 0);

		if (json_object_object_get_ex(first, "response_range", &v) &&
		    json_object_object_get_ex(v, "kvs", &v))
			err = parse_kvs(v, r);
	}
	if (!err && json_object_object_get_ex(o, "events", &v) &&
	    json_object_is_type(v, json_type_array))
		err = parse_events(v, r);
	return err;
}

int etcd_parse_reply(const char *text, struct etcd_reply *r)
{
	struct json_object *root = json_tokener_parse(text);
	int err = parse_obj(root, r);

	json_object_put(root);
	return err;
}

int etcd_stream_init(struct etcd_stream *s,
		     void (*cb)(const struct etcd_reply *r, void *arg),
		     void *arg)
{
	s->tok = json_tokener_new();
	s->cb = cb;
	s->arg = arg;
	s->in_msg = 0;
	return s->tok ? 0 : -ENOMEM;
}

int etcd_stream_feed(struct etcd_stream *s, const char *buf, size_t len)
{
	while (len) {
		struct json_object *o;
		struct etcd_reply r;
		size_t used;

		/* skip the whitespace between messages */
		if (!s->in_msg &&
		    (*buf == '\n' || *buf == '\r' || *buf == ' ')) {
			buf++;
			len--;
			continue;
		}
		o = json_tokener_parse_ex(s->tok, buf, (int)len);
		used = json_tokener_get_parse_end(s->tok);
		if (!o) {
			if (json_tokener_get_error(s->tok) !=
			    json_tokener_continue)
				return -EINVAL;
			s->in_msg = 1;
			return 0; /* the rest of a message comes later */
		}
		s->in_msg = 0;
		json_tokener_reset(s->tok);
		/* an error message (a cancelled watch) reaches cb with r.err */
		parse_obj(o, &r);
		s->cb(&r, s->arg);
		etcd_reply_free(&r);
		json_object_put(o);
		buf += used;
		len -= used;
	}
	return 0;
}

void etcd_stream_free(struct etcd_stream *s)
{
	json_tokener_free(s->tok);
	s->tok = NULL;
}

void etcd_reply_free(struct etcd_reply *r)
{
	size_t i;

	for (i = 0; i < r->n_kvs; i++) {
		free(r->kvs[i].key);
		free(r->kvs[i].val);
	}
	free(r->kvs);
	r->kvs = NULL;
	r->n_kvs = 0;
}
