// SPDX-License-Identifier: GPL-2.0
/*
 * config apply FILE --etcd and config dump --etcd: the operator's
 * configuration for every LB host of a cluster, one document under
 * <prefix>/config that each host's xlbd applies (user/xlbd/cluster.c).
 * The file is checked exactly as a local apply checks it (the same
 * parser, the same limits) before anything is sent: a bad one is refused
 * with its place named, exit 1, nothing written. What is stored is the
 * file's own text, so every host parses the bytes the operator checked.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "config_json.h"
#include "etcd_client.h"
#include "report.h"
#include "xlb_limits.h"

/* The whole file (or standard input) as a NUL-terminated string. */
static char *read_text(const char *path, char *err, size_t errlen)
{
	bool stdin_ = !strcmp(path, "-");
	FILE *f = stdin_ ? stdin : fopen(path, "r");
	char *text = NULL;
	size_t len = 0;
	FILE *mem;
	char buf[65536];
	size_t got;

	if (!f) {
		snprintf(err, errlen, "cannot read it: %s", strerror(errno));
		return NULL;
	}
	mem = open_memstream(&text, &len);
	while (mem && (got = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, got, mem);
	if (!mem || ferror(f)) {
		snprintf(err, errlen, "cannot read it: %s", strerror(errno));
		if (mem)
			fclose(mem);
		free(text);
		text = NULL;
	} else if (fclose(mem) || strlen(text) != len) {
		snprintf(err, errlen, "%s",
			 text ? "it holds a NUL byte: not a JSON text"
			      : "out of memory");
		free(text);
		text = NULL;
	}
	if (!stdin_)
		fclose(f);
	return text;
}

/* The range of exactly one key (a prefix range would match "config2"). */
static char *range_key_body(const char *key)
{
	struct json_object *o = json_object_new_object();
	char *b64 = etcd_b64_encode(key, strlen(key)), *body = NULL;

	if (o && b64) {
		json_object_object_add(o, "key", json_object_new_string(b64));
		body = strdup(json_object_to_json_string_ext(
			o, JSON_C_TO_STRING_PLAIN));
	}
	free(b64);
	json_object_put(o);
	return body;
}

/* One request; on failure the message printed and the exit code. */
static int post(const struct cli *cli, const char *etcd, const char *path,
		char *body, struct etcd_reply *r, char *used, size_t ulen)
{
	char err[320] = "out of memory";
	int ret = -ENOMEM;

	if (body)
		ret = etcd_post(etcd, path, body, r, used, ulen, err,
				sizeof(err));
	free(body);
	if (ret)
		return report(cli, -EIO, "no etcd endpoint answered (%s)", err);
	return 0;
}

/* <prefix>/config as etcd holds it: its text and revision, or none. */
static int fetch(const struct cli *cli, const char *etcd, const char *key,
		 char **text, int64_t *rev, char *used, size_t ulen)
{
	struct etcd_reply r;
	int rc;

	*text = NULL;
	*rev = 0;
	rc = post(cli, etcd, "/v3/kv/range", range_key_body(key), &r, used,
		  ulen);
	if (rc)
		return rc;
	if (r.n_kvs) {
		*text = strdup(r.kvs[0].val);
		*rev = r.kvs[0].mod_rev;
	}
	etcd_reply_free(&r);
	return 0;
}

static size_t count_backends(const struct xlb_desired *d)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n_vips; i++)
		n += d->vips[i].n_backends;
	return n;
}

/*
 * A backend without "mac" in both documents is no MAC change (the diff
 * takes its first side for maps, where every pair has one): both sides get
 * the same placeholder, for the preview only.
 */
static void same_unknown_macs(struct xlb_desired *old, struct xlb_desired *want)
{
	for (size_t i = 0; i < want->n_vips; i++) {
		struct xlb_desired_vip *wv = &want->vips[i];

		for (size_t j = 0; j < old->n_vips; j++) {
			struct xlb_desired_vip *ov = &old->vips[j];

			if (xlb_vip_key_cmp(&wv->key, &ov->key))
				continue;
			for (size_t k = 0; k < wv->n_backends; k++)
				for (size_t l = 0; l < ov->n_backends; l++) {
					struct xlb_desired_backend *w =
						&wv->backends[k];
					struct xlb_desired_backend *o =
						&ov->backends[l];

					if (w->has_mac || o->has_mac ||
					    xlb_addr_cmp(&w->addr, w->family,
							 &o->addr, o->family))
						continue;
					w->has_mac = o->has_mac = true;
					memset(w->mac, 0, sizeof(w->mac));
					memset(o->mac, 0, sizeof(o->mac));
				}
		}
	}
}

