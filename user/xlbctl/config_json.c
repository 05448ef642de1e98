// SPDX-License-Identifier: GPL-2.0
/* Reading and writing the configuration file with json-c. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_json.h"

/* Where parsing is: the JSON path and the error buffer. */
struct parser {
	char path[96];
	char *err;
	size_t errlen;
};

static int fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int fail(struct parser *p, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(p->err, p->errlen, "%s%s%s", p->path, p->path[0] ? ": " : "",
		 msg);
	return -EINVAL;
}

static const char *type_name(json_object *o)
{
	return o ? json_type_to_name(json_object_get_type(o)) : "null";
}

/* Refuses keys outside allowed (a space-separated list): typos show. */
static int check_keys(struct parser *p, json_object *obj, const char *allowed)
{
	json_object_object_foreach(obj, key, value)
	{
		char padded[128], word[64];

		(void)value;
		snprintf(padded, sizeof(padded), " %s ", allowed);
		snprintf(word, sizeof(word), " %s ", key);
		if (!strstr(padded, word))
			return fail(p, "unknown key '%s' (expected %s)", key,
				    allowed);
	}
	return 0;
}

/* p->path + ".key" or "[i]" while a member is parsed; restored after. */
static size_t path_push(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t path_push(struct parser *p, const char *fmt, ...)
{
	size_t old = strlen(p->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->path + old, sizeof(p->path) - old, fmt, ap);
	va_end(ap);
	return old;
}

static void path_pop(struct parser *p, size_t old)
{
	p->path[old] = '\0';
}

static int get_string(struct parser *p, json_object *obj, const char *key,
		      bool required, const char **out)
{
	json_object *v;
	size_t old = path_push(p, ".%s", key);
	int err = 0;

	*out = NULL;
	if (!json_object_object_get_ex(obj, key, &v)) {
		if (required)
			err = fail(p, "missing");
	} else if (!json_object_is_type(v, json_type_string)) {
		err = fail(p, "expected a string, got %s", type_name(v));
	} else {
		*out = json_object_get_string(v);
	}
	if (!err)
		path_pop(p, old);
	return err;
}

/* A whole number in [0, UINT32_MAX]; the caller checks its own range. */
static int get_u32(struct parser *p, json_object *obj, const char *key,
		   __u32 max, bool *found, __u32 *out)
{
	json_object *v;
	size_t old = path_push(p, ".%s", key);
	int64_t n;

	*found = json_object_object_get_ex(obj, key, &v);
	if (!*found) {
		path_pop(p, old);
		return 0;
	}
	if (!json_object_is_type(v, json_type_int))
		return fail(p, "expected a whole number, got %s", type_name(v));
	errno = 0;
	n = json_object_get_int64(v);
	if (errno || n < 0 || n > UINT32_MAX)
		return fail(p, "%s is out of range [0, %u]",
			    json_object_to_json_string(v), max);
	*out = n;
	path_pop(p, old);
	return 0;
}

static int parse_backend(struct parser *p, json_object *obj,
			 struct xlb_desired_backend *be)
{
	const char *address, *state, *mac;
	bool found;
	int err;

	if (!json_object_is_type(obj, json_type_object))
		return fail(p, "expected an object, got %s", type_name(obj));
	err = check_keys(p, obj, "address weight state mac");
	if (!err)
		err = get_string(p, obj, "address", true, &address);
	if (err)
		return err;
	if (xlb_parse_addr(address, &be->addr, &be->family)) {
		path_push(p, ".address");
		return fail(p, "'%s' is not an IPv4 or IPv6 address", address);
	}
	be->weight = XLB_WEIGHT_DEFAULT;
	err = get_u32(p, obj, "weight", XLB_WEIGHT_MAX, &found, &be->weight);
	if (!err)
		err = get_string(p, obj, "state", false, &state);
	if (err)
		return err;
	be->state = XLB_STATE_ACTIVE;
	if (state && xlb_parse_state(state, &be->state)) {
		path_push(p, ".state");
		return fail(p,
			    "'%s' is not active, draining or down (or standby)",
			    state);
	}
	err = get_string(p, obj, "mac", false, &mac);
	if (err)
		return err;
	if (mac) {
		if (xlb_parse_mac(mac, be->mac) ||
		    !memcmp(be->mac, "\0\0\0\0\0\0", 6)) {
			path_push(p, ".mac");
			return fail(p,
				    "'%s' is not a unicast MAC "
				    "(aa:bb:cc:dd:ee:ff)",
				    mac);
		}
		be->has_mac = true;
	}
	return 0;
}

static int parse_vip(struct parser *p, json_object *obj,
		     struct xlb_desired_vip *vip)
{
	json_object *list = NULL;
	const char *text;
	size_t old, n;
	bool found;
	int err;

	if (!json_object_is_type(obj, json_type_object))
		return fail(p, "expected an object, got %s", type_name(obj));
	err = check_keys(p, obj, "vip table_size icmp_echo forward backends");
	if (!err)
		err = get_string(p, obj, "vip", true, &text);
	if (err)
		return err;
	if (xlb_parse_vip(text, &vip->key)) {
		path_push(p, ".vip");
		return fail(p, "%s", xlb_errmsg());
	}
	vip->table_size = XLB_TABLE_SIZE_DEFAULT;
	err = get_u32(p, obj, "table_size", XLB_TABLE_SIZE_MAX, &found,
		      &vip->table_size);
	if (err)
		return err;
	if (json_object_object_get_ex(obj, "icmp_echo", &list)) {
		if (!json_object_is_type(list, json_type_boolean)) {
			path_push(p, ".icmp_echo");
			return fail(p, "expected true or false, got %s",
				    type_name(list));
		}
		vip->no_icmp_echo = !json_object_get_boolean(list);
		list = NULL;
	}
	err = get_string(p, obj, "forward", false, &text);
	if (err)
		return err;
	if (text && xlb_parse_mode(text, &vip->forward)) {
		path_push(p, ".forward");
		return fail(p, "%s", xlb_errmsg());
	}
	if (json_object_object_get_ex(obj, "backends", &list) &&
	    !json_object_is_type(list, json_type_array)) {
		path_push(p, ".backends");
		return fail(p, "expected an array, got %s", type_name(list));
	}
	n = list ? json_object_array_length(list) : 0;
	vip->backends = calloc(n + 1, sizeof(*vip->backends));
	if (!vip->backends)
		return fail(p, "out of memory");
	for (size_t i = 0; i < n; i++) {
		old = path_push(p, ".backends[%zu]", i);
		err = parse_backend(p, json_object_array_get_idx(list, i),
				    &vip->backends[i]);
		if (err)
			return err;
		path_pop(p, old);
		vip->n_backends++;
	}
	return 0;
}

static int parse_root(struct parser *p, json_object *root,
		      struct xlb_desired *out)
{
	json_object *list, *version;
	size_t old, n;
	int err;

	if (!json_object_is_type(root, json_type_object))
		return fail(p,
			    "the top level must be an object with \"vips\", "
			    "got %s",
			    type_name(root));
	err = check_keys(p, root, "version vips");
	if (err)
		return err;
	if (json_object_object_get_ex(root, "version", &version) &&
	    (!json_object_is_type(version, json_type_int) ||
	     json_object_get_int64(version) != CONFIG_VERSION)) {
		path_push(p, "version");
		return fail(p, "%s is not a version this xlbctl reads (%d)",
			    json_object_to_json_string(version),
			    CONFIG_VERSION);
	}
	if (!json_object_object_get_ex(root, "vips", &list)) {
		path_push(p, "vips");
		return fail(p, "missing");
	}
	if (!json_object_is_type(list, json_type_array)) {
		path_push(p, "vips");
		return fail(p, "expected an array, got %s", type_name(list));
	}
	n = json_object_array_length(list);
	out->vips = calloc(n + 1, sizeof(*out->vips));
	if (!out->vips)
		return fail(p, "out of memory");
	for (size_t i = 0; i < n; i++) {
		old = path_push(p, "vips[%zu]", i);
		err = parse_vip(p, json_object_array_get_idx(list, i),
				&out->vips[i]);
		out->n_vips++; /* freed with the rest, even half-parsed */
		if (err)
			return err;
		path_pop(p, old);
	}
	return 0;
}

/* "line L, column C" of a byte offset, for JSON syntax errors. */
static void where(const char *text, size_t offset, int *line, int *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && text[i]; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*column = 1;
		} else {
			(*column)++;
		}
	}
}

