// SPDX-License-Identifier: GPL-2.0
/* Parses and validates the command line of xlb-load; refuses anything that
 * would run unbounded or beyond the hard caps. */
#include "options.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: xlb-load MODE [OPTIONS] TARGET\n"
		"Open-loop load generator: sends on a schedule, measures "
		"latency "
		"from the\nintended send time, reports errors by kind and "
		"which "
		"backend answered.\n"
		"\n"
		"Modes and targets:\n"
		"  http URL            HTTP/1.1 GETs: http://10.0.0.1:80/, "
		"http://[fd00::1]/\n"
		"  udp ADDR:PORT       datagrams to a UDP echo: 10.0.0.1:53, "
		"[fd00::1]:53\n"
		"  stream ADDR:PORT    long-lived TCP connections to a TCP "
		"echo\n"
		"\n"
		"Bounds (at least one; at most %.0f s and %llu requests):\n"
		"  --duration S        stop scheduling after S seconds\n"
		"  --count N           stop after N requests (stream: N "
		"messages "
		"per connection)\n"
		"\n"
		"http and udp:\n"
		"  --rate R            requests per second (required, at most "
		"%.0f)\n"
		"  --arrival KIND      constant (default) or poisson\n"
		"  --max-inflight N    outstanding requests at most; one due "
		"beyond it is\n"
		"                      not sent and counts as an overload "
		"error "
		"(default 1000)\n"
		"  --seed N            seed of the poisson schedule (default "
		"1)\n"
		"http:\n"
		"  --new-conn          a new TCP connection per request "
		"(default: "
		"keep-alive)\n"
		"  --header 'NAME: VALUE'  an extra request header (up to %u; "
		"the body is\n"
		"                      counted, never decoded)\n"
		"udp:\n"
		"  --udp-flows N       N sockets, each its own source port; "
		"requests go\n"
		"                      round-robin (default 1)\n"
		"  --payload-size N    datagram size in bytes (default 32, 17.."
		"%u)\n"
		"stream:\n"
		"  --connections N     long-lived connections (default 1)\n"
		"  --interval MS       each sends a message every MS (default "
		"100)\n"
		"  --message-size N    bytes per message (default 16, 8..%u)\n"
		"  --max-gap-ms MS     gap between echoes reported as too long "
		"(default 200)\n"
		"\n"
		"Common:\n"
		"  --timeout MS        per request or echo (default 2000)\n"
		"  --bind ADDR         source address\n"
		"  --json              the report as JSON (progress goes to "
		"stderr)\n"
		"  --interval-report S a progress line every S seconds\n"
		"  -h, --help          this text\n",
		LOAD_DURATION_MAX_S, LOAD_COUNT_MAX, LOAD_RATE_MAX,
		LOAD_HEADERS_MAX, LOAD_PAYLOAD_MAX, LOAD_PAYLOAD_MAX);
}

#define fail(...)                                          \
	do {                                               \
		fprintf(stderr, "xlb-load: " __VA_ARGS__); \
		return -1;                                 \
	} while (0)

static int parse_double(const char *flag, const char *text, double min,
			double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || *end != '\0' || !isfinite(v) || v < min ||
	    v > max)
		fail("%s '%s': not a number in [%g, %g]\n", flag, text, min,
		     max);
	*out = v;
	return 0;
}

static int parse_u64(const char *flag, const char *text, uint64_t min,
		     uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (text[0] < '0' || text[0] > '9')
		fail("%s '%s': not an integer in [%llu, %llu]\n", flag, text,
		     (unsigned long long)min, (unsigned long long)max);
	v = strtoull(text, &end, 10);
	if (errno || *end != '\0' || v < min || v > max)
		fail("%s '%s': not an integer in [%llu, %llu]\n", flag, text,
		     (unsigned long long)min, (unsigned long long)max);
	*out = v;
	return 0;
}

static int parse_uint(const char *flag, const char *text, unsigned int min,
		      unsigned int max, unsigned int *out)
{
	uint64_t v;

	if (parse_u64(flag, text, min, max, &v))
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* An address literal, v4 or v6, without port. */
static int parse_addr(const char *text, uint16_t port,
		      struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
		return 0;
	}
	return -1;
}

