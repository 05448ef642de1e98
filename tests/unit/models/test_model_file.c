// SPDX-License-Identifier: GPL-2.0
/* Model file: round trip, determinism, and every kind of bad file refused. */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iforest.h"
#include "iforest_layout.h"
#include "model_error.h"
#include "model_file.h"
#include "rng.h"
#include "testing.h"

enum { N = 300, D = 3 };
static double data[N * D];

static struct xlb_iforest *forest(uint64_t seed)
{
	struct xlb_iforest_config cfg = { .n_trees = 25,
					  .max_samples = 128,
					  .seed = seed };
	const char *names[] = { "cpu", "rtt_ms", "errors" };
	struct xlb_iforest *f;
	struct xlb_rng rng;

	xlb_rng_seed(&rng, 17);
	for (int i = 0; i < N * D; i++)
		data[i] = xlb_rng_uniform(&rng) * (i % D + 1);
	if (xlb_iforest_create(&cfg, D, &f))
		return NULL;
	if (xlb_iforest_fit(f, data, N)) {
		xlb_iforest_destroy(f);
		return NULL;
	}
	xlb_iforest_set_feature_names(f, names);
	xlb_iforest_set_training_window(f, -5, 1700000000);
	xlb_iforest_set_score_threshold(f, 0.61);
	return f;
}

static char *temp_path(void)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/xlb-model-test-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		return NULL;
	close(fd);
	return path;
}

static long read_all(const char *path, unsigned char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (!f)
		return -1;
	n = fread(buf, 1, cap, f);
	fclose(f);
	return n;
}

static int write_all(const char *path, const unsigned char *buf, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(buf, 1, n, f) != n) {
		if (f)
			fclose(f);
		return -1;
	}
	return fclose(f);
}

static unsigned char file[1 << 20], copy[1 << 20];

TEST(crc32_matches_the_standard_check_value)
{
	CHECK_EQ(xlb_crc32("123456789", 9), 0xcbf43926);
}

TEST(model_file_round_trip_keeps_scores_and_metadata)
{
	struct xlb_iforest *f = forest(3), *g = NULL;
	struct xlb_iforest_info a, b;
	static double sa[N], sb[N];
	char *path = temp_path();
	char detail[128];

	CHECK(f && path, "setup");
	CHECK_EQ(xlb_iforest_save(f, path), 0);
	CHECK_EQ(xlb_iforest_load(path, &g, detail, sizeof(detail)), 0);
	xlb_iforest_get_info(f, &a);
	xlb_iforest_get_info(g, &b);
	CHECK_EQ(b.n_trees, 25);
	CHECK_EQ(b.max_samples, 128);
	CHECK_EQ(b.sample_size, a.sample_size);
	CHECK_EQ(b.height, 7);
	CHECK_EQ(b.n_features, D);
	CHECK_EQ(b.seed, 3);
	CHECK_EQ(b.n_train_rows, N);
	CHECK_EQ(b.window_start, -5);
	CHECK_EQ(b.window_end, 1700000000);
	CHECK(b.score_threshold == 0.61, "threshold");
	CHECK(!strcmp(xlb_iforest_feature_name(g, 1), "rtt_ms"), "name");
	CHECK_EQ(xlb_iforest_score(f, data, N, sa), 0);
	CHECK_EQ(xlb_iforest_score(g, data, N, sb), 0);
	CHECK(!memcmp(sa, sb, sizeof(sa)), "scores changed by save/load");
	xlb_iforest_destroy(f);
	xlb_iforest_destroy(g);
	unlink(path);
}

TEST(model_file_same_seed_same_bytes)
{
	struct xlb_iforest *f = forest(8), *g = forest(8);
	char *path = temp_path();
	long n, m;

	CHECK(f && g && path, "setup");
	CHECK_EQ(xlb_iforest_save(f, path), 0);
	n = read_all(path, file, sizeof(file));
	CHECK_EQ(xlb_iforest_save(g, path), 0);
	m = read_all(path, copy, sizeof(copy));
	CHECK(n > 0 && n == m && !memcmp(file, copy, n), "files differ");
	xlb_iforest_destroy(f);
	xlb_iforest_destroy(g);
	unlink(path);
}

