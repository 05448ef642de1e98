/* SPDX-License-Identifier: GPL-2.0 */
/* The three ways to load a target. Each runs to the end of its schedule,
 * fills @r, and returns 0, or -1 after saying why it could not run. */
#ifndef XLB_LOAD_MODES_H
#define XLB_LOAD_MODES_H

#include "options.h"
#include "result.h"

int http_run(const struct load_options *o, struct load_result *r);
int udp_run(const struct load_options *o, struct load_result *r);
int stream_run(const struct load_options *o, struct load_result *r);

#endif
