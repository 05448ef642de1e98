// SPDX-License-Identifier: GPL-2.0
/*
 * Signals from a Prometheus server instead of per-backend agents: with
 * prometheus.url set, one instant query (/api/v1/query) per configured
 * signal every scrape.interval_s, through libcurl multi and bounded as a
 * scrape is. Each sample of the result vector is matched to the backends
 * by the host of its "instance" label ("10.0.0.11:9100" or
 * "[fd00::11]:9100"), so one query serves the whole fleet, e.g.
 *   "cpu_util": "1 - avg by (instance) (rate(node_cpu_seconds_total{mode=\"idle\"}[30s]))"
 * A failed query is logged once per kind and its signal ages as a failed
 * scrape does.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "xlbd.h"

#ifdef XLBD_HAVE_NODE_SIGNALS
#include "node_signals.h"
#endif

struct query {
	CURL *curl;
	char *body;
	size_t len, cap;
	bool too_big;
	double next_due;
	char last_error[160];
};

struct promql_state {
	struct query q[XLBD_SIG_N];
	size_t max_bytes;
};

bool xlbd_promql_enabled(const struct xlbd *d)
{
	return d->cfg.prometheus_url[0] != 0;
}

#ifdef XLBD_HAVE_NODE_SIGNALS
static size_t on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct query *q = arg;
	size_t len = size * n;

	if (q->len + len + 1 > q->cap) {
		size_t cap = q->cap ? q->cap * 2 : 16384;
		char *grown;

		while (cap < q->len + len + 1)
			cap *= 2;
		grown = realloc(q->body, cap);
		if (!grown)
			return 0;
		q->body = grown;
		q->cap = cap;
	}
	memcpy(q->body + q->len, ptr, len);
	q->len += len;
	q->body[q->len] = 0;
	return len;
}

static double *signal_field(struct xlbd_scrape *s, int sig)
{
	switch (sig) {
	case XLBD_SIG_CPU_UTIL:
		return &s->cpu_util;
	case XLBD_SIG_MEM_UTIL:
		return &s->mem_util;
	case XLBD_SIG_LOAD1:
		return &s->load1;
	case XLBD_SIG_SERVICE_LATENCY:
		return &s->service_latency_s;
	case XLBD_SIG_SERVICE_LATENCY_LAST:
		return &s->service_latency_last_s;
	default:
		return &s->service_fail_ratio;
	}
}

/* "10.0.0.11:9100" -> "10.0.0.11", "[fd00::11]:9100" -> "fd00::11". */
static void instance_host(const char *inst, char *host, size_t len)
{
	const char *end;

	if (inst[0] == '[') {
		end = strchr(inst, ']');
		snprintf(host, len, "%.*s",
			 (int)(end ? end - inst - 1 : (long)strlen(inst + 1)),
			 inst + 1);
		return;
	}
	end = strrchr(inst, ':');
	if (end && strchr(inst, ':') == end)
		snprintf(host, len, "%.*s", (int)(end - inst), inst);
	else
		snprintf(host, len, "%s", inst);
}
#endif

static void failed(struct xlbd *d, struct query *q, int sig, const char *why)
{
	d->scrape_errors++;
	if (strcmp(q->last_error, why))
		xlbd_log(d, "warn",
			 "prometheus query for %s: %s (its values go stale)",
			 xlbd_prom_signal_names[sig], why);
	snprintf(q->last_error, sizeof(q->last_error), "%s", why);
}

void xlbd_promql_run(struct xlbd *d, double now)
{
#ifdef XLBD_HAVE_NODE_SIGNALS
	struct promql_state *st = d->promql;

	if (!xlbd_promql_enabled(d))
		return;
	if (!st) {
		st = d->promql = calloc(1, sizeof(*st));
		if (!st)
			return;
	}
	for (int i = 0; i < XLBD_SIG_N; i++) {
		struct query *q = &st->q[i];
		char url[4096], *esc;

		if (!d->cfg.promql[i] || q->curl || q->next_due > now)
			continue;
		q->next_due = now + d->cfg.scrape_interval_s;
		q->curl = curl_easy_init();
		if (!q->curl)
			continue;
		esc = curl_easy_escape(q->curl, d->cfg.promql[i], 0);
		snprintf(url, sizeof(url), "%s/api/v1/query?query=%s",
			 d->cfg.prometheus_url, esc ? esc : "");
		curl_free(esc);
		q->len = 0;
		curl_easy_setopt(q->curl, CURLOPT_URL, url);
		curl_easy_setopt(q->curl, CURLOPT_PRIVATE, NULL);
		curl_easy_setopt(q->curl, CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(q->curl, CURLOPT_WRITEDATA, q);
		curl_easy_setopt(q->curl, CURLOPT_TIMEOUT_MS,
				 (long)(d->cfg.scrape_timeout_s * 1000 + 0.5));
		curl_easy_setopt(q->curl, CURLOPT_MAXFILESIZE_LARGE,
				 (curl_off_t)d->cfg.scrape_max_bytes);
		curl_easy_setopt(q->curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(q->curl, CURLOPT_PROXY, "");
		if (xlbd_curl_add(d, q->curl)) {
			curl_easy_cleanup(q->curl);
			q->curl = NULL;
		}
	}
#else
	(void)d;
	(void)now;
#endif
}

/* 1 when easy is one of the queries (and it is handled), else 0. */
int xlbd_promql_done(struct xlbd *d, void *easy, int code, long status)
{
	struct promql_state *st = d->promql;
	char why[256];

	for (int i = 0; st && i < XLBD_SIG_N; i++) {
		struct query *q = &st->q[i];

		if (q->curl != easy)
			continue;
		xlbd_curl_remove(d, easy);
		q->curl = NULL;
		if (code != CURLE_OK) {
			failed(d, q, i, curl_easy_strerror((CURLcode)code));
			return 1;
		}
		if (status != 200) {
			snprintf(why, sizeof(why), "HTTP status %ld", status);
			failed(d, q, i, why);
			return 1;
		}
#ifdef XLBD_HAVE_NODE_SIGNALS
		struct xlb_promql_vector v = { 0 };
		double now = xlbd_now();
		size_t matched = 0;

		if (xlb_promql_parse_vector(q->body ? q->body : "", q->len, &v,
					    why, sizeof(why))) {
			failed(d, q, i, why);
			return 1;
		}
		for (size_t k = 0; k < v.n; k++) {
			const char *inst = xlb_promql_label(&v.samples[k], "ins"
									   "tan"
									   "c"
									   "e");
			char host[XLB_ADDR_STRLEN + 8];

			if (!inst)
				continue;
			instance_host(inst, host, sizeof(host));
			for (size_t j = 0; j < d->n_pairs; j++) {
				struct xlbd_pair *p = d->pairs[j];

				if (strcmp(p->addr_text, host))
					continue;
				*signal_field(&p->scrape, i) =
					v.samples[k].value;
				p->scrape.last_good = now;
				matched++;
			}
		}
		xlb_promql_vector_free(&v);
		if (!matched && d->n_pairs) {
			snprintf(why, sizeof(why),
				 "no sample's instance label names a backend");
			failed(d, q, i, why);
			return 1;
		}
		q->last_error[0] = 0;
#endif
		return 1;
	}
	return 0;
}

void xlbd_promql_free(struct xlbd *d)
{
	struct promql_state *st = d->promql;

	for (int i = 0; st && i < XLBD_SIG_N; i++) {
		if (st->q[i].curl)
			xlbd_curl_remove(d, st->q[i].curl);
		free(st->q[i].body);
	}
	free(st);
	d->promql = NULL;
}
