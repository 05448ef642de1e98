// SPDX-License-Identifier: GPL-2.0
#include "result.h"
#include "clock.h"

#include <stdlib.h>
#include <string.h>

static const char *const kind_names[ERR_KINDS] = {
	[ERR_REFUSED] = "refused",   [ERR_RESET] = "reset",
	[ERR_TIMEOUT] = "timeout",   [ERR_HTTP_5XX] = "http_5xx",
	[ERR_OVERLOAD] = "overload", [ERR_OTHER] = "other",
};

const char *error_kind_name(enum error_kind kind)
{
	return kind_names[kind];
}

void names_add(struct name_counts *names, const char *name, size_t len,
	       uint64_t n)
{
	for (size_t i = 0; i < names->n; i++) {
		if (strlen(names->v[i].name) == len &&
		    !memcmp(names->v[i].name, name, len)) {
			names->v[i].count += n;
			return;
		}
	}
	if (names->n == names->cap) {
		size_t cap = names->cap ? names->cap * 2 : 8;
		struct name_count *v = realloc(names->v, cap * sizeof(*v));

		if (!v)
			return;
		names->v = v;
		names->cap = cap;
	}
	names->v[names->n].name = strndup(name, len);
	if (!names->v[names->n].name)
		return;
	names->v[names->n++].count = n;
}

void names_free(struct name_counts *names)
{
	for (size_t i = 0; i < names->n; i++)
		free(names->v[i].name);
	free(names->v);
	memset(names, 0, sizeof(*names));
}

int result_init(struct load_result *r, double progress_period_s)
{
	memset(r, 0, sizeof(*r));
	if (hist_init(&r->latency) || hist_init(&r->send_lag) ||
	    hist_init(&r->interval_latency))
		return -1;
	r->progress_period_ns = (uint64_t)(progress_period_s * NS_PER_SEC);
	r->next_progress_ns = NEVER;
	return 0;
}

void result_free(struct load_result *r)
{
	hist_free(&r->latency);
	hist_free(&r->send_lag);
	hist_free(&r->interval_latency);
	names_free(&r->other_detail);
	names_free(&r->backends);
	for (size_t i = 0; i < r->flow_count; i++)
		names_free(&r->flows[i].backends);
	free(r->flows);
	free(r->conns);
}

void result_error(struct load_result *r, enum error_kind kind,
		  const char *detail)
{
	r->errors[kind]++;
	if (kind == ERR_OTHER && detail)
		names_add(&r->other_detail, detail, strlen(detail), 1);
}

void result_latency(struct load_result *r, uint64_t ns)
{
	hist_record(&r->latency, ns);
	hist_record(&r->interval_latency, ns);
}

uint64_t result_error_total(const struct load_result *r)
{
	uint64_t total = 0;

	for (int k = 0; k < ERR_KINDS; k++)
		total += r->errors[k];
	return total;
}
