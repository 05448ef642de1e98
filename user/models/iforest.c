// SPDX-License-Identifier: GPL-2.0
#include "iforest_layout.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model_error.h"
#include "vec.h"

#define EMPTY_SLOT UINT32_MAX

unsigned int xlb_iforest_height(unsigned int sample_size)
{
	unsigned int h = 0;

	while ((1ull << h) < sample_size)
		h++;
	return h;
}

static size_t seen_slots(unsigned int max_samples)
{
	size_t size = 4;

	while (size < 2 * (size_t)max_samples)
		size <<= 1;
	return size;
}

size_t xlb_iforest_bytes(unsigned int n_trees, unsigned int max_samples,
			 unsigned int n_features)
{
	size_t leaves = (size_t)1 << xlb_iforest_height(max_samples);
	size_t tree = (leaves - 1) * (sizeof(double) + sizeof(uint16_t) +
				      sizeof(uint64_t)) +
		      leaves * sizeof(double);

	return sizeof(struct xlb_iforest) + n_trees * tree +
	       n_features * (size_t)XLB_IFOREST_NAME_MAX +
	       (size_t)max_samples * n_features * sizeof(double) +
	       max_samples * sizeof(uint32_t) +
	       seen_slots(max_samples) * sizeof(uint32_t) +
	       n_features * sizeof(uint16_t) +
	       (max_samples + 1) * sizeof(double);
}

/* c(n) = 2 H(n-1) - 2 (n-1) / n with the harmonic number H, as in the paper. */
double xlb_iforest_average_path_length(uint64_t n)
{
	double m, harmonic = 0;

	if (n <= 1)
		return 0;
	m = (double)(n - 1);
	if (n <= 256) {
		for (uint64_t i = n - 1; i >= 1; i--)
			harmonic += 1.0 / (double)i;
	} else {
		/* Euler-Maclaurin: the next term is below 1e-16 from here. */
		harmonic = log(m) + 0.57721566490153286061 + 1 / (2 * m) -
			   1 / (12 * m * m) + 1 / (120 * m * m * m * m);
	}
	return 2 * harmonic - 2 * m / (double)n;
}

void xlb_iforest_destroy(struct xlb_iforest *f)
{
	if (!f)
		return;
	free(f->threshold);
	free(f->threshold_key);
	free(f->feature);
	free(f->leaf);
	free(f->names);
	free(f->sample);
	free(f->rows);
	free(f->seen);
	free(f->features);
	free(f->c_table);
	free(f);
}

int xlb_iforest_create(const struct xlb_iforest_config *cfg,
		       unsigned int n_features, struct xlb_iforest **out)
{
	unsigned int n_trees, max_samples;
	size_t max_bytes, bytes, nodes, leaves;
	struct xlb_iforest *f;

	if (!cfg || !out || n_features == 0)
		return XLB_MODEL_EINVAL;
	n_trees = cfg->n_trees ? cfg->n_trees : XLB_IFOREST_DEFAULT_TREES;
	max_samples = cfg->max_samples ? cfg->max_samples
				       : XLB_IFOREST_DEFAULT_SAMPLES;
	max_bytes = cfg->max_bytes ? cfg->max_bytes
				   : XLB_IFOREST_DEFAULT_MAX_BYTES;
	if (max_samples < 2)
		return XLB_MODEL_EINVAL;
	if (n_trees > XLB_IFOREST_MAX_TREES ||
	    max_samples > XLB_IFOREST_MAX_SAMPLES ||
	    n_features > XLB_IFOREST_MAX_FEATURES)
		return XLB_MODEL_ELIMIT;
	bytes = xlb_iforest_bytes(n_trees, max_samples, n_features);
	if (bytes > max_bytes)
		return XLB_MODEL_ELIMIT;

	f = calloc(1, sizeof(*f));
	if (!f)
		return XLB_MODEL_ENOMEM;
	f->n_trees = n_trees;
	f->max_samples = max_samples;
	f->n_features = n_features;
	f->seed = cfg->seed;
	f->bytes = bytes;
	leaves = (size_t)1 << xlb_iforest_height(max_samples);
	nodes = leaves - 1;
	f->seen_size = seen_slots(max_samples);
	f->threshold = calloc(n_trees * nodes, sizeof(*f->threshold));
	f->threshold_key = calloc(n_trees * nodes, sizeof(*f->threshold_key));
	f->feature = calloc(n_trees * nodes, sizeof(*f->feature));
	f->leaf = calloc(n_trees * leaves, sizeof(*f->leaf));
	f->names = calloc(n_features, sizeof(*f->names));
	f->sample =
		calloc((size_t)max_samples * n_features, sizeof(*f->sample));
	f->rows = calloc(max_samples, sizeof(*f->rows));
	f->seen = calloc(f->seen_size, sizeof(*f->seen));
	f->features = calloc(n_features, sizeof(*f->features));
	f->c_table = calloc(max_samples + 1, sizeof(*f->c_table));
	if (!f->threshold || !f->threshold_key || !f->feature || !f->leaf ||
	    !f->names || !f->sample || !f->rows || !f->seen || !f->features ||
	    !f->c_table) {
		xlb_iforest_destroy(f);
		return XLB_MODEL_ENOMEM;
	}
	for (unsigned int j = 0; j < n_features; j++)
		f->features[j] = j;
	for (unsigned int n = 0; n <= max_samples; n++)
		f->c_table[n] = xlb_iforest_average_path_length(n);
	*out = f;
	return 0;
}

