/* SPDX-License-Identifier: GPL-2.0 */
/*
 * UDP echo: each datagram comes back prefixed with "NAME ", sent from the
 * address it was sent to. A DSR backend holds the VIP on its loopback and
 * must answer from the VIP, not from its own address, or the client drops
 * the reply: hence IP_PKTINFO / IPV6_RECVPKTINFO on wildcard sockets.
 */
#ifndef XLB_BACKEND_UDP_H
#define XLB_BACKEND_UDP_H

#include "options.h"

int udp_start(const struct backend_options *opts);

#endif