/* ADDR:PORT or [ADDR6]:PORT, literals only. */
static int parse_target_addr(struct load_options *o)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon, *start = o->target, *end;
	unsigned int port;
	size_t len;

	if (o->target[0] == '[') {
		start = o->target + 1;
		end = strchr(start, ']');
		if (!end || end[1] != ':')
			fail("target '%s': expected [IPV6]:PORT\n", o->target);
		colon = end + 1;
	} else {
		colon = strrchr(o->target, ':');
		if (!colon || memchr(o->target, ':', colon - o->target))
			fail("target '%s': expected ADDR:PORT or "
			     "[IPV6]:PORT\n",
			     o->target);
		end = colon;
	}
	len = end - start;
	if (len == 0 || len >= sizeof(host))
		fail("target '%s': no address\n", o->target);
	memcpy(host, start, len);
	host[len] = '\0';
	if (parse_uint("target port", colon + 1, 1, 65535, &port))
		return -1;
	if (parse_addr(host, port, &o->target_addr, &o->target_len))
		fail("target '%s': '%s' is not an IPv4 or IPv6 address\n",
		     o->target, host);
	return 0;
}

/* A literal host of the other family than --bind can never connect. */
static int check_bind_family(const struct load_options *o, const char *host)
{
	struct in6_addr a6;
	struct in_addr a4;
	char bare[INET6_ADDRSTRLEN];
	size_t len = strlen(host);
	int family = AF_UNSPEC;

	if (host[0] == '[' && len > 2 && len - 2 < sizeof(bare)) {
		memcpy(bare, host + 1, len - 2);
		bare[len - 2] = '\0';
		if (inet_pton(AF_INET6, bare, &a6) == 1)
			family = AF_INET6;
	} else if (inet_pton(AF_INET, host, &a4) == 1) {
		family = AF_INET;
	}
	if (o->bind_text && family != AF_UNSPEC &&
	    family != o->bind_addr.ss_family)
		fail("--bind %s and URL %s are not the same address family\n",
		     o->bind_text, o->target);
	return 0;
}

/* Only plain http URLs with a host: the tool speaks HTTP/1.1, no TLS. */
static int check_url(const struct load_options *o)
{
	const char *url = o->target;

	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int ret = -1;

	if (!u)
		fail("out of memory\n");
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		fprintf(stderr, "xlb-load: URL '%s': not a valid URL\n", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    strcmp(scheme, "http")) {
		fprintf(stderr,
			"xlb-load: URL '%s': only http:// is supported\n", url);
		goto out;
	}
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    !host[0]) {
		fprintf(stderr, "xlb-load: URL '%s': no host\n", url);
		goto out;
	}
	ret = check_bind_family(o, host);
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ret;
}

enum {
	OPT_RATE = 256,
	OPT_ARRIVAL,
	OPT_DURATION,
	OPT_COUNT,
	OPT_MAX_INFLIGHT,
	OPT_TIMEOUT,
	OPT_NEW_CONN,
	OPT_HEADER,
	OPT_JSON,
	OPT_INTERVAL_REPORT,
	OPT_BIND,
	OPT_SEED,
	OPT_UDP_FLOWS,
	OPT_PAYLOAD_SIZE,
	OPT_CONNECTIONS,
	OPT_INTERVAL,
	OPT_MESSAGE_SIZE,
	OPT_MAX_GAP_MS,
};

/* Which modes accept each mode-specific option (bit per mode). */
#define M_HTTP (1u << MODE_HTTP)
#define M_UDP (1u << MODE_UDP)
#define M_STREAM (1u << MODE_STREAM)

static const struct {
	int opt;
	const char *name;
	unsigned int modes;
} mode_only[] = {
	{ OPT_RATE, "--rate", M_HTTP | M_UDP },
	{ OPT_ARRIVAL, "--arrival", M_HTTP | M_UDP },
	{ OPT_MAX_INFLIGHT, "--max-inflight", M_HTTP | M_UDP },
	{ OPT_SEED, "--seed", M_HTTP | M_UDP },
	{ OPT_NEW_CONN, "--new-conn", M_HTTP },
	{ OPT_HEADER, "--header", M_HTTP },
	{ OPT_UDP_FLOWS, "--udp-flows", M_UDP },
	{ OPT_PAYLOAD_SIZE, "--payload-size", M_UDP },
	{ OPT_CONNECTIONS, "--connections", M_STREAM },
	{ OPT_INTERVAL, "--interval", M_STREAM },
	{ OPT_MESSAGE_SIZE, "--message-size", M_STREAM },
	{ OPT_MAX_GAP_MS, "--max-gap-ms", M_STREAM },
};

