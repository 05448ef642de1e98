// SPDX-License-Identifier: GPL-2.0
/*
 * Scrapes of each backend's agent (xlb-agent, or a stock node_exporter):
 * Prometheus text over HTTP through libcurl multi, each with a hard limit
 * on time (scrape.timeout_s) and body size (scrape.max_bytes: a longer
 * body aborts the transfer). A good body goes to the node-signals tracker
 * (user/prom/node_signals.h), which turns successive scrapes into CPU,
 * memory, load and the service's latency and failures; a target that
 * serves garbage, too much, hangs or resets is logged and its signals age
 * until the core marks them stale. Nothing here blocks the loop.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "xlbd.h"

#ifdef XLBD_HAVE_NODE_SIGNALS
#include "node_signals.h"

/* The body into the pair's tracker: rates against its last good scrape. */
static int feed(struct xlbd_pair *p, char *why, size_t whylen)
{
	struct xlbd_scrape *s = &p->scrape;
	struct xlb_node_signals sig;
	int ret;

	if (!s->signals)
		s->signals = xlb_signal_tracker_create();
	if (!s->signals) {
		snprintf(why, whylen, "out of memory");
		return -ENOMEM;
	}
	ret = xlb_signal_tracker_feed(s->signals, s->body ? s->body : "",
				      s->len, xlbd_now(), &sig, why, whylen);
	if (ret)
		return ret;
	if (sig.source == XLB_SIGNAL_SOURCE_UNKNOWN) {
		snprintf(why, whylen,
			 "neither xlb-agent nor node_exporter series in %zu "
			 "bytes",
			 s->len);
		return -EINVAL;
	}
	s->cpu_util = sig.cpu_util;
	s->mem_util = sig.mem_util;
	s->load1 = sig.load1;
	s->service_latency_s = sig.service_latency_s;
	s->service_latency_last_s = sig.service_latency_last_s;
	s->service_fail_ratio = sig.service_fail_ratio;
	return 0;
}
#endif

void xlbd_scrape_release(struct xlbd_pair *p)
{
#ifdef XLBD_HAVE_NODE_SIGNALS
	xlb_signal_tracker_destroy(p->scrape.signals);
#endif
	p->scrape.signals = NULL;
	free(p->scrape.body);
	p->scrape.body = NULL;
}

static size_t on_body(char *ptr, size_t size, size_t n, void *arg)
{
	struct xlbd_pair *p = arg;
	struct xlbd_scrape *s = &p->scrape;
	size_t len = size * n, max = p->d->cfg.scrape_max_bytes;

	if (s->len + len > max) {
		s->too_big = true;
		return 0; /* aborts: CURLE_WRITE_ERROR */
	}
	if (s->len + len + 1 > s->cap) {
		size_t cap = s->cap ? s->cap : 16384;
		char *grown;

		while (cap < s->len + len + 1)
			cap *= 2;
		grown = realloc(s->body, cap);
		if (!grown)
			return 0;
		s->body = grown;
		s->cap = cap;
	}
	memcpy(s->body + s->len, ptr, len);
	s->len += len;
	s->body[s->len] = 0;
	return len;
}

static void scrape_url(const struct xlbd *d, const struct xlbd_pair *p,
		       char *url, size_t len)
{
	const char *tmpl = d->cfg.scrape_url, *at = strstr(tmpl, "BACKEND");
	char host[XLB_ADDR_STRLEN + 2];

	if (p->info.be.family == AF_INET6)
		snprintf(host, sizeof(host), "[%s]", p->addr_text);
	else
		snprintf(host, sizeof(host), "%s", p->addr_text);
	if (!at)
		snprintf(url, len, "%s", tmpl);
	else
		snprintf(url, len, "%.*s%s%s", (int)(at - tmpl), tmpl, host,
			 at + strlen("BACKEND"));
}

/* One scrape per backend address: pairs of several VIPs share it. */
static struct xlbd_pair *first_of_backend(struct xlbd *d, struct xlbd_pair *p)
{
	(void)d; /* collect.c finds it when the pairs change */
	return p->scrape_owner ? p->scrape_owner : p;
}