void xlb_iforest_draw_sample(struct xlb_iforest *f, struct xlb_rng *rng,
			     size_t n_rows)
{
	unsigned int psi = f->sample_size, count = 0;
	size_t mask = f->seen_size - 1;
	int shift = 64 - __builtin_ctzll(f->seen_size);

	if (psi == n_rows) {
		for (unsigned int i = 0; i < psi; i++)
			f->rows[i] = i;
		return;
	}
	memset(f->seen, 0xff, f->seen_size * sizeof(*f->seen));
	for (size_t j = n_rows - psi; j < n_rows; j++) {
		uint32_t pick = xlb_rng_below(rng, (uint32_t)(j + 1));

		/* If pick was drawn before, take j: it cannot have been. */
		for (int attempt = 0; attempt < 2; attempt++) {
			size_t h = (pick * 0x9e3779b97f4a7c15ull) >> shift;

			while (f->seen[h] != EMPTY_SLOT && f->seen[h] != pick)
				h = (h + 1) & mask;
			if (f->seen[h] == EMPTY_SLOT) {
				f->seen[h] = pick;
				f->rows[count++] = pick;
				break;
			}
			pick = (uint32_t)j;
		}
	}
}

struct tree {
	double *threshold;
	uint16_t *feature;
	double *leaf;
};

/* A leaf above the height limit: follow pass-through nodes to a leaf slot. */
static void make_leaf(const struct xlb_iforest *f, const struct tree *t,
		      size_t node, unsigned int depth, unsigned int size)
{
	for (unsigned int d = depth; d < f->height; d++)
		node = 2 * node + 1;
	t->leaf[node - f->n_internal] = depth + f->c_table[size];
}

