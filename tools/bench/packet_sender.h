/* SPDX-License-Identifier: GPL-2.0 */
#ifndef PACKET_SENDER_H
#define PACKET_SENDER_H

/*
 * Sends frame (size bytes, a UDP/IPv4 frame as pktbench builds it) on
 * ifindex through AF_PACKET, the UDP source port cycling over flows ports
 * from 10000, for at most seconds or count frames. 0 or -errno; *sent and
 * *elapsed either way.
 */
int packet_send(int ifindex, const unsigned char *frame, unsigned int size,
		unsigned int flows, unsigned long seconds, unsigned long count,
		unsigned long long *sent, double *elapsed);

#endif