/* Saves a forest, applies damage, expects load to refuse with err. */
static void expect_refused(void (*damage)(unsigned char *, long *), int err,
			   const char *why)
{
	struct xlb_iforest *f = forest(1), *g = NULL;
	char *path = temp_path();
	char detail[256];
	long n;

	CHECK(f && path, "setup");
	CHECK_EQ(xlb_iforest_save(f, path), 0);
	n = read_all(path, file, sizeof(file));
	CHECK(n > 100, "saved %ld bytes", n);
	damage(file, &n);
	CHECK_EQ(write_all(path, file, n), 0);
	CHECK_EQ(xlb_iforest_load(path, &g, detail, sizeof(detail)), err);
	CHECK(g == NULL, "a forest came back");
	CHECK(strstr(detail, why), "detail \"%s\" lacks \"%s\"", detail, why);
	xlb_iforest_destroy(f);
	unlink(path);
}

static void flip_tree_byte(unsigned char *b, long *n)
{
	b[*n - 100] ^= 0x10;
}

static void truncate_half(unsigned char *b, long *n)
{
	(void)b;
	*n /= 2;
}

static void make_foreign(unsigned char *b, long *n)
{
	memcpy(b, "timestamp,cpu\n1,2\n", 18);
	*n = 18;
}

static void bump_version(unsigned char *b, long *n)
{
	(void)n;
	b[8] = 2;
}

static void trailing_bytes(unsigned char *b, long *n)
{
	b[(*n)++] = 0;
}

/* Feature index 999 in tree 0, with a recomputed valid checksum. */
static void bad_feature_valid_crc(unsigned char *b, long *n)
{
	size_t header = b[12] | b[13] << 8 | b[14] << 16 | (size_t)b[15] << 24;
	size_t features = header + 127 * 8; /* after 127 thresholds */
	uint32_t crc;

	b[features] = 999 & 0xff;
	b[features + 1] = 999 >> 8;
	crc = xlb_crc32(b, *n - 4);
	for (int i = 0; i < 4; i++)
		b[*n - 4 + i] = crc >> (8 * i);
}

TEST(model_file_refuses_a_flipped_byte)
{
	expect_refused(flip_tree_byte, XLB_MODEL_ECORRUPT, "checksum mismatch");
}

TEST(model_file_refuses_a_truncated_file)
{
	expect_refused(truncate_half, XLB_MODEL_ECORRUPT, "header says");
}

TEST(model_file_refuses_trailing_bytes)
{
	expect_refused(trailing_bytes, XLB_MODEL_ECORRUPT, "header says");
}

TEST(model_file_refuses_a_foreign_file)
{
	expect_refused(make_foreign, XLB_MODEL_EFOREIGN, "XLBIFRST");
}

TEST(model_file_refuses_another_version)
{
	expect_refused(bump_version, XLB_MODEL_EVERSION, "format version 2");
}

TEST(model_file_refuses_out_of_range_values_behind_a_valid_checksum)
{
	expect_refused(bad_feature_valid_crc, XLB_MODEL_ECORRUPT,
		       "out-of-range");
}

TEST(model_file_refuses_missing_and_unreadable_paths)
{
	struct xlb_iforest *g = NULL;
	char detail[128];

	CHECK_EQ(xlb_iforest_load("/nonexistent/model.xlbf", &g, detail,
				  sizeof(detail)),
		 XLB_MODEL_EIO);
	CHECK_EQ(errno, ENOENT);
	CHECK(strstr(detail, "No such file"), "detail \"%s\"", detail);
	CHECK_EQ(xlb_iforest_load("/tmp", &g, detail, sizeof(detail)),
		 XLB_MODEL_EIO);
	CHECK(strstr(detail, "not a regular file"), "detail \"%s\"", detail);
	CHECK(g == NULL, "a forest came back");
}

TEST(model_file_save_needs_a_fitted_forest_and_writes_atomically)
{
	struct xlb_iforest_config cfg = { 0 };
	struct xlb_iforest *f;
	char *path = temp_path();
	char pattern[128];
	glob_t found;

	CHECK(path, "setup");
	CHECK_EQ(xlb_iforest_create(&cfg, 2, &f), 0);
	CHECK_EQ(xlb_iforest_save(f, path), XLB_MODEL_ENOTREADY);
	xlb_iforest_destroy(f);
	CHECK_EQ(xlb_iforest_save(NULL, path), XLB_MODEL_EINVAL);
	f = forest(2);
	CHECK(f, "fit");
	CHECK_EQ(xlb_iforest_save(f, "/nonexistent/dir/model"), XLB_MODEL_EIO);
	/* No temporary file left behind. */
	snprintf(pattern, sizeof(pattern), "%s.tmp.*", path);
	CHECK_EQ(xlb_iforest_save(f, path), 0);
	CHECK_EQ(glob(pattern, 0, NULL, &found), GLOB_NOMATCH);
	xlb_iforest_destroy(f);
	unlink(path);
}