static int start(struct xlbd *d, struct xlbd_pair *p)
{
	CURL *easy = curl_easy_init();
	char url[512];

	if (!easy)
		return -ENOMEM;
	scrape_url(d, p, url, sizeof(url));
	p->scrape.len = 0;
	p->scrape.too_big = false;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, p);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, p);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
			 (long)(d->cfg.scrape_timeout_s * 1000 + 0.5));
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_PROXY, "");
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "xlbd-scrape");
	curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE,
			 (curl_off_t)d->cfg.scrape_max_bytes);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	p->scrape.curl = easy;
	if (xlbd_curl_add(d, easy)) {
		curl_easy_cleanup(easy);
		p->scrape.curl = NULL;
		return -EIO;
	}
	return 0;
}

void xlbd_scrape_run(struct xlbd *d, double now)
{
	if (!d->cfg.scrape_enabled || d->cfg.prometheus_url[0])
		return;
	for (size_t i = 0; i < d->n_pairs; i++) {
		struct xlbd_pair *p = d->pairs[i];

		if (p->scrape.curl || p->scrape.next_due > now ||
		    first_of_backend(d, p) != p)
			continue;
		p->scrape.next_due = now + d->cfg.scrape_interval_s;
		if (start(d, p))
			snprintf(p->scrape.last_error,
				 sizeof(p->scrape.last_error),
				 "could not start a transfer");
	}
}

void xlbd_scrape_stop(struct xlbd *d, struct xlbd_pair *p)
{
	if (!p->scrape.curl)
		return;
	xlbd_curl_remove(d, p->scrape.curl);
	p->scrape.curl = NULL;
}

static void failed(struct xlbd *d, struct xlbd_pair *p, const char *why)
{
	struct xlbd_scrape *s = &p->scrape;
	bool same = !strcmp(s->last_error, why);

	s->failures++;
	d->scrape_errors++;
	snprintf(s->last_error, sizeof(s->last_error), "%s", why);
	/* Once per kind of failure, not once per second. */
	if (!same)
		xlbd_log(d, "warn", "scrape of %s: %s (its signals go stale)",
			 p->addr_text, why);
}

void xlbd_scrape_done(struct xlbd *d, struct xlbd_pair *p, int curl_code,
		      long status)
{
	struct xlbd_scrape *s = &p->scrape;
	char why[160];
	int ret = 0;

	xlbd_scrape_stop(d, p);
	if (s->too_big || curl_code == CURLE_FILESIZE_EXCEEDED) {
		snprintf(why, sizeof(why), "body over scrape.max_bytes (%zu)",
			 d->cfg.scrape_max_bytes);
		failed(d, p, why);
		return;
	}
	if (curl_code != CURLE_OK) {
		failed(d, p, curl_easy_strerror((CURLcode)curl_code));
		return;
	}
	if (status != 200) {
		snprintf(why, sizeof(why), "HTTP status %ld", status);
		failed(d, p, why);
		return;
	}
#ifdef XLBD_HAVE_NODE_SIGNALS
	ret = feed(p, why, sizeof(why));
#else
	snprintf(why, sizeof(why), "no Prometheus text parser built in");
	ret = -ENOTSUP;
#endif
	if (ret) {
		failed(d, p, why);
		return;
	}
	if (s->last_error[0])
		xlbd_log(d, "info", "scrape of %s: good again", p->addr_text);
	s->last_error[0] = 0;
	s->last_good = xlbd_now();
}

void xlbd_scrape_obs(struct xlbd *d, struct xlbd_pair *p, double now,
		     struct xlb_brain_obs *obs)
{
	const struct xlbd_scrape *s = &first_of_backend(d, p)->scrape;

	obs->metrics_age_s = s->last_good ? now - s->last_good : INFINITY;
	obs->cpu_util = s->cpu_util;
	obs->mem_util = s->mem_util;
	obs->load1 = s->load1;
	obs->service_latency_s = s->service_latency_s;
	obs->service_latency_last_s = s->service_latency_last_s;
	obs->service_fail_ratio = s->service_fail_ratio;
}
