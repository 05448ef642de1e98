// SPDX-License-Identifier: GPL-2.0
/*
 * xlbd in a cluster of LB hosts (cluster.h). One session is a lease: grant
 * -> range of the prefix (the leader, the state) -> watch from the range's
 * revision + 1 -> campaign when no leader holds <prefix>/leader. The lease
 * is renewed every TTL/4; a leader that cannot renew it within the TTL
 * steps down by itself (etcd has deleted its key by then). Followers apply
 * a state document only when its revision (the key's mod_revision, global
 * in etcd) is not older than the one they applied, and report it with
 * their table digest under <prefix>/hosts/<id> (leased).
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <curl/curl.h>
#include <json-c/json.h>

#include "xlbd.h"
#include "cluster.h"
#include "cluster_etcd.h"

#define MAX_ENDPOINTS 8
#define REQUEST_TIMEOUT_MS 500L
#define CONNECT_TIMEOUT_MS 300L
#define RETRY_S 0.25
#define APPLY_LOCK_TIMEOUT_MS 300
/* a config document waiting for the writer lock or a MAC: tried again */
#define CONFIG_RETRY_S 0.5

enum role { ROLE_NONE, ROLE_FOLLOWER, ROLE_LEADER };
static const char *const role_names[] = { "none", "follower", "leader" };

enum req_kind {
	REQ_GRANT,
	REQ_KEEPALIVE,
	REQ_RANGE,
	REQ_CAMPAIGN,
	REQ_PUBLISH,
	REQ_REPORT,
	REQ_N,
};

struct req {
	CURL *easy;
	enum req_kind kind;
	uint64_t session;
	double sent;
	bool queued; /* not yet handed to the multi handle */
	struct etcd_body body;
	struct req *next;
};

struct cluster {
	struct xlbd *d;
	char *ep[MAX_ENDPOINTS];
	size_t n_ep, cur;
	char host[64];
	/* the cluster.* keys this session runs with (a reload compares) */
	char conf_etcd[sizeof(((struct xlbd_config *)0)->cluster_etcd)];
	char conf_prefix[sizeof(((struct xlbd_config *)0)->cluster_prefix)];
	char conf_host[sizeof(((struct xlbd_config *)0)->cluster_host_id)];
	char k_prefix[160], k_leader[192], k_state[192], k_hosts[192],
		k_config[192], k_me[256];
	unsigned int ttl;
	enum role role;
	int64_t lease, leader_rev;
	double lease_deadline, next_keepalive, next_retry;
	char leader[64];
	bool leader_known; /* the range or watch told us who (or none) */
	uint64_t session;
	struct req *reqs;
	bool busy[REQ_N];
	CURL *watch;
	uint64_t watch_session;
	struct etcd_stream stream;
	struct xlbd_watch timer;
	/* state */
	/*
	 * applied_rev: the revision of the state document this host's maps
	 * hold, whether it applied it (follower) or published it (leader).
	 * One number for both roles: a leader reporting only what it had
	 * published itself said 0, or its previous term's revision, after a
	 * takeover while its maps held the interim leader's later state.
	 */
	int64_t applied_rev, seen_rev;
	uint64_t seq;
	char *published; /* pairs + digest of the last document put */
	char *pending;	 /* being put */
	bool publish_again, report_again;
	bool queued; /* some request waits for the timer to start it */
	char *reported;
	char digest[16];
	/*
	 * The operator's configuration (<prefix>/config): the newest
	 * document seen, and the revision the maps hold (0: this host's own
	 * config, as when alone). Applied from the timer, never inside a
	 * libcurl callback: it may drop pairs, and with them their probes'
	 * transfers. A refused revision is not tried again; the next put is.
	 */
	char *config_doc;
	int64_t config_doc_rev, config_rev, config_refused_rev;
	char config_error[256];
	double config_next_try;
	bool config_wait_logged;
	uint64_t config_applied, config_refused;
	/*
	 * The last state document, applied again after a config: its
	 * factors are relative to the operator's base weights, and a state
	 * that came while a config was pending named pairs not yet here.
	 */
	char *state_doc;
	int64_t state_doc_rev;
	bool state_deferred;
	/*
	 * Hard failures (README "Every host probes"): this host's probes'
	 * view, pair key -> {"since": wall time, "reason"}, reported in its
	 * host key; a follower's is down here only until the leader's state
	 * says so too. The leader reads every other host's ("reports": host
	 * -> its "down") and confirms a reported pair by its own probe.
	 */
	struct json_object *local_down;
	struct json_object *state_pairs; /* of the last state applied */
	struct json_object *reports;
	struct json_object *unconfirmed; /* reported, not confirmed: logged */
	bool local_written; /* a local probe write: rebuild at the tick */
	/* measured */
	bool connected;
	double last_ok, lost_since;
	uint64_t errors, leader_changes, elections_won, applied, stale_refused;
	uint64_t publishes, confirmed, unconfirmed_reports;
	double apply_lag_s;
	char last_error[160];
};

static struct cluster *of(const struct xlbd *d)
{
	return d->cluster;
}

static void start_session(struct cluster *c);
static void send_range(struct cluster *c);

/* ---------------------------------------------------------------- digest */

/*
 * The tables this host forwards with: FNV-1a over every VIP's text and
 * the digest its table was built from (xlb_vip_digest), in the list's
 * order. Hosts with the same pairs, weights and states agree.
 */
static void tables_digest(struct xlbd *d, char out[16])
{
	struct xlb_vip_entry *v = NULL;
	size_t n = 0;
	uint32_t h = 2166136261u;
	int fd = xlb_map_fd(d->xlb, XLB_MAP_VIP_DIGEST);

	if (xlb_vip_list(d->xlb, &v, &n) || fd < 0) {
		snprintf(out, 16, "unknown");
		free(v);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char text[XLB_VIP_STRLEN + 16];
		__u32 id = v[i].vip.id, dig = 0;

		bpf_map_lookup_elem(fd, &id, &dig);
		xlb_format_vip(&v[i].key, text, XLB_VIP_STRLEN);
		snprintf(text + strlen(text), 16, "=%08x;", dig);
		for (const char *s = text; *s; s++)
			h = (h ^ (unsigned char)*s) * 16777619u;
	}
	free(v);
	snprintf(out, 16, "%08x", h);
}

