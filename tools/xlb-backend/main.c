// SPDX-License-Identifier: GPL-2.0
/*
 * xlb-backend: the test backend run in each backend namespace. HTTP/1.1 with
 * keep-alive (libmicrohttpd), UDP echo, TCP echo; every answer names the
 * backend; faults (latency, errors, hang, crash, CPU cost) change at run
 * time through the admin port or signals.
 */
#include "admin.h"
#include "echo.h"
#include "faults.h"
#include "http.h"
#include "options.h"
#include "park.h"
#include "udp.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f)) {
		fprintf(stderr, "xlb-backend: Failed to write pidfile %s: %s\n",
			path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Thousands of test connections need more than the usual 1024 files. */
static void raise_file_limit(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Signals are taken synchronously by the main thread; every thread started
 * after this inherits the mask, so none of them is interrupted. */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static int wait_for_exit(const sigset_t *set, const char *name)
{
	for (;;) {
		int sig = sigwaitinfo(set, NULL);

		if (sig == SIGUSR1) {
			fault_toggle_hang("SIGUSR1");
		} else if (sig == SIGHUP) {
			fprintf(stderr, "xlb-backend[%s]: SIGHUP ignored\n",
				name);
		} else if (sig > 0) {
			fprintf(stderr, "xlb-backend[%s]: %s, exiting\n", name,
				strsignal(sig));
			return sig;
		}
	}
}

int main(int argc, char **argv)
{
	struct backend_options opts;
	struct MHD_Daemon *service = NULL, *admin = NULL;
	sigset_t set;
	int ret = 1;

	if (backend_options_parse(&opts, argc, argv))
		return 2;
	setvbuf(stderr, NULL, _IOLBF, 0);
	fault_init(opts.name, opts.latency_ms, opts.error_rate, opts.cpu_us);
	block_signals(&set);
	raise_file_limit();

	if (park_start())
		goto cleanup;
	if (opts.http_port && !(service = http_service_start(&opts)))
		goto cleanup;
	if (opts.admin_port && !(admin = admin_start(&opts)))
		goto cleanup;
	if (opts.udp_port && udp_start(&opts))
		goto cleanup;
	if (opts.tcp_echo_port && echo_start(&opts))
		goto cleanup;
	if (opts.pidfile && write_pidfile(opts.pidfile))
		goto cleanup;

	fprintf(stderr,
		"xlb-backend[%s]: started pid %d on %s: http %u udp %u "
		"tcp-echo %u admin %u, threads %u, cpu_us %u, latency_ms %u, "
		"error_rate %g\n",
		opts.name, (int)getpid(), backend_listen_text(&opts),
		opts.http_port, opts.udp_port, opts.tcp_echo_port,
		opts.admin_port, opts.threads, opts.cpu_us, opts.latency_ms,
		opts.error_rate);
	wait_for_exit(&set, opts.name);
	ret = 0;
cleanup:
	/* Parked connections must be resumed before their daemon stops. */
	park_stop();
	if (admin)
		MHD_stop_daemon(admin);
	if (opts.http_port)
		http_service_stop(service);
	if (opts.pidfile && ret == 0)
		unlink(opts.pidfile);
	return ret;
}
