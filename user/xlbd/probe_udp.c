// SPDX-License-Identifier: GPL-2.0
/*
 * UDP probes: a connected datagram socket to the backend's address at the
 * VIP's port (or probe.port) sends probe.udp_payload ("xlb-probe") or the
 * bytes of probe.udp_payload_hex (e.g. a DNS query); any datagram back
 * within the timeout is success, its arrival the latency. A closed port answers ICMP
 * port unreachable, which a connected socket reports as ECONNREFUSED at
 * once; silence is the scheduler's "timed out". The reply's content is
 * not checked: a UDP service answers in its own protocol.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xlbd.h"

static void on_reply(struct xlbd_watch *w, uint32_t events)
{
	struct xlbd_pair *p =
		(void *)((char *)w - offsetof(struct xlbd_pair, probe.watch));
	char buf[512];
	ssize_t n;
	int err;

	(void)events;
	n = recv(w->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return; /* spurious: wait for the datagram or the deadline */
	err = n < 0 ? errno : 0;
	xlbd_probe_tcp_cancel(p->d, p); /* closes the probe's socket */
	xlbd_probe_done(p->d, p, !err, err ? strerror(err) : "");
}

/* The probe's datagram: the hex bytes when given (checked at load). */
static size_t payload(const struct xlbd_probe_config *c, unsigned char *out,
		      size_t len)
{
	const char *h = c->udp_payload_hex;
	size_t n = 0;

	if (!h[0]) {
		n = strlen(c->udp_payload);
		memcpy(out, c->udp_payload, n < len ? n : len);
		return n < len ? n : len;
	}
	for (; h[0] && h[1] && n < len; h += 2) {
		char byte[3] = { h[0], h[1], 0 };

		out[n++] = (unsigned char)strtoul(byte, NULL, 16);
	}
	return n;
}

int xlbd_probe_udp_start(struct xlbd *d, struct xlbd_pair *p)
{
	const struct xlbd_probe_config *c = xlbd_probe_conf(d, p);
	struct sockaddr_storage ss;
	socklen_t sl = xlbd_probe_target(d, p, &ss);
	unsigned char msg[512];
	size_t len = payload(c, msg, sizeof(msg));
	int fd, ret;

	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* connected: only the backend's reply, and its ICMP errors, reach us */
	if (connect(fd, (struct sockaddr *)&ss, sl) ||
	    send(fd, msg, len, 0) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	p->probe.watch.fd = fd;
	p->probe.watch.fn = on_reply;
	ret = xlbd_watch_add(d, &p->probe.watch, EPOLLIN);
	if (ret) {
		close(fd);
		p->probe.watch.fd = -1;
	}
	return ret;
}
