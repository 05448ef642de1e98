// SPDX-License-Identifier: GPL-2.0
#include "sockets.h"

#include <errno.h>
#include <netinet/in.h>
#include <unistd.h>

int target_socket(const struct load_options *o, int type, int level, int name,
		  int value)
{
	int fd = socket(o->target_addr.ss_family,
			type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	socklen_t len = o->target_addr.ss_family == AF_INET
				? sizeof(struct sockaddr_in)
				: sizeof(struct sockaddr_in6);

	if (fd < 0)
		return -1;
	setsockopt(fd, level, name, &value, sizeof(value));
	if ((o->bind_text &&
	     bind(fd, (const struct sockaddr *)&o->bind_addr, len)) ||
	    (connect(fd, (const struct sockaddr *)&o->target_addr,
		     o->target_len) &&
	     errno != EINPROGRESS)) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

uint16_t local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return 0;
	return ntohs(ss.ss_family == AF_INET
			     ? ((struct sockaddr_in *)&ss)->sin_port
			     : ((struct sockaddr_in6 *)&ss)->sin6_port);
}
