// SPDX-License-Identifier: GPL-2.0
/*
 * The /metrics and status page listener: libmicrohttpd with its epoll fd on xlbd's loop
 * (no thread of its own), serving the text the last tick rendered.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include <microhttpd.h>

#include "xlbd.h"
#include "status_page.h"

struct http {
	struct MHD_Daemon *mhd;
	struct xlbd_watch watch;
	struct xlbd *d;
};

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **req)
{
	struct xlbd *d = cls;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	unsigned int status = MHD_HTTP_OK;
	const char *body, *type = "text/plain; version=0.0.4; charset=utf-8";
	size_t len;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)req;
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		body = "only GET\n";
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		type = "text/plain";
	} else if (!strcmp(url, "/metrics")) {
		body = d->metrics_text ? d->metrics_text : "";
		len = d->metrics_text ? d->metrics_len : 0;
		goto send;
	} else if (!strcmp(url, "/") || !strcmp(url, "/status") ||
		   !strcmp(url, "/status.json")) {
		/* The status page (status_page.c), rendered per request. */
		bool json = !strcmp(url, "/status.json");
		char *page = json ? xlbd_status_json(d, &len)
				  : xlbd_status_html(d, &len);

		if (!page)
			return MHD_NO;
		resp = MHD_create_response_from_buffer(len, page,
						       MHD_RESPMEM_MUST_FREE);
		if (!resp) {
			free(page);
			return MHD_NO;
		}
		MHD_add_response_header(resp, "Content-Type",
					json ? "application/json"
					     : "text/html; charset=utf-8");
		MHD_add_response_header(resp, "Cache-Control", "no-store");
		goto queue;
	} else {
		body = "not found: try /metrics, /status or /status.json\n";
		status = MHD_HTTP_NOT_FOUND;
		type = "text/plain";
	}
	len = strlen(body);
send:
	resp = MHD_create_response_from_buffer(len, (void *)body,
					       MHD_RESPMEM_MUST_COPY);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", type);
queue:
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static void on_ready(struct xlbd_watch *w, uint32_t events)
{
	struct http *h = (void *)((char *)w - offsetof(struct http, watch));

	(void)events;
	MHD_run(h->mhd);
}

static int parse_listen(const char *text, struct sockaddr_in *sa)
{
	char host[64];
	const char *colon = strrchr(text, ':');
	char *end;
	long port;

	if (!colon || colon == text || (size_t)(colon - text) >= sizeof(host))
		return -EINVAL;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - text), text);
	port = strtol(colon + 1, &end, 10);
	if (*end || port < 1 || port > 65535)
		return -EINVAL;
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

int xlbd_http_start(struct xlbd *d)
{
	struct sockaddr_in sa;
	struct http *h;
	const union MHD_DaemonInfo *info;

	if (!strcmp(d->opt.metrics_listen, "off"))
		return 0;
	if (parse_listen(d->opt.metrics_listen, &sa)) {
		xlbd_log(d, "error",
			 "--metrics-listen %s: not IPV4:PORT (or off)",
			 d->opt.metrics_listen);
		return -EINVAL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->d = d;
	h->mhd = MHD_start_daemon(MHD_USE_EPOLL | MHD_USE_ERROR_LOG, 0, NULL,
				  NULL, answer, d, MHD_OPTION_SOCK_ADDR, &sa,
				  MHD_OPTION_CONNECTION_TIMEOUT, 5u,
				  MHD_OPTION_CONNECTION_LIMIT, 64u,
				  MHD_OPTION_END);
	if (!h->mhd) {
		xlbd_log(d, "error",
			 "--metrics-listen %s: cannot listen "
			 "(in use, or not an address of this host)",
			 d->opt.metrics_listen);
		free(h);
		return -EADDRINUSE;
	}
	info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD);
	h->watch.fd = info->epoll_fd;
	h->watch.fn = on_ready;
	if (xlbd_watch_add(d, &h->watch, EPOLLIN)) {
		MHD_stop_daemon(h->mhd);
		free(h);
		return -errno;
	}
	d->http = h;
	return 0;
}

/* Timeouts of idle connections: once a tick is often enough. */
void xlbd_http_run(struct xlbd *d)
{
	struct http *h = d->http;

	if (h)
		MHD_run(h->mhd);
}

void xlbd_http_stop(struct xlbd *d)
{
	struct http *h = d->http;

	if (!h)
		return;
	xlbd_watch_del(d, &h->watch);
	MHD_stop_daemon(h->mhd);
	free(h);
	d->http = NULL;
}
