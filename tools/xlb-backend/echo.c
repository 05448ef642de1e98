// SPDX-License-Identifier: GPL-2.0
#include "echo.h"
#include "faults.h"
#include "stats.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define ECHO_BUF 16384

struct echo_conn {
	int fd;
	size_t off, len; /* bytes of buf still to send back */
	char buf[ECHO_BUF];
};

static struct {
	int listen_fd;
	int epoll_fd;
	const char *name;
	char greeting[BACKEND_NAME_MAX + 16];
	size_t greeting_len;
} echo;

static int open_listener(const struct backend_options *opts)
{
	struct sockaddr_storage ss = opts->listen;
	int family = ss.ss_family == AF_INET ? AF_INET : AF_INET6;
	int one = 1, zero = 0, fd;
	socklen_t len;

	if (ss.ss_family == AF_UNSPEC)
		ss.ss_family = AF_INET6;
	fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 && family == AF_INET6 && opts->listen.ss_family == 0) {
		/* No IPv6 here: the IPv4 wildcard. */
		family = ss.ss_family = AF_INET;
		fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			    0);
	}
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET6 && opts->listen.ss_family == AF_UNSPEC)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (family == AF_INET) {
		((struct sockaddr_in *)&ss)->sin_port =
			htons(opts->tcp_echo_port);
		len = sizeof(struct sockaddr_in);
	} else {
		((struct sockaddr_in6 *)&ss)->sin6_port =
			htons(opts->tcp_echo_port);
		len = sizeof(struct sockaddr_in6);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, 4096)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

static void conn_close(struct echo_conn *c)
{
	close(c->fd);
	free(c);
	atomic_fetch_sub(&backend_stats.tcp_open, 1);
}

static void accept_all(void)
{
	for (;;) {
		struct epoll_event ev = { .events = EPOLLIN };
		struct echo_conn *c;
		int one = 1;
		int fd = accept4(echo.listen_fd, NULL, NULL,
				 SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			/* Out of files: let connections close before the
			 * listener, still readable, spins the loop. */
			if (errno == EMFILE || errno == ENFILE)
				usleep(10000);
			return;
		}
		c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->off = 0;
		c->len = 0;
		stat_add(&backend_stats.tcp_connections, 1);
		atomic_fetch_add(&backend_stats.tcp_open, 1);
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		/* A new socket's buffer always takes a short line. */
		if (send(fd, echo.greeting, echo.greeting_len, MSG_NOSIGNAL) !=
		    (ssize_t)echo.greeting_len) {
			conn_close(c);
			continue;
		}
		ev.data.ptr = c;
		if (epoll_ctl(echo.epoll_fd, EPOLL_CTL_ADD, fd, &ev))
			conn_close(c);
	}
}

/* Echoes what is readable; waits for EPOLLOUT when the peer is slow. */
static void serve(struct echo_conn *c)
{
	struct epoll_event ev = { .data.ptr = c };
	ssize_t n;

	for (;;) {
		while (c->off < c->len) {
			n = send(c->fd, c->buf + c->off, c->len - c->off,
				 MSG_NOSIGNAL);
			if (n < 0 && errno == EAGAIN) {
				ev.events = EPOLLOUT;
				epoll_ctl(echo.epoll_fd, EPOLL_CTL_MOD, c->fd,
					  &ev);
				return;
			}
			if (n <= 0) {
				conn_close(c);
				return;
			}
			stat_add(&backend_stats.tcp_bytes, n);
			c->off += n;
		}
		c->off = c->len = 0;
		n = recv(c->fd, c->buf, sizeof(c->buf), 0);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) {
			conn_close(c);
			return;
		}
		c->len = n;
	}
	ev.events = EPOLLIN;
	epoll_ctl(echo.epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
}

static void *echo_thread(void *arg)
{
	struct epoll_event events[64];

	(void)arg;
	for (;;) {
		int n;

		/* Hung: neither accept nor read; the kernel queues. */
		while (fault_hang())
			usleep(20000);
		n = epoll_wait(echo.epoll_fd, events, 64, 100);
		for (int i = 0; i < n; i++) {
			if (!events[i].data.ptr)
				accept_all();
			else
				serve(events[i].data.ptr);
		}
	}
	return NULL;
}

int echo_start(const struct backend_options *opts)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	pthread_t t;
	int err;

	echo.name = opts->name;
	echo.greeting_len = snprintf(echo.greeting, sizeof(echo.greeting),
				     "backend %s\n", opts->name);
	echo.listen_fd = open_listener(opts);
	if (echo.listen_fd < 0) {
		fprintf(stderr,
			"xlb-backend[%s]: Failed to listen on TCP echo port %u "
			"of %s: %s\n",
			opts->name, opts->tcp_echo_port,
			backend_listen_text(opts), strerror(errno));
		return -1;
	}
	echo.epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (echo.epoll_fd < 0 ||
	    epoll_ctl(echo.epoll_fd, EPOLL_CTL_ADD, echo.listen_fd, &ev)) {
		fprintf(stderr, "xlb-backend[%s]: echo: epoll: %s\n",
			opts->name, strerror(errno));
		return -1;
	}
	err = pthread_create(&t, NULL, echo_thread, NULL);
	if (err) {
		fprintf(stderr,
			"xlb-backend[%s]: Failed to start echo thread: %s\n",
			opts->name, strerror(err));
		return -1;
	}
	pthread_detach(t);
	return 0;
}
