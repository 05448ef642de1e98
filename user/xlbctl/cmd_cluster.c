// SPDX-License-Identifier: GPL-2.0
/*
 * cluster status: what the LB hosts' xlbd wrote under the cluster's prefix
 * in etcd (user/xlbd/cluster.c): the leader, the state document's revision
 * and digest, the operator's config revision (<prefix>/config), and per
 * host its role, applied state and config revisions, table digest and the
 * pairs its own probes hold down (its tables differ while it has any).
 * One range request per endpoint until one answers; exit 1 when none does,
 * 3 when a host's digest differs from the state's or its config revision
 * from etcd's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "commands.h"
#include "etcd_client.h"

static int range(const char *endpoints, const char *prefix,
		 struct etcd_reply *r, char *used, size_t ulen)
{
	char *body = etcd_range_prefix_body(prefix), err[256] = "out of memory";
	int ret = -ENOMEM;

	if (body)
		ret = etcd_post(endpoints, "/v3/kv/range", body, r, used, ulen,
				err, sizeof(err));
	free(body);
	if (ret)
		fprintf(stderr,
			"xlbctl: cluster status: no etcd endpoint answered "
			"(%s)\n",
			err);
	return ret ? 1 : 0;
}

/* Every pair a host's probes hold down: since when and why. */
static void print_down(struct json_object *hosts)
{
	for (size_t i = 0; i < json_object_array_length(hosts); i++) {
		struct json_object *h = json_object_array_get_idx(hosts, i);
		struct json_object *down, *host, *v;

		if (!json_object_object_get_ex(h, "down", &down) ||
		    !json_object_object_get_ex(h, "host", &host))
			continue;
		json_object_object_foreach(down, pair, e)
		{
			double since = json_object_object_get_ex(e, "since", &v)
					       ? json_object_get_double(v)
					       : 0;
			const char *why =
				json_object_object_get_ex(e, "reason", &v)
					? json_object_get_string(v)
					: "";
			time_t t = (time_t)since;
			char when[32] = "?";
			struct tm tm;

			if (since > 0 && gmtime_r(&t, &tm))
				snprintf(when, sizeof(when),
					 "%02d:%02d:%02d.%03d UTC", tm.tm_hour,
					 tm.tm_min, tm.tm_sec,
					 (int)((since - (double)t) * 1000));
			printf("  %s: %s down since %s%s%s\n",
			       json_object_get_string(host), pair, when,
			       why[0] ? ": " : "", why);
		}
	}
}

/* A host that refused the config in etcd: which revision and why. */
static void print_config_errors(struct json_object *hosts)
{
	for (size_t i = 0; i < json_object_array_length(hosts); i++) {
		struct json_object *h = json_object_array_get_idx(hosts, i);
		struct json_object *host, *why;

		if (json_object_object_get_ex(h, "host", &host) &&
		    json_object_object_get_ex(h, "config_error", &why))
			printf("  %s: config %s\n",
			       json_object_get_string(host),
			       json_object_get_string(why));
	}
}

