/* SPDX-License-Identifier: GPL-2.0 */
/* The final report (text or JSON) and the optional progress lines. */
#ifndef XLB_LOAD_REPORT_H
#define XLB_LOAD_REPORT_H

#include <stdint.h>
#include <stdio.h>

#include "options.h"
#include "result.h"

void progress_start(const struct load_options *o, struct load_result *r);
/* When the next progress line is due; NEVER without --interval-report. */
uint64_t progress_due(const struct load_result *r);
void progress_tick(const struct load_options *o, struct load_result *r,
		   uint64_t now);

void report_text(FILE *out, const struct load_options *o,
		 const struct load_result *r);
int report_json(FILE *out, const struct load_options *o,
		const struct load_result *r);

#endif
