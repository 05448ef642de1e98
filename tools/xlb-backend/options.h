/* SPDX-License-Identifier: GPL-2.0 */
/* Command line of xlb-backend. */
#ifndef XLB_BACKEND_OPTIONS_H
#define XLB_BACKEND_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#define BACKEND_NAME_MAX 48

struct backend_options {
	char name[BACKEND_NAME_MAX + 1];
	/* Empty (ss_family == AF_UNSPEC) means the dual-stack wildcard. */
	struct sockaddr_storage listen;
	const char *listen_text;
	uint16_t http_port;
	uint16_t udp_port;
	uint16_t tcp_echo_port;
	uint16_t admin_port;
	unsigned int threads;
	unsigned int cpu_us;
	unsigned int latency_ms;
	double error_rate;
	const char *pidfile;
};

/* Fills @opts from argv; prints the reason and returns -1 on bad input. */
int backend_options_parse(struct backend_options *opts, int argc, char **argv);

/* Formats the listen address for logs: "[::]" or the address given. */
const char *backend_listen_text(const struct backend_options *opts);

#endif
