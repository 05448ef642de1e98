/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP echo for long-lived-connection tests: greets each connection with
 * "backend NAME\n" so the client knows who answers, then echoes every byte.
 */
#ifndef XLB_BACKEND_ECHO_H
#define XLB_BACKEND_ECHO_H

#include "options.h"

int echo_start(const struct backend_options *opts);

#endif