static void grow(struct xlb_iforest *f, const struct tree *t,
		 struct xlb_rng *rng, size_t node, unsigned int depth,
		 unsigned int lo, unsigned int hi)
{
	const unsigned int d = f->n_features;
	const double *sample = f->sample;
	uint32_t *rows = f->rows;
	double min = 0, max = 0, split;
	unsigned int feature = 0, mid;

	if (depth == f->height || hi - lo <= 1) {
		make_leaf(f, t, node, depth, hi - lo);
		return;
	}
	/*
	 * A uniformly random feature among those not constant in the node:
	 * partial Fisher-Yates over the feature list, skipping constant ones.
	 */
	for (unsigned int k = 0; k < d; k++) {
		unsigned int j = k + xlb_rng_below(rng, d - k);
		uint16_t swap = f->features[k];

		f->features[k] = f->features[j];
		f->features[j] = swap;
		feature = f->features[k];
		min = max = sample[rows[lo] * d + feature];
		for (unsigned int i = lo + 1; i < hi; i++) {
			double v = sample[rows[i] * d + feature];

			min = v < min ? v : min;
			max = v > max ? v : max;
		}
		if (max > min)
			break;
	}
	if (!(max > min)) {
		/* Every row in the node is the same point. */
		make_leaf(f, t, node, depth, hi - lo);
		return;
	}
	/* Left takes x <= split; split < max keeps both sides non-empty. */
	split = min + xlb_rng_uniform(rng) * (max - min);
	if (split >= max)
		split = min;

	/*
	 * Branch-free partition: the side of a row is a coin flip to the
	 * branch predictor. Swapping unconditionally and advancing mid by the
	 * comparison keeps [lo, mid) left and [mid, i) right.
	 */
	mid = lo;
	for (unsigned int i = lo; i < hi; i++) {
		uint32_t r = rows[i];
		unsigned int left = sample[r * d + feature] <= split;

		rows[i] = rows[mid];
		rows[mid] = r;
		mid += left;
	}
	t->threshold[node] = split;
	t->feature[node] = feature;
	grow(f, t, rng, 2 * node + 1, depth + 1, lo, mid);
	grow(f, t, rng, 2 * node + 2, depth + 1, mid, hi);
}

int xlb_iforest_fit(struct xlb_iforest *f, const double *x, size_t n_rows)
{
	const unsigned int d = f ? f->n_features : 0;

	if (!f || !x)
		return XLB_MODEL_EINVAL;
	if (n_rows < 2)
		return XLB_MODEL_ETOOSHORT;
	if (n_rows > UINT32_MAX)
		return XLB_MODEL_ELIMIT;
	if (!xlb_all_finite(x, n_rows * d))
		return XLB_MODEL_ENONFINITE;

	f->sample_size = n_rows < f->max_samples ? (unsigned int)n_rows
						 : f->max_samples;
	f->height = xlb_iforest_height(f->sample_size);
	f->n_leaves = (size_t)1 << f->height;
	f->n_internal = f->n_leaves - 1;
	f->c_sample = f->c_table[f->sample_size];
	f->n_train_rows = n_rows;

	for (unsigned int i = 0; i < f->n_trees; i++) {
		struct tree t = {
			.threshold = f->threshold + i * f->n_internal,
			.feature = f->feature + i * f->n_internal,
			.leaf = f->leaf + i * f->n_leaves,
		};
		/* One stream per tree: tree i does not depend on the others. */
		uint64_t stream = f->seed ^ (0x9e3779b97f4a7c15ull * (i + 1));
		struct xlb_rng rng;

		xlb_rng_seed(&rng, xlb_splitmix64(&stream));
		xlb_iforest_draw_sample(f, &rng, n_rows);
		for (unsigned int r = 0; r < f->sample_size; r++) {
			memcpy(f->sample + (size_t)r * d,
			       x + (size_t)f->rows[r] * d, d * sizeof(*x));
			f->rows[r] = r;
		}
		for (size_t n = 0; n < f->n_internal; n++) {
			t.threshold[n] = INFINITY;
			t.feature[n] = 0;
		}
		memset(t.leaf, 0, f->n_leaves * sizeof(*t.leaf));
		grow(f, &t, &rng, 0, 0, 0, f->sample_size);
	}
	xlb_iforest_key_thresholds(f);
	return 0;
}

/*
 * Flipping the sign bit of a positive double and every bit of a negative
 * one leaves integers in the doubles' order. Scoring compares these: an
 * integer compare feeds an add with carry straight into the next node's
 * index, a floating one first moves its flag into a register.
 */
uint64_t xlb_iforest_order_key(double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	return bits ^ ((uint64_t)((int64_t)bits >> 63) | 1ull << 63);
}

void xlb_iforest_key_thresholds(struct xlb_iforest *f)
{
	size_t n = f->n_trees * f->n_internal;

	for (size_t i = 0; i < n; i++)
		f->threshold_key[i] = xlb_iforest_order_key(f->threshold[i]);
}

