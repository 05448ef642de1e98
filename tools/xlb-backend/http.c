// SPDX-License-Identifier: GPL-2.0
#include "http.h"
#include "faults.h"
#include "park.h"
#include "stats.h"

#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Where one request is in its life: a delayed request is handled twice. */
struct http_request {
	bool delay_done;
};

/* Built once and shared by every connection (MHD counts references). */
static struct MHD_Response *ok_response;
static struct MHD_Response *error_response;
static struct MHD_Response *stopping_response;
static char ok_body[BACKEND_NAME_MAX + 16];
static char error_body[BACKEND_NAME_MAX + 48];
static char stopping_body[BACKEND_NAME_MAX + 48];

static struct MHD_Response *named_response(const char *name, char *body,
					   size_t size, const char *text)
{
	struct MHD_Response *r;

	snprintf(body, size, "backend %s%s\n", name, text);
	r = MHD_create_response_from_buffer(strlen(body), body,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return NULL;
	if (MHD_add_response_header(r, "X-Backend", name) != MHD_YES ||
	    MHD_add_response_header(r, "Content-Type", "text/plain") !=
		    MHD_YES) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

static enum MHD_Result answer(struct MHD_Connection *conn, unsigned int code,
			      struct MHD_Response *r)
{
	stat_add(&backend_stats.http_requests, 1);
	stat_add(code == MHD_HTTP_OK ? &backend_stats.http_ok
				     : &backend_stats.http_errors,
		 1);
	return MHD_queue_response(conn, code, r);
}

static enum MHD_Result service_request(void *cls, struct MHD_Connection *conn,
				       const char *url, const char *method,
				       const char *version,
				       const char *upload_data,
				       size_t *upload_data_size, void **req_cls)
{
	struct http_request *req = *req_cls;
	unsigned int latency_ms;

	(void)cls, (void)url, (void)method, (void)version, (void)upload_data;
	if (!req) {
		/* Headers are in; answer once the whole request is. */
		req = calloc(1, sizeof(*req));
		if (!req)
			return MHD_NO;
		*req_cls = req;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (park_stopping())
		return MHD_queue_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
					  stopping_response);
	/* Checked on every pass, so a delayed request can still hang. */
	if (fault_hang()) {
		if (!park_hang(conn)) {
			stat_add(&backend_stats.http_hung_total, 1);
			return MHD_YES;
		}
		return MHD_queue_response(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
					  stopping_response);
	}
	if (!req->delay_done) {
		req->delay_done = true;
		latency_ms = fault_latency_ms();
		if (latency_ms &&
		    !park_delay(conn, monotonic_ns() +
					      (uint64_t)latency_ms * 1000000)) {
			stat_add(&backend_stats.http_delayed, 1);
			return MHD_YES;
		}
	}
	fault_burn_cpu(fault_cpu_us());
	if (fault_roll_error())
		return answer(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
			      error_response);
	return answer(conn, MHD_HTTP_OK, ok_response);
}

static void service_completed(void *cls, struct MHD_Connection *conn,
			      void **req_cls,
			      enum MHD_RequestTerminationCode code)
{
	(void)cls, (void)conn, (void)code;
	free(*req_cls);
	*req_cls = NULL;
}

/* Lets MHD hold as many connections as the file limit allows (main raised
 * it to the hard limit). */
static unsigned int connection_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 1000;
	if (rl.rlim_cur > 65536 + 256)
		return 65536;
	return rl.rlim_cur > 512 ? (unsigned int)rl.rlim_cur - 256 : 256;
}

static void log_error(void *cls, const char *fmt, va_list ap)
{
	fprintf(stderr, "xlb-backend[%s]: libmicrohttpd: ", (const char *)cls);
	vfprintf(stderr, fmt, ap);
}

struct MHD_Daemon *http_start_daemon(const struct backend_options *opts,
				     uint16_t port, unsigned int threads,
				     unsigned int extra_flags,
				     MHD_AccessHandlerCallback handler,
				     MHD_RequestCompletedCallback completed,
				     const char *what)
{
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_USE_ERROR_LOG | extra_flags;
	struct sockaddr_storage ss = opts->listen;
	struct MHD_OptionItem items[8];
	struct MHD_Daemon *d;
	int n = 0;

	if (ss.ss_family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = htons(port);
	} else if (ss.ss_family == AF_INET6) {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(port);
		flags |= MHD_USE_IPv6;
	} else {
		flags |= MHD_USE_DUAL_STACK;
	}
	if (ss.ss_family != AF_UNSPEC)
		items[n++] =
			(struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, &ss };
	if (threads > 1)
		items[n++] =
			(struct MHD_OptionItem){ MHD_OPTION_THREAD_POOL_SIZE,
						 threads, NULL };
	items[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
					      connection_limit(), NULL };
	items[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_BACKLOG_SIZE,
					      4096, NULL };
	items[n++] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_COMPLETED,
					      (intptr_t)completed, NULL };
	items[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };

	d = MHD_start_daemon(flags, port, NULL, NULL, handler, NULL,
			     MHD_OPTION_EXTERNAL_LOGGER, log_error,
			     (void *)opts->name, MHD_OPTION_ARRAY, items,
			     MHD_OPTION_END);
	if (!d && ss.ss_family == AF_UNSPEC) {
		/* No IPv6 in this namespace: serve IPv4 alone. */
		flags &= ~(unsigned int)MHD_USE_DUAL_STACK;
		d = MHD_start_daemon(flags, port, NULL, NULL, handler, NULL,
				     MHD_OPTION_EXTERNAL_LOGGER, log_error,
				     (void *)opts->name, MHD_OPTION_ARRAY,
				     items, MHD_OPTION_END);
	}
	if (!d)
		fprintf(stderr,
			"xlb-backend[%s]: Failed to start %s on %s port %u "
			"(address in use or not local?)\n",
			opts->name, what, backend_listen_text(opts), port);
	return d;
}

struct MHD_Daemon *http_service_start(const struct backend_options *opts)
{
	ok_response = named_response(opts->name, ok_body, sizeof(ok_body), "");
	error_response = named_response(opts->name, error_body,
					sizeof(error_body), ": injected error");
	stopping_response = named_response(opts->name, stopping_body,
					   sizeof(stopping_body),
					   ": shutting down");
	if (!ok_response || !error_response || !stopping_response) {
		fprintf(stderr, "xlb-backend: Failed to build responses\n");
		return NULL;
	}
	return http_start_daemon(opts, opts->http_port, opts->threads,
				 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO,
				 service_request, service_completed, "HTTP");
}

void http_service_stop(struct MHD_Daemon *daemon)
{
	if (daemon)
		MHD_stop_daemon(daemon);
	MHD_destroy_response(ok_response);
	MHD_destroy_response(error_response);
	MHD_destroy_response(stopping_response);
}
