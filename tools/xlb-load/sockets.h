/* SPDX-License-Identifier: GPL-2.0 */
/* The sockets of the udp and stream modes: one per flow or connection. */
#ifndef XLB_LOAD_SOCKETS_H
#define XLB_LOAD_SOCKETS_H

#include <stdint.h>

#include "options.h"

/* A non-blocking socket of @type to the target, bound to --bind if given,
 * with the int option @level/@name set to @value first. A stream socket may
 * still be connecting. Returns the descriptor, or -1 with errno set. */
int target_socket(const struct load_options *o, int type, int level, int name,
		  int value);

/* The local port of @fd, which names its flow in the report; 0 if unknown. */
uint16_t local_port(int fd);

#endif
