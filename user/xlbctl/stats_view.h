/* SPDX-License-Identifier: GPL-2.0 */
/* A stats report as an aligned text table or as JSON. */
#ifndef XLBCTL_STATS_VIEW_H
#define XLBCTL_STATS_VIEW_H

#include <stdio.h>

#include <json-c/json.h>

#include "stats_report.h"

void stats_print_text(const struct stats_report *report, FILE *out);

/* What top shows of xlbd: its /status.json, NULL when not reachable. */
#define STATS_XLBD_DECISIONS 5
struct stats_xlbd {
	json_object *status;
};

/*
 * top's table: the stats columns with the brain's (effective and base
 * weight, operator state, health, factor) and, from xlbd, each backend's
 * anomaly score, each VIP's forecast, and the last decisions.
 */
void stats_print_top(const struct stats_report *report,
		     const struct stats_xlbd *xlbd, FILE *out);
json_object *stats_to_json(const struct stats_report *report);

#endif
