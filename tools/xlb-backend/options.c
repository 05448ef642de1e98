// SPDX-License-Identifier: GPL-2.0
/* Parses and validates the command line of xlb-backend. */
#include "options.h"
#include "faults.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS_MAX 256

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xlb-backend --name NAME [OPTIONS]\n"
		"Test backend for xlb: HTTP/1.1, UDP echo, TCP echo, fault "
		"knobs.\n"
		"\n"
		"  --name NAME          backend name, in X-Backend and every "
		"reply\n"
		"                       ([A-Za-z0-9._-], at most %d "
		"characters)\n"
		"  --listen ADDR        IPv4 or IPv6 address to bind (default: "
		"the\n"
		"                       dual-stack wildcard, v4 and v6)\n"
		"  --port N             HTTP port (default 80; 0 disables "
		"HTTP)\n"
		"  --udp-port N         UDP echo port (default 0: off)\n"
		"  --tcp-echo-port N    TCP echo port (default 0: off)\n"
		"  --admin-port N       admin HTTP port: POST /fault, GET "
		"/stats\n"
		"                       (default 0: off)\n"
		"  --threads N          worker threads for HTTP and UDP "
		"(default:\n"
		"                       online CPUs, at most %d)\n"
		"  --cpu-us N           CPU time burnt per HTTP/UDP request, "
		"in\n"
		"                       microseconds (default 0)\n"
		"  --latency-ms N       initial extra latency per HTTP "
		"request\n"
		"  --error-rate F       initial fraction of HTTP requests "
		"answered\n"
		"                       with 503 (0..1)\n"
		"  --pidfile PATH       write the process id there; removed on "
		"exit\n"
		"  -h, --help           this text\n"
		"\n"
		"Signals: SIGUSR1 toggles hang, SIGTERM and SIGINT exit "
		"cleanly.\n",
		BACKEND_NAME_MAX, THREADS_MAX);
}

/* Parses a decimal integer in [min, max]; -1 with a message otherwise. */
static int parse_uint(const char *flag, const char *text, unsigned long min,
		      unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (text[0] == '-' || text[0] == '\0')
		goto bad;
	v = strtoul(text, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "xlb-backend: %s '%s': not an integer in [%lu, %lu]\n",
		flag, text, min, max);
	return -1;
}

static int parse_port(const char *flag, const char *text, uint16_t *port)
{
	unsigned long v;

	if (parse_uint(flag, text, 0, 65535, &v))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int parse_name(const char *text, char *name)
{
	size_t len = strlen(text);

	if (len == 0 || len > BACKEND_NAME_MAX ||
	    strspn(text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789._-") != len) {
		fprintf(stderr,
			"xlb-backend: --name '%s': use 1 to %d characters of "
			"[A-Za-z0-9._-]\n",
			text, BACKEND_NAME_MAX);
		return -1;
	}
	memcpy(name, text, len + 1);
	return 0;
}

static int parse_listen(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return 0;
	}
	fprintf(stderr,
		"xlb-backend: --listen '%s': not an IPv4 or IPv6 address\n",
		text);
	return -1;
}

int backend_options_parse(struct backend_options *opts, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "listen", required_argument, NULL, 'l' },
		{ "port", required_argument, NULL, 'p' },
		{ "udp-port", required_argument, NULL, 'u' },
		{ "tcp-echo-port", required_argument, NULL, 'e' },
		{ "admin-port", required_argument, NULL, 'a' },
		{ "threads", required_argument, NULL, 't' },
		{ "cpu-us", required_argument, NULL, 'c' },
		{ "latency-ms", required_argument, NULL, 'L' },
		{ "error-rate", required_argument, NULL, 'E' },
		{ "pidfile", required_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long v;
	bool named = false;
	int c;

	memset(opts, 0, sizeof(*opts));
	opts->http_port = 80;
	opts->threads = cpus < 1 ? 1 : cpus > THREADS_MAX ? THREADS_MAX : cpus;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (parse_name(optarg, opts->name))
				return -1;
			named = true;
			break;
		case 'l':
			if (parse_listen(optarg, &opts->listen))
				return -1;
			opts->listen_text = optarg;
			break;
		case 'p':
			if (parse_port("--port", optarg, &opts->http_port))
				return -1;
			break;
		case 'u':
			if (parse_port("--udp-port", optarg, &opts->udp_port))
				return -1;
			break;
		case 'e':
			if (parse_port("--tcp-echo-port", optarg,
				       &opts->tcp_echo_port))
				return -1;
			break;
		case 'a':
			if (parse_port("--admin-port", optarg,
				       &opts->admin_port))
				return -1;
			break;
		case 't':
			if (parse_uint("--threads", optarg, 1, THREADS_MAX, &v))
				return -1;
			opts->threads = v;
			break;
		case 'c':
			if (parse_uint("--cpu-us", optarg, 0, FAULT_CPU_US_MAX,
				       &v))
				return -1;
			opts->cpu_us = v;
			break;
		case 'L':
			if (parse_uint("--latency-ms", optarg, 0,
				       FAULT_LATENCY_MS_MAX, &v))
				return -1;
			opts->latency_ms = v;
			break;
		case 'E':
			if (fault_parse_rate(optarg, &opts->error_rate)) {
				fprintf(stderr,
					"xlb-backend: --error-rate '%s': not a "
					"number in [0, 1]\n",
					optarg);
				return -1;
			}
			break;
		case 'P':
			opts->pidfile = optarg;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "xlb-backend: unexpected argument '%s'\n",
			argv[optind]);
		return -1;
	}
	if (!named) {
		fprintf(stderr, "xlb-backend: --name is required\n");
		return -1;
	}
	if (!opts->http_port && !opts->udp_port && !opts->tcp_echo_port) {
		fprintf(stderr, "xlb-backend: nothing to serve: --port, "
				"--udp-port and "
				"--tcp-echo-port are all 0\n");
		return -1;
	}
	return 0;
}

const char *backend_listen_text(const struct backend_options *opts)
{
	return opts->listen_text ? opts->listen_text : "[::]";
}
