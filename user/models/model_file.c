// SPDX-License-Identifier: GPL-2.0
#include "model_file.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iforest_layout.h"
#include "model_error.h"

#define MAGIC "XLBIFRST"
#define MAGIC_LEN 8
/* magic, version, header bytes, file bytes, six u32, five 64-bit fields */
#define FIXED_HEADER (MAGIC_LEN + 4 + 4 + 8 + 6 * 4 + 5 * 8)

uint32_t xlb_crc32(const void *data, size_t len)
{
	static const uint32_t nibble[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const uint8_t *p = data;
	uint32_t crc = 0xffffffff;

	for (size_t i = 0; i < len; i++) {
		crc = (crc >> 4) ^ nibble[(crc ^ p[i]) & 0xf];
		crc = (crc >> 4) ^ nibble[(crc ^ (p[i] >> 4)) & 0xf];
	}
	return ~crc;
}

/* A byte buffer written and read in little-endian fields. */
struct buf {
	uint8_t *data;
	size_t len, pos;
	bool overrun;
};

static void put(struct buf *b, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		b->data[b->pos++] = (uint8_t)(v >> (8 * i));
}

static void put_f64(struct buf *b, double v)
{
	uint64_t bits;

	memcpy(&bits, &v, sizeof(bits));
	put(b, bits, 8);
}

static uint64_t get(struct buf *b, int bytes)
{
	uint64_t v = 0;

	if (b->pos + bytes > b->len) {
		b->overrun = true;
		return 0;
	}
	for (int i = 0; i < bytes; i++)
		v |= (uint64_t)b->data[b->pos++] << (8 * i);
	return v;
}

static double get_f64(struct buf *b)
{
	uint64_t bits = get(b, 8);
	double v;

	memcpy(&v, &bits, sizeof(v));
	return v;
}

static size_t names_bytes(const struct xlb_iforest *f)
{
	size_t n = 0;

	for (unsigned int j = 0; j < f->n_features; j++)
		n += 2 + strlen(f->names[j]);
	return n;
}

static size_t trees_bytes(unsigned int n_trees, unsigned int height)
{
	size_t leaves = (size_t)1 << height;

	return n_trees * ((leaves - 1) * (8 + 2) + leaves * 8);
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

int xlb_iforest_save(const struct xlb_iforest *f, const char *path)
{
	size_t header, total, ni, nl;
	struct buf b = { 0 };
	char *tmp;
	int fd, saved;

	if (!f || !path)
		return XLB_MODEL_EINVAL;
	if (!f->sample_size)
		return XLB_MODEL_ENOTREADY;
	header = FIXED_HEADER + names_bytes(f);
	total = header + trees_bytes(f->n_trees, f->height) + 4;
	b.data = malloc(total);
	if (!b.data)
		return XLB_MODEL_ENOMEM;
	b.len = total;

	memcpy(b.data, MAGIC, MAGIC_LEN);
	b.pos = MAGIC_LEN;
	put(&b, XLB_MODEL_FILE_VERSION, 4);
	put(&b, header, 4);
	put(&b, total, 8);
	put(&b, f->n_trees, 4);
	put(&b, f->max_samples, 4);
	put(&b, f->sample_size, 4);
	put(&b, f->height, 4);
	put(&b, f->n_features, 4);
	put(&b, 0, 4);
	put(&b, f->seed, 8);
	put(&b, f->n_train_rows, 8);
	put(&b, (uint64_t)f->window_start, 8);
	put(&b, (uint64_t)f->window_end, 8);
	put_f64(&b, f->score_threshold);
	for (unsigned int j = 0; j < f->n_features; j++) {
		size_t len = strlen(f->names[j]);

		put(&b, len, 2);
		memcpy(b.data + b.pos, f->names[j], len);
		b.pos += len;
	}
	ni = f->n_internal;
	nl = f->n_leaves;
	for (unsigned int t = 0; t < f->n_trees; t++) {
		for (size_t i = 0; i < ni; i++)
			put_f64(&b, f->threshold[t * ni + i]);
		for (size_t i = 0; i < ni; i++)
			put(&b, f->feature[t * ni + i], 2);
		for (size_t i = 0; i < nl; i++)
			put_f64(&b, f->leaf[t * nl + i]);
	}
	put(&b, xlb_crc32(b.data, b.pos), 4);

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		free(b.data);
		return XLB_MODEL_ENOMEM;
	}
	fd = mkstemp(tmp);
	if (fd < 0 || write_all(fd, b.data, b.len) || fsync(fd) || close(fd) ||
	    rename(tmp, path)) {
		saved = errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		free(b.data);
		errno = saved;
		return XLB_MODEL_EIO;
	}
	free(tmp);
	free(b.data);
	return 0;
}

__attribute__((format(printf, 4, 5))) static int
refuse(int err, char *detail, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (detail && len) {
		va_start(ap, fmt);
		vsnprintf(detail, len, fmt, ap);
		va_end(ap);
	}
	return err;
}

/* Reads the whole file, refusing anything that is not a plausible model. */
static int read_file(const char *path, struct buf *b, char *detail, size_t len)
{
	uint8_t head[FIXED_HEADER];
	struct buf h = { .data = head };
	uint64_t file_bytes, max_bytes;
	unsigned int n_trees, max_samples, n_features;
	struct stat st;
	ssize_t n;
	int fd, saved;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return refuse(XLB_MODEL_EIO, detail, len, "%s",
			      strerror(errno));
	if (fstat(fd, &st)) {
		saved = errno;
		close(fd);
		errno = saved;
		return refuse(XLB_MODEL_EIO, detail, len, "%s",
			      strerror(saved));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return refuse(XLB_MODEL_EIO, detail, len, "not a regular file");
	}
	n = pread(fd, head, sizeof(head), 0);
	if (n < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return refuse(XLB_MODEL_EIO, detail, len, "%s",
			      strerror(saved));
	}
	h.len = n;
	if (n < MAGIC_LEN || memcmp(head, MAGIC, MAGIC_LEN)) {
		close(fd);
		return refuse(XLB_MODEL_EFOREIGN, detail, len,
			      "does not start with \"%s\"", MAGIC);
	}
	h.pos = MAGIC_LEN;
	if (n >= MAGIC_LEN + 4 && get(&h, 4) != XLB_MODEL_FILE_VERSION) {
		h.pos = MAGIC_LEN;
		close(fd);
		return refuse(XLB_MODEL_EVERSION, detail, len,
			      "format version %u, this build reads %d",
			      (unsigned int)get(&h, 4), XLB_MODEL_FILE_VERSION);
	}
	if (n < FIXED_HEADER) {
		close(fd);
		return refuse(XLB_MODEL_ECORRUPT, detail, len,
			      "truncated: %zd bytes, header alone is %d", n,
			      FIXED_HEADER);
	}
	get(&h, 4);
	file_bytes = get(&h, 8);
	n_trees = get(&h, 4);
	max_samples = get(&h, 4);
	get(&h, 4);
	get(&h, 4);
	n_features = get(&h, 4);
	if ((uint64_t)st.st_size != file_bytes) {
		close(fd);
		return refuse(XLB_MODEL_ECORRUPT, detail, len,
			      "file is %lld bytes, header says %llu",
			      (long long)st.st_size,
			      (unsigned long long)file_bytes);
	}
	/* Bound the allocation by what the forest itself may use. */
	if (!n_trees || n_trees > XLB_IFOREST_MAX_TREES || max_samples < 2 ||
	    max_samples > XLB_IFOREST_MAX_SAMPLES || !n_features ||
	    n_features > XLB_IFOREST_MAX_FEATURES) {
		close(fd);
		return refuse(XLB_MODEL_ECORRUPT, detail, len,
			      "shape out of range: %u trees, psi %u, %u "
			      "features",
			      n_trees, max_samples, n_features);
	}
	max_bytes = xlb_iforest_bytes(n_trees, max_samples, n_features) +
		    (uint64_t)n_features * 2 + 4096;
	if (file_bytes > max_bytes ||
	    xlb_iforest_bytes(n_trees, max_samples, n_features) >
		    XLB_IFOREST_DEFAULT_MAX_BYTES) {
		close(fd);
		return refuse(XLB_MODEL_ELIMIT, detail, len,
			      "%llu bytes exceed the forest size limit",
			      (unsigned long long)file_bytes);
	}

	b->len = file_bytes;
	b->data = malloc(file_bytes);
	if (!b->data) {
		close(fd);
		return XLB_MODEL_ENOMEM;
	}
	for (size_t done = 0; done < file_bytes; done += n) {
		n = pread(fd, b->data + done, file_bytes - done, done);
		if (n <= 0) {
			saved = n < 0 ? errno : EIO;
			close(fd);
			free(b->data);
			errno = saved;
			return refuse(n < 0 ? XLB_MODEL_EIO
					    : XLB_MODEL_ECORRUPT,
				      detail, len, "%s",
				      n < 0 ? strerror(saved)
					    : "file shrank while reading");
		}
	}
	close(fd);
	return 0;
}

static int parse(struct buf *b, struct xlb_iforest **out, char *detail,
		 size_t len)
{
	struct xlb_iforest_config cfg = { 0 };
	unsigned int n_trees, max_samples, sample_size, height, n_features;
	uint32_t stored, computed;
	size_t header, ni, nl;
	struct xlb_iforest *f;
	double max_leaf;
	int err;

	stored = (uint32_t)b->data[b->len - 4] |
		 (uint32_t)b->data[b->len - 3] << 8 |
		 (uint32_t)b->data[b->len - 2] << 16 |
		 (uint32_t)b->data[b->len - 1] << 24;
	computed = xlb_crc32(b->data, b->len - 4);
	if (stored != computed)
		return refuse(XLB_MODEL_ECORRUPT, detail, len,
			      "checksum mismatch: stored %08x, computed %08x",
			      stored, computed);
	b->len -= 4;

	b->pos = MAGIC_LEN + 4;
	header = get(b, 4);
	get(b, 8);
	n_trees = get(b, 4);
	max_samples = get(b, 4);
	sample_size = get(b, 4);
	height = get(b, 4);
	n_features = get(b, 4);
	get(b, 4);
	if (sample_size < 2 || sample_size > max_samples ||
	    height != xlb_iforest_height(sample_size))
		return refuse(XLB_MODEL_ECORRUPT, detail, len,
			      "inconsistent shape: psi %u of %u, height %u",
			      sample_size, max_samples, height);

	cfg.n_trees = n_trees;
	cfg.max_samples = max_samples;
	cfg.seed = get(b, 8);
	err = xlb_iforest_create(&cfg, n_features, &f);
	if (err)
		return refuse(err, detail, len,
			      "cannot allocate the forest: %s",
			      xlb_model_strerror(err));
	f->sample_size = sample_size;
	f->height = height;
	f->n_leaves = nl = (size_t)1 << height;
	f->n_internal = ni = nl - 1;
	f->c_sample = f->c_table[sample_size];
	f->n_train_rows = get(b, 8);
	f->window_start = (int64_t)get(b, 8);
	f->window_end = (int64_t)get(b, 8);
	f->score_threshold = get_f64(b);
	if (f->n_train_rows < sample_size ||
	    !(f->score_threshold >= 0 && f->score_threshold <= 1)) {
		err = refuse(XLB_MODEL_ECORRUPT, detail, len,
			     "bad metadata: %llu training rows, threshold %g",
			     (unsigned long long)f->n_train_rows,
			     f->score_threshold);
		goto fail;
	}
	for (unsigned int j = 0; j < n_features; j++) {
		size_t n = get(b, 2);

		if (n >= XLB_IFOREST_NAME_MAX || b->pos + n > b->len ||
		    memchr(b->data + b->pos, 0, n)) {
			err = refuse(XLB_MODEL_ECORRUPT, detail, len,
				     "bad name for feature %u", j);
			goto fail;
		}
		memcpy(f->names[j], b->data + b->pos, n);
		f->names[j][n] = '\0';
		b->pos += n;
	}
	if (b->overrun || b->pos != header ||
	    b->len - b->pos != trees_bytes(n_trees, height)) {
		err = refuse(XLB_MODEL_ECORRUPT, detail, len,
			     "section sizes do not add up");
		goto fail;
	}

	/* A leaf holds a depth plus c(size): never more than this. */
	max_leaf = height + f->c_table[sample_size];
	for (unsigned int t = 0; t < n_trees; t++) {
		for (size_t i = 0; i < ni; i++) {
			double v = get_f64(b);

			if (isnan(v) || v == -INFINITY)
				goto bad_tree;
			f->threshold[t * ni + i] = v;
		}
		for (size_t i = 0; i < ni; i++) {
			f->feature[t * ni + i] = get(b, 2);
			if (f->feature[t * ni + i] >= n_features)
				goto bad_tree;
		}
		for (size_t i = 0; i < nl; i++) {
			double v = get_f64(b);

			if (!(v >= 0 && v <= max_leaf))
				goto bad_tree;
			f->leaf[t * nl + i] = v;
		}
		continue;
	bad_tree:
		err = refuse(XLB_MODEL_ECORRUPT, detail, len,
			     "tree %u holds an out-of-range value", t);
		goto fail;
	}
	xlb_iforest_key_thresholds(f);
	*out = f;
	return 0;
fail:
	xlb_iforest_destroy(f);
	return err;
}

int xlb_iforest_load(const char *path, struct xlb_iforest **out, char *detail,
		     size_t detail_len)
{
	struct buf b = { 0 };
	int err;

	if (detail && detail_len)
		detail[0] = '\0';
	if (!path || !out)
		return XLB_MODEL_EINVAL;
	err = read_file(path, &b, detail, detail_len);
	if (err)
		return err;
	err = parse(&b, out, detail, detail_len);
	free(b.data);
	return err;
}
