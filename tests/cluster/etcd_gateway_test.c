// SPDX-License-Identifier: GPL-2.0
/*
 * xlbd's etcd v3 gateway codec (user/xlbd/cluster_etcd.c) against a live
 * etcd: usage etcd_gateway_test URL TTL. Started by etcd_gateway.sh inside
 * the namespace holding the members. Prints PASS/FAIL lines; exit 1 on any
 * FAIL.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "cluster_etcd.h"

static const char *base;
static int failed;

/* POSTs body (freed) to base + path; parses the answer into r. */
static int call(const char *path, char *body, struct etcd_reply *r)
{
	struct etcd_body b = { 0 };
	char url[256];
	CURL *c = curl_easy_init();
	CURLcode rc;
	int err;

	snprintf(url, sizeof(url), "%s%s", base, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, etcd_body_append);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 3000L);
	rc = curl_easy_perform(c);
	curl_easy_cleanup(c);
	free(body);
	if (rc != CURLE_OK || !b.p) {
		memset(r, 0, sizeof(*r));
		snprintf(r->err, sizeof(r->err), "%s", curl_easy_strerror(rc));
		free(b.p);
		return -1;
	}
	err = etcd_parse_reply(b.p, r);
	free(b.p);
	return err;
}

#define CHECK(name, cond, ...)                     \
	do {                                       \
		if (cond) {                        \
			printf("PASS %s\n", name); \
		} else {                           \
			printf("FAIL %s: ", name); \
			printf(__VA_ARGS__);       \
			printf("\n");              \
			failed = 1;                \
		}                                  \
	} while (0)

struct watch_seen {
	int events, deleted, match;
	int64_t rev;
};

static void on_watch(const struct etcd_reply *r, void *arg)
{
	struct watch_seen *w = arg;
	size_t i;

	for (i = 0; i < r->n_kvs; i++) {
		w->events++;
		w->deleted += r->kvs[i].deleted;
		if (!r->kvs[i].deleted && r->kvs[i].mod_rev == w->rev)
			w->match = 1;
	}
}

static struct etcd_stream stream;

