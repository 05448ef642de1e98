/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Saving and loading a fitted forest with its metadata (feature names,
 * trees, psi, seed, training rows and window, score threshold).
 *
 * Format version 1, all integers little-endian, doubles as IEEE-754 bits:
 *
 *   "XLBIFRST" magic, u32 version, u32 header bytes, u64 file bytes,
 *   u32 n_trees, max_samples, sample_size, height, n_features, reserved,
 *   u64 seed, n_train_rows, i64 window_start, window_end, f64 threshold,
 *   per feature: u16 name length + name bytes,
 *   per tree: 2^H-1 f64 thresholds, 2^H-1 u16 features, 2^H f64 leaves,
 *   u32 CRC-32 (IEEE) of every byte before it.
 *
 * Loading checks the magic (foreign file), the version, the length, the
 * checksum and every value's range before it allocates the forest, so a
 * damaged or hostile file is refused, never half-loaded.
 */
#ifndef XLB_MODEL_FILE_H
#define XLB_MODEL_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "iforest.h"

#define XLB_MODEL_FILE_VERSION 1

/* Writes path atomically (a temporary file renamed over it). */
int xlb_iforest_save(const struct xlb_iforest *forest, const char *path);

/*
 * Loads a forest saved by xlb_iforest_save(). On failure, detail (if not
 * NULL) receives what exactly was wrong, e.g. "checksum mismatch".
 */
int xlb_iforest_load(const char *path, struct xlb_iforest **out, char *detail,
		     size_t detail_len);

uint32_t xlb_crc32(const void *data, size_t len);

#endif
