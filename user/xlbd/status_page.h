/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xlbd's status page: a read-only HTML view of every VIP and backend (the
 * operator's and the brain's states, weights, rates, probes, anomaly score
 * and its top features, forecast against actual, the last decisions), and
 * the same as JSON. Served by http.c at /, /status and /status.json, on the
 * --metrics-listen address; rendered per request from the last tick.
 */
#ifndef XLBD_STATUS_PAGE_H
#define XLBD_STATUS_PAGE_H

#include <stddef.h>

struct xlbd;

/* Decisions shown (the decision log's tail) and ticks of forecast kept. */
#define XLBD_STATUS_DECISIONS 20
#define XLBD_STATUS_HISTORY 120

/* Once per tick, after the plan: the per-VIP demand and forecast history. */
void xlbd_status_tick(const struct xlbd *d);
/* The page and its JSON; malloc'd text (NUL-terminated), NULL on ENOMEM. */
char *xlbd_status_html(const struct xlbd *d, size_t *len);
char *xlbd_status_json(const struct xlbd *d, size_t *len);

#endif