static int check_mode(const struct load_options *o, int opt)
{
	for (size_t i = 0; i < sizeof(mode_only) / sizeof(mode_only[0]); i++)
		if (mode_only[i].opt == opt &&
		    !(mode_only[i].modes & (1u << o->mode)))
			fail("%s does not apply to %s mode\n",
			     mode_only[i].name, load_mode_name(o->mode));
	return 0;
}

/* "Name: value": a token before the colon, nothing that could end the
 * header line early and smuggle another one in. */
static int add_header(struct load_options *o, const char *text)
{
	const char *colon = strchr(text, ':');

	if (o->n_headers == LOAD_HEADERS_MAX)
		fail("--header: at most %u\n", LOAD_HEADERS_MAX);
	if (!colon || colon == text ||
	    strcspn(text, " \t") < (size_t)(colon - text))
		fail("--header '%s': expected 'NAME: VALUE'\n", text);
	if (strpbrk(text, "\r\n"))
		fail("--header '%s': no line breaks\n", text);
	o->headers[o->n_headers++] = text;
	return 0;
}

static int parse_mode(const char *text, enum load_mode *mode)
{
	if (!strcmp(text, "http"))
		*mode = MODE_HTTP;
	else if (!strcmp(text, "udp"))
		*mode = MODE_UDP;
	else if (!strcmp(text, "stream"))
		*mode = MODE_STREAM;
	else
		fail("unknown mode '%s': use http, udp or stream\n", text);
	return 0;
}

static int parse_one(struct load_options *o, int c, const char *arg)
{
	socklen_t len;

	if (check_mode(o, c))
		return -1;
	switch (c) {
	case OPT_RATE:
		return parse_double("--rate", arg, 1e-3, LOAD_RATE_MAX,
				    &o->rate);
	case OPT_ARRIVAL:
		if (!strcmp(arg, "constant"))
			o->arrival = ARRIVAL_CONSTANT;
		else if (!strcmp(arg, "poisson"))
			o->arrival = ARRIVAL_POISSON;
		else
			fail("--arrival '%s': use constant or poisson\n", arg);
		return 0;
	case OPT_DURATION:
		return parse_double("--duration", arg, 1e-3,
				    LOAD_DURATION_MAX_S, &o->duration_s);
	case OPT_COUNT:
		return parse_u64("--count", arg, 1, LOAD_COUNT_MAX, &o->count);
	case OPT_MAX_INFLIGHT:
		return parse_uint("--max-inflight", arg, 1, LOAD_INFLIGHT_MAX,
				  &o->max_inflight);
	case OPT_TIMEOUT:
		return parse_uint("--timeout", arg, 1, LOAD_TIMEOUT_MAX_MS,
				  &o->timeout_ms);
	case OPT_NEW_CONN:
		o->new_conn = true;
		return 0;
	case OPT_HEADER:
		return add_header(o, arg);
	case OPT_JSON:
		o->json = true;
		return 0;
	case OPT_INTERVAL_REPORT:
		return parse_double("--interval-report", arg, 0.01,
				    LOAD_DURATION_MAX_S, &o->interval_report_s);
	case OPT_BIND:
		if (parse_addr(arg, 0, &o->bind_addr, &len))
			fail("--bind '%s': not an IPv4 or IPv6 address\n", arg);
		o->bind_text = arg;
		return 0;
	case OPT_SEED:
		return parse_u64("--seed", arg, 0, UINT64_MAX, &o->seed);
	case OPT_UDP_FLOWS:
		return parse_uint("--udp-flows", arg, 1, LOAD_FLOWS_MAX,
				  &o->udp_flows);
	case OPT_PAYLOAD_SIZE:
		return parse_uint("--payload-size", arg, 17, LOAD_PAYLOAD_MAX,
				  &o->payload_size);
	case OPT_CONNECTIONS:
		return parse_uint("--connections", arg, 1, LOAD_CONNECTIONS_MAX,
				  &o->connections);
	case OPT_INTERVAL:
		return parse_uint("--interval", arg, 1, 60000, &o->interval_ms);
	case OPT_MESSAGE_SIZE:
		return parse_uint("--message-size", arg, 8, LOAD_PAYLOAD_MAX,
				  &o->message_size);
	case OPT_MAX_GAP_MS:
		return parse_uint("--max-gap-ms", arg, 1, LOAD_TIMEOUT_MAX_MS,
				  &o->max_gap_ms);
	}
	usage(stderr);
	return -1;
}