/* What the hosts will change, from the document etcd holds now. */
static size_t print_changes(const char *old_text, const char *text)
{
	struct xlb_desired old = { 0 }, want = { 0 };
	struct xlb_change *changes = NULL;
	char line[256], err[256];
	size_t n = 0;

	if (config_parse(old_text, &old, err, sizeof(err)) ||
	    config_parse(text, &want, err, sizeof(err))) {
		xlb_desired_free(&old);
		return 0;
	}
	same_unknown_macs(&old, &want);
	if (xlb_desired_diff(&old, &want, &changes, &n))
		n = 0;
	for (size_t i = 0; i < n; i++)
		printf("%s\n",
		       xlb_change_format(&changes[i], line, sizeof(line)));
	free(changes);
	xlb_desired_free(&old);
	xlb_desired_free(&want);
	return n;
}

int cmd_config_apply_etcd(const struct cli *cli)
{
	char etcd[512], prefix[160], key[180], used[256], msg[512];
	struct xlb_desired want = { 0 };
	char *text, *old = NULL;
	struct etcd_reply r;
	int64_t old_rev;
	size_t n;
	int rc;

	text = read_text(cli->file, msg, sizeof(msg));
	if (!text)
		return report(cli, -ENOENT, "%s", msg);
	/* As a local apply checks it: the parser, then the limits. */
	if (config_parse(text, &want, msg, sizeof(msg))) {
		free(text);
		return report(cli, -EINVAL, "%s (nothing put in etcd)", msg);
	}
	if (xlb_desired_check(&want, XLB_MAX_VIPS, XLB_MAX_BACKENDS)) {
		rc = report(cli, -EINVAL, "%s (nothing put in etcd)",
			    xlb_errmsg());
		goto out;
	}
	rc = etcd_target(cli, etcd, sizeof(etcd), prefix, sizeof(prefix));
	if (rc)
		goto out;
	snprintf(key, sizeof(key), "%s/config", prefix);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = fetch(cli, etcd, key, &old, &old_rev, used, sizeof(used));
	if (rc)
		goto out_curl;
	if (old && !strcmp(old, text)) {
		printf("no changes: %s at revision %" PRId64 " is this file\n",
		       key, old_rev);
		goto out_curl;
	}
	n = old ? print_changes(old, text) : 0;
	if (!old)
		printf("%s is new: each host's own configuration is replaced "
		       "by it\n",
		       key);
	if (cli->dry_run) {
		printf("dry run: %zu VIPs, %zu backends checked; nothing put "
		       "in etcd\n",
		       want.n_vips, count_backends(&want));
		goto out_curl;
	}
	rc = post(cli, etcd, "/v3/kv/put",
		  etcd_put_body(key, text, strlen(text), 0), &r, used,
		  sizeof(used));
	if (rc)
		goto out_curl;
	printf("put %s at revision %" PRId64 ": %zu VIPs, %zu backends", key,
	       r.revision, want.n_vips, count_backends(&want));
	if (old)
		printf(", %zu change%s from revision %" PRId64, n,
		       n == 1 ? "" : "s", old_rev);
	printf("\n");
	etcd_reply_free(&r);
out_curl:
	curl_global_cleanup();
out:
	free(old);
	free(text);
	xlb_desired_free(&want);
	return rc;
}

int cmd_config_dump_etcd(const struct cli *cli)
{
	char etcd[512], prefix[160], key[180], used[256];
	struct json_object *doc;
	char *text;
	int64_t rev;
	int rc;

	rc = etcd_target(cli, etcd, sizeof(etcd), prefix, sizeof(prefix));
	if (rc)
		return rc;
	snprintf(key, sizeof(key), "%s/config", prefix);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = fetch(cli, etcd, key, &text, &rev, used, sizeof(used));
	curl_global_cleanup();
	if (rc)
		return rc;
	if (!text)
		return report(cli, -ENOENT,
			      "no configuration in etcd at %s (each host "
			      "runs its own)",
			      key);
	if (cli->json) {
		doc = json_object_new_object();
		json_object_object_add(doc, "key", json_object_new_string(key));
		json_object_object_add(doc, "revision",
				       json_object_new_int64(rev));
		json_object_object_add(doc, "config", json_tokener_parse(text));
		printf("%s\n", json_object_to_json_string_ext(
				       doc, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_SPACED));
		json_object_put(doc);
	} else {
		/* the document on stdout as put; where it came from aside */
		fprintf(stderr,
			"xlbctl: config dump: %s at revision %" PRId64 " via "
			"%s\n",
			key, rev, used);
		fputs(text, stdout);
		if (text[0] && text[strlen(text) - 1] != '\n')
			putchar('\n');
	}
	free(text);
	return 0;
}
