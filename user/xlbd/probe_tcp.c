// SPDX-License-Identifier: GPL-2.0
/*
 * TCP connect probes: a non-blocking connect to the backend's address at
 * the VIP's port, done when the socket turns writable (SO_ERROR says how).
 * Closed with SO_LINGER 0 (an RST), so a probe leaves no TIME_WAIT behind
 * at 10 per second per backend.
 */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xlbd.h"

static void on_connect(struct xlbd_watch *w, uint32_t events)
{
	struct xlbd_pair *p =
		(void *)((char *)w - offsetof(struct xlbd_pair, probe.watch));
	int soerr = 0;
	socklen_t len = sizeof(soerr);

	(void)events;
	if (getsockopt(w->fd, SOL_SOCKET, SO_ERROR, &soerr, &len))
		soerr = errno;
	xlbd_probe_tcp_cancel(p->d, p);
	xlbd_probe_done(p->d, p, soerr == 0, soerr ? strerror(soerr) : "");
}

int xlbd_probe_tcp_start(struct xlbd *d, struct xlbd_pair *p)
{
	struct sockaddr_storage ss;
	socklen_t sl = xlbd_probe_target(d, p, &ss);
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd, ret;

	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
		    0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
		ret = -errno;
		close(fd);
		return ret;
	}
	p->probe.watch.fd = fd;
	p->probe.watch.fn = on_connect;
	ret = xlbd_watch_add(d, &p->probe.watch, EPOLLOUT);
	if (ret) {
		close(fd);
		p->probe.watch.fd = -1;
	}
	return ret;
}

void xlbd_probe_tcp_cancel(struct xlbd *d, struct xlbd_pair *p)
{
	if (p->probe.watch.fd < 0)
		return;
	xlbd_watch_del(d, &p->probe.watch);
	close(p->probe.watch.fd);
	p->probe.watch.fd = -1;
}
