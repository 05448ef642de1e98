/* SPDX-License-Identifier: GPL-2.0 */
/*
 * etcd v3 JSON gateway codec (issue 12): the request bodies xlbd posts to
 * /v3/kv/put, /v3/kv/range, /v3/lease/grant, /v3/lease/keepalive and
 * /v3/kv/txn (the leader election), and the parsing of their answers. Keys
 * and values travel base64-encoded (OpenSSL's EVP_EncodeBlock and
 * EVP_DecodeBlock). No I/O here: the transport is xlbd's curl multi.
 */
#ifndef XLBD_CLUSTER_ETCD_H
#define XLBD_CLUSTER_ETCD_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

/* Base64 of len bytes; a malloc'd NUL-terminated string, NULL on ENOMEM. */
char *etcd_b64_encode(const void *buf, size_t len);
/* Decodes s into a malloc'd buffer (NUL-terminated, *len its length);
 * NULL when s is not base64. */
void *etcd_b64_decode(const char *s, size_t *len);

/* Request bodies, as malloc'd JSON text; NULL on ENOMEM. lease 0: none. */
char *etcd_put_body(const char *key, const void *val, size_t len,
		    int64_t lease);
/* Every key under prefix (range_end = prefix with its last byte + 1). */
char *etcd_range_prefix_body(const char *prefix);
char *etcd_lease_grant_body(int64_t ttl_s);
char *etcd_lease_keepalive_body(int64_t lease);
/*
 * The election: put key = val with lease only if key does not exist
 * (create_revision == 0); else read it, so the loser learns the leader.
 */
char *etcd_campaign_body(const char *key, const char *val, int64_t lease);

/*
 * The leader's write, fenced: put key = val only while leader_key still has
 * the create_revision this leader won it at, so a deposed leader (its lease
 * expired, another elected) cannot overwrite the new leader's documents.
 */
char *etcd_fenced_put_body(const char *leader_key, int64_t leader_rev,
			   const char *key, const void *val, size_t len);

struct etcd_kv {
	int deleted; /* a watch's DELETE event (val empty) */
	char *key;
	char *val;
	size_t val_len;
	int64_t create_rev;
	int64_t mod_rev;
	int64_t lease;
};

struct etcd_reply {
	int64_t revision;    /* header.revision */
	int succeeded;	     /* txn: 1 when its compare held */
	int64_t lease_id;    /* lease grant / keepalive: ID */
	int64_t ttl;	     /* lease grant / keepalive: TTL (0: lease gone) */
	struct etcd_kv *kvs; /* range, or a txn's range response */
	size_t n_kvs;
	char err[128]; /* gateway's error text when it answered one */
};

/*
 * A gateway answer collected by libcurl: etcd_body_append is a
 * CURLOPT_WRITEFUNCTION (WRITEDATA = the body). It keeps the text
 * NUL-terminated and refuses (aborting the transfer) an answer over
 * ETCD_BODY_MAX, so a broken or hostile endpoint cannot exhaust memory.
 */
#define ETCD_BODY_MAX (16u << 20)

struct etcd_body {
	char *p;
	size_t n;
};

size_t etcd_body_append(char *data, size_t size, size_t nmemb, void *body);

/* Every change under prefix from revision start_rev on (0: from now). */
char *etcd_watch_prefix_body(const char *prefix, int64_t start_rev);

/* Parses a gateway answer (a watch message's events land in kvs); 0, or -EINVAL with r->err naming the problem. */
int etcd_parse_reply(const char *text, struct etcd_reply *r);
void etcd_reply_free(struct etcd_reply *r);

/*
 * A watch's streaming answer: concatenated JSON messages cut anywhere by
 * the transport. etcd_stream_feed calls cb for every complete message
 * (r->err set when it was an error);
 * -EINVAL when the stream is not JSON (the watch must be restarted).
 */
struct etcd_stream {
	struct json_tokener *tok;
	int in_msg; /* inside a message cut by the transport */
	void (*cb)(const struct etcd_reply *r, void *arg);
	void *arg;
};

int etcd_stream_init(struct etcd_stream *s,
		     void (*cb)(const struct etcd_reply *r, void *arg),
		     void *arg);
int etcd_stream_feed(struct etcd_stream *s, const char *buf, size_t len);
void etcd_stream_free(struct etcd_stream *s);

#endif
