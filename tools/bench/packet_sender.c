// SPDX-License-Identifier: GPL-2.0
/*
 * pktbench's second sender, for a kernel that refuses live frames: the same
 * frames through an AF_PACKET socket, sendmmsg() in batches, the qdisc
 * bypassed (the packet goes from the socket to the device's xmit, as the
 * live frames go from XDP_TX). Slower per frame (a syscall a batch, an skb
 * a frame), so its rates only compare with rows sent the same way.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "packet_sender.h"

/* Frames per sendmmsg. */
#define BATCH 256

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int packet_send(int ifindex, const unsigned char *frame, unsigned int size,
		unsigned int flows, unsigned long seconds, unsigned long count,
		unsigned long long *sent, double *elapsed)
{
	static unsigned char frames[BATCH][1500];
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_IP),
		.sll_ifindex = ifindex,
	};
	int fd, one = 1, n, err = 0;
	unsigned int flow = 0;
	double start;

	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&ll, sizeof(ll)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
		       sizeof(one))) {
		err = -errno;
		close(fd);
		return err;
	}
	for (int i = 0; i < BATCH; i++) {
		memcpy(frames[i], frame, size);
		iov[i].iov_base = frames[i];
		iov[i].iov_len = size;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	*sent = 0;
	start = now_s();
	do {
		unsigned long left = count - *sent;
		unsigned int batch = left < BATCH ? left : BATCH;

		/* One flow per UDP source port, in turn, as the XDP sender. */
		for (unsigned int i = 0; i < batch; i++) {
			__u16 sport = htons(10000 + flow);

			memcpy(frames[i] + 34, &sport, 2);
			flow = flow + 1 >= flows ? 0 : flow + 1;
		}
		n = sendmmsg(fd, msgs, batch, 0);
		if (n < 0 && errno != ENOBUFS && errno != EAGAIN) {
			err = -errno;
			break;
		}
		if (n > 0)
			*sent += n;
		*elapsed = now_s() - start;
	} while (*elapsed < seconds && *sent < count);
	close(fd);
	return err;
}
