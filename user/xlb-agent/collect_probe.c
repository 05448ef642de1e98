// SPDX-License-Identifier: GPL-2.0
/*
 * The local service probe (--probe): its own thread, one probe every
 * --probe-interval with --probe-timeout, so a scrape never waits on the
 * service; the scrape copies the last result, its age and the histogram.
 * http:// and https:// go through libcurl (a 2xx or 3xx answer is a
 * success); tcp://HOST:PORT is a connect.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

/* Seconds; a local service answers in well under a millisecond when idle
 * and the interesting range is where it saturates. */
static const double bounds[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
				 0.05,	 0.1,	0.25,	0.5,   1,    2.5 };
enum { N_BOUNDS = sizeof(bounds) / sizeof(bounds[0]) };

struct probe {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop, started;
	bool tcp;
	char host[256], port[16];
	CURL *curl;
	double interval, timeout;
	/* results, under lock */
	unsigned long long buckets[N_BOUNDS]; /* not cumulative */
	unsigned long long count, probes, failures;
	double sum, last_duration, last_time;
	int last_ok;
};

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static bool probe_tcp(struct probe *p)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	bool ok = false;

	if (getaddrinfo(p->host, p->port, &hints, &res))
		return false;
	for (ai = res; ai && !ok; ai = ai->ai_next) {
		int fd = socket(ai->ai_family,
				ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				0);
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };
		int err = 0;
		socklen_t len = sizeof(err);

		if (fd < 0)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			ok = true;
		else if (errno == EINPROGRESS &&
			 poll(&pfd, 1, (int)(p->timeout * 1000)) == 1 &&
			 !getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) &&
			 err == 0)
			ok = true;
		close(fd);
	}
	freeaddrinfo(res);
	return ok;
}

static bool probe_http(struct probe *p)
{
	long code = 0;

	if (curl_easy_perform(p->curl) != CURLE_OK)
		return false;
	curl_easy_getinfo(p->curl, CURLINFO_RESPONSE_CODE, &code);
	return code >= 200 && code < 400;
}