/* ---------------------------------------------------------------- transport */

static CURL *new_easy(struct cluster *c, const char *path, char *body)
{
	char url[320];
	CURL *e = curl_easy_init();

	if (!e || !body) {
		if (e)
			curl_easy_cleanup(e);
		free(body);
		return NULL;
	}
	snprintf(url, sizeof(url), "%s%s", c->ep[c->cur], path);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS, body);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PRIVATE, NULL);
	free(body);
	return e;
}

static void send_req(struct cluster *c, enum req_kind kind, const char *path,
		     char *body)
{
	struct req *r = calloc(1, sizeof(*r));
	CURL *e = r ? new_easy(c, path, body) : (free(body), NULL);

	if (!e) {
		free(r);
		return;
	}
	r->easy = e;
	r->kind = kind;
	r->session = c->session;
	r->sent = xlbd_now();
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, REQUEST_TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, etcd_body_append);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &r->body);
	r->next = c->reqs;
	c->reqs = r;
	c->busy[kind] = true;
	/*
	 * Inside a libcurl callback (a watch event applied, a leader key
	 * gone) the multi handle refuses new transfers
	 * (CURLM_RECURSIVE_API_CALL): the timer starts the request instead
	 * of it being lost.
	 */
	if (xlbd_curl_add(c->d, e))
		r->queued = c->queued = true;
}

static void start_queued(struct cluster *c)
{
	c->queued = false;
	for (struct req *q = c->reqs; q; q = q->next) {
		if (q->queued && !xlbd_curl_add(c->d, q->easy))
			q->queued = false;
		c->queued |= q->queued;
	}
}

static void failed(struct cluster *c, const char *what, const char *why)
{
	c->errors++;
	if (c->connected || strcmp(c->last_error, why))
		xlbd_log(c->d, "warn",
			 "cluster: %s via %s failed: %s; forwarding goes on "
			 "with the state applied (revision %" PRId64 ")",
			 what, c->ep[c->cur], why, c->applied_rev);
	snprintf(c->last_error, sizeof(c->last_error), "%s", why);
	if (c->connected)
		c->lost_since = xlbd_now();
	c->connected = false;
	c->cur = (c->cur + 1) % c->n_ep;
}

static void ok(struct cluster *c)
{
	if (!c->connected && c->last_ok > 0)
		xlbd_log(c->d, "info", "cluster: etcd reachable again via %s",
			 c->ep[c->cur]);
	c->connected = true;
	c->last_ok = xlbd_now();
}

static void drop_watch(struct cluster *c)
{
	if (!c->watch)
		return;
	xlbd_curl_remove(c->d, c->watch);
	c->watch = NULL;
	etcd_stream_free(&c->stream);
}

/* Every request of the old session is forgotten; a new one starts. */
static void reset(struct cluster *c, const char *why)
{
	if (c->role == ROLE_LEADER)
		xlbd_log(c->d, "warn", "cluster: stepping down as leader: %s",
			 why);
	c->role = ROLE_NONE;
	c->lease = 0;
	/* the host key went with the old lease: the next report is a put */
	free(c->reported);
	c->reported = NULL;
	c->leader[0] = 0;
	c->leader_known = false;
	c->session++;
	drop_watch(c);
	c->next_retry = xlbd_now() + RETRY_S;
}

/* ---------------------------------------------------------------- state */

static void report(struct cluster *c);
static void check_reports(struct cluster *c);

static void become_leader(struct cluster *c, int64_t rev)
{
	c->role = ROLE_LEADER;
	c->leader_rev = rev;
	snprintf(c->leader, sizeof(c->leader), "%s", c->host);
	c->leader_changes++;
	c->elections_won++;
	free(c->published);
	c->published = NULL; /* the first tick publishes the whole state */
	xlbd_log(c->d, "info",
		 "cluster: leading (lease %" PRIx64 ", leader key revision "
		 "%" PRId64 ")",
		 (uint64_t)c->lease, rev);
	report(c);
	check_reports(c); /* what the hosts reported before */
}

static void set_leader(struct cluster *c, const char *who, int64_t rev)
{
	if (!strcmp(who, c->host) && c->role == ROLE_LEADER)
		return;
	if (c->role == ROLE_LEADER)
		xlbd_log(c->d, "warn",
			 "cluster: %s holds the leader key: following", who);
	if (strcmp(c->leader, who)) {
		c->leader_changes++;
		xlbd_log(c->d, "info", "cluster: following %s", who);
	}
	snprintf(c->leader, sizeof(c->leader), "%s", who);
	c->leader_rev = rev;
	c->role = ROLE_FOLLOWER;
	report(c);
}

static void campaign(struct cluster *c)
{
	if (!c->lease || c->busy[REQ_CAMPAIGN])
		return;
	send_req(c, REQ_CAMPAIGN, "/v3/kv/txn",
		 etcd_campaign_body(c->k_leader, c->host, c->lease));
}

/* A configuration document newer than the maps', not refused. */
static bool config_pending(const struct cluster *c)
{
	return c->config_doc && c->config_doc_rev > c->config_rev &&
	       c->config_doc_rev != c->config_refused_rev;
}

/* <prefix>/config put or deleted: kept for config_step (the timer). */
static void on_config(struct cluster *c, const struct etcd_kv *kv)
{
	if (kv->deleted) {
		if (c->config_doc)
			xlbd_log(c->d, "warn",
				 "cluster: %s deleted: the configuration "
				 "applied stays (revision %" PRId64 ")",
				 c->k_config, c->config_rev);
		free(c->config_doc);
		c->config_doc = NULL;
		return;
	}
	/* a range after the watch (a new session) brings it again */
	if (c->config_doc && kv->mod_rev <= c->config_doc_rev)
		return;
	free(c->config_doc);
	c->config_doc = strdup(kv->val);
	c->config_doc_rev = kv->mod_rev;
	c->config_next_try = 0;
	c->config_wait_logged = false;
	/* the text would be cut there: what was put is not what is parsed */
	if (strlen(kv->val) != kv->val_len) {
		c->config_refused_rev = kv->mod_rev;
		c->config_refused++;
		snprintf(c->config_error, sizeof(c->config_error),
			 "it holds a NUL byte: not a JSON text");
		xlbd_log(c->d, "error",
			 "cluster: config revision %" PRId64 " refused: %s",
			 kv->mod_rev, c->config_error);
		report(c);
	}
}

