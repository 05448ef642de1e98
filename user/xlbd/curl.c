// SPDX-License-Identifier: GPL-2.0
/*
 * libcurl multi on xlbd's epoll loop (the socket and timer callbacks of
 * curl's "multi_socket" API): HTTP probes and scrapes run concurrently, on
 * non-blocking sockets, and each ends by a hard timeout. Every easy handle
 * carries its pair as CURLOPT_PRIVATE.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <curl/curl.h>

#include "xlbd.h"
#include "cluster.h"

struct sock_watch {
	struct xlbd_watch w;
	struct xlbd *d;
};

static void check_done(struct xlbd *d)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(d->curl_multi, &left))) {
		struct xlbd_pair *p = NULL;
		CURL *easy = msg->easy_handle;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&p);
		curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
		if (!p && xlbd_cluster_done(d, easy, msg->data.result, status))
			continue;
		if (!p) {
			xlbd_promql_done(d, easy, msg->data.result, status);
			continue;
		}
		if (p && p->probe.curl == easy)
			xlbd_probe_http_done(d, p, msg->data.result, status);
		else if (p && p->scrape.curl == easy)
			xlbd_scrape_done(d, p, msg->data.result, status);
	}
}

static void on_socket(struct xlbd_watch *w, uint32_t events)
{
	struct sock_watch *sw = (void *)w;
	struct xlbd *d = sw->d;
	int action = 0, running;

	if (events & EPOLLIN)
		action |= CURL_CSELECT_IN;
	if (events & EPOLLOUT)
		action |= CURL_CSELECT_OUT;
	if (events & (EPOLLERR | EPOLLHUP))
		action |= CURL_CSELECT_ERR;
	curl_multi_socket_action(d->curl_multi, w->fd, action, &running);
	check_done(d);
}

static void on_timer(struct xlbd_watch *w, uint32_t events)
{
	struct xlbd *d =
		(void *)((char *)w - offsetof(struct xlbd, curl_timer));
	uint64_t n;
	int running;

	(void)events;
	if (read(w->fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	curl_multi_socket_action(d->curl_multi, CURL_SOCKET_TIMEOUT, 0,
				 &running);
	check_done(d);
}

static int socket_cb(CURL *easy, curl_socket_t s, int what, void *userp,
		     void *socketp)
{
	struct xlbd *d = userp;
	struct sock_watch *sw = socketp;
	uint32_t events = 0;

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (sw) {
			xlbd_watch_del(d, &sw->w);
			free(sw);
			curl_multi_assign(d->curl_multi, s, NULL);
		}
		return 0;
	}
	if (what & CURL_POLL_IN)
		events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		events |= EPOLLOUT;
	if (!sw) {
		sw = calloc(1, sizeof(*sw));
		if (!sw)
			return -1;
		sw->w.fd = s;
		sw->w.fn = on_socket;
		sw->d = d;
		curl_multi_assign(d->curl_multi, s, sw);
		return xlbd_watch_add(d, &sw->w, events) ? -1 : 0;
	}
	return xlbd_watch_mod(d, &sw->w, events) ? -1 : 0;
}

static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct xlbd *d = userp;
	struct itimerspec its = { 0 };

	(void)multi;
	if (timeout_ms >= 0) {
		if (timeout_ms == 0)
			timeout_ms = 1; /* 0 would disarm the timerfd */
		its.it_value.tv_sec = timeout_ms / 1000;
		its.it_value.tv_nsec = (timeout_ms % 1000) * 1000000L;
	}
	timerfd_settime(d->curl_timer.fd, 0, &its, NULL);
	return 0;
}

int xlbd_curl_init(struct xlbd *d)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -EIO;
	d->curl_multi = curl_multi_init();
	if (!d->curl_multi)
		return -ENOMEM;
	d->curl_timer.fd =
		timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	d->curl_timer.fn = on_timer;
	if (d->curl_timer.fd < 0)
		return -errno;
	curl_multi_setopt(d->curl_multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
	curl_multi_setopt(d->curl_multi, CURLMOPT_SOCKETDATA, d);
	curl_multi_setopt(d->curl_multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(d->curl_multi, CURLMOPT_TIMERDATA, d);
	return xlbd_watch_add(d, &d->curl_timer, EPOLLIN);
}

void xlbd_curl_fini(struct xlbd *d)
{
	if (d->curl_multi)
		curl_multi_cleanup(d->curl_multi);
	d->curl_multi = NULL;
	if (d->curl_timer.fd > 0)
		close(d->curl_timer.fd);
	curl_global_cleanup();
}

int xlbd_curl_add(struct xlbd *d, void *easy)
{
	return curl_multi_add_handle(d->curl_multi, easy) ? -EIO : 0;
}

void xlbd_curl_remove(struct xlbd *d, void *easy)
{
	curl_multi_remove_handle(d->curl_multi, easy);
	curl_easy_cleanup(easy);
}