static json_object *parse_json(struct parser *p, const char *text, int *err)
{
	struct json_tokener *tok = json_tokener_new();
	size_t len = strlen(text), end;
	enum json_tokener_error jerr;
	json_object *root = NULL;
	int line, column;

	*err = 0;
	if (!tok) {
		*err = fail(p, "out of memory");
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, text, len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_success)
		end += strspn(text + end, " \t\r\n");
	if (jerr == json_tokener_continue || (!root && !jerr)) {
		*err = fail(p, "%s",
			    strspn(text, " \t\r\n") == len ? "the file is empty"
							   : "unexpected end "
							     "of file");
	} else if (jerr != json_tokener_success || end < len) {
		where(text, end, &line, &column);
		*err = fail(p, "line %d, column %d: %s", line, column,
			    jerr != json_tokener_success
				    ? json_tokener_error_desc(jerr)
				    : "text after the end of the document");
	}
	json_tokener_free(tok);
	if (*err) {
		json_object_put(root);
		return NULL;
	}
	return root;
}

int config_parse(const char *text, struct xlb_desired *out, char *err,
		 size_t errlen)
{
	struct parser p = { .err = err, .errlen = errlen };
	json_object *root;
	int rc;

	memset(out, 0, sizeof(*out));
	err[0] = '\0';
	root = parse_json(&p, text, &rc);
	if (rc)
		return rc;
	rc = parse_root(&p, root, out);
	json_object_put(root);
	if (!rc && xlb_desired_check(out, XLB_MAX_VIPS, XLB_MAX_BACKENDS)) {
		snprintf(err, errlen, "%s", xlb_errmsg());
		rc = -EINVAL;
	}
	if (rc)
		xlb_desired_free(out);
	return rc;
}