/* the transport's bytes, fed one at a time: every cut is exercised */
static size_t on_stream(char *d, size_t sz, size_t nm, void *u)
{
	size_t i;

	(void)u;
	for (i = 0; i < sz * nm; i++)
		if (etcd_stream_feed(&stream, d + i, 1))
			return 0;
	return sz * nm;
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static const char doc[] = "{\"vip\":\"10.0.0.1:80\",\"w\":[3,1]}\n\x01";
	struct etcd_reply r, r2;
	int64_t lease_a, lease_b, rev_a;
	size_t n;
	void *dec;
	int ttl, ok;
	double t0;

	if (argc != 3) {
		fprintf(stderr, "usage: %s URL TTL\n", argv[0]);
		return 2;
	}
	base = argv[1];
	ttl = atoi(argv[2]);
	curl_global_init(CURL_GLOBAL_DEFAULT);

	dec = etcd_b64_decode("not base64!", &n);
	CHECK("etcd_b64_rejects", dec == NULL, "decoded garbage");
	free(dec);

	/* an answer is collected whole, but never beyond ETCD_BODY_MAX */
	{
		struct etcd_body b = { 0 };
		static char chunk[1 << 16];
		size_t got = 0, len;

		memset(chunk, 'x', sizeof(chunk));
		while ((len = etcd_body_append(chunk, 1, sizeof(chunk), &b)))
			got += len;
		CHECK("etcd_body_bounded",
		      got == ETCD_BODY_MAX && b.n == got && b.p[b.n] == '\0' &&
			      etcd_body_append(chunk, 1, 1, &b) == 0,
		      "kept %zu of a limit of %u", got, ETCD_BODY_MAX);
		free(b.p);
	}

	/* put then range under the prefix: bytes survive both ways */
	ok = call("/v3/kv/put",
		  etcd_put_body("/xlbtest/vip/a", doc, sizeof(doc) - 1, 0),
		  &r) == 0 &&
	     r.revision > 0;
	CHECK("etcd_put", ok, "%s", r.err);
	etcd_reply_free(&r);
	ok = call("/v3/kv/range", etcd_range_prefix_body("/xlbtest/vip/"),
		  &r) == 0;
	CHECK("etcd_range_prefix",
	      ok && r.n_kvs == 1 && !strcmp(r.kvs[0].key, "/xlbtest/vip/a") &&
		      r.kvs[0].val_len == sizeof(doc) - 1 &&
		      !memcmp(r.kvs[0].val, doc, sizeof(doc) - 1) &&
		      r.kvs[0].mod_rev > 0,
	      "%s n=%zu", r.err, r.n_kvs);
	etcd_reply_free(&r);

	/* the watch, from the put's revision: a PUT then a DELETE */
	{
		struct watch_seen w = { 0 };
		char url[256], *body;
		CURL *c;
		int64_t put_rev;

		call("/v3/kv/put", etcd_put_body("/xlbtest/vip/b", "x", 1, 0),
		     &r);
		put_rev = r.revision;
		etcd_reply_free(&r);
		call("/v3/kv/deleterange",
		     strdup("{\"key\":\"L3hsYnRlc3QvdmlwL2I=\"}"), &r);
		etcd_reply_free(&r);
		w.rev = put_rev;
		etcd_stream_init(&stream, on_watch, &w);
		body = etcd_watch_prefix_body("/xlbtest/vip/", put_rev);
		snprintf(url, sizeof(url), "%s/v3/watch", base);
		c = curl_easy_init();
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_stream);
		curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 1000L);
		curl_easy_perform(c); /* ends by its timeout: a stream */
		curl_easy_cleanup(c);
		free(body);
		etcd_stream_free(&stream);
		CHECK("etcd_watch_stream",
		      w.events == 2 && w.deleted == 1 && w.match,
		      "events=%d deleted=%d match=%d", w.events, w.deleted,
		      w.match);
	}

	/* two candidates, each with its lease */
	call("/v3/lease/grant", etcd_lease_grant_body(ttl), &r);
	lease_a = r.lease_id;
	call("/v3/lease/grant", etcd_lease_grant_body(ttl), &r2);
	lease_b = r2.lease_id;
	CHECK("etcd_lease_grant",
	      lease_a && lease_b && lease_a != lease_b && r.ttl == ttl, "%s %s",
	      r.err, r2.err);

	ok = call("/v3/kv/txn",
		  etcd_campaign_body("/xlbtest/leader", "host-a", lease_a),
		  &r) == 0;
	CHECK("etcd_campaign_first_wins", ok && r.succeeded, "%s", r.err);
	rev_a = r.revision;
	etcd_reply_free(&r);
	ok = call("/v3/kv/txn",
		  etcd_campaign_body("/xlbtest/leader", "host-b", lease_b),
		  &r) == 0;
	CHECK("etcd_campaign_second_loses_sees_leader",
	      ok && !r.succeeded && r.n_kvs == 1 &&
		      !strcmp(r.kvs[0].val, "host-a") &&
		      r.kvs[0].lease == lease_a && r.kvs[0].create_rev == rev_a,
	      "%s succeeded=%d n=%zu", r.err, r.succeeded, r.n_kvs);
	etcd_reply_free(&r);

	/* a keepalive renews; then host-a stops renewing (as SIGKILLed):
	 * host-b keeps renewing and campaigning, and wins within the TTL
	 * after a's last renewal (etcd's expiry has 1 s granularity) */
	ok = call("/v3/lease/keepalive", etcd_lease_keepalive_body(lease_a),
		  &r) == 0;
	CHECK("etcd_keepalive", ok && r.lease_id == lease_a && r.ttl == ttl,
	      "%s id=%" PRId64 " ttl=%" PRId64, r.err, r.lease_id, r.ttl);
	t0 = now();
	ok = 0;
	while (now() - t0 < ttl + 2.0) {
		call("/v3/lease/keepalive", etcd_lease_keepalive_body(lease_b),
		     &r2);
		if (call("/v3/kv/txn",
			 etcd_campaign_body("/xlbtest/leader", "host-b",
					    lease_b),
			 &r) == 0 &&
		    r.succeeded) {
			ok = 1;
			etcd_reply_free(&r);
			break;
		}
		etcd_reply_free(&r);
		usleep(100 * 1000);
	}
	printf("# takeover %.2f s after the leader's last renewal (TTL %d s)\n",
	       now() - t0, ttl);
	CHECK("etcd_takeover_within_ttl", ok && now() - t0 <= ttl + 1.0,
	      "took %.2f s", now() - t0);

	/* fencing: the deposed leader's write is refused, the new one's
	 * lands (b's create_revision read back from the leader key) */
	ok = call("/v3/kv/txn",
		  etcd_fenced_put_body("/xlbtest/leader", rev_a,
				       "/xlbtest/vip/a", "stale", 5),
		  &r) == 0 &&
	     !r.succeeded;
	etcd_reply_free(&r);
	call("/v3/kv/range", etcd_range_prefix_body("/xlbtest/leader"), &r);
	{
		int64_t rev_b = r.n_kvs ? r.kvs[0].create_rev : 0;

		etcd_reply_free(&r);
		ok = ok &&
		     call("/v3/kv/txn",
			  etcd_fenced_put_body("/xlbtest/leader", rev_b,
					       "/xlbtest/vip/a", "new", 3),
			  &r) == 0 &&
		     r.succeeded;
		etcd_reply_free(&r);
	}
	call("/v3/kv/range", etcd_range_prefix_body("/xlbtest/vip/a"), &r);
	CHECK("etcd_fenced_put_refuses_deposed_leader",
	      ok && r.n_kvs == 1 && !strcmp(r.kvs[0].val, "new"), "ok=%d n=%zu",
	      ok, r.n_kvs);
	etcd_reply_free(&r);

	ok = call("/v3/lease/keepalive", etcd_lease_keepalive_body(lease_a),
		  &r) == 0;
	CHECK("etcd_expired_lease_reports_ttl_0", r.ttl <= 0, "ttl=%" PRId64,
	      r.ttl);
	curl_global_cleanup();
	return failed;
}