/*
 * A row value's key. As doubles -0 and +0 are equal, as keys -0 is below:
 * a zero keyed as -0 is above neither zero threshold, as the doubles say,
 * and a threshold keeps its own bits.
 */
static uint64_t value_key(double v)
{
	return xlb_iforest_order_key(v == 0 ? -0.0 : v);
}

/*
 * Rows walked down a tree together: independent chains of loads, each
 * lane's node in a register (with more lanes they spill to the stack).
 */
#define SCORE_LANES 10
/*
 * A block's rows of keys, padded to SCORE_STRIDE keys when they have no
 * more features (a lane's offset is then a constant in the load), stay in
 * L1 across all trees: SCORE_KEYS / SCORE_STRIDE of them, a multiple of
 * the lanes. Wider rows are not padded, and fewer fit.
 */
#define SCORE_STRIDE 8
#define SCORE_KEYS (26 * SCORE_LANES * SCORE_STRIDE)
_Static_assert(SCORE_KEYS >= XLB_IFOREST_MAX_FEATURES, "a row per block");

/* One tree, as scoring reads it. */
struct tree_view {
	const uint64_t *key;
	const uint16_t *feature;
	const double *leaf; /* leaf[i - n_internal] for node i */
	size_t n_internal;
	unsigned int height;
};

static struct tree_view tree_view(const struct xlb_iforest *f, unsigned int t)
{
	return (struct tree_view){
		.key = f->threshold_key + t * f->n_internal,
		.feature = f->feature + t * f->n_internal,
		.leaf = f->leaf + t * f->n_leaves,
		.n_internal = f->n_internal,
		.height = f->height,
	};
}

/*
 * SCORE_LANES rows, stride keys apart, down one tree in lockstep: one
 * row's descent is a chain of dependent loads (node, then its feature's
 * key), and rows side by side let the CPU overlap those chains. Each row's
 * leaf value is added to its sum. The root is every row's first node, so
 * its split is read once. Inlined, so that the stride is a constant.
 */
static inline __attribute__((always_inline)) void
walk_lanes(const struct tree_view *t, const uint64_t *row, size_t stride,
	   double *sum)
{
	const uint64_t root = t->key[0];
	const unsigned int root_feature = t->feature[0];
	size_t i[SCORE_LANES];

	for (int g = 0; g < SCORE_LANES; g++)
		i[g] = 1 + (row[g * stride + root_feature] > root);
	for (unsigned int h = 1; h < t->height; h++)
		for (int g = 0; g < SCORE_LANES; g++)
			i[g] = 2 * i[g] + 1 +
			       (row[g * stride + t->feature[i[g]]] >
				t->key[i[g]]);
	for (int g = 0; g < SCORE_LANES; g++)
		sum[g] += t->leaf[i[g] - t->n_internal];
}

static double walk_row(const struct tree_view *t, const uint64_t *row)
{
	size_t i = 0;

	for (unsigned int h = 0; h < t->height; h++)
		i = 2 * i + 1 + (row[t->feature[i]] > t->key[i]);
	return t->leaf[i - t->n_internal];
}

/* The m rows of a block down every tree, in tree order, onto their sums. */
static void walk_block(const struct xlb_iforest *f, const uint64_t *keys,
		       size_t m, size_t stride, double *sum)
{
	for (unsigned int t = 0; t < f->n_trees; t++) {
		const struct tree_view v = tree_view(f, t);
		size_t p = 0;

		if (v.height && stride == SCORE_STRIDE)
			for (; p + SCORE_LANES <= m; p += SCORE_LANES)
				walk_lanes(&v, keys + p * SCORE_STRIDE,
					   SCORE_STRIDE, sum + p);
		else if (v.height)
			for (; p + SCORE_LANES <= m; p += SCORE_LANES)
				walk_lanes(&v, keys + p * stride, stride,
					   sum + p);
		for (; p < m; p++)
			sum[p] += walk_row(&v, keys + p * stride);
	}
}