/* A follower applies a state document (revision rev) through libxlb. */
static void apply_state(struct cluster *c, const struct etcd_kv *kv)
{
	struct xlbd *d = c->d;
	struct json_object *doc, *pairs = NULL, *v;
	struct xlb_txn *txn = NULL;
	size_t changed = 0, missing = 0;
	/* kept: deferred until a config applied, or applied again after */
	bool stored = kv->val == c->state_doc;
	bool again = stored && kv->mod_rev == c->applied_rev;
	int64_t conf_rev = -1;
	int ret;

	if (kv->mod_rev > c->seen_rev)
		c->seen_rev = kv->mod_rev;
	if (c->role == ROLE_LEADER)
		return; /* its own write */
	if (kv->mod_rev < c->applied_rev) {
		c->stale_refused++;
		xlbd_log(d, "warn",
			 "cluster: state revision %" PRId64 " is older than "
			 "the applied "
			 "%" PRId64 ": "
			 "refuse"
			 "d",
			 kv->mod_rev, c->applied_rev);
		return;
	}
	if (!stored) {
		free(c->state_doc);
		c->state_doc = strdup(kv->val);
		c->state_doc_rev = kv->mod_rev;
		/* the operator's config first; the state at the timer */
		if (c->state_doc && config_pending(c)) {
			c->state_deferred = true;
			return;
		}
	}
	doc = json_tokener_parse(kv->val);
	if (!doc || !json_object_object_get_ex(doc, "pairs", &pairs) ||
	    !json_object_is_type(pairs, json_type_object)) {
		xlbd_log(d, "error",
			 "cluster: state revision %" PRId64 " is not a state "
			 "document: ignored",
			 kv->mod_rev);
		json_object_put(doc);
		return;
	}
	if (json_object_object_get_ex(doc, "config_revision", &v))
		conf_rev = json_object_get_int64(v);
	if (d->cfg.brain.dry_run)
		goto done;
	ret = xlb_lock(d->xlb, APPLY_LOCK_TIMEOUT_MS);
	if (ret) {
		xlbd_log(d, "error", "cluster: apply revision %" PRId64 ": %s",
			 kv->mod_rev, xlb_errmsg());
		json_object_put(doc);
		return;
	}
	ret = xlb_txn_begin(d->xlb, &txn);
	json_object_object_foreach(pairs, key, pv)
	{
		struct xlbd_pair *p = xlbd_pair_find(d, key);
		__u32 factor, health, reason;

		if (!p) {
			missing++;
			continue;
		}
		factor = json_object_object_get_ex(pv, "factor", &v)
				 ? (__u32)json_object_get_int(v)
				 : 0;
		health = json_object_object_get_ex(pv, "health", &v)
				 ? (__u32)json_object_get_int(v)
				 : XLB_HEALTH_DOWN + 1;
		reason = json_object_object_get_ex(pv, "reason", &v)
				 ? (__u32)json_object_get_int(v)
				 : p->info.reason;
		if (ret || xlb_check_factor("factor", factor) ||
		    xlb_check_health("health", health))
			continue;
		/* this host's own probes' down stands over the leader's up */
		if (json_object_object_get_ex(c->local_down, key, NULL))
			health = XLB_HEALTH_DOWN;
		if (factor == p->info.factor && health == p->info.health)
			continue;
		ret = xlb_txn_set_brain_id(txn, p->info.id, &p->info.vip,
					   &p->info.be.addr, p->info.be.family,
					   factor, health, reason);
		changed++;
	}
	if (!ret)
		ret = xlb_txn_commit(txn);
	xlb_txn_free(txn);
	xlb_unlock(d->xlb);
	if (ret) {
		d->apply_errors++;
		xlbd_log(d, "error",
			 "cluster: apply revision %" PRId64 ": %s (nothing "
			 "written)",
			 kv->mod_rev, xlb_errmsg());
		json_object_put(doc);
		return;
	}
	/* what the maps hold now, for the next tick's snapshot */
	json_object_object_foreach(pairs, key2, pv2)
	{
		struct xlbd_pair *p = xlbd_pair_find(d, key2);

		if (p && json_object_object_get_ex(pv2, "factor", &v) &&
		    !xlb_check_factor("factor", json_object_get_int(v)))
			p->info.factor = json_object_get_int(v);
		if (p && json_object_object_get_ex(pv2, "health", &v) &&
		    !xlb_check_health("health", json_object_get_int(v)))
			p->info.health =
				json_object_object_get_ex(c->local_down, key2,
							  NULL)
					? XLB_HEALTH_DOWN
					: (__u32)json_object_get_int(v);
	}
done:
	json_object_put(c->state_pairs);
	c->state_pairs = json_object_get(pairs);
	if (!again)
		c->apply_lag_s =
			json_object_object_get_ex(doc, "time", &v)
				? fmax(0,
				       xlbd_wall() - json_object_get_double(v))
				: NAN;
	c->applied_rev = kv->mod_rev;
	c->applied++;
	/*
	 * A pair not here: the leader's config differs from this host's for
	 * now (conf_rev says which it decided on); its factor comes with
	 * the next state once both hold the same config.
	 */
	if (again)
		xlbd_log(d, "info",
			 "cluster: applied state revision %" PRId64
			 " again after config revision %" PRId64 " (%zu pairs "
			 "changed, %zu not here)",
			 kv->mod_rev, c->config_rev, changed, missing);
	else
		xlbd_log(d, "info",
			 "cluster: applied state revision %" PRId64
			 " (%zu pairs changed, %zu not here%s), %.1f ms after "
			 "its publication",
			 kv->mod_rev, changed, missing,
			 missing && conf_rev >= 0 && conf_rev != c->config_rev
				 ? ": decided on another config revision"
				 : "",
			 c->apply_lag_s * 1e3);
	json_object_put(doc);
	report(c);
}

