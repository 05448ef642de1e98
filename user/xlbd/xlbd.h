/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlbd, the brain's imperative shell: one epoll loop that owns the pinned
 * maps' handle, runs probes and scrapes on non-blocking sockets (libcurl
 * multi), and each tick collects a snapshot, hands it to the pure core
 * (core/brain.h), applies the plan through libxlb, logs, stores and
 * exports it. One stage per file; this header is what they share.
 */
#ifndef XLBD_H
#define XLBD_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/epoll.h>

#include "xlb.h"
#include "core/brain.h"
#include "config.h"

/* Something the loop watches: an fd in epoll and what to call. */
struct xlbd_watch {
	int fd;
	void (*fn)(struct xlbd_watch *watch, uint32_t events);
};

struct xlbd;

/* One probe of one pair, in flight or waiting for its time. */
struct xlbd_probe {
	enum xlbd_probe_kind kind;
	double next_due; /* monotonic seconds */
	double started;	 /* 0: none in flight */
	double deadline;
	/* results in a row against the pair's health: a fall or rise */
	unsigned int against;
	struct xlbd_watch watch; /* TCP: the connecting socket */
	void *curl;		 /* HTTP: the easy handle in flight */
	/* this tick, for the snapshot */
	unsigned int tick_ok, tick_failed;
	double tick_latency_sum;
	/* since start, for /metrics */
	uint64_t total_ok, total_failed;
	double last_latency_s; /* NAN before the first success */
	char last_error[96];
};

/* The agent's scrape of one pair's backend. */
struct xlbd_scrape {
	double next_due;
	void *curl; /* in flight */
	char *body;
	size_t len, cap;
	bool too_big;
	double last_good; /* monotonic; 0 never */
	uint64_t failures;
	char last_error[128];
	void *signals; /* node_signals tracker (user/prom/node_signals.h) */
	double cpu_util, mem_util, load1, service_latency_s, service_fail_ratio;
	double service_latency_last_s;
};

/* One (VIP, backend) pair as the daemon tracks it. */
struct xlbd_pair {
	char key[XLB_BRAIN_KEY_MAX]; /* "VIP BACKEND" */
	char vip_text[XLB_VIP_STRLEN];
	char addr_text[XLB_ADDR_STRLEN];
	struct xlb_pair_info info; /* as the maps hold it, last read */
	size_t vip;		   /* index into xlbd.vips */
	size_t idx;		   /* index into xlbd.pairs */
	struct xlbd *d;
	/* The pair whose scrape serves this backend (NULL: this one). */
	struct xlbd_pair *scrape_owner;
	bool seen; /* in this tick's list of the maps */
	/* counters, for rates */
	struct xlb_pair_counters prev;
	double prev_t;
	bool have_prev;
	struct xlb_brain_obs obs;
	struct xlb_brain_pair_out out;
	bool have_out;
	struct xlbd_probe probe;
	struct xlbd_scrape scrape;
};

struct xlbd_vip {
	char key[XLB_VIP_STRLEN];
	struct xlb_vip_key vip;
	__u32 id; /* index into xlb_vip_stats, from the last list */
	struct xlb_vip_counters prev;
	double prev_t;
	bool have_prev;
	double demand_per_s;
	struct xlb_brain_vip_out out;
	bool have_out;
	const struct xlbd_vip_config *conf; /* NULL: the defaults */
};

/* Per-stage timings of the last tick, seconds, and their running totals. */
enum xlbd_stage {
	XLBD_STAGE_COLLECT,
	XLBD_STAGE_FEATURES,
	XLBD_STAGE_MODELS,
	XLBD_STAGE_POLICY,
	XLBD_STAGE_APPLY,
	XLBD_STAGE_LOG,
	XLBD_STAGE_STORE,
	XLBD_STAGE_METRICS,
	XLBD_STAGE_N,
};

struct xlbd_options {
	const char *config_path;
	bool config_given; /* --config: a missing file is an error */
	const char *pin_dir;
	const char *state_dir;
	const char *metrics_listen;
	bool dry_run, once, foreground;
	enum xlbd_log_format log_format;
	bool log_format_given;
};

