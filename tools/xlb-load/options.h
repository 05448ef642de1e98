/* SPDX-License-Identifier: GPL-2.0 */
/* Command line of xlb-load: xlb-load MODE [OPTIONS] TARGET. */
#ifndef XLB_LOAD_OPTIONS_H
#define XLB_LOAD_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Hard caps: the tool refuses to run beyond them. */
#define LOAD_DURATION_MAX_S 3600.0
#define LOAD_COUNT_MAX 100000000ull
#define LOAD_RATE_MAX 1000000.0
#define LOAD_INFLIGHT_MAX 100000u
#define LOAD_TIMEOUT_MAX_MS 600000u
#define LOAD_FLOWS_MAX 4096u
#define LOAD_CONNECTIONS_MAX 10000u
#define LOAD_PAYLOAD_MAX 1400u
#define LOAD_HEADERS_MAX 16u

enum load_mode { MODE_HTTP, MODE_UDP, MODE_STREAM };
enum load_arrival { ARRIVAL_CONSTANT, ARRIVAL_POISSON };

struct load_options {
	enum load_mode mode;
	const char *target;
	/* udp, stream: the parsed ADDR:PORT */
	struct sockaddr_storage target_addr;
	socklen_t target_len;
	/* --bind: family AF_UNSPEC when not given */
	struct sockaddr_storage bind_addr;
	const char *bind_text;

	double rate;
	enum load_arrival arrival;
	double duration_s; /* 0: bounded by count alone */
	uint64_t count;	   /* 0: bounded by duration alone */
	unsigned int max_inflight;
	unsigned int timeout_ms;
	bool new_conn;
	/* http: --header "Name: value", sent with every request */
	const char *headers[LOAD_HEADERS_MAX];
	unsigned int n_headers;
	bool json;
	double interval_report_s;
	uint64_t seed;

	unsigned int udp_flows;
	unsigned int payload_size;

	unsigned int connections;
	unsigned int interval_ms;
	unsigned int message_size;
	unsigned int max_gap_ms;
};

/* Fills @o from argv; prints what is wrong and returns -1 on bad input. */
int load_options_parse(struct load_options *o, int argc, char **argv);

const char *load_mode_name(enum load_mode mode);

/* Seconds after which the tool stops whatever happens. */
double load_hard_limit_s(const struct load_options *o);

#endif
