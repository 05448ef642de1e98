// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP probes: a GET of http_path on the backend's address at the VIP's
 * port through libcurl multi, ok when the status is the expected one
 * within timeout_s. The body is discarded (nothing is kept of it).
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "xlbd.h"

static size_t discard(char *ptr, size_t size, size_t n, void *arg)
{
	(void)ptr;
	(void)arg;
	/* An endless body is cut short: the status line is what counts. */
	return size * n;
}

int xlbd_probe_http_start(struct xlbd *d, struct xlbd_pair *p)
{
	const struct xlbd_probe_config *c = xlbd_probe_conf(d, p);
	unsigned int port = c->port ? c->port : ntohs(p->info.vip.port);
	char url[512];
	CURL *easy = curl_easy_init();

	if (!easy)
		return -ENOMEM;
	if (p->info.be.family == AF_INET6)
		snprintf(url, sizeof(url), "http://[%s]:%u%s", p->addr_text,
			 port, c->http_path);
	else
		snprintf(url, sizeof(url), "http://%s:%u%s", p->addr_text, port,
			 c->http_path);
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, p);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
			 (long)(c->timeout_s * 1000 + 0.5));
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(easy, CURLOPT_PROXY, "");
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "xlbd-probe");
	p->probe.curl = easy;
	if (xlbd_curl_add(d, easy)) {
		curl_easy_cleanup(easy);
		p->probe.curl = NULL;
		return -EIO;
	}
	return 0;
}

/* curl_code -1: cancelled (nothing reported). */
void xlbd_probe_http_done(struct xlbd *d, struct xlbd_pair *p, int curl_code,
			  long status)
{
	const struct xlbd_probe_config *c = xlbd_probe_conf(d, p);
	char why[96];

	if (!p->probe.curl)
		return;
	xlbd_curl_remove(d, p->probe.curl);
	p->probe.curl = NULL;
	if (curl_code < 0)
		return;
	if (curl_code != CURLE_OK)
		snprintf(why, sizeof(why), "%s",
			 curl_easy_strerror((CURLcode)curl_code));
	else
		snprintf(why, sizeof(why), "status %ld, want %u", status,
			 c->http_status);
	xlbd_probe_done(d, p,
			curl_code == CURLE_OK && status == (long)c->http_status,
			why);
}