struct xlbd {
	struct xlbd_options opt;
	struct xlbd_config cfg;
	struct xlb *xlb;
	struct xlb_brain *brain;
	int epfd;
	/*
	 * The events epoll_wait returned and not yet dispatched: a handler
	 * that deletes a watch (curl closing a socket, a probe ending) clears
	 * it there, so a later event of the same batch never reaches freed
	 * memory.
	 */
	struct epoll_event *pending;
	int n_pending;
	struct xlbd_watch tick_timer, probe_timer, signal_watch;
	double probe_timer_at; /* monotonic: when probe_timer fires */
	double start_mono;
	double next_tick; /* monotonic: when the tick is due */
	uint64_t ticks;
	bool stop, reload;

	struct xlbd_pair **pairs;
	size_t n_pairs;
	struct xlbd_vip *vips;
	size_t n_vips;
	struct xlb_stats stats;
	/*
	 * The maps' pairs and VIPs as read this tick, and what the pairs
	 * above were built from (pair entries, VIPs): read again each tick,
	 * rebuilt only when those differ (collect.c).
	 */
	struct xlb_slots slots;
	struct xlb_backend *index_be;
	struct xlb_vip_entry *index_vips;
	size_t index_n_vips;
	struct xlbd_pair **by_slot; /* pair id -> pair, NULL: none */
	uint64_t index_rebuilds;

	struct xlb_brain_snapshot snap;
	struct xlb_brain_pair_in *snap_pairs;
	struct xlb_brain_vip_in *snap_vips;
	struct xlb_brain_plan plan;

	/* measured */
	double stage_s[XLBD_STAGE_N];
	double stage_total_s[XLBD_STAGE_N];
	double tick_s, tick_lateness_s, tick_lateness_max_s;
	double log_s; /* decision logging this tick, apart from apply's */
	uint64_t ticks_late; /* later than half a period */
	uint64_t decisions_by_rule[XLB_RULE_N];
	uint64_t probe_transitions;
	uint64_t apply_errors, reloads, reload_errors, scrape_errors;

	/* the modules' */
	void *curl_multi;
	void *promql; /* scrape_prom.c */
	struct xlbd_watch curl_timer;
	void *http;
	char *metrics_text;
	size_t metrics_len;
	void *store;
	FILE *decision_log;
	void *hooks; /* scale_hook.c */
	uint64_t hook_changes, hook_runs, hook_failures;
	void *cluster;	/* cluster.c: NULL when running alone */
	void *announce; /* announce.c: NULL without announce.vip */
};

