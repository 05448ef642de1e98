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

struct etcd_kv {
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

/* Parses a gateway answer; 0, or -EINVAL with r->err naming the problem. */
int etcd_parse_reply(const char *text, struct etcd_reply *r);
void etcd_reply_free(struct etcd_reply *r);

#endif
