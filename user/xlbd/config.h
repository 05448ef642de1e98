/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlbd's configuration: a JSON file (json-c) with the brain's knobs and
 * the shell's (probes, scrapes, history, log). Parsed whole into a new
 * struct, checked, and only then swapped in: a SIGHUP with a broken file
 * keeps the old one. Unknown keys and bad values are refused with the
 * file, the line and the key path ("xlbd.conf:7: brain.anomaly_k: ...").
 */
#ifndef XLBD_CONFIG_H
#define XLBD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/brain.h"

#define XLBD_CONFIG_DEFAULT "/etc/xlb/xlbd.conf"
#define XLBD_STATE_DIR_DEFAULT "/var/lib/xlb"
#define XLBD_METRICS_LISTEN_DEFAULT "127.0.0.1:9469"
#define XLBD_SCRAPE_URL_DEFAULT "http://BACKEND:9470/metrics"

enum xlbd_probe_kind {
	XLBD_PROBE_TCP,
	XLBD_PROBE_HTTP,
	XLBD_PROBE_NONE,
	XLBD_PROBE_UDP, /* a datagram out, any datagram back */
};

enum xlbd_log_format {
	XLBD_LOG_TEXT,
	XLBD_LOG_JSON,
};

struct xlbd_probe_config {
	enum xlbd_probe_kind kind;  /* tcp (udp VIPs: none) */
	unsigned int port;	    /* 0: the VIP's port */
	double interval_s;	    /* 0.1 */
	double jitter;		    /* 0.2 of the interval, either way */
	double fast_interval_s;	    /* 0.02: while a fall or rise runs */
	double timeout_s;	    /* 0.25 */
	char http_path[256];	    /* "/" */
	unsigned int http_status;   /* 200 */
	char udp_payload[256];	    /* "xlb-probe" */
	char udp_payload_hex[1025]; /* "": udp_payload; else these bytes */
};

struct xlbd_vip_config {
	char vip[64]; /* as xlb_parse_vip takes it */
	struct xlbd_probe_config probe;
};

/* Signals a Prometheus server gives instead of per-backend agents. */
enum xlbd_prom_signal {
	XLBD_SIG_CPU_UTIL,
	XLBD_SIG_MEM_UTIL,
	XLBD_SIG_LOAD1,
	XLBD_SIG_SERVICE_LATENCY,
	XLBD_SIG_SERVICE_LATENCY_LAST,
	XLBD_SIG_SERVICE_FAIL_RATIO,
	XLBD_SIG_N,
};

struct xlbd_config {
	struct xlb_brain_config brain;
	struct xlbd_probe_config probe; /* every VIP not in vips */
	struct xlbd_vip_config *vips;
	size_t n_vips;
	/* agents */
	bool scrape_enabled;	  /* true */
	char scrape_url[256];	  /* BACKEND is replaced by the address */
	double scrape_interval_s; /* 1.0 */
	double scrape_timeout_s;  /* 0.5 */
	size_t scrape_max_bytes;  /* 4 MiB */
	/* or a Prometheus server: its URL and one PromQL per signal */
	char prometheus_url[256]; /* "": none */
	char *promql[XLBD_SIG_N];
	/* history */
	bool store_enabled;	 /* true */
	double retention_s;	 /* 86400 */
	double raw_retention_s;	 /* 600: per-tick samples */
	double retention_10s_s;	 /* 3600: 10 s aggregates */
	double retention_1m_s;	 /* 21600: 1 min aggregates */
	unsigned int save_every; /* 1: ticks between brain state saves */
	/* log */
	enum xlbd_log_format log_format; /* text */
	/* the scale hook: argv with {vip} {current} {desired}; none */
	char **capacity_hook;
	size_t capacity_hook_n;
	double capacity_hook_timeout_s; /* 30 */
	/* scale-out (cluster.c): "" runs alone; a reload changing one rejoins */
	char cluster_etcd[512];		  /* endpoints, comma-separated */
	char cluster_prefix[128];	  /* "/xlb/default" */
	char cluster_host_id[64];	  /* "": the host name */
	unsigned int cluster_lease_ttl_s; /* 2 */
	/* route announcement (announce.c): "" vip runs no helper */
	char announce_vip[64];		 /* one VIP, ADDR:PORT/tcp|udp */
	char announce_dev[32];		 /* the interface xlb is attached to */
	char announce_birdc_socket[256]; /* "/run/bird/bird.ctl" */
	char announce_protocol[64];	 /* "xlb_vips" */
	unsigned int announce_interval_ms; /* 200 */
	char announce_path[256];	   /* "xlb-announce", found in PATH */
};

extern const char *const xlbd_prom_signal_names[XLBD_SIG_N];

void xlbd_config_default(struct xlbd_config *cfg);
void xlbd_config_free(struct xlbd_config *cfg);
/* Moves src into dst (dst freed first); src is left empty. */
void xlbd_config_move(struct xlbd_config *dst, struct xlbd_config *src);
/*
 * Parses text (name is how messages call the file) into cfg, which starts
 * from the defaults. 0, or -EINVAL with err "name:line: key.path: why".
 */
int xlbd_config_parse(const char *name, const char *text, size_t len,
		      struct xlbd_config *cfg, char *err, size_t errlen);
/* Reads and parses a file; -ENOENT when it does not exist. */
int xlbd_config_load(const char *path, struct xlbd_config *cfg, char *err,
		     size_t errlen);
/* The probe settings of a VIP ("10.0.0.1:80/tcp"). */
const struct xlbd_probe_config *xlbd_config_probe(const struct xlbd_config *cfg,
						  const char *vip);
/* Every key with its default, one per line, for --help and the man page. */
void xlbd_config_print_keys(FILE *out);

#endif
