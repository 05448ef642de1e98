// SPDX-License-Identifier: GPL-2.0
/*
 * The learned state as a blob, for a restart without a jump in weights:
 * per pair its health, factors, ejection bookkeeping and cost model; the
 * forest's healthy training rows (the forest is refitted from them with the
 * same seed, so it comes back identical). Times are stored with the clock
 * of the save and shifted onto the new process's clock at its first tick.
 * Native byte order: the blob never leaves the host that wrote it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define BLOB_MAGIC 0x42424c58u /* "XLBB" */
#define BLOB_VERSION 1u

struct blob_header {
	uint32_t magic, version;
	uint32_t pair_size, feat_n;
	uint64_t n_pairs, train_n, train_pos;
	double now;
};

struct blob_pair {
	char key[XLB_BRAIN_KEY_MAX];
	uint32_t health, factor;
	uint32_t ejections, anomaly_bits;
	int32_t load_source, pad;
	double policy_factor, target_smooth;
	double slow_start_since, eject_until, healthy_since;
	double cost, intercept, cost_ratio;
};

int xlb_brain_save(const struct xlb_brain *brain, void **blob, size_t *len)
{
	struct blob_header h = {
		.magic = BLOB_MAGIC,
		.version = BLOB_VERSION,
		.pair_size = sizeof(struct blob_pair),
		.feat_n = FEAT_N,
		.n_pairs = brain->n_pairs,
		.train_n = brain->train_n,
		.train_pos = brain->train_pos,
		.now = brain->now,
	};
	size_t train_bytes = brain->train_n * FEAT_N * sizeof(double);
	size_t size = sizeof(h) + brain->n_pairs * sizeof(struct blob_pair) +
		      train_bytes;
	char *buf = calloc(1, size), *at;

	if (!buf)
		return -ENOMEM;
	memcpy(buf, &h, sizeof(h));
	at = buf + sizeof(h);
	for (size_t i = 0; i < brain->n_pairs; i++) {
		const struct brain_pair *p = brain->pairs[i];
		struct blob_pair b = {
			.health = p->health,
			.factor = p->factor,
			.ejections = p->ejections,
			.anomaly_bits = p->anomaly_bits,
			.load_source = p->load_source,
			.policy_factor = p->policy_factor,
			.target_smooth = p->target_smooth,
			.slow_start_since = p->slow_start_since,
			.eject_until = p->eject_until,
			.healthy_since = p->healthy_since,
			.cost = p->cost,
			.intercept = p->intercept,
			.cost_ratio = p->cost_ratio,
		};

		memcpy(b.key, p->key, sizeof(b.key));
		memcpy(at, &b, sizeof(b));
		at += sizeof(b);
	}
	if (train_bytes)
		memcpy(at, brain->train, train_bytes);
	*blob = buf;
	*len = size;
	return 0;
}

int xlb_brain_load(struct xlb_brain *brain, const void *blob, size_t len)
{
	struct blob_header h;
	const char *at = blob;
	size_t need;

	if (len < sizeof(h))
		return -EPROTO;
	memcpy(&h, blob, sizeof(h));
	if (h.magic != BLOB_MAGIC || h.version != BLOB_VERSION ||
	    h.pair_size != sizeof(struct blob_pair) || h.feat_n != FEAT_N ||
	    h.train_n > BRAIN_TRAIN_ROWS || h.train_pos >= BRAIN_TRAIN_ROWS ||
	    h.n_pairs > (len - sizeof(h)) / sizeof(struct blob_pair))
		return -EPROTO;
	need = sizeof(h) + h.n_pairs * sizeof(struct blob_pair) +
	       h.train_n * FEAT_N * sizeof(double);
	if (len != need)
		return -EPROTO;
	at += sizeof(h);
	/* everything checked: from here on nothing is refused half way */
	for (size_t i = 0; i < h.n_pairs; i++) {
		struct blob_pair b;
		struct brain_pair *p;

		memcpy(&b, at, sizeof(b));
		at += sizeof(b);
		b.key[sizeof(b.key) - 1] = '\0';
		p = brain_pair_get(brain, b.key, true);
		if (!p)
			return -ENOMEM;
		p->loaded = true;
		p->health = b.health <= XLB_HEALTH_DOWN ? b.health
							: XLB_HEALTH_OK;
		p->factor = b.factor;
		p->ejections = b.ejections;
		p->anomaly_bits = b.anomaly_bits;
		p->load_source = b.load_source >= LOAD_NONE &&
						 b.load_source <= LOAD_LATENCY
					 ? b.load_source
					 : LOAD_NONE;
		p->policy_factor = b.policy_factor;
		p->target_smooth = b.target_smooth;
		p->slow_start_since = b.slow_start_since;
		p->eject_until = b.eject_until;
		p->healthy_since = b.healthy_since;
		p->cost = b.cost;
		p->intercept = b.intercept;
		p->cost_ratio = b.cost_ratio;
	}
	memcpy(brain->train, at, h.train_n * FEAT_N * sizeof(double));
	brain->train_n = h.train_n;
	brain->train_pos = h.train_pos;
	brain->saved_now = h.now;
	brain->forest_fitted = false;
	brain->forest_trained_at = NAN; /* refit at the first tick */
	return 0;
}
