/* SPDX-License-Identifier: GPL-2.0 */
/* A stats report as an aligned text table or as JSON. */
#ifndef XLBCTL_STATS_VIEW_H
#define XLBCTL_STATS_VIEW_H

#include <stdio.h>

#include <json-c/json.h>

#include "stats_report.h"

void stats_print_text(const struct stats_report *report, FILE *out);
json_object *stats_to_json(const struct stats_report *report);

#endif