/* The run must end by itself: a bound, and one within the caps. */
static int check_bounds(const struct load_options *o)
{
	double seconds;

	if (!o->duration_s && !o->count)
		fail("refusing to run unbounded: give --duration S and/or "
		     "--count N\n");
	if (o->mode == MODE_STREAM) {
		seconds = o->count ? (double)o->count * o->interval_ms / 1e3
				   : LOAD_DURATION_MAX_S;
		if (o->count && !o->duration_s && seconds > LOAD_DURATION_MAX_S)
			fail("--count %llu at --interval %u ms would take "
			     "%.0f s, more than the %.0f s cap\n",
			     (unsigned long long)o->count, o->interval_ms,
			     seconds, LOAD_DURATION_MAX_S);
		return 0;
	}
	if (!o->rate)
		fail("%s mode needs --rate R (requests per second)\n",
		     load_mode_name(o->mode));
	seconds = (double)o->count / o->rate;
	if (o->count && !o->duration_s && seconds > LOAD_DURATION_MAX_S)
		fail("--count %llu at --rate %g would take %.0f s, more than "
		     "the %.0f s cap\n",
		     (unsigned long long)o->count, o->rate, seconds,
		     LOAD_DURATION_MAX_S);
	return 0;
}

int load_options_parse(struct load_options *o, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "rate", required_argument, NULL, OPT_RATE },
		{ "arrival", required_argument, NULL, OPT_ARRIVAL },
		{ "duration", required_argument, NULL, OPT_DURATION },
		{ "count", required_argument, NULL, OPT_COUNT },
		{ "max-inflight", required_argument, NULL, OPT_MAX_INFLIGHT },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "new-conn", no_argument, NULL, OPT_NEW_CONN },
		{ "header", required_argument, NULL, OPT_HEADER },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "interval-report", required_argument, NULL,
		  OPT_INTERVAL_REPORT },
		{ "bind", required_argument, NULL, OPT_BIND },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "udp-flows", required_argument, NULL, OPT_UDP_FLOWS },
		{ "payload-size", required_argument, NULL, OPT_PAYLOAD_SIZE },
		{ "connections", required_argument, NULL, OPT_CONNECTIONS },
		{ "interval", required_argument, NULL, OPT_INTERVAL },
		{ "message-size", required_argument, NULL, OPT_MESSAGE_SIZE },
		{ "max-gap-ms", required_argument, NULL, OPT_MAX_GAP_MS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->max_inflight = 1000;
	o->timeout_ms = 2000;
	o->seed = 1;
	o->udp_flows = 1;
	o->payload_size = 32;
	o->connections = 1;
	o->interval_ms = 100;
	o->message_size = 16;
	o->max_gap_ms = 200;

	if (argc < 2) {
		usage(stderr);
		return -1;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		exit(0);
	}
	if (parse_mode(argv[1], &o->mode))
		return -1;
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h') {
			usage(stdout);
			exit(0);
		}
		if (c == '?') {
			usage(stderr);
			return -1;
		}
		if (parse_one(o, c, optarg))
			return -1;
	}
	if (optind == argc)
		fail("no target given (see --help)\n");
	if (optind < argc - 1)
		fail("one target only, got '%s' too\n", argv[optind + 1]);
	o->target = argv[optind];
	if (o->mode == MODE_HTTP ? check_url(o) : parse_target_addr(o))
		return -1;
	if (o->bind_text && o->mode != MODE_HTTP &&
	    o->bind_addr.ss_family != o->target_addr.ss_family)
		fail("--bind %s and target %s are not the same address "
		     "family\n",
		     o->bind_text, o->target);
	return check_bounds(o);
}

const char *load_mode_name(enum load_mode mode)
{
	return mode == MODE_HTTP ? "http" : mode == MODE_UDP ? "udp" : "stream";
}

double load_hard_limit_s(const struct load_options *o)
{
	double run = o->duration_s;

	if (!run)
		run = o->mode == MODE_STREAM
			      ? (double)o->count * o->interval_ms / 1e3
			      : (double)o->count / o->rate;
	/* The schedule, then the last answers, then a margin to connect. */
	return run + 2.0 * o->timeout_ms / 1e3 + 5.0;
}