static void *probe_loop(void *arg)
{
	struct probe *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		pthread_mutex_unlock(&p->lock);
		double start = agent_now();
		bool ok = p->tcp ? probe_tcp(p) : probe_http(p);
		double end = agent_now(), d = end - start;
		struct timespec until;

		pthread_mutex_lock(&p->lock);
		p->probes++;
		p->last_ok = ok;
		p->last_time = end;
		p->last_duration = d;
		if (ok) {
			size_t b = 0;

			while (b < N_BOUNDS && d > bounds[b])
				b++;
			if (b < N_BOUNDS)
				p->buckets[b]++;
			p->count++;
			p->sum += d;
		} else {
			p->failures++;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		double next = until.tv_sec + until.tv_nsec / 1e9 +
			      (p->interval > d ? p->interval - d : 0);

		until.tv_sec = (time_t)next;
		until.tv_nsec = (long)((next - (double)until.tv_sec) * 1e9);
		while (!p->stop &&
		       pthread_cond_timedwait(&p->wake, &p->lock, &until) == 0)
			;
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

int probe_start(struct agent *a)
{
	const char *url = a->cfg.probe_url;
	struct probe *p = calloc(1, sizeof(*p));
	pthread_condattr_t attr;
	CURLU *u = NULL;
	char *host = NULL, *port = NULL, *scheme = NULL;
	int rc = -1;

	if (!p) {
		snprintf(a->err, sizeof(a->err), "out of memory");
		return -1;
	}
	p->interval = a->cfg.probe_interval_s;
	p->timeout = a->cfg.probe_timeout_s;
	u = curl_url();
	if (!u ||
	    curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0)) {
		snprintf(a->err, sizeof(a->err),
			 "--probe %s: not a URL (http://HOST[:PORT]/PATH or "
			 "tcp://HOST:PORT)",
			 url);
		goto out;
	}
	if (!strcmp(scheme, "tcp")) {
		if (curl_url_get(u, CURLUPART_PORT, &port, 0)) {
			snprintf(a->err, sizeof(a->err),
				 "--probe %s: tcp:// needs a port", url);
			goto out;
		}
		p->tcp = true;
		/* curl keeps the brackets of an IPv6 literal */
		snprintf(p->host, sizeof(p->host), "%.*s",
			 (int)strlen(host) - (host[0] == '[' ? 2 : 0),
			 host + (host[0] == '['));
		snprintf(p->port, sizeof(p->port), "%s", port);
	} else if (!strcmp(scheme, "http") || !strcmp(scheme, "https")) {
		p->curl = curl_easy_init();
		if (!p->curl) {
			snprintf(a->err, sizeof(a->err),
				 "curl_easy_init failed");
			goto out;
		}
		curl_easy_setopt(p->curl, CURLOPT_URL, url);
		curl_easy_setopt(p->curl, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(p->curl, CURLOPT_TIMEOUT_MS,
				 (long)(p->timeout * 1000));
		curl_easy_setopt(p->curl, CURLOPT_WRITEFUNCTION, discard);
		curl_easy_setopt(p->curl, CURLOPT_PROXY, "");
	} else {
		snprintf(a->err, sizeof(a->err),
			 "--probe %s: scheme '%s' is not http, https or tcp",
			 url, scheme);
		goto out;
	}
	pthread_mutex_init(&p->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&p->wake, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&p->thread, NULL, probe_loop, p)) {
		snprintf(a->err, sizeof(a->err),
			 "cannot start the probe thread");
		goto out;
	}
	p->started = true;
	a->probe = p;
	rc = 0;
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	if (rc) {
		if (p->curl)
			curl_easy_cleanup(p->curl);
		free(p);
	}
	return rc;
}

void probe_stop(struct agent *a)
{
	struct probe *p = a->probe;

	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_signal(&p->wake);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	if (p->curl)
		curl_easy_cleanup(p->curl);
	free(p);
	a->probe = NULL;
}

int collect_probe(struct agent *a)
{
	struct probe copy, *p = a->probe;
	struct out_buf *o = &a->out;
	const char *h = "xlb_agent_service_probe_duration_seconds";
	unsigned long long cumulative = 0;
	char name[96];

	if (!p)
		return 0;
	pthread_mutex_lock(&p->lock);
	memcpy(copy.buckets, p->buckets, sizeof(copy.buckets));
	copy.count = p->count;
	copy.probes = p->probes;
	copy.failures = p->failures;
	copy.sum = p->sum;
	copy.last_duration = p->last_duration;
	copy.last_time = p->last_time;
	copy.last_ok = p->last_ok;
	pthread_mutex_unlock(&p->lock);

	out_family(o, h, "histogram",
		   "Response time of the successful probes of the local "
		   "service.");
	for (size_t b = 0; b < N_BOUNDS; b++) {
		char labels[32];

		cumulative += copy.buckets[b];
		snprintf(labels, sizeof(labels), "le=\"%g\"", bounds[b]);
		snprintf(name, sizeof(name), "%s_bucket", h);
		out_sample(o, name, labels, (double)cumulative);
	}
	out_sample(o, name, "le=\"+Inf\"", (double)copy.count);
	snprintf(name, sizeof(name), "%s_sum", h);
	out_sample(o, name, NULL, copy.sum);
	snprintf(name, sizeof(name), "%s_count", h);
	out_sample(o, name, NULL, (double)copy.count);
	out_family(o, "xlb_agent_service_probes_total", "counter",
		   "Probes of the local service.");
	out_sample(o, "xlb_agent_service_probes_total", NULL,
		   (double)copy.probes);
	out_family(o, "xlb_agent_service_probe_failures_total", "counter",
		   "Probes of the local service that failed or timed out.");
	out_sample(o, "xlb_agent_service_probe_failures_total", NULL,
		   (double)copy.failures);
	if (copy.probes) {
		out_family(o, "xlb_agent_service_probe_up", "gauge",
			   "Whether the last probe succeeded.");
		out_sample(o, "xlb_agent_service_probe_up", NULL, copy.last_ok);
		out_family(o, "xlb_agent_service_probe_last_duration_seconds",
			   "gauge", "How long the last probe took.");
		out_sample(o, "xlb_agent_service_probe_last_duration_seconds",
			   NULL, copy.last_duration);
		out_family(o, "xlb_agent_service_probe_age_seconds", "gauge",
			   "Time since the last probe ended.");
		out_sample(o, "xlb_agent_service_probe_age_seconds", NULL,
			   agent_now() - copy.last_time);
	}
	return 0;
}
