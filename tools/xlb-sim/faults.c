// SPDX-License-Identifier: GPL-2.0
/*
 * The fault schedule: generated from the seed (gray and hard failures on
 * distinct backends, spread over the run) or read from a CSV file
 * "backend,kind,start_s,duration_s,param".
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static const char *const fault_names[FAULT_N] = {
	[FAULT_KILL] = "kill",	     [FAULT_THROTTLE] = "throttle",
	[FAULT_LATENCY] = "latency", [FAULT_DEGRADE] = "degrade",
	[FAULT_FLAP] = "flap",
};

const char *sim_fault_name(enum sim_fault_kind k)
{
	return (unsigned int)k < FAULT_N ? fault_names[k] : "unknown";
}

static int fault_cmp(const void *a, const void *b)
{
	const struct sim_fault *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (int)x->backend - (int)y->backend;
}

int sim_faults_generate(const struct sim_config *cfg, struct sim_fault **out,
			size_t *n)
{
	size_t total = cfg->n_gray + cfg->n_hard;
	struct sim_fault *f = calloc(total ? total : 1, sizeof(*f));
	uint64_t rng = cfg->seed ^ 0x6661756c7473ull; /* "faults" */
	unsigned int *order;

	if (!f)
		return -ENOMEM;
	order = calloc(cfg->n_backends, sizeof(*order));
	if (!order) {
		free(f);
		return -ENOMEM;
	}
	/* distinct backends: a shuffled prefix */
	for (unsigned int i = 0; i < cfg->n_backends; i++)
		order[i] = i;
	for (unsigned int i = cfg->n_backends - 1; i > 0; i--) {
		unsigned int j = sim_rng_next(&rng) % (i + 1), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	/* which faults are gray: the first n_gray, shuffled among the rest */
	bool *gray_of = calloc(total ? total : 1, sizeof(*gray_of));

	if (!gray_of) {
		free(order);
		free(f);
		return -ENOMEM;
	}
	for (size_t i = 0; i < total; i++)
		gray_of[i] = i < cfg->n_gray;
	for (size_t i = total; i > 1; i--) {
		size_t j = sim_rng_next(&rng) % i;
		bool t = gray_of[i - 1];

		gray_of[i - 1] = gray_of[j];
		gray_of[j] = t;
	}
	/* start times in slots of the run's middle 90%, one fault a slot */
	for (size_t i = 0; i < total; i++) {
		double slot = cfg->duration_s * 0.9 / total;
		struct sim_fault *x = &f[i];
		bool gray = gray_of[i];

		x->backend = order[i % cfg->n_backends];
		x->start = floor(cfg->duration_s * 0.05 + slot * i +
				 slot * 0.5 * sim_rng_uniform(&rng));
		x->duration =
			floor(slot * (0.2 + 0.25 * sim_rng_uniform(&rng)));
		if (x->duration < 20)
			x->duration = 20;
		if (gray) {
			static const enum sim_fault_kind kinds[] = {
				FAULT_THROTTLE, FAULT_LATENCY, FAULT_DEGRADE
			};
			x->kind = kinds[sim_rng_next(&rng) % 3];
			x->param = x->kind == FAULT_THROTTLE  ? 0.25
				   : x->kind == FAULT_LATENCY ? 0.2
							      : 0.1;
		} else {
			x->kind = sim_rng_uniform(&rng) < 0.5 ? FAULT_KILL
							      : FAULT_FLAP;
			x->param = x->kind == FAULT_FLAP ? 20 : 0;
		}
	}
	free(order);
	free(gray_of);
	qsort(f, total, sizeof(*f), fault_cmp);
	*out = f;
	*n = total;
	return 0;
}

int sim_faults_load(const char *path, unsigned int n_backends,
		    struct sim_fault **out, size_t *n, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	struct sim_fault *f = NULL;
	size_t count = 0, cap = 0;
	char line[256];
	long lineno = 0;

	if (!fp) {
		snprintf(err, errlen, "faults %s: %s", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		char kind[32];
		unsigned int be;
		double start, dur, param;
		int k;

		lineno++;
		line[strcspn(line, "\r\n#")] = '\0';
		if (!line[strspn(line, " \t")])
			continue;
		if (sscanf(line, "%u,%31[a-z],%lf,%lf,%lf", &be, kind, &start,
			   &dur, &param) != 5) {
			if (lineno == 1 && strstr(line, "backend"))
				continue;
			snprintf(err, errlen,
				 "faults %s: line %ld: want "
				 "backend,kind,start_s,duration_s,param",
				 path, lineno);
			goto fail;
		}
		for (k = 0; k < FAULT_N; k++)
			if (!strcmp(kind, fault_names[k]))
				break;
		if (k == FAULT_N || be >= n_backends || !(start >= 0) ||
		    !(dur > 0) || !isfinite(param) || param < 0) {
			snprintf(err, errlen, "faults %s: line %ld: %s", path,
				 lineno,
				 k == FAULT_N	    ? "unknown kind (kill, "
						      "throttle, latency, "
						      "degrade, flap)"
				 : be >= n_backends ? "backend out of range"
						    : "bad start, duration or "
						      "param");
			goto fail;
		}
		if (count == cap) {
			struct sim_fault *g;

			cap = cap ? cap * 2 : 16;
			g = realloc(f, cap * sizeof(*f));
			if (!g) {
				snprintf(err, errlen, "faults: out of memory");
				goto fail;
			}
			f = g;
		}
		f[count++] = (struct sim_fault){ be, k, start, dur, param };
	}
	fclose(fp);
	if (count)
		qsort(f, count, sizeof(*f), fault_cmp);
	*out = f;
	*n = count;
	return 0;
fail:
	fclose(fp);
	free(f);
	return -1;
}

bool sim_fault_state(const struct sim_fault *f, size_t n, unsigned int be,
		     double t, bool *alive, double *cap_mult, double *added)
{
	bool any = false;

	*alive = true;
	*cap_mult = 1;
	*added = 0;
	for (size_t i = 0; i < n; i++) {
		const struct sim_fault *x = &f[i];
		double into = t - x->start;

		if (x->backend != be || into < 0 || into >= x->duration)
			continue;
		any = true;
		switch (x->kind) {
		case FAULT_KILL:
			*alive = false;
			break;
		case FAULT_FLAP:
			if (fmod(into, 2 * x->param) < x->param)
				*alive = false;
			break;
		case FAULT_THROTTLE:
			*cap_mult *= x->param;
			break;
		case FAULT_LATENCY:
			*added += x->param;
			break;
		case FAULT_DEGRADE:
			*cap_mult *= 1 - (1 - x->param) * into / x->duration;
			break;
		default:
			break;
		}
	}
	return any;
}