/* loop.c */
extern enum xlbd_log_format xlbd_log_format;
const char *xlbd_stage_name(enum xlbd_stage s);
double xlbd_now(void);	  /* CLOCK_MONOTONIC seconds */
double xlbd_wall(void);	  /* CLOCK_REALTIME seconds */
bool xlbd_log_json(void); /* stderr in JSON lines */
void xlbd_log(struct xlbd *d, const char *level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int xlbd_watch_add(struct xlbd *d, struct xlbd_watch *w, uint32_t events);
int xlbd_watch_mod(struct xlbd *d, struct xlbd_watch *w, uint32_t events);
void xlbd_watch_del(struct xlbd *d, struct xlbd_watch *w);

/* collect.c: the maps' pairs and counters, and the snapshot */
int xlbd_collect_pairs(struct xlbd *d);
int xlbd_collect(struct xlbd *d, double now);
void xlbd_pairs_free(struct xlbd *d);
struct xlbd_pair *xlbd_pair_find(struct xlbd *d, const char *key);

/* probe.c: the scheduler; probe_tcp.c, probe_http.c: the kinds */
int xlbd_probe_init(struct xlbd *d);
void xlbd_probe_fini(struct xlbd *d);
/* Starts every probe due before `until`, and re-arms the probe timer. */
void xlbd_probe_run(struct xlbd *d, double now, double until);
void xlbd_probe_stop(struct xlbd *d, struct xlbd_pair *p);
void xlbd_probe_soon(struct xlbd *d, struct xlbd_pair *p);
void xlbd_probe_done(struct xlbd *d, struct xlbd_pair *p, bool ok,
		     const char *error);
const struct xlbd_probe_config *xlbd_probe_conf(const struct xlbd *d,
						const struct xlbd_pair *p);
/* The backend's address at the probe's port (probe.port, else the VIP's). */
socklen_t xlbd_probe_target(const struct xlbd *d, const struct xlbd_pair *p,
			    struct sockaddr_storage *ss);
int xlbd_probe_tcp_start(struct xlbd *d, struct xlbd_pair *p);
int xlbd_probe_udp_start(struct xlbd *d, struct xlbd_pair *p);
void xlbd_probe_tcp_cancel(struct xlbd *d, struct xlbd_pair *p);
int xlbd_probe_http_start(struct xlbd *d, struct xlbd_pair *p);
void xlbd_probe_http_done(struct xlbd *d, struct xlbd_pair *p, int curl_code,
			  long status);

/* curl.c: libcurl multi on the loop, for HTTP probes and scrapes */
int xlbd_curl_init(struct xlbd *d);
void xlbd_curl_fini(struct xlbd *d);
int xlbd_curl_add(struct xlbd *d, void *easy);
void xlbd_curl_remove(struct xlbd *d, void *easy);

/* scrape.c: agents' metrics */
void xlbd_scrape_run(struct xlbd *d, double now);
void xlbd_scrape_stop(struct xlbd *d, struct xlbd_pair *p);
void xlbd_scrape_release(struct xlbd_pair *p);
void xlbd_scrape_done(struct xlbd *d, struct xlbd_pair *p, int curl_code,
		      long status);
/* Fills the agent's fields of obs from the last good scrape. */
void xlbd_scrape_obs(struct xlbd *d, struct xlbd_pair *p, double now,
		     struct xlb_brain_obs *obs);

/* scrape_prom.c: a Prometheus server's instant queries instead of agents */
bool xlbd_promql_enabled(const struct xlbd *d);
void xlbd_promql_run(struct xlbd *d, double now);
int xlbd_promql_done(struct xlbd *d, void *easy, int code, long status);
void xlbd_promql_free(struct xlbd *d);

/* apply.c */
int xlbd_apply_plan(struct xlbd *d);
int xlbd_apply_probe(struct xlbd *d, struct xlbd_pair *p,
		     struct xlb_brain_decision *dec);

/* decision_log.c */
int xlbd_decision_log_open(struct xlbd *d);
void xlbd_decision_log_close(struct xlbd *d);
/* One decision as its JSON line (no newline); returns the string to free. */
char *xlbd_decision_json(double wall, const char *vip, const char *backend,
			 const struct xlb_brain_decision *dec, bool dry_run,
			 bool applied);
void xlbd_decision_log(struct xlbd *d, const struct xlbd_pair *p,
		       const struct xlb_brain_decision *dec, bool applied);

/* metrics.c: the /metrics text; http.c: the listener */
char *xlbd_metrics_render(const struct xlbd *d, size_t *len);
int xlbd_http_start(struct xlbd *d);
void xlbd_http_stop(struct xlbd *d);
void xlbd_http_run(struct xlbd *d);

/* store.c: SQLite history and the brain's saved state */
int xlbd_store_open(struct xlbd *d);
void xlbd_store_close(struct xlbd *d);
int xlbd_store_tick(struct xlbd *d, double wall);
/* Ticks queued for the history writer before one is dropped. */
#define XLBD_STORE_QUEUE_TICKS 60
/* Wait until the writer thread has written everything queued. */
void xlbd_store_sync(struct xlbd *d);
int xlbd_store_decision(struct xlbd *d, double wall, const char *json,
			const struct xlbd_pair *p,
			const struct xlb_brain_decision *dec);
int xlbd_store_load_brain(struct xlbd *d);

/*
 * spawn.c: a child detached from xlbd's signals, descriptors and process
 * group; its stdout and stderr on out_fd (-1: xlbd's). Returns 0 or an
 * errno from posix_spawnp.
 */
int xlbd_spawn(char *const argv[], int out_fd, bool sigpipe_default,
	       pid_t *pid);

/* scale_hook.c: capacity.hook when a VIP's desired count changes */
void xlbd_scale_hook_tick(struct xlbd *d, double now);
void xlbd_scale_hook_fini(struct xlbd *d);

/* announce.c: the route announcer (announce.*) as a child */
int xlbd_announce_start(struct xlbd *d);
/* SIGTERM (it withdraws the route), a bounded wait, then SIGKILL. */
void xlbd_announce_stop(struct xlbd *d);
/* After a reload: restarted with the new keys when one changed. */
int xlbd_announce_reconfigure(struct xlbd *d);
void xlbd_announce_metrics(const struct xlbd *d, FILE *f);

/* notify.c: systemd */
void xlbd_notify(const char *state);

#endif
