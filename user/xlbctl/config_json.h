/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configuration file: JSON (json-c), the whole desired state of one
 * instance.
 *
 *   { "version": 1,
 *     "vips": [ { "vip": "10.0.0.1:80/tcp", "table_size": 65537,
 *                 "backends": [ { "address": "10.0.0.11", "weight": 100,
 *                                 "state": "active",
 *                                 "mac": "02:00:0a:00:00:0b" } ] } ] }
 *
 * Only "vips", "vip" and "address" are required; weight defaults to 100,
 * state to active, table_size to 65537, and a backend without a MAC keeps
 * the one it has or, when new, gets one from the neighbour table.
 */
#ifndef XLBCTL_CONFIG_JSON_H
#define XLBCTL_CONFIG_JSON_H

#include <json-c/json.h>

#include "xlb.h"

#define CONFIG_VERSION 1

/*
 * Parses and checks a whole file's text. On error returns -EINVAL and
 * writes one line to err naming the place: "line 3, column 7: ..." for
 * bad JSON, the JSON path ("vips[1].backends[0].weight: ...") otherwise.
 */
int config_parse(const char *text, struct xlb_desired *out, char *err,
		 size_t errlen);
/* Reads path ("-": standard input) and parses it. */
int config_load(const char *path, struct xlb_desired *out, char *err,
		size_t errlen);
/* The file config_parse reads back into the same desired state. */
json_object *config_to_json(const struct xlb_desired *desired);

#endif
