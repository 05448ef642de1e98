// SPDX-License-Identifier: GPL-2.0
/* Where the cluster's keys are, and one gateway request (etcd_client.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "etcd_client.h"

#define XLBD_CONFIG_PATH "/etc/xlb/xlbd.conf"
#define ETCD_TIMEOUT_MS 2000L

int etcd_target(const struct cli *cli, char *etcd, size_t elen, char *prefix,
		size_t plen)
{
	const char *path = cli->xlbd_config ? cli->xlbd_config
					    : XLBD_CONFIG_PATH;
	struct json_object *root = NULL, *c, *v;

	snprintf(etcd, elen, "%s", cli->etcd ? cli->etcd : "");
	snprintf(prefix, plen, "%s",
		 cli->cluster_prefix ? cli->cluster_prefix : "/xlb/default");
	if (cli->etcd && cli->cluster_prefix)
		return 0;
	root = json_object_from_file(path);
	if (!root) {
		if (cli->etcd)
			return 0;
		fprintf(stderr,
			"xlbctl: %s: %s: cannot read it and no --etcd given\n",
			cli->name, path);
		return 2;
	}
	if (json_object_object_get_ex(root, "cluster", &c)) {
		if (!cli->etcd && json_object_object_get_ex(c, "etcd", &v))
			snprintf(etcd, elen, "%s", json_object_get_string(v));
		if (!cli->cluster_prefix &&
		    json_object_object_get_ex(c, "prefix", &v))
			snprintf(prefix, plen, "%s", json_object_get_string(v));
	}
	json_object_put(root);
	if (!etcd[0]) {
		fprintf(stderr,
			"xlbctl: %s: %s has no cluster.etcd and no --etcd "
			"given\n",
			cli->name, path);
		return 2;
	}
	return 0;
}

int etcd_post(const char *endpoints, const char *path, const char *body,
	      struct etcd_reply *r, char *used, size_t ulen, char *err,
	      size_t errlen)
{
	char list[1024], *save = NULL, *ep;

	snprintf(err, errlen, "no endpoint");
	snprintf(list, sizeof(list), "%s", endpoints);
	for (ep = strtok_r(list, ", ", &save); ep;
	     ep = strtok_r(NULL, ", ", &save)) {
		struct etcd_body b = { 0 };
		CURL *c = curl_easy_init();
		char url[512];
		CURLcode rc;

		memset(r, 0, sizeof(*r));
		if (!c) {
			snprintf(err, errlen, "out of memory");
			return -ENOMEM;
		}
		snprintf(url, sizeof(url), "%s%s", ep, path);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, etcd_body_append);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, ETCD_TIMEOUT_MS);
		rc = curl_easy_perform(c);
		curl_easy_cleanup(c);
		if (rc == CURLE_OK && b.p && !etcd_parse_reply(b.p, r)) {
			free(b.p);
			snprintf(used, ulen, "%s", ep);
			return 0;
		}
		snprintf(err, errlen, "%s: %s", ep,
			 rc != CURLE_OK ? curl_easy_strerror(rc)
			 : b.p		? r->err
					: "no answer");
		etcd_reply_free(r);
		free(b.p);
	}
	return -EIO;
}
