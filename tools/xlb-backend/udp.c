// SPDX-License-Identifier: GPL-2.0
#include "udp.h"
#include "faults.h"
#include "stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UDP_MAX_PAYLOAD 65507
#define UDP_RCVBUF (4 << 20)

struct udp_socket {
	int fd;
	int family;
	const char *name;
	size_t name_len;
};

static int open_socket(const struct backend_options *opts, int family,
		       const struct sockaddr_storage *addr)
{
	struct sockaddr_storage ss = *addr;
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in)
					  : sizeof(struct sockaddr_in6);
	int one = 1, rcvbuf = UDP_RCVBUF;
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	ss.ss_family = family;
	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port = htons(opts->udp_port);
		if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)))
			goto fail;
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_port = htons(opts->udp_port);
		/* The IPv4 socket takes IPv4; keep the two apart. */
		if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
			       sizeof(one)) ||
		    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
			       sizeof(one)))
			goto fail;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (bind(fd, (struct sockaddr *)&ss, len))
		goto fail;
	return fd;
fail:
	one = -errno;
	close(fd);
	return one;
}

union control {
	char buf[256];
	struct cmsghdr align;
};

/* Makes @rep's control data one message of @level/@type carrying @data. */
static void set_control(struct msghdr *rep, char *control, int level, int type,
			const void *data, size_t len)
{
	struct cmsghdr *out;

	rep->msg_control = control;
	rep->msg_controllen = CMSG_SPACE(len);
	out = CMSG_FIRSTHDR(rep);
	out->cmsg_level = level;
	out->cmsg_type = type;
	out->cmsg_len = CMSG_LEN(len);
	memcpy(CMSG_DATA(out), data, len);
}

/* Copies the destination of the request into the source of the reply. */
static void reply_source(struct msghdr *req, int family, char *control,
			 struct msghdr *rep)
{
	struct cmsghdr *c;

	rep->msg_control = NULL;
	rep->msg_controllen = 0;
	for (c = CMSG_FIRSTHDR(req); c; c = CMSG_NXTHDR(req, c)) {
		if (family == AF_INET && c->cmsg_level == IPPROTO_IP &&
		    c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo in, pi = { 0 };

			memcpy(&in, CMSG_DATA(c), sizeof(in));
			pi.ipi_spec_dst = in.ipi_addr;
			set_control(rep, control, IPPROTO_IP, IP_PKTINFO, &pi,
				    sizeof(pi));
			return;
		}
		if (family == AF_INET6 && c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo in6, pi6 = { 0 };

			memcpy(&in6, CMSG_DATA(c), sizeof(in6));
			/* ifindex 0: route the reply, do not pin it to lo. */
			pi6.ipi6_addr = in6.ipi6_addr;
			set_control(rep, control, IPPROTO_IPV6, IPV6_PKTINFO,
				    &pi6, sizeof(pi6));
			return;
		}
	}
}

static void *udp_worker(void *arg)
{
	struct udp_socket *s = arg;
	char *buf = malloc(s->name_len + 1 + UDP_MAX_PAYLOAD);
	union control cin, cout;
	struct sockaddr_storage peer;
	struct iovec iov;
	struct msghdr req, rep;
	ssize_t n;

	if (!buf) {
		fprintf(stderr, "xlb-backend[%s]: udp: out of memory\n",
			s->name);
		return NULL;
	}
	/* The reply is "NAME " then the request, received in place. */
	memcpy(buf, s->name, s->name_len);
	buf[s->name_len] = ' ';
	for (;;) {
		while (fault_hang())
			usleep(20000);
		iov.iov_base = buf + s->name_len + 1;
		iov.iov_len = UDP_MAX_PAYLOAD - s->name_len - 1;
		req = (struct msghdr){ .msg_name = &peer,
				       .msg_namelen = sizeof(peer),
				       .msg_iov = &iov,
				       .msg_iovlen = 1,
				       .msg_control = cin.buf,
				       .msg_controllen = sizeof(cin.buf) };
		n = recvmsg(s->fd, &req, 0);
		if (n < 0) {
			if (errno != EINTR)
				stat_add(&backend_stats.udp_errors, 1);
			continue;
		}
		stat_add(&backend_stats.udp_datagrams, 1);
		/* Hung while this one was on its way in: hold it back. */
		while (fault_hang())
			usleep(20000);
		fault_burn_cpu(fault_cpu_us());
		iov.iov_base = buf;
		iov.iov_len = s->name_len + 1 + n;
		rep = (struct msghdr){ .msg_name = &peer,
				       .msg_namelen = req.msg_namelen,
				       .msg_iov = &iov,
				       .msg_iovlen = 1 };
		reply_source(&req, s->family, cout.buf, &rep);
		if (sendmsg(s->fd, &rep, 0) < 0)
			stat_add(&backend_stats.udp_errors, 1);
		else
			stat_add(&backend_stats.udp_replies, 1);
	}
	return NULL;
}

static int start_workers(const struct backend_options *opts, int fd, int family)
{
	struct udp_socket *s = calloc(1, sizeof(*s));
	pthread_t t;
	int err;

	if (!s)
		return -1;
	*s = (struct udp_socket){ fd, family, opts->name, strlen(opts->name) };
	/* Blocking receivers on one socket: the kernel wakes only one. */
	for (unsigned int i = 0; i < opts->threads; i++) {
		err = pthread_create(&t, NULL, udp_worker, s);
		if (err) {
			fprintf(stderr,
				"xlb-backend[%s]: Failed to start UDP thread: "
				"%s\n",
				opts->name, strerror(err));
			return -1;
		}
		pthread_detach(t);
	}
	return 0;
}

int udp_start(const struct backend_options *opts)
{
	struct sockaddr_storage any = { 0 };
	int fd;

	if (opts->listen.ss_family != AF_UNSPEC) {
		fd = open_socket(opts, opts->listen.ss_family, &opts->listen);
		if (fd < 0)
			goto fail;
		return start_workers(opts, fd, opts->listen.ss_family);
	}
	fd = open_socket(opts, AF_INET, &any);
	if (fd < 0)
		goto fail;
	if (start_workers(opts, fd, AF_INET))
		return -1;
	fd = open_socket(opts, AF_INET6, &any);
	if (fd == -EAFNOSUPPORT) {
		fprintf(stderr, "xlb-backend[%s]: udp: no IPv6, IPv4 only\n",
			opts->name);
		return 0;
	}
	if (fd < 0)
		goto fail;
	return start_workers(opts, fd, AF_INET6);
fail:
	fprintf(stderr,
		"xlb-backend[%s]: Failed to open UDP port %u on %s: %s\n",
		opts->name, opts->udp_port, backend_listen_text(opts),
		strerror(-fd));
	return -1;
}
