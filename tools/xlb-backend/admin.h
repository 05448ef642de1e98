/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The admin endpoint, on its own port so that it keeps answering while the
 * service hangs:
 *   POST /fault?latency_ms=N&error_rate=F&hang=0|1&cpu_us=N&crash=1&reset=1
 *   GET  /fault    the knobs as JSON
 *   GET  /stats    counters and knobs as JSON
 *   GET  /health   "ok"
 */
#ifndef XLB_BACKEND_ADMIN_H
#define XLB_BACKEND_ADMIN_H

#include "options.h"

struct MHD_Daemon;

struct MHD_Daemon *admin_start(const struct backend_options *opts);

#endif
