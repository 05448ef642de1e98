/* SPDX-License-Identifier: GPL-2.0 */
/* What one run measured, filled by a mode (http, udp, stream) and printed
 * by report.c. */
#ifndef XLB_LOAD_RESULT_H
#define XLB_LOAD_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "histogram.h"

enum error_kind {
	ERR_REFUSED,  /* connection refused, ICMP port unreachable */
	ERR_RESET,    /* connection reset by peer */
	ERR_TIMEOUT,  /* no complete answer within --timeout */
	ERR_HTTP_5XX, /* an HTTP answer with status >= 500 */
	ERR_OVERLOAD, /* not sent: --max-inflight already outstanding */
	ERR_OTHER,    /* anything else; named in other_detail */
	ERR_KINDS
};

const char *error_kind_name(enum error_kind kind);

struct name_count {
	char *name;
	uint64_t count;
};

/* A small bag of names with counts: backends, error details. */
struct name_counts {
	struct name_count *v;
	size_t n, cap;
};

void names_add(struct name_counts *names, const char *name, size_t len,
	       uint64_t n);
void names_free(struct name_counts *names);

/* UDP: which backends answered each flow (one source port). */
struct flow_result {
	uint16_t local_port;
	uint64_t sent, answered;
	struct name_counts backends;
};

/* Stream: how one long-lived connection fared. */
struct conn_result {
	uint16_t local_port;
	char backend[64];
	uint64_t sent, echoed;
	uint64_t max_gap_ns;
	uint32_t retransmits; /* the kernel's count (TCP_INFO) at its end */
	const char *end;      /* "ok", "refused", "reset", "closed", ... */
};

struct load_result {
	uint64_t scheduled; /* intended sends */
	uint64_t sent;	    /* actually sent (scheduled - overload) */
	uint64_t completed; /* answers received, any status */
	uint64_t ok;	    /* answers that are not errors */
	uint64_t errors[ERR_KINDS];
	uint64_t late; /* answers after their timeout, not counted */
	struct name_counts other_detail;
	struct name_counts backends;
	/* From the intended send time to the complete answer. */
	struct histogram latency;
	/* How late the tool itself sent, against the schedule. */
	struct histogram send_lag;
	uint64_t start_ns, window_ns, end_ns;
	bool interrupted;

	struct flow_result *flows;
	size_t flow_count;
	struct conn_result *conns;
	size_t conn_count;

	/* Interval progress lines (--interval-report). */
	struct histogram interval_latency;
	uint64_t next_progress_ns, progress_period_ns;
	uint64_t last_sent, last_completed, last_errors, last_progress_ns;
};

int result_init(struct load_result *r, double progress_period_s);
void result_free(struct load_result *r);
void result_error(struct load_result *r, enum error_kind kind,
		  const char *detail);
void result_latency(struct load_result *r, uint64_t ns);
uint64_t result_error_total(const struct load_result *r);

#endif