/* Sum over trees of h(x) for each row, a block of rows at a time. */
static void sum_path_lengths(const struct xlb_iforest *f, const double *x,
			     size_t n_rows, double *out)
{
	const size_t d = f->n_features;
	const size_t stride = d > SCORE_STRIDE ? d : SCORE_STRIDE;
	const size_t rows = SCORE_KEYS / stride;
	uint64_t keys[SCORE_KEYS];

	for (size_t start = 0; start < n_rows; start += rows) {
		size_t m = n_rows - start < rows ? n_rows - start : rows;

		for (size_t r = 0; r < m; r++)
			for (size_t j = 0; j < d; j++)
				keys[r * stride + j] =
					value_key(x[(start + r) * d + j]);
		memset(out + start, 0, m * sizeof(*out));
		walk_block(f, keys, m, stride, out + start);
	}
}

int xlb_iforest_path_length(const struct xlb_iforest *f, const double *x,
			    size_t n_rows, double *path_length)
{
	if (!f || (!x && n_rows) || (!path_length && n_rows))
		return XLB_MODEL_EINVAL;
	if (!f->sample_size)
		return XLB_MODEL_ENOTREADY;
	if (!xlb_all_finite(x, n_rows * f->n_features))
		return XLB_MODEL_ENONFINITE;
	sum_path_lengths(f, x, n_rows, path_length);
	for (size_t i = 0; i < n_rows; i++)
		path_length[i] /= f->n_trees;
	return 0;
}

int xlb_iforest_score(const struct xlb_iforest *f, const double *x,
		      size_t n_rows, double *scores)
{
	double scale;

	if (!f || (!x && n_rows) || (!scores && n_rows))
		return XLB_MODEL_EINVAL;
	if (!f->sample_size)
		return XLB_MODEL_ENOTREADY;
	if (!xlb_all_finite(x, n_rows * f->n_features))
		return XLB_MODEL_ENONFINITE;
	sum_path_lengths(f, x, n_rows, scores);
	scale = -1.0 / (f->n_trees * f->c_sample);
	for (size_t i = 0; i < n_rows; i++)
		scores[i] = exp2(scores[i] * scale);
	return 0;
}

int xlb_iforest_set_feature_names(struct xlb_iforest *f,
				  const char *const *names)
{
	if (!f || !names)
		return XLB_MODEL_EINVAL;
	for (unsigned int j = 0; j < f->n_features; j++) {
		if (!names[j])
			return XLB_MODEL_EINVAL;
	}
	for (unsigned int j = 0; j < f->n_features; j++) {
		strncpy(f->names[j], names[j], XLB_IFOREST_NAME_MAX - 1);
		f->names[j][XLB_IFOREST_NAME_MAX - 1] = '\0';
	}
	return 0;
}

const char *xlb_iforest_feature_name(const struct xlb_iforest *f,
				     unsigned int feature)
{
	if (!f || feature >= f->n_features)
		return NULL;
	return f->names[feature];
}

void xlb_iforest_set_training_window(struct xlb_iforest *f, int64_t start,
				     int64_t end)
{
	f->window_start = start;
	f->window_end = end;
}

int xlb_iforest_set_score_threshold(struct xlb_iforest *f, double threshold)
{
	if (!f || !(threshold >= 0 && threshold <= 1))
		return XLB_MODEL_EINVAL;
	f->score_threshold = threshold;
	return 0;
}

void xlb_iforest_get_info(const struct xlb_iforest *f,
			  struct xlb_iforest_info *info)
{
	*info = (struct xlb_iforest_info){
		.n_trees = f->n_trees,
		.max_samples = f->max_samples,
		.sample_size = f->sample_size,
		.height = f->height,
		.n_features = f->n_features,
		.seed = f->seed,
		.n_train_rows = f->n_train_rows,
		.window_start = f->window_start,
		.window_end = f->window_end,
		.score_threshold = f->score_threshold,
		.bytes = f->bytes,
	};
}