/* <prefix>/hosts/<id>: role, applied revision, table digest (leased). */
static void report(struct cluster *c)
{
	struct json_object *o;
	char *text;

	if (!c->lease)
		return;
	if (c->busy[REQ_REPORT]) {
		c->report_again = true; /* after the one in flight */
		return;
	}
	c->report_again = false;
	tables_digest(c->d, c->digest);
	o = json_object_new_object();
	json_object_object_add(o, "host", json_object_new_string(c->host));
	json_object_object_add(o, "role",
			       json_object_new_string(role_names[c->role]));
	json_object_object_add(o, "leader", json_object_new_string(c->leader));
	json_object_object_add(o, "applied_revision",
			       json_object_new_int64(c->applied_rev));
	json_object_object_add(o, "digest", json_object_new_string(c->digest));
	json_object_object_add(o, "config_revision",
			       json_object_new_int64(c->config_rev));
	if (c->config_refused_rev > c->config_rev) {
		char why[sizeof(c->config_error) + 48];

		snprintf(why, sizeof(why), "revision %" PRId64 " refused: %s",
			 c->config_refused_rev, c->config_error);
		json_object_object_add(o, "config_error",
				       json_object_new_string(why));
	}
	json_object_object_add(o, "down", json_object_get(c->local_down));
	text = strdup(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	if (!text)
		return;
	if (c->reported && !strcmp(c->reported, text)) {
		free(text);
		return;
	}
	free(c->reported);
	c->reported = text;
	send_req(c, REQ_REPORT, "/v3/kv/put",
		 etcd_put_body(c->k_me, text, strlen(text), c->lease));
}

/*
 * The leader's document: every pair's factor and health as its maps hold
 * them after the brain's writes, and the digest of its tables (rebuilt
 * first, so a probe's state write is in it).
 */
static void publish(struct cluster *c)
{
	struct xlbd *d = c->d;
	struct json_object *o, *pairs;
	char *body, *text;

	if (c->role != ROLE_LEADER || d->cfg.brain.dry_run)
		return;
	if (c->busy[REQ_PUBLISH]) {
		c->publish_again = true;
		return;
	}
	if (!xlb_lock(d->xlb, APPLY_LOCK_TIMEOUT_MS)) {
		xlb_commit(d->xlb);
		xlb_unlock(d->xlb);
	}
	tables_digest(d, c->digest);
	o = json_object_new_object();
	pairs = json_object_new_object();
	for (size_t i = 0; i < d->n_pairs; i++) {
		const struct xlbd_pair *p = d->pairs[i];
		struct json_object *po = json_object_new_object();

		json_object_object_add(
			po, "factor", json_object_new_int((int)p->info.factor));
		json_object_object_add(
			po, "health", json_object_new_int((int)p->info.health));
		json_object_object_add(
			po, "reason", json_object_new_int((int)p->info.reason));
		json_object_object_add(pairs, p->key, po);
	}
	json_object_object_add(o, "pairs", pairs);
	json_object_object_add(o, "digest", json_object_new_string(c->digest));
	/* the operator's config these factors sit on (0: hosts' own) */
	json_object_object_add(o, "config_revision",
			       json_object_new_int64(c->config_rev));
	text = strdup(
		json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	if (!text || (c->published && !strcmp(text, c->published))) {
		free(text);
		json_object_put(o);
		return;
	}
	json_object_object_add(o, "leader", json_object_new_string(c->host));
	json_object_object_add(o, "seq", json_object_new_int64(++c->seq));
	json_object_object_add(o, "time", json_object_new_double(xlbd_wall()));
	body = (char *)json_object_to_json_string_ext(o,
						      JSON_C_TO_STRING_PLAIN);
	free(c->pending);
	c->pending = text;
	send_req(c, REQ_PUBLISH, "/v3/kv/txn",
		 etcd_fenced_put_body(c->k_leader, c->leader_rev, c->k_state,
				      body, strlen(body)));
	json_object_put(o);
}

/* ---------------------------------------------------------------- hard failures */

static void clock_text(double wall, char out[16])
{
	time_t t = (time_t)wall;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 16, "%02d:%02d:%02d.%03d", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, (int)((wall - floor(wall)) * 1000));
}

static double since_of(struct json_object *down, const char *key)
{
	struct json_object *e, *v;

	if (!down || !json_object_object_get_ex(down, key, &e) ||
	    !json_object_object_get_ex(e, "since", &v))
		return NAN;
	return json_object_get_double(v);
}

static bool reported_down(const struct cluster *c, const char *key)
{
	json_object_object_foreach(c->reports, host, down)
	{
		(void)host;
		if (json_object_object_get_ex(down, key, NULL))
			return true;
	}
	return false;
}

/*
 * Which hosts saw key down, earliest first, appended to a leader's down
 * decision: "; first seen down by lb2 at 21:03:04.512 UTC, then lb1
 * (leader) at 21:03:04.601 UTC".
 */
static void append_seen_by(struct cluster *c, const char *key, char *reason,
			   size_t len)
{
	struct seen {
		const char *host;
		double since;
	} seen[16], t;
	size_t n = 0, at = strlen(reason);
	char when[16];

	if (!isnan(since_of(c->local_down, key)))
		seen[n++] =
			(struct seen){ c->host, since_of(c->local_down, key) };
	json_object_object_foreach(c->reports, host, down)
	{
		double since = since_of(down, key);

		if (!isnan(since) && n < 16)
			seen[n++] = (struct seen){ host, since };
	}
	for (size_t i = 1; i < n; i++) /* insertion sort: a handful */
		for (size_t j = i; j && seen[j].since < seen[j - 1].since; j--)
			t = seen[j], seen[j] = seen[j - 1], seen[j - 1] = t;
	for (size_t i = 0; i < n && at < len; i++) {
		clock_text(seen[i].since, when);
		at += snprintf(reason + at, len - at, "%s%s%s at %s UTC",
			       i ? ", then " : "; first seen down by ",
			       seen[i].host,
			       seen[i].host == c->host ? " (leader)" : "",
			       when);
	}
}

/*
 * The leader asks its own probe about a pair another host reports down:
 * its last probe failed too -> down for every host (a decision as a
 * probe's, published at once); it succeeded -> not confirmed (logged
 * once), probed again now, and confirmed by the first failure.
 */
static void confirm(struct cluster *c, struct xlbd_pair *p)
{
	struct xlbd *d = c->d;
	struct xlb_brain_decision dec;

	if (p->info.health == XLB_HEALTH_DOWN)
		return;
	if (xlb_brain_probe_confirm_down(d->brain, p->key, &dec) == 1) {
		dec.pair = p->idx;
		d->probe_transitions++;
		c->confirmed++;
		json_object_object_del(c->unconfirmed, p->key);
		xlbd_apply_probe(d, p, &dec);
		return;
	}
	if (!json_object_object_get_ex(c->unconfirmed, p->key, NULL)) {
		c->unconfirmed_reports++;
		xlbd_log(d, "info",
			 "cluster: %s reported down by another host; this "
			 "host's probe reaches it: not confirmed, it stays "
			 "down only where its probes fail",
			 p->key);
		json_object_object_add(c->unconfirmed, p->key, NULL);
	}
	xlbd_probe_soon(d, p);
}

static void check_reports(struct cluster *c)
{
	struct xlbd *d = c->d;

	if (c->role != ROLE_LEADER)
		return;
	/* a pair no host reports any more may be logged again later */
	json_object_object_foreach(c->unconfirmed, key, v)
	{
		(void)v;
		if (!reported_down(c, key))
			json_object_object_del(c->unconfirmed, key);
	}
	json_object_object_foreach(c->reports, host, down)
	{
		(void)host;
		json_object_object_foreach(down, key2, e)
		{
			struct xlbd_pair *p = xlbd_pair_find(d, key2);

			(void)e;
			if (p)
				confirm(c, p);
		}
	}
}

/* <prefix>/hosts/<id> of another host: its probes' down pairs. */
static void on_host_report(struct cluster *c, const struct etcd_kv *kv)
{
	const char *host = kv->key + strlen(c->k_hosts);
	struct json_object *doc, *down;

	if (!strcmp(host, c->host))
		return;
	if (kv->deleted) { /* its lease ended: its reports with it */
		json_object_object_del(c->reports, host);
		check_reports(c);
		return;
	}
	doc = json_tokener_parse(kv->val);
	if (doc && json_object_object_get_ex(doc, "down", &down) &&
	    json_object_is_type(down, json_type_object))
		json_object_object_add(c->reports, host, json_object_get(down));
	else
		json_object_object_del(c->reports, host);
	json_object_put(doc);
	check_reports(c);
}

/* ---------------------------------------------------------------- watch */

static void on_kv(struct cluster *c, const struct etcd_kv *kv)
{
	if (!strcmp(kv->key, c->k_leader)) {
		c->leader_known = true;
		if (kv->deleted) {
			if (c->role == ROLE_LEADER)
				xlbd_log(c->d, "warn",
					 "cluster: the leader key is gone");
			c->role = ROLE_FOLLOWER;
			c->leader[0] = 0;
			campaign(c);
		} else if (strcmp(kv->val, c->host) || kv->lease != c->lease) {
			set_leader(c, kv->val, kv->create_rev);
		}
	} else if (!strcmp(kv->key, c->k_config)) {
		on_config(c, kv);
	} else if (!strcmp(kv->key, c->k_state) && !kv->deleted) {
		apply_state(c, kv);
	} else if (!strncmp(kv->key, c->k_hosts, strlen(c->k_hosts))) {
		on_host_report(c, kv);
	}
}

static void on_watch_msg(const struct etcd_reply *r, void *arg)
{
	struct cluster *c = arg;

	if (r->err[0]) {
		failed(c, "watch", r->err);
		return;
	}
	ok(c);
	for (size_t i = 0; i < r->n_kvs; i++)
		on_kv(c, &r->kvs[i]);
}

static size_t on_watch_data(char *p, size_t sz, size_t nm, void *u)
{
	struct cluster *c = u;

	if (c->watch_session != c->session)
		return sz * nm;
	return etcd_stream_feed(&c->stream, p, sz * nm) ? 0 : sz * nm;
}

static void start_watch(struct cluster *c, int64_t from)
{
	drop_watch(c);
	if (etcd_stream_init(&c->stream, on_watch_msg, c))
		return;
	c->watch = new_easy(c, "/v3/watch",
			    etcd_watch_prefix_body(c->k_prefix, from));
	if (!c->watch) {
		etcd_stream_free(&c->stream);
		return;
	}
	c->watch_session = c->session;
	curl_easy_setopt(c->watch, CURLOPT_WRITEFUNCTION, on_watch_data);
	curl_easy_setopt(c->watch, CURLOPT_WRITEDATA, c);
	/* a member that dies without a FIN is found by TCP keepalive */
	curl_easy_setopt(c->watch, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c->watch, CURLOPT_TCP_KEEPIDLE, 1L);
	curl_easy_setopt(c->watch, CURLOPT_TCP_KEEPINTVL, 1L);
	if (xlbd_curl_add(c->d, c->watch)) {
		curl_easy_cleanup(c->watch);
		c->watch = NULL;
		etcd_stream_free(&c->stream);
	}
}

/* ---------------------------------------------------------------- replies */

static void on_reply(struct cluster *c, struct req *q,
		     const struct etcd_reply *r)
{
	double now = xlbd_now();

	switch (q->kind) {
	case REQ_GRANT:
		c->lease = r->lease_id;
		c->lease_deadline = q->sent + (double)r->ttl;
		c->next_keepalive = now + c->ttl / 4.0;
		send_range(c);
		break;
	case REQ_KEEPALIVE:
		if (r->ttl <= 0) {
			reset(c, "etcd says the lease expired");
			return;
		}
		c->lease_deadline = q->sent + (double)r->ttl;
		break;
	case REQ_RANGE:
		c->leader_known = false;
		for (size_t i = 0; i < r->n_kvs; i++)
			on_kv(c, &r->kvs[i]);
		start_watch(c, r->revision + 1);
		if (!c->leader_known) {
			c->role = ROLE_FOLLOWER;
			campaign(c);
		}
		report(c);
		break;
	case REQ_CAMPAIGN:
		if (r->succeeded)
			become_leader(c, r->revision);
		else if (r->n_kvs)
			set_leader(c, r->kvs[0].val, r->kvs[0].create_rev);
		break;
	case REQ_PUBLISH:
		if (!r->succeeded) {
			free(c->pending);
			c->pending = NULL;
			reset(c, "the fenced write was refused (another "
				 "leader)");
			return;
		}
		free(c->published);
		c->published = c->pending;
		c->pending = NULL;
		if (r->revision > c->applied_rev)
			c->applied_rev = r->revision;
		c->publishes++;
		xlbd_log(c->d, "info",
			 "cluster: published state revision %" PRId64
			 " (seq %" PRIu64 ")",
			 r->revision, c->seq);
		report(c);
		break;
	case REQ_REPORT:
	case REQ_N:
		break;
	}
}

int xlbd_cluster_done(struct xlbd *d, void *easy, int code, long status)
{
	struct cluster *c = of(d);
	struct req **pp, *q;
	struct etcd_reply r;
	char why[160];

	if (!c)
		return 0;
	if (easy == c->watch) {
		c->watch = NULL;
		xlbd_curl_remove(d, easy);
		etcd_stream_free(&c->stream);
		snprintf(why, sizeof(why), "watch ended: %s",
			 code ? curl_easy_strerror((CURLcode)code) : "closed");
		failed(c, "watch", why);
		c->next_retry = xlbd_now() + RETRY_S;
		return 1;
	}
	for (pp = &c->reqs; *pp && (*pp)->easy != easy; pp = &(*pp)->next)
		;
	if (!*pp)
		return 0;
	q = *pp;
	*pp = q->next;
	c->busy[q->kind] = false;
	xlbd_curl_remove(d, easy);
	if (q->session == c->session) {
		int err = -EIO;

		memset(&r, 0, sizeof(r));
		if (code)
			snprintf(why, sizeof(why), "%s",
				 curl_easy_strerror((CURLcode)code));
		else if (!q->body.p)
			snprintf(why, sizeof(why), "HTTP %ld, no body", status);
		else if ((err = etcd_parse_reply(q->body.p, &r)))
			snprintf(why, sizeof(why), "%s", r.err);
		else if (status != 200)
			snprintf(why, sizeof(why), "HTTP %ld", status),
				err = -EIO;
		if (err) {
			static const char *const what[] = {
				"lease grant", "keepalive", "range",
				"campaign",    "publish",   "report"
			};

			failed(c, what[q->kind], why);
			if (q->kind == REQ_PUBLISH)
				c->publish_again = true;
			if (q->kind == REQ_REPORT) {
				free(c->reported);
				c->reported = NULL;
			}
			c->next_retry = xlbd_now() + RETRY_S;
		} else {
			ok(c);
			on_reply(c, q, &r);
		}
		etcd_reply_free(&r);
	}
	free(q->body.p);
	free(q);
	return 1;
}

/* ---------------------------------------------------------------- config */

/*
 * The operator's configuration before the leader's state: a pending
 * document is applied (or refused, or tried again later), then a state
 * document that came meanwhile, or the last one again after a config
 * (its factors on the pairs the config just added). A state waits at
 * most one timer period for a config that cannot apply yet.
 */
static void config_step(struct cluster *c)
{
	struct xlbd *d = c->d;
	char err[sizeof(c->config_error)];
	double now = xlbd_now();
	size_t n;
	int ret;

	if (config_pending(c) && now >= c->config_next_try) {
		ret = xlbd_cluster_config_apply(d, c->config_doc,
						c->config_doc_rev, &n, err,
						sizeof(err));
		if (!ret) {
			c->config_rev = c->config_doc_rev;
			c->config_applied++;
			c->config_error[0] = 0;
			xlbd_log(d, "info",
				 "cluster: applied config revision %" PRId64
				 " (%zu change%s%s)",
				 c->config_rev, n, n == 1 ? "" : "s",
				 d->cfg.brain.dry_run ? ", dry run: none "
							"written"
						      : "");
			c->state_deferred |= c->state_doc && n;
			/* the leader's factors for the new pairs now, not at
			 * its next tick: the followers' digests follow */
			if (n)
				publish(c);
			report(c);
		} else if (ret == -EAGAIN) {
			c->config_next_try = now + CONFIG_RETRY_S;
			if (!c->config_wait_logged)
				xlbd_log(d, "warn",
					 "cluster: config revision %" PRId64
					 " waits: %s; trying again every "
					 "%.1f s",
					 c->config_doc_rev, err,
					 CONFIG_RETRY_S);
			c->config_wait_logged = true;
		} else {
			c->config_refused_rev = c->config_doc_rev;
			c->config_refused++;
			snprintf(c->config_error, sizeof(c->config_error), "%s",
				 err);
			xlbd_log(d, "error",
				 "cluster: config revision %" PRId64
				 " refused: %s; nothing of it applied, the "
				 "configuration applied stays (%s%" PRId64 ")",
				 c->config_doc_rev, err,
				 c->config_rev ? "revision " : "local, ",
				 c->config_rev);
			report(c);
		}
	}
	if (c->state_deferred) {
		struct etcd_kv kv = { .key = c->k_state,
				      .val = c->state_doc,
				      .val_len = strlen(c->state_doc),
				      .mod_rev = c->state_doc_rev };

		c->state_deferred = false;
		apply_state(c, &kv);
	}
}

/* ---------------------------------------------------------------- timer */

static void send_range(struct cluster *c)
{
	if (!c->busy[REQ_RANGE])
		send_req(c, REQ_RANGE, "/v3/kv/range",
			 etcd_range_prefix_body(c->k_prefix));
}

static void start_session(struct cluster *c)
{
	if (!c->busy[REQ_GRANT])
		send_req(c, REQ_GRANT, "/v3/lease/grant",
			 etcd_lease_grant_body(c->ttl));
}

static void on_timer(struct xlbd_watch *w, uint32_t events)
{
	struct cluster *c =
		(void *)((char *)w - offsetof(struct cluster, timer));
	double now = xlbd_now();
	uint64_t n;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	if (c->queued)
		start_queued(c);
	config_step(c);
	if (c->lease && now > c->lease_deadline) {
		reset(c, "the lease was not renewed within its TTL");
		return;
	}
	if (now < c->next_retry)
		return;
	if (!c->lease) {
		start_session(c);
		return;
	}
	if (now >= c->next_keepalive && !c->busy[REQ_KEEPALIVE]) {
		c->next_keepalive = now + c->ttl / 4.0;
		send_req(c, REQ_KEEPALIVE, "/v3/lease/keepalive",
			 etcd_lease_keepalive_body(c->lease));
	}
	if (!c->watch)
		send_range(c);
	else if (c->role == ROLE_FOLLOWER && !c->leader[0])
		campaign(c);
	if (c->publish_again) {
		c->publish_again = false;
		publish(c);
	}
	if (!c->reported || c->report_again)
		report(c);
}

/* ---------------------------------------------------------------- API */

int xlbd_cluster_start(struct xlbd *d)
{
	const struct xlbd_config *cfg = &d->cfg;
	struct itimerspec its = { .it_interval.tv_nsec = 100000000L,
				  .it_value.tv_nsec = 1000000L };
	struct cluster *c;
	char list[sizeof(cfg->cluster_etcd)], *save = NULL, *tok;

	if (!cfg->cluster_etcd[0])
		return 0;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->d = d;
	snprintf(c->conf_etcd, sizeof(c->conf_etcd), "%s", cfg->cluster_etcd);
	snprintf(c->conf_prefix, sizeof(c->conf_prefix), "%s",
		 cfg->cluster_prefix);
	snprintf(c->conf_host, sizeof(c->conf_host), "%s",
		 cfg->cluster_host_id);
	snprintf(list, sizeof(list), "%s", cfg->cluster_etcd);
	for (tok = strtok_r(list, ", ", &save); tok && c->n_ep < MAX_ENDPOINTS;
	     tok = strtok_r(NULL, ", ", &save))
		c->ep[c->n_ep++] = strdup(tok);
	if (cfg->cluster_host_id[0])
		snprintf(c->host, sizeof(c->host), "%s", cfg->cluster_host_id);
	else if (gethostname(c->host, sizeof(c->host) - 1))
		snprintf(c->host, sizeof(c->host), "xlbd-%d", getpid());
	snprintf(c->k_prefix, sizeof(c->k_prefix), "%s/", cfg->cluster_prefix);
	snprintf(c->k_leader, sizeof(c->k_leader), "%sleader", c->k_prefix);
	snprintf(c->k_state, sizeof(c->k_state), "%sstate", c->k_prefix);
	snprintf(c->k_hosts, sizeof(c->k_hosts), "%shosts/", c->k_prefix);
	snprintf(c->k_config, sizeof(c->k_config), "%sconfig", c->k_prefix);
	snprintf(c->k_me, sizeof(c->k_me), "%s%s", c->k_hosts, c->host);
	c->local_down = json_object_new_object();
	c->reports = json_object_new_object();
	c->unconfirmed = json_object_new_object();
	c->ttl = cfg->cluster_lease_ttl_s;
	c->apply_lag_s = NAN;
	c->timer.fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	c->timer.fn = on_timer;
	if (!c->n_ep || c->timer.fd < 0 ||
	    timerfd_settime(c->timer.fd, 0, &its, NULL) ||
	    xlbd_watch_add(d, &c->timer, EPOLLIN)) {
		xlbd_log(d, "error", "cluster: cannot start (%s)",
			 c->n_ep ? strerror(errno)
				 : "no endpoint in cluster.etcd");
		return -EINVAL;
	}
	d->cluster = c;
	xlbd_log(d, "info",
		 "cluster: host %s, %zu etcd endpoints, prefix %s, lease %u s",
		 c->host, c->n_ep, cfg->cluster_prefix, c->ttl);
	return 0;
}

void xlbd_cluster_stop(struct xlbd *d)
{
	struct cluster *c = of(d);

	if (!c)
		return;
	/* A clean stop hands the lead over now, not at the lease's end. */
	if (c->lease) {
		char body[64];
		CURL *e;

		snprintf(body, sizeof(body), "{\"ID\":\"%" PRId64 "\"}",
			 c->lease);
		e = new_easy(c, "/v3/lease/revoke", strdup(body));
		if (e) {
			curl_easy_setopt(e, CURLOPT_TIMEOUT_MS,
					 REQUEST_TIMEOUT_MS);
			curl_easy_perform(e);
			curl_easy_cleanup(e);
		}
	}
	c->session++;
	drop_watch(c);
	while (c->reqs) {
		struct req *q = c->reqs;

		c->reqs = q->next;
		xlbd_curl_remove(d, q->easy);
		free(q->body.p);
		free(q);
	}
	xlbd_watch_del(d, &c->timer);
	close(c->timer.fd);
	for (size_t i = 0; i < c->n_ep; i++)
		free(c->ep[i]);
	free(c->published);
	free(c->pending);
	free(c->reported);
	free(c->config_doc);
	free(c->state_doc);
	json_object_put(c->local_down);
	json_object_put(c->state_pairs);
	json_object_put(c->reports);
	json_object_put(c->unconfirmed);
	free(c);
	d->cluster = NULL;
}

int xlbd_cluster_reconfigure(struct xlbd *d)
{
	const struct xlbd_config *cfg = &d->cfg;
	struct cluster *c = of(d);
	bool same = c && !strcmp(c->conf_etcd, cfg->cluster_etcd) &&
		    !strcmp(c->conf_prefix, cfg->cluster_prefix) &&
		    !strcmp(c->conf_host, cfg->cluster_host_id) &&
		    c->ttl == cfg->cluster_lease_ttl_s;

	if (same || (!c && !cfg->cluster_etcd[0]))
		return 0;
	xlbd_log(d, "info", "cluster: the cluster keys changed on reload: %s",
		 !c			? "joining"
		 : cfg->cluster_etcd[0] ? "leaving (lease revoked), joining "
					  "with the new ones"
					: "leaving (lease revoked), alone from "
					  "now on");
	xlbd_cluster_stop(d);
	return xlbd_cluster_start(d);
}

bool xlbd_cluster_decides(const struct xlbd *d)
{
	return !of(d) || of(d)->role == ROLE_LEADER;
}

/*
 * A probe's transition on this host. Down: recorded as this host's
 * finding (reported in its host key) and written here at once; on the
 * leader it is down for all, its reason naming who saw it first. Up: the
 * finding ends; a follower goes back to the leader's state for the pair,
 * so its rise never brings back what the leader holds down. Cut off from
 * etcd (no lease) a host writes its probes' view as when alone.
 */
bool xlbd_cluster_probe(struct xlbd *d, const struct xlbd_pair *p,
			struct xlb_brain_decision *dec)
{
	struct cluster *c = of(d);
	bool follower = c && c->lease && c->role != ROLE_LEADER;
	struct json_object *st, *v;
	size_t at;

	if (!c)
		return true;
	at = strlen(dec->reason);
	if (dec->new_health == XLB_HEALTH_DOWN) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "since",
				       json_object_new_double(xlbd_wall()));
		json_object_object_add(e, "reason",
				       json_object_new_string(dec->reason));
		json_object_object_add(c->local_down, p->key, e);
		if (c->role == ROLE_LEADER)
			append_seen_by(c, p->key, dec->reason,
				       sizeof(dec->reason));
		else if (follower)
			snprintf(dec->reason + at, sizeof(dec->reason) - at,
				 "; on this host until the leader confirms");
	} else {
		json_object_object_del(c->local_down, p->key);
		if (follower && c->state_pairs &&
		    json_object_object_get_ex(c->state_pairs, p->key, &st)) {
			if (json_object_object_get_ex(st, "factor", &v) &&
			    !xlb_check_factor("factor", json_object_get_int(v)))
				dec->new_factor = json_object_get_int(v);
			if (json_object_object_get_ex(st, "health", &v) &&
			    !xlb_check_health("health", json_object_get_int(v)))
				dec->new_health = json_object_get_int(v);
			snprintf(dec->reason + at, sizeof(dec->reason) - at,
				 "; %s",
				 dec->new_health == XLB_HEALTH_DOWN
					 ? "the leader's state keeps it "
					   "down"
					 : "back to the leader's state");
		}
	}
	if (follower)
		c->local_written = true;
	report(c);
	return true;
}

