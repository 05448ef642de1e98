// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP mode: libcurl's multi interface driven by our own epoll loop
 * (curl_multi_socket_action), so that requests start exactly when the
 * schedule says, however many are outstanding.
 */
#include "clock.h"
#include "events.h"
#include "modes.h"
#include "report.h"
#include "schedule.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define BACKEND_MAX 64

struct http_slot {
	CURL *easy;
	uint64_t intended_ns;
	char backend[BACKEND_MAX];
	struct http_slot *next_free;
};

struct http_run {
	const struct load_options *o;
	struct load_result *r;
	CURLM *multi;
	int epfd;
	uint64_t curl_deadline_ns;
	struct http_slot *slots;
	struct http_slot *free_list;
	unsigned int inflight;
	struct curl_slist *headers; /* --header, shared by every request */
	char interface[INET6_ADDRSTRLEN + 8];
};

/* Takes the backend's name from "X-Backend: NAME". */
static size_t on_header(char *buf, size_t size, size_t n, void *data)
{
	static const char key[] = "X-Backend:";
	struct http_slot *slot = data;
	size_t len = size * n, k = sizeof(key) - 1;

	if (len > k && !strncasecmp(buf, key, k)) {
		while (k < len && (buf[k] == ' ' || buf[k] == '\t'))
			k++;
		while (len > k && (buf[len - 1] == '\r' ||
				   buf[len - 1] == '\n' || buf[len - 1] == ' '))
			len--;
		len -= k;
		if (len >= BACKEND_MAX)
			len = BACKEND_MAX - 1;
		memcpy(slot->backend, buf + k, len);
		slot->backend[len] = '\0';
	}
	return size * n;
}

static size_t on_body(char *buf, size_t size, size_t n, void *data)
{
	(void)buf, (void)data;
	return size * n;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
		     void *socketp)
{
	struct http_run *run = userp;
	struct epoll_event ev = { .data.fd = fd };

	(void)easy, (void)socketp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(run->epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(run->epfd, EPOLL_CTL_MOD, fd, &ev) && errno == ENOENT)
		epoll_ctl(run->epfd, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
	struct http_run *run = userp;

	(void)multi;
	run->curl_deadline_ns =
		timeout_ms < 0 ? NEVER : now_ns() + timeout_ms * NS_PER_MS;
	return 0;
}

static CURL *new_easy(struct http_run *run, struct http_slot *slot)
{
	const struct load_options *o = run->o;
	CURL *e = curl_easy_init();

	if (!e)
		return NULL;
	curl_easy_setopt(e, CURLOPT_URL, o->target);
	curl_easy_setopt(e, CURLOPT_PRIVATE, slot);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, slot);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)o->timeout_ms);
	curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "xlb-load");
	curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
	/* Test traffic goes to the target, never to a proxy from the
	 * environment. */
	curl_easy_setopt(e, CURLOPT_PROXY, "");
	curl_easy_setopt(e, CURLOPT_NOPROXY, "*");
	if (o->new_conn) {
		curl_easy_setopt(e, CURLOPT_FRESH_CONNECT, 1L);
		curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	}
	if (o->bind_text)
		curl_easy_setopt(e, CURLOPT_INTERFACE, run->interface);
	if (run->headers)
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, run->headers);
	return e;
}

static void start_request(struct http_run *run, uint64_t intended_ns)
{
	struct load_result *r = run->r;
	struct http_slot *slot = run->free_list;
	uint64_t now;

	r->scheduled++;
	if (!slot) {
		/* Sending it late would hide the overload in latency. */
		result_error(r, ERR_OVERLOAD, NULL);
		return;
	}
	if (!slot->easy && !(slot->easy = new_easy(run, slot))) {
		result_error(r, ERR_OTHER, "curl_easy_init failed");
		return;
	}
	slot->intended_ns = intended_ns;
	slot->backend[0] = '\0';
	if (curl_multi_add_handle(run->multi, slot->easy) != CURLM_OK) {
		result_error(r, ERR_OTHER, "curl_multi_add_handle failed");
		return;
	}
	run->free_list = slot->next_free;
	run->inflight++;
	r->sent++;
	now = now_ns();
	hist_record(&r->send_lag, now > intended_ns ? now - intended_ns : 0);
}

/* Maps curl's outcome to an error kind, precisely enough to tell a dead
 * server (refused) from a killed connection (reset) from a slow one. */
static void classify(struct load_result *r, CURL *e, CURLcode rc)
{
	long os_errno = 0, status = 0;
	char detail[160];

	curl_easy_getinfo(e, CURLINFO_OS_ERRNO, &os_errno);
	switch (rc) {
	case CURLE_OK:
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 500) {
			result_error(r, ERR_HTTP_5XX, NULL);
		} else if (status >= 200 && status < 400) {
			r->ok++;
		} else {
			snprintf(detail, sizeof(detail), "http_%ld", status);
			result_error(r, ERR_OTHER, detail);
		}
		return;
	case CURLE_COULDNT_CONNECT:
		if (os_errno == ECONNREFUSED) {
			result_error(r, ERR_REFUSED, NULL);
			return;
		}
		if (os_errno == ETIMEDOUT) {
			result_error(r, ERR_TIMEOUT, NULL);
			return;
		}
		break;
	case CURLE_OPERATION_TIMEDOUT:
		result_error(r, ERR_TIMEOUT, NULL);
		return;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		/* EPIPE: the write that followed the peer's RST. */
		if (os_errno == ECONNRESET || os_errno == EPIPE) {
			result_error(r, ERR_RESET, NULL);
			return;
		}
		break;
	default:
		break;
	}
	if (os_errno)
		snprintf(detail, sizeof(detail), "curl %d: %s (%s)", rc,
			 curl_easy_strerror(rc), strerror(os_errno));
	else
		snprintf(detail, sizeof(detail), "curl %d: %s", rc,
			 curl_easy_strerror(rc));
	result_error(r, ERR_OTHER, detail);
}

