/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Isolation Forest (Liu, Ting & Zhou, 2008). Each of n_trees trees is grown
 * on a subsample of psi rows drawn without replacement (psi = min(psi, rows)),
 * splitting on a random feature (never one constant in the node) at a
 * random value between the node's min and max, up to height ceil(log2 psi).
 * A point's path length h(x) is the depth of the leaf it reaches plus
 * c(leaf size); its score is s(x) = 2^(-E[h(x)] / c(psi)), near 1 for
 * anomalies, at or below 0.5 for ordinary points.
 *
 * A forest owns all its memory, allocated once by xlb_iforest_create() and
 * bounded by the configuration; fit and score allocate nothing. No globals:
 * use one forest per thread, or share a fitted forest for scoring only.
 */
#ifndef XLB_IFOREST_H
#define XLB_IFOREST_H

#include <stddef.h>
#include <stdint.h>

#define XLB_IFOREST_DEFAULT_TREES 100u
#define XLB_IFOREST_DEFAULT_SAMPLES 256u
#define XLB_IFOREST_MAX_TREES 10000u
#define XLB_IFOREST_MAX_SAMPLES 65536u
#define XLB_IFOREST_MAX_FEATURES 1024u
#define XLB_IFOREST_DEFAULT_MAX_BYTES (64u << 20)
#define XLB_IFOREST_NAME_MAX 64 /* feature name, with its NUL */

struct xlb_iforest_config {
	unsigned int n_trees;	  /* 0: XLB_IFOREST_DEFAULT_TREES */
	unsigned int max_samples; /* psi; 0: XLB_IFOREST_DEFAULT_SAMPLES */
	uint64_t seed;
	size_t max_bytes; /* 0: XLB_IFOREST_DEFAULT_MAX_BYTES */
};

/* What a forest is, for logs, exports and the model file. */
struct xlb_iforest_info {
	unsigned int n_trees;
	unsigned int max_samples; /* psi asked for */
	unsigned int sample_size; /* psi used by the last fit, 0 if unfitted */
	unsigned int height;	  /* ceil(log2 sample_size) */
	unsigned int n_features;
	uint64_t seed;
	uint64_t n_train_rows;
	int64_t window_start; /* training window, caller's units (e.g. unix s) */
	int64_t window_end;
	double score_threshold; /* 0 if none set */
	size_t bytes;		/* memory the forest holds */
};

struct xlb_iforest;

/*
 * Allocates a forest for n_features columns. XLB_MODEL_ELIMIT when the
 * configuration would need more than max_bytes or exceeds a limit above.
 */
int xlb_iforest_create(const struct xlb_iforest_config *cfg,
		       unsigned int n_features, struct xlb_iforest **out);
void xlb_iforest_destroy(struct xlb_iforest *forest);

/*
 * Grows the forest on x (n_rows x n_features, row-major), replacing any
 * previous fit. Same seed and data, same forest, on any run. Needs 2 rows;
 * NaN or infinite values: XLB_MODEL_ENONFINITE, forest unchanged.
 */
int xlb_iforest_fit(struct xlb_iforest *forest, const double *x, size_t n_rows);

/* Scores of n_rows rows of x into scores[]. */
int xlb_iforest_score(const struct xlb_iforest *forest, const double *x,
		      size_t n_rows, double *scores);

/* Mean path length E[h(x)] of n_rows rows (the score before scaling). */
int xlb_iforest_path_length(const struct xlb_iforest *forest, const double *x,
			    size_t n_rows, double *path_length);

/* c(n): average path length of an unsuccessful search in a BST of n. */
double xlb_iforest_average_path_length(uint64_t n);

/* Metadata saved with the forest. Names are truncated to NAME_MAX - 1. */
int xlb_iforest_set_feature_names(struct xlb_iforest *forest,
				  const char *const *names);
const char *xlb_iforest_feature_name(const struct xlb_iforest *forest,
				     unsigned int feature);
void xlb_iforest_set_training_window(struct xlb_iforest *forest, int64_t start,
				     int64_t end);
int xlb_iforest_set_score_threshold(struct xlb_iforest *forest,
				    double threshold);
void xlb_iforest_get_info(const struct xlb_iforest *forest,
			  struct xlb_iforest_info *info);

#endif
