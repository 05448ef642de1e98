/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Holds HTTP requests back without blocking a worker thread: a request
 * delayed by latency_ms waits here for its deadline, one that arrived while
 * the backend hangs waits for the hang to end. Both are MHD-suspended
 * connections that one thread resumes, so a 50 ms delay costs no worker.
 */
#ifndef XLB_BACKEND_PARK_H
#define XLB_BACKEND_PARK_H

#include <stdbool.h>
#include <stdint.h>

struct MHD_Connection;

int park_start(void);
/* Resumes every parked connection, so the daemon can be stopped. */
void park_stop(void);
bool park_stopping(void);

/* Both suspend @conn (from its access handler) and park it; -1 when
 * stopping or out of memory, with @conn left as it was. */
int park_delay(struct MHD_Connection *conn, uint64_t deadline_ns);
int park_hang(struct MHD_Connection *conn);

/* Wakes the park thread to look at the hang knob again. */
void park_notify(void);

uint64_t monotonic_ns(void);

#endif
