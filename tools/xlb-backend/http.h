/* SPDX-License-Identifier: GPL-2.0 */
/* The HTTP/1.1 service: every answer names the backend. */
#ifndef XLB_BACKEND_HTTP_H
#define XLB_BACKEND_HTTP_H

#include <microhttpd.h>
#include <stdint.h>

#include "options.h"

/* Starts a daemon on @port of the listen address with what the service
 * and the admin daemons share: epoll, logging, limits, dual stack. */
struct MHD_Daemon *http_start_daemon(const struct backend_options *opts,
				     uint16_t port, unsigned int threads,
				     unsigned int extra_flags,
				     MHD_AccessHandlerCallback handler,
				     MHD_RequestCompletedCallback completed,
				     const char *what);

struct MHD_Daemon *http_service_start(const struct backend_options *opts);
void http_service_stop(struct MHD_Daemon *daemon);

#endif