int cmd_cluster_status(const struct cli *cli)
{
	char etcd[512], prefix[160], used[256], k_prefix[170], k_state[180],
		k_leader[180], k_config[180];
	struct json_object *out = json_object_new_object(), *hosts,
			   *state = NULL;
	const char *leader = "", *want = "";
	int64_t state_rev = 0, config_rev = 0;
	struct etcd_reply r;
	int rc, mismatch = 0;

	rc = etcd_target(cli, etcd, sizeof(etcd), prefix, sizeof(prefix));
	if (rc) {
		json_object_put(out);
		return rc;
	}
	snprintf(k_prefix, sizeof(k_prefix), "%s/", prefix);
	snprintf(k_state, sizeof(k_state), "%sstate", k_prefix);
	snprintf(k_leader, sizeof(k_leader), "%sleader", k_prefix);
	snprintf(k_config, sizeof(k_config), "%sconfig", k_prefix);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = range(etcd, k_prefix, &r, used, sizeof(used));
	if (rc) {
		curl_global_cleanup();
		json_object_put(out);
		return rc;
	}
	hosts = json_object_new_array();
	for (size_t i = 0; i < r.n_kvs; i++) {
		const struct etcd_kv *kv = &r.kvs[i];
		struct json_object *v;

		if (!strcmp(kv->key, k_leader)) {
			leader = kv->val;
		} else if (!strcmp(kv->key, k_config)) {
			config_rev = kv->mod_rev;
		} else if (!strcmp(kv->key, k_state)) {
			state = json_tokener_parse(kv->val);
			state_rev = kv->mod_rev;
			if (state &&
			    json_object_object_get_ex(state, "digest", &v))
				want = json_object_get_string(v);
		}
	}
	for (size_t i = 0; i < r.n_kvs; i++) {
		const struct etcd_kv *kv = &r.kvs[i];
		struct json_object *h, *v;

		if (strncmp(kv->key, k_prefix, strlen(k_prefix)) ||
		    strncmp(kv->key + strlen(k_prefix), "hosts/", 6))
			continue;
		h = json_tokener_parse(kv->val);
		if (!h)
			continue;
		v = NULL;
		json_object_object_get_ex(h, "digest", &v);
		json_object_object_add(
			h, "digest_matches",
			json_object_new_boolean(
				v && want[0] &&
				!strcmp(json_object_get_string(v), want)));
		if (!v || strcmp(json_object_get_string(v), want))
			mismatch = 1;
		/* a host not on etcd's config runs another one */
		v = NULL;
		json_object_object_get_ex(h, "config_revision", &v);
		json_object_object_add(
			h, "config_matches",
			json_object_new_boolean(json_object_get_int64(v) ==
						config_rev));
		if (json_object_get_int64(v) != config_rev)
			mismatch = 1;
		json_object_array_add(hosts, h);
	}
	json_object_object_add(out, "etcd", json_object_new_string(used));
	json_object_object_add(out, "prefix", json_object_new_string(prefix));
	json_object_object_add(out, "leader", json_object_new_string(leader));
	json_object_object_add(out, "state_revision",
			       json_object_new_int64(state_rev));
	json_object_object_add(out, "state_digest",
			       json_object_new_string(want));
	json_object_object_add(out, "config_revision",
			       json_object_new_int64(config_rev));
	json_object_object_add(out, "hosts", hosts);
	if (cli->json) {
		printf("%s\n", json_object_to_json_string_ext(
				       out, JSON_C_TO_STRING_PRETTY |
						    JSON_C_TO_STRING_SPACED));
	} else {
		printf("cluster %s via %s: leader %s, state revision %" PRId64
		       ", digest %s, config revision %" PRId64 "%s\n",
		       prefix, used, leader[0] ? leader : "(none)", state_rev,
		       want[0] ? want : "-", config_rev,
		       config_rev ? "" : " (none: each host's own)");
		printf("%-16s %-9s %-10s %-10s %-10s %-8s %s\n", "HOST", "ROLE",
		       "APPLIED", "CONFIG", "DIGEST", "MATCHES", "PROBES-DOWN");
		for (size_t i = 0; i < json_object_array_length(hosts); i++) {
			struct json_object *h =
				json_object_array_get_idx(hosts, i);
			struct json_object *v;
			const char *f[5] = { "", "", "", "0", "" };
			bool matches;
			int n_down;
			static const char *const names[] = { "host", "role",
							     "applied_revision",
							     "config_revision",
							     "digest" };

			for (int k = 0; k < 5; k++)
				if (json_object_object_get_ex(h, names[k], &v))
					f[k] = json_object_get_string(v);
			json_object_object_get_ex(h, "digest_matches", &v);
			matches = json_object_get_boolean(v);
			n_down = json_object_object_get_ex(h, "down", &v)
					 ? json_object_object_length(v)
					 : 0;
			printf("%-16s %-9s %-10s %-10s %-10s %-8s %d\n", f[0],
			       f[1], f[2], f[3], f[4], matches ? "yes" : "no",
			       n_down);
		}
		print_down(hosts);
		print_config_errors(hosts);
	}
	json_object_put(state);
	json_object_put(out);
	etcd_reply_free(&r);
	curl_global_cleanup();
	return mismatch ? 3 : 0;
}