void xlbd_cluster_probe_failed(struct xlbd *d, struct xlbd_pair *p)
{
	struct cluster *c = of(d);

	if (c && c->role == ROLE_LEADER && reported_down(c, p->key))
		confirm(c, p);
}

void xlbd_cluster_tick(struct xlbd *d)
{
	struct cluster *c = of(d);

	if (!c)
		return;
	/* a pair removed from the configuration is no finding any more */
	json_object_object_foreach(c->local_down, key, v)
	{
		if (!xlbd_pair_find(d, key))
			json_object_object_del(c->local_down, key);
	}
	if (c->role == ROLE_LEADER) {
		publish(c);
		return;
	}
	/* the table of a pair this host's probes took down, rebuilt */
	if (c->local_written && !xlb_lock(d->xlb, APPLY_LOCK_TIMEOUT_MS)) {
		c->local_written = false;
		xlb_commit(d->xlb);
		xlb_unlock(d->xlb);
	}
	report(c);
}

void xlbd_cluster_metrics(const struct xlbd *d, FILE *f)
{
	const struct cluster *c = of(d);
	double now = xlbd_now();

	if (!c)
		return;
#define M(name, type, help, fmt, ...)                                        \
	fprintf(f,                                                           \
		"# HELP xlbd_cluster_" name " " help "\n# TYPE "             \
		"xlbd_cluster_" name " " type "\nxlbd_cluster_" name " " fmt \
		"\n",                                                        \
		__VA_ARGS__)
	M("connected", "gauge",
	  "1 while the last etcd request or watch message succeeded", "%d",
	  c->connected);
	M("etcd_unreachable_seconds", "gauge",
	  "since etcd stopped answering (0 while it answers)", "%.3f",
	  c->connected || c->last_ok <= 0 ? 0.0 : now - c->lost_since);
	M("leader", "gauge", "1 while this host leads", "%d",
	  c->role == ROLE_LEADER);
	M("has_lease", "gauge", "1 while this host holds a live lease", "%d",
	  c->lease != 0);
	M("applied_revision", "gauge",
	  "etcd revision of the state document this host's maps hold "
	  "(applied, or published as leader)",
	  "%" PRId64, c->applied_rev);
	M("seen_revision", "gauge", "newest state revision seen", "%" PRId64,
	  c->seen_rev);
	M("apply_lag_seconds", "gauge",
	  "last applied state: from its publication to its application", "%.6f",
	  isnan(c->apply_lag_s) ? 0.0 : c->apply_lag_s);
	M("applied_total", "counter", "state documents applied", "%" PRIu64,
	  c->applied);
	M("published_total", "counter", "state documents published as leader",
	  "%" PRIu64, c->publishes);
	M("stale_refused_total", "counter",
	  "state documents refused as older than the applied one", "%" PRIu64,
	  c->stale_refused);
	M("local_down", "gauge",
	  "pairs this host's probes hold down (reported under its host key)",
	  "%d", json_object_object_length(c->local_down));
	M("confirmed_total", "counter",
	  "leader: pairs another host reported down, confirmed by its probe",
	  "%" PRIu64, c->confirmed);
	M("unconfirmed_total", "counter",
	  "leader: reported down pairs its probe still reached", "%" PRIu64,
	  c->unconfirmed_reports);
	M("leader_changes_total", "counter", "leaders seen to change",
	  "%" PRIu64, c->leader_changes);
	M("elections_won_total", "counter", "times this host became leader",
	  "%" PRIu64, c->elections_won);
	M("etcd_errors_total", "counter", "failed etcd requests", "%" PRIu64,
	  c->errors);
	M("config_revision", "gauge",
	  "etcd revision of the operator's config the maps hold (0: this "
	  "host's own)",
	  "%" PRId64, c->config_rev);
	M("config_seen_revision", "gauge",
	  "newest config document seen in etcd (0: none)", "%" PRId64,
	  c->config_doc ? c->config_doc_rev : 0);
	M("config_ok", "gauge",
	  "0 while the newest config document is refused or waits", "%d",
	  !config_pending(c) && c->config_refused_rev <= c->config_rev);
	M("config_applied_total", "counter", "config documents applied",
	  "%" PRIu64, c->config_applied);
	M("config_refused_total", "counter",
	  "config documents refused (the last good one kept)", "%" PRIu64,
	  c->config_refused);
#undef M
	fprintf(f,
		"# HELP xlbd_cluster_info this host's cluster identity\n"
		"# TYPE xlbd_cluster_info gauge\n"
		"xlbd_cluster_info{host=\"%s\",role=\"%s\",leader=\"%s\","
		"digest=\"%s\"} 1\n",
		c->host, role_names[c->role], c->leader, c->digest);
}
