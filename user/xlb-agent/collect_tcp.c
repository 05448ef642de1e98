// SPDX-License-Identifier: GPL-2.0
/*
 * TCP connections by state from /proc/net/tcp and tcp6 of the agent's
 * network namespace, as node_exporter's tcpstat collector names them.
 * On the live system the counts come from a sock_diag netlink dump: reading
 * /proc/net/tcp walks the whole established hash table in text and costs
 * ~40 ms here even with two sockets; the files are read only under
 * --proc-root (fixtures).
 */
#include <linux/inet_diag.h>
#include <math.h>
#include <time.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent.h"

/* Kernel TCP states 1..11 (include/net/tcp_states.h). */
static const char *const states[] = {
	NULL,	      "established", "syn_sent",  "syn_recv",
	"fin_wait1",  "fin_wait2",   "time_wait", "close",
	"close_wait", "last_ack",    "listen",	  "closing",
};
enum { N_STATES = 12 };

static int count_file(struct agent *a, const char *rel,
		      unsigned long counts[N_STATES])
{
	char *p;

	if (agent_read(a, a->cfg.proc_root, rel) < 0)
		return -1;
	p = strchr(a->file, '\n'); /* the header */
	while (p && *++p) {
		/* "   0: 0100007F:1F90 00000000:0000 0A ..." */
		unsigned long st;

		if (sscanf(p, " %*s %*s %*s %lx", &st) == 1 && st < N_STATES)
			counts[st]++;
		p = strchr(p, '\n');
	}
	return 0;
}

/* One inet_diag dump of family's TCP sockets, all states. */
static int count_netlink(int family, unsigned long counts[N_STATES])
{
	static char buf[65536];
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = { .nlmsg_len = sizeof(msg),
			 .nlmsg_type = SOCK_DIAG_BY_FAMILY,
			 .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP },
		.req = { .sdiag_family = (__u8)family,
			 .sdiag_protocol = IPPROTO_TCP,
			 .idiag_states = ~0U },
	};
	struct sockaddr_nl nl = { .nl_family = AF_NETLINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	int rc = -1;

	if (fd < 0)
		return -1;
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&nl,
		   sizeof(nl)) < 0)
		goto out;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h = (struct nlmsghdr *)buf;

		if (n <= 0)
			goto out;
		for (; NLMSG_OK(h, (size_t)n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE) {
				rc = 0;
				goto out;
			}
			if (h->nlmsg_type == NLMSG_ERROR)
				goto out;
			struct inet_diag_msg *d = NLMSG_DATA(h);

			if (d->idiag_state < N_STATES)
				counts[d->idiag_state]++;
		}
	}
out:
	close(fd);
	return rc;
}

/*
 * The live counts: a walker thread dumps every TCP_WALK_INTERVAL_S and the
 * scrape copies its last result. The dump walks the kernel's established
 * hash, shared by every namespace, so its cost grows with all the host's
 * sockets (8 ms per dump measured here under other namespaces' load); a
 * scrape must not pay it.
 */
#define TCP_WALK_INTERVAL_S 5

static struct {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool running, stop, ok;
	unsigned long counts[N_STATES];
	double when;
} walker = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void walk_once(void)
{
	unsigned long counts[N_STATES] = { 0 };
	/* tcp6 is absent when IPv6 is off: not a failure */
	bool ok = count_netlink(AF_INET, counts) == 0;

	count_netlink(AF_INET6, counts);
	pthread_mutex_lock(&walker.lock);
	memcpy(walker.counts, counts, sizeof(counts));
	walker.ok = ok;
	walker.when = agent_now();
	pthread_mutex_unlock(&walker.lock);
}

static void *walk_loop(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&walker.lock);
	while (!walker.stop) {
		struct timespec until;

		pthread_mutex_unlock(&walker.lock);
		walk_once();
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += TCP_WALK_INTERVAL_S;
		pthread_mutex_lock(&walker.lock);
		while (!walker.stop &&
		       pthread_cond_timedwait(&walker.wake, &walker.lock,
					      &until) == 0)
			;
	}
	pthread_mutex_unlock(&walker.lock);
	return NULL;
}

int tcp_walker_start(struct agent *a)
{
	pthread_condattr_t attr;

	if (strcmp(a->cfg.proc_root, "/proc"))
		return 0; /* fixtures: the files, read by each scrape */
	walk_once();	  /* the first scrape has counts */
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&walker.wake, &attr);
	pthread_condattr_destroy(&attr);
	walker.stop = false;
	if (pthread_create(&walker.thread, NULL, walk_loop, NULL)) {
		snprintf(a->err, sizeof(a->err),
			 "cannot start the TCP state thread");
		return -1;
	}
	walker.running = true;
	return 0;
}

void tcp_walker_stop(void)
{
	if (!walker.running)
		return;
	pthread_mutex_lock(&walker.lock);
	walker.stop = true;
	pthread_cond_signal(&walker.wake);
	pthread_mutex_unlock(&walker.lock);
	pthread_join(walker.thread, NULL);
	walker.running = false;
}

int collect_tcp(struct agent *a)
{
	unsigned long counts[N_STATES] = { 0 };
	struct out_buf *o = &a->out;
	double age = NAN;
	int rc = 0;

	if (walker.running) {
		pthread_mutex_lock(&walker.lock);
		memcpy(counts, walker.counts, sizeof(counts));
		rc = walker.ok ? 0 : -1;
		age = agent_now() - walker.when;
		pthread_mutex_unlock(&walker.lock);
	} else {
		rc = count_file(a, "net/tcp", counts);
		count_file(a, "net/tcp6", counts);
	}
	if (rc)
		return -1;
	out_family(o, "node_tcp_connection_states", "gauge",
		   "Number of TCP connections in each state.");
	for (int s = 1; s < N_STATES; s++) {
		char labels[48];

		snprintf(labels, sizeof(labels), "state=\"%s\"", states[s]);
		out_sample(o, "node_tcp_connection_states", labels, counts[s]);
	}
	if (!isnan(age)) {
		out_family(o, "xlb_agent_tcp_states_age_seconds", "gauge",
			   "Age of the TCP state counts (walked every 5 s).");
		out_sample(o, "xlb_agent_tcp_states_age_seconds", NULL, age);
	}
	return 0;
}
