// SPDX-License-Identifier: GPL-2.0
/*
 * Pair memory, in chunks of POOL_CHUNK pairs: a chunk holds their states
 * side by side, then their rings, then their regression rows. The stages
 * pass over the pairs in snapshot order, which is the order they were
 * made in: one pair's state after the other at a fixed stride, the
 * prefetchers fetch ahead, where states allocated one by one between their
 * rings and rows lay pages apart. A forgotten pair's place (ring and rows
 * with it) is reused; chunks go with the brain.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define POOL_CHUNK 64u

static size_t ring_len(const struct xlb_brain *brain)
{
	return (size_t)brain->cfg.window * SIG_N;
}

static size_t rows_len(const struct xlb_brain *brain)
{
	return 3 * (size_t)brain->cfg.regression_window;
}

static int chunk_new(struct xlb_brain *brain)
{
	size_t bytes = POOL_CHUNK *
		       (sizeof(struct brain_pair) +
			(ring_len(brain) + rows_len(brain)) * sizeof(double));
	void *chunk;

	if (brain->n_chunks == brain->cap_chunks) {
		size_t cap = brain->cap_chunks ? brain->cap_chunks * 2 : 16;
		void **chunks = realloc(brain->chunks, cap * sizeof(*chunks));

		if (!chunks)
			return -ENOMEM;
		brain->chunks = chunks;
		brain->cap_chunks = cap;
	}
	if (posix_memalign(&chunk, _Alignof(struct brain_pair), bytes))
		return -ENOMEM;
	brain->chunks[brain->n_chunks++] = chunk;
	brain->chunk_used = 0;
	return 0;
}

/* A zeroed pair with its ring and (zeroed) regression rows; NULL: ENOMEM. */
struct brain_pair *brain_pool_get(struct xlb_brain *brain)
{
	struct brain_pair *p = brain->free_pairs, *states;
	double *ring, *rows;

	if (p) {
		brain->free_pairs = p->next_free;
	} else {
		if ((!brain->n_chunks || brain->chunk_used == POOL_CHUNK) &&
		    chunk_new(brain))
			return NULL;
		states = brain->chunks[brain->n_chunks - 1];
		ring = (double *)(states + POOL_CHUNK);
		rows = ring + POOL_CHUNK * ring_len(brain);
		p = &states[brain->chunk_used];
		p->ring = ring + brain->chunk_used * ring_len(brain);
		p->reg_rows = rows + brain->chunk_used * rows_len(brain);
		brain->chunk_used++;
	}
	ring = p->ring;
	rows = p->reg_rows;
	memset(p, 0, sizeof(*p));
	p->ring = ring;
	p->reg_rows = rows;
	memset(rows, 0, rows_len(brain) * sizeof(*rows));
	return p;
}

void brain_pool_put(struct xlb_brain *brain, struct brain_pair *p)
{
	p->next_free = brain->free_pairs;
	brain->free_pairs = p;
}

void brain_pool_free(struct xlb_brain *brain)
{
	for (size_t i = 0; i < brain->n_chunks; i++)
		free(brain->chunks[i]);
	free(brain->chunks);
	brain->chunks = NULL;
	brain->n_chunks = brain->cap_chunks = 0;
	brain->free_pairs = NULL;
}
