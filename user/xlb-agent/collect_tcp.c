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

int collect_tcp(struct agent *a)
{
	unsigned long counts[N_STATES] = { 0 };
	struct out_buf *o = &a->out;
	bool live = !strcmp(a->cfg.proc_root, "/proc");
	int rc = live ? count_netlink(AF_INET, counts)
		      : count_file(a, "net/tcp", counts);

	/* tcp6 is absent when IPv6 is off: not a failure */
	if (live)
		count_netlink(AF_INET6, counts);
	else
		count_file(a, "net/tcp6", counts);
	if (rc)
		return -1;
	out_family(o, "node_tcp_connection_states", "gauge",
		   "Number of TCP connections in each state.");
	for (int s = 1; s < N_STATES; s++) {
		char labels[48];

		snprintf(labels, sizeof(labels), "state=\"%s\"", states[s]);
		out_sample(o, "node_tcp_connection_states", labels, counts[s]);
	}
	return 0;
}
