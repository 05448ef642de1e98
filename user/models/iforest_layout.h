/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inside a forest: shared by iforest.c, the model file code and the tests,
 * not part of the API.
 *
 * Each tree is stored as a complete binary tree of height H in heap order:
 * node i has children 2i+1 and 2i+2, internal nodes 0 .. 2^H - 2, then 2^H
 * leaves. A leaf reached above height H becomes a chain of pass-through
 * nodes (threshold +inf: always left) down to a leaf slot, so every lookup
 * is exactly H branch-free steps, i = 2i + 1 + (x[feature[i]] > threshold[i]),
 * with no pointers and no per-node allocation. Since H = ceil(log2 psi),
 * 2^H < 2 psi: never more than twice the nodes of a pointer tree.
 */
#ifndef XLB_IFOREST_LAYOUT_H
#define XLB_IFOREST_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include "iforest.h"
#include "rng.h"

struct xlb_iforest {
	unsigned int n_trees;
	unsigned int max_samples;
	unsigned int n_features;
	uint64_t seed;
	size_t bytes;

	/* The fit; sample_size == 0 until the first one. */
	unsigned int sample_size;
	unsigned int height;
	uint64_t n_train_rows;
	double c_sample; /* c(sample_size), the score's scale */

	/* Tree t's nodes start at t * n_internal, its leaves at t * n_leaves. */
	size_t n_internal; /* 2^height - 1 */
	size_t n_leaves;   /* 2^height */
	double *threshold;
	uint16_t *feature;
	double *leaf; /* depth + c(training rows in the leaf) */
	/* threshold[] as xlb_iforest_order_key()s, what scoring compares */
	uint64_t *threshold_key;

	/* Metadata. */
	char (*names)[XLB_IFOREST_NAME_MAX];
	int64_t window_start, window_end;
	double score_threshold;

	/* Fit workspace, sized for max_samples. */
	double *sample;	  /* sample_size x n_features, row-major */
	uint32_t *rows;	  /* row indices in the node order being partitioned */
	uint32_t *seen;	  /* hash set for sampling without replacement */
	size_t seen_size; /* power of two >= 2 max_samples */
	uint16_t *features; /* candidate features, permuted per node */
	double *c_table;    /* c(0 .. max_samples) */
};

/* Bytes a forest with this shape holds; fit and load check against it. */
size_t xlb_iforest_bytes(unsigned int n_trees, unsigned int max_samples,
			 unsigned int n_features);

unsigned int xlb_iforest_height(unsigned int sample_size);

/*
 * A double's bits as an unsigned integer that orders as the double does
 * (for every value but NaN, and but -0 below +0), and threshold_key[] from
 * threshold[]: after a fit and after a load.
 */
uint64_t xlb_iforest_order_key(double v);
void xlb_iforest_key_thresholds(struct xlb_iforest *f);

/*
 * Draws sample_size distinct row indices of n_rows into rows[] (Floyd's
 * algorithm: O(psi) time and memory whatever n_rows).
 */
void xlb_iforest_draw_sample(struct xlb_iforest *f, struct xlb_rng *rng,
			     size_t n_rows);

#endif