static void collect_done(struct http_run *run)
{
	struct load_result *r = run->r;
	struct http_slot *slot;
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(run->multi, &left))) {
		uint64_t now;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &slot);
		now = now_ns();
		if (msg->data.result == CURLE_OK) {
			r->completed++;
			result_latency(r, now - slot->intended_ns);
			if (slot->backend[0])
				names_add(&r->backends, slot->backend,
					  strlen(slot->backend), 1);
		}
		classify(r, msg->easy_handle, msg->data.result);
		curl_multi_remove_handle(run->multi, msg->easy_handle);
		slot->next_free = run->free_list;
		run->free_list = slot;
		run->inflight--;
	}
}

static int setup(struct http_run *run)
{
	const struct load_options *o = run->o;

	if (curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "xlb-load: Failed to initialise libcurl\n");
		return -1;
	}
	run->epfd = epoll_create1(EPOLL_CLOEXEC);
	run->multi = curl_multi_init();
	run->slots = calloc(o->max_inflight, sizeof(*run->slots));
	if (run->epfd < 0 || !run->multi || !run->slots) {
		fprintf(stderr,
			"xlb-load: Failed to set up the HTTP loop: %s\n",
			strerror(errno));
		return -1;
	}
	for (unsigned int i = 0; i < o->n_headers; i++) {
		struct curl_slist *l =
			curl_slist_append(run->headers, o->headers[i]);

		if (!l) {
			fprintf(stderr, "xlb-load: out of memory\n");
			return -1;
		}
		run->headers = l;
	}
	for (unsigned int i = o->max_inflight; i-- > 0;) {
		run->slots[i].next_free = run->free_list;
		run->free_list = &run->slots[i];
	}
	if (o->bind_text)
		snprintf(run->interface, sizeof(run->interface), "host!%s",
			 o->bind_text);
	run->curl_deadline_ns = NEVER;
	curl_multi_setopt(run->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(run->multi, CURLMOPT_SOCKETDATA, run);
	curl_multi_setopt(run->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(run->multi, CURLMOPT_TIMERDATA, run);
	/* Keep as many idle connections as requests may be outstanding. */
	curl_multi_setopt(run->multi, CURLMOPT_MAXCONNECTS,
			  (long)o->max_inflight);
	return 0;
}

static void teardown(struct http_run *run)
{
	for (unsigned int i = 0; run->slots && i < run->o->max_inflight; i++) {
		if (!run->slots[i].easy)
			continue;
		curl_multi_remove_handle(run->multi, run->slots[i].easy);
		curl_easy_cleanup(run->slots[i].easy);
	}
	free(run->slots);
	curl_slist_free_all(run->headers);
	if (run->multi)
		curl_multi_cleanup(run->multi);
	if (run->epfd >= 0)
		close(run->epfd);
	curl_global_cleanup();
}

int http_run(const struct load_options *o, struct load_result *r)
{
	struct http_run run = { .o = o, .r = r, .epfd = -1 };
	struct epoll_event events[256];
	struct schedule sched;
	uint64_t hard_end, drain_end = NEVER, intended, now;
	int running, n;

	if (setup(&run)) {
		teardown(&run);
		return -1;
	}
	hard_end = run_start(&sched, o, r);

	for (;;) {
		now = now_ns();
		run_check_stop(&sched, r, now);
		while (schedule_take(&sched, now, &intended))
			start_request(&run, intended);
		if (schedule_over(&sched)) {
			if (drain_end == NEVER)
				drain_end = now +
					    (o->timeout_ms + 1000) * NS_PER_MS;
			if (!run.inflight || now >= drain_end ||
			    now >= hard_end)
				break;
		}
		n = wait_events(run.epfd, events, 256,
				min_u64(min_u64(schedule_next(&sched),
						run.curl_deadline_ns),
					min_u64(progress_due(r), drain_end)));
		if (n < 0) {
			fprintf(stderr, "xlb-load: epoll_wait: %s\n",
				strerror(errno));
			break;
		}
		for (int i = 0; i < n; i++) {
			int mask = 0;

			if (events[i].events & EPOLLIN)
				mask |= CURL_CSELECT_IN;
			if (events[i].events & EPOLLOUT)
				mask |= CURL_CSELECT_OUT;
			if (events[i].events & (EPOLLERR | EPOLLHUP))
				mask |= CURL_CSELECT_ERR;
			curl_multi_socket_action(run.multi, events[i].data.fd,
						 mask, &running);
		}
		if (run.curl_deadline_ns <= now_ns()) {
			run.curl_deadline_ns = NEVER;
			curl_multi_socket_action(run.multi, CURL_SOCKET_TIMEOUT,
						 0, &running);
		}
		collect_done(&run);
		progress_tick(o, r, now_ns());
	}
	/* Whatever is still out after the drain never got an answer. */
	run_end(r, &sched, run.inflight);
	teardown(&run);
	return 0;
}
