// SPDX-License-Identifier: GPL-2.0
/*
 * xlb-signals: the end-to-end tests' window on libxlbprom, the code path
 * xlbd uses.
 *   xlb-signals SCRAPE@TIME...   feeds each scrape file (taken at TIME
 *                                seconds) to one signal tracker and prints
 *                                a line per scrape: "source=.. cpu_util=..
 *                                mem_util=.. load1=.. latency_s=.. fail=..
 *                                rx=.. tx=.." or "error: ..." (exit 1)
 *   xlb-signals --promql FILE    prints each sample of a /api/v1/query
 *                                response: "label=value,... VALUE"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node_signals.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0, r;

	if (!f)
		return NULL;
	do {
		if (n + 65536 > cap) {
			cap = cap ? cap * 2 : 131072;
			char *p = realloc(buf, cap);

			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		r = fread(buf + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return buf;
}

static int promql(const char *path)
{
	struct xlb_promql_vector v;
	char err[256];
	size_t len;
	char *json = slurp(path, &len);

	if (!json) {
		fprintf(stderr, "xlb-signals: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (xlb_promql_parse_vector(json, len, &v, err, sizeof(err))) {
		printf("error: %s\n", err);
		free(json);
		return 1;
	}
	for (size_t i = 0; i < v.n; i++) {
		for (size_t j = 0; j < v.samples[i].n_labels; j++)
			printf("%s%s=%s", j ? "," : "",
			       v.samples[i].labels[j].name,
			       v.samples[i].labels[j].value);
		printf(" %.17g\n", v.samples[i].value);
	}
	xlb_promql_vector_free(&v);
	free(json);
	return 0;
}

int main(int argc, char **argv)
{
	struct xlb_signal_tracker *t;
	int rc = 0;

	if (argc == 3 && !strcmp(argv[1], "--promql"))
		return promql(argv[2]);
	if (argc < 2) {
		fprintf(stderr, "usage: xlb-signals FILE@TIME... | --promql "
				"FILE\n");
		return 2;
	}
	t = xlb_signal_tracker_create();
	if (!t)
		return 1;
	for (int i = 1; i < argc && !rc; i++) {
		char *at = strrchr(argv[i], '@'), err[256], *body;
		struct xlb_node_signals s;
		size_t len;

		if (!at) {
			fprintf(stderr, "xlb-signals: %s: expected FILE@TIME\n",
				argv[i]);
			rc = 2;
			break;
		}
		*at = '\0';
		body = slurp(argv[i], &len);
		if (!body) {
			fprintf(stderr, "xlb-signals: %s: %s\n", argv[i],
				strerror(errno));
			rc = 1;
			break;
		}
		if (xlb_signal_tracker_feed(t, body, len, atof(at + 1), &s, err,
					    sizeof(err))) {
			printf("error: %s: %s\n", argv[i], err);
			rc = 1;
		} else {
			printf("source=%s cpu_util=%.4f mem_util=%.4f "
			       "load1=%.4f latency_s=%.6f fail=%.4f rx=%.1f "
			       "tx=%.1f\n",
			       xlb_signal_source_name(s.source), s.cpu_util,
			       s.mem_util, s.load1, s.service_latency_s,
			       s.service_fail_ratio, s.net_rx_bytes_per_s,
			       s.net_tx_bytes_per_s);
		}
		free(body);
	}
	xlb_signal_tracker_destroy(t);
	return rc;
}
