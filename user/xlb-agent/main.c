// SPDX-License-Identifier: GPL-2.0
/*
 * xlb-agent: serves a backend host's metrics (and its cgroup's, and a local
 * service probe's) in the Prometheus text format over HTTP (libmicrohttpd).
 * GET /metrics, GET /healthz; anything else is 404.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent.h"

static void usage(FILE *f)
{
	fprintf(f, "Usage: xlb-agent [OPTIONS]\n"
		   "Serves this host's metrics for xlbd and Prometheus.\n\n"
		   "  --listen ADDR:PORT      address to serve on (default "
		   "0.0.0.0:9470;\n"
		   "                          [ADDR]:PORT for IPv6)\n"
		   "  --cgroup PATH           also read this cgroup (v2 "
		   "directory, "
		   "or v1 cpu\n"
		   "                          controller directory); "
		   "utilisation "
		   "is then\n"
		   "                          relative to its CPU quota\n"
		   "  --cgroup-cpuacct PATH   v1 accounting directory "
		   "(default: "
		   "beside --cgroup)\n"
		   "  --probe URL             probe the local service: "
		   "http://HOST[:PORT]/PATH\n"
		   "                          or tcp://HOST:PORT\n"
		   "  --probe-interval SECS   time between probes (default 1)\n"
		   "  --probe-timeout SECS    a probe slower than this fails "
		   "(default 1)\n"
		   "  --proc-root DIR         read /proc files from DIR "
		   "(default "
		   "/proc)\n"
		   "  --once                  print one scrape on stdout and "
		   "exit\n"
		   "  --bench N               time N scrapes, print the mean "
		   "and "
		   "exit\n"
		   "  --help                  this text\n");
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int parse_seconds(const char *flag, const char *arg, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end || !(v > 0) || v > 3600) {
		fprintf(stderr,
			"xlb-agent: %s '%s': expected seconds, > 0 and at "
			"most 3600\n",
			flag, arg);
		return -1;
	}
	*out = v;
	return 0;
}

static int parse_listen(const char *arg, struct sockaddr_storage *ss)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(arg, ':');
	unsigned long port;
	char *end;

	memset(ss, 0, sizeof(*ss));
	if (!colon || (size_t)(colon - arg) >= sizeof(host))
		goto bad;
	snprintf(host, sizeof(host), "%.*s", (int)(colon - arg), arg);
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || port > 65535)
		goto bad;
	if (host[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
		size_t n = strlen(host);

		if (n < 2 || host[n - 1] != ']')
			goto bad;
		host[n - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &s6->sin6_addr) != 1)
			goto bad;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		return 0;
	}
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

	if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
		goto bad;
	s4->sin_family = AF_INET;
	s4->sin_port = htons((uint16_t)port);
	return 0;
bad:
	fprintf(stderr,
		"xlb-agent: --listen '%s': expected IPV4:PORT or [IPV6]:PORT\n",
		arg);
	return -1;
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int status,
			     const char *type, const char *body, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(
		len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
			      const char *url, const char *method,
			      const char *version, const char *upload,
			      size_t *upload_len, void **state)
{
	struct agent *a = cls;
	enum MHD_Result rc;

	(void)version;
	(void)upload;
	(void)upload_len;
	(void)state;
	if (strcmp(method, "GET") && strcmp(method, "HEAD"))
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			     "only GET\n", 9);
	if (!strcmp(url, "/healthz"))
		return reply(c, MHD_HTTP_OK, "text/plain", "ok\n", 3);
	if (strcmp(url, "/metrics"))
		return reply(c, MHD_HTTP_NOT_FOUND, "text/plain",
			     "not found: try /metrics or /healthz\n", 36);
	pthread_mutex_lock(&a->lock);
	if (agent_scrape(a))
		rc = reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
			   "out of memory\n", 14);
	else
		rc = reply(c, MHD_HTTP_OK,
			   "text/plain; version=0.0.4; charset=utf-8",
			   a->out.data, a->out.len);
	pthread_mutex_unlock(&a->lock);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option options[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "cgroup-cpuacct", required_argument, NULL, 'a' },
		{ "probe", required_argument, NULL, 'p' },
		{ "probe-interval", required_argument, NULL, 'i' },
		{ "probe-timeout", required_argument, NULL, 't' },
		{ "proc-root", required_argument, NULL, 'r' },
		{ "once", no_argument, NULL, 'o' },
		{ "bench", required_argument, NULL, 'b' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct agent_config cfg = { .probe_interval_s = 1,
				    .probe_timeout_s = 1 };
	const char *listen = "0.0.0.0:9470";
	struct sockaddr_storage addr;
	struct MHD_Daemon *d;
	static struct agent a;
	bool once = false;
	long bench = 0;
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen = optarg;
			break;
		case 'c':
			cfg.cgroup = optarg;
			break;
		case 'a':
			cfg.cgroup_cpuacct = optarg;
			break;
		case 'p':
			cfg.probe_url = optarg;
			break;
		case 'i':
			if (parse_seconds("--probe-interval", optarg,
					  &cfg.probe_interval_s))
				return 2;
			break;
		case 't':
			if (parse_seconds("--probe-timeout", optarg,
					  &cfg.probe_timeout_s))
				return 2;
			break;
		case 'r':
			cfg.proc_root = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 'b': {
			char *end;

			bench = strtol(optarg, &end, 10);
			if (*end || bench < 1 || bench > 1000000) {
				fprintf(stderr,
					"xlb-agent: --bench '%s': expected a "
					"count from 1 to 1000000\n",
					optarg);
				return 2;
			}
			break;
		}
		case 'h':
			usage(stdout);
			return 0;
		default:
			if (optopt)
				fprintf(stderr,
					"xlb-agent: option '%s' needs a "
					"value (see --help)\n",
					argv[optind - 1]);
			else
				fprintf(stderr,
					"xlb-agent: unknown option '%s' (see "
					"--help)\n",
					argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr,
			"xlb-agent: unexpected argument '%s' (see --help)\n",
			argv[optind]);
		return 2;
	}
	if (parse_listen(listen, &addr))
		return 2;
	if (cfg.cgroup_cpuacct && !cfg.cgroup) {
		fprintf(stderr, "xlb-agent: --cgroup-cpuacct needs --cgroup\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (agent_init(&a, &cfg)) {
		fprintf(stderr, "xlb-agent: %s\n", a.err);
		return 1;
	}
	if (once || bench) {
		double start = agent_now();
		int rc = 0;

		for (long i = 0; i < (bench ? bench : 1) && !rc; i++)
			rc = agent_scrape(&a);
		if (bench)
			printf("scrapes %ld mean_us %.1f bytes %zu\n", bench,
			       (agent_now() - start) / bench * 1e6, a.out.len);
		else
			fwrite(a.out.data, 1, a.out.len, stdout);
		agent_fini(&a);
		return rc ? 1 : 0;
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD |
			(addr.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
		0, NULL, NULL, handle, &a, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&addr, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)10, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "xlb-agent: cannot listen on %s: %s\n", listen,
			strerror(errno));
		agent_fini(&a);
		return 1;
	}
	fprintf(stderr, "xlb-agent: serving on %s%s%s\n", listen,
		cfg.cgroup ? ", cgroup " : "", cfg.cgroup ? cfg.cgroup : "");
	while (!stop)
		pause();
	MHD_stop_daemon(d);
	agent_fini(&a);
	curl_global_cleanup();
	return 0;
}
