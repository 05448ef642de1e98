/* SPDX-License-Identifier: GPL-2.0 */
/* Counters of what the backend served, read by GET /stats. */
#ifndef XLB_BACKEND_STATS_H
#define XLB_BACKEND_STATS_H

#include <stdatomic.h>
#include <stdint.h>

struct backend_stats {
	atomic_ullong http_requests;   /* answered, any status */
	atomic_ullong http_ok;	       /* answered 200 */
	atomic_ullong http_errors;     /* answered 503 by error_rate */
	atomic_ullong http_delayed;    /* held back by latency_ms */
	atomic_ullong http_hung_total; /* parked by hang, ever */
	atomic_llong http_hung_now;    /* parked by hang, now */
	atomic_ullong udp_datagrams;   /* received */
	atomic_ullong udp_replies;     /* sent */
	atomic_ullong udp_errors;      /* receive or send failures */
	atomic_ullong tcp_connections; /* accepted, ever */
	atomic_llong tcp_open;	       /* open now */
	atomic_ullong tcp_bytes;       /* echoed */
};

extern struct backend_stats backend_stats;

static inline void stat_add(atomic_ullong *counter, unsigned long long n)
{
	atomic_fetch_add_explicit(counter, n, memory_order_relaxed);
}

/* The counters and the current faults as a JSON document; free() it. */
char *stats_json(const char *name);

#endif