int config_load(const char *path, struct xlb_desired *out, char *err,
		size_t errlen)
{
	bool stdin_ = !strcmp(path, "-");
	FILE *f = stdin_ ? stdin : fopen(path, "r");
	char *text = NULL, buf[65536];
	size_t len = 0, got;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!f) {
		rc = -errno;
		snprintf(err, errlen, "cannot read it: %s", strerror(errno));
		return rc;
	}
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0) {
		char *grown = realloc(text, len + got + 1);

		if (!grown) {
			free(text);
			text = NULL;
			break;
		}
		text = grown;
		memcpy(text + len, buf, got);
		len += got;
	}
	rc = ferror(f) ? -errno : 0;
	if (!stdin_)
		fclose(f);
	if (rc) {
		free(text);
		snprintf(err, errlen, "cannot read it: %s", strerror(-rc));
		return rc;
	}
	if (!text)
		text = strdup("");
	else
		text[len] = '\0';
	if (!text || strlen(text) != len) {
		free(text);
		snprintf(err, errlen, "%s",
			 text ? "it holds a NUL byte: not a JSON text"
			      : "out of memory");
		return -EINVAL;
	}
	rc = config_parse(text, out, err, errlen);
	free(text);
	return rc;
}

json_object *config_to_json(const struct xlb_desired *d)
{
	json_object *doc = json_object_new_object(), *vips;
	char text[XLB_VIP_STRLEN];

	json_object_object_add(doc, "version",
			       json_object_new_int(CONFIG_VERSION));
	vips = json_object_new_array();
	for (size_t v = 0; v < d->n_vips; v++) {
		const struct xlb_desired_vip *vip = &d->vips[v];
		json_object *o = json_object_new_object();
		json_object *list = json_object_new_array();

		json_object_object_add(o, "vip",
				       json_object_new_string(xlb_format_vip(
					       &vip->key, text, sizeof(text))));
		json_object_object_add(
			o, "table_size",
			json_object_new_int64(
				vip->table_size ? vip->table_size
						: XLB_TABLE_SIZE_DEFAULT));
		/* Only when off: files without the key keep reading the same. */
		if (vip->no_icmp_echo)
			json_object_object_add(o, "icmp_echo",
					       json_object_new_boolean(false));
		if (vip->forward != XLB_FORWARD_L2DSR)
			json_object_object_add(
				o, "forward",
				json_object_new_string(
					xlb_mode_name(vip->forward)));
		for (size_t b = 0; b < vip->n_backends; b++) {
			const struct xlb_desired_backend *be =
				&vip->backends[b];
			json_object *bo = json_object_new_object();

			json_object_object_add(
				bo, "address",
				json_object_new_string(
					xlb_format_addr(&be->addr, be->family,
							text, sizeof(text))));
			json_object_object_add(
				bo, "weight",
				json_object_new_int64(be->weight));
			json_object_object_add(
				bo, "state",
				json_object_new_string(
					xlb_op_state_name(be->state)));
			if (be->has_mac)
				json_object_object_add(
					bo, "mac",
					json_object_new_string(xlb_format_mac(
						be->mac, text, sizeof(text))));
			json_object_array_add(list, bo);
		}
		json_object_object_add(o, "backends", list);
		json_object_array_add(vips, o);
	}
	json_object_object_add(doc, "vips", vips);
	return doc;
}
