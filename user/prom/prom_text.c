// SPDX-License-Identifier: GPL-2.0
/*
 * Strict parser of the Prometheus text exposition format 0.0.4 (see
 * prom_text.h). One pass over the body; each line is unescaped into one
 * scratch buffer, so the callback's strings live until it returns.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "prom_text.h"

#define DEFAULT_MAX_SAMPLES 100000
#define DEFAULT_MAX_LINE_LEN 65536
/* Longest numeric token we accept ("-1.7976931348623157e+308" is 24). */
#define MAX_NUMBER_LEN 64

/* The families named in # TYPE lines: an open-addressing set of names. */
struct family {
	char *name;
	enum xlb_prom_type type;
};

struct parser {
	const char *text;
	size_t len;
	size_t max_samples;
	size_t max_line_len;
	size_t line_no;
	char *scratch; /* unescaped names and values of the current line */
	struct family *families;
	size_t n_families, cap_families;
	/* The family of the last # TYPE line: samples that follow belong to it. */
	const struct family *current;
	char *err;
	size_t errlen;
};

static int fail(struct parser *p, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct parser *p, int code, const char *fmt, ...)
{
	va_list ap;
	int n = 0;

	if (p->err && p->errlen) {
		n = snprintf(p->err, p->errlen, "line %zu: ", p->line_no);
		if (n < 0 || (size_t)n >= p->errlen)
			return code;
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - n, fmt, ap);
		va_end(ap);
	}
	return code;
}

static bool is_name_start(char c, bool colon_ok)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (colon_ok && c == ':');
}

static bool is_name_char(char c, bool colon_ok)
{
	return is_name_start(c, colon_ok) || (c >= '0' && c <= '9');
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static uint64_t hash_name(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct family *family_slot(struct family *set, size_t cap,
				  const char *name)
{
	size_t i = hash_name(name) & (cap - 1);

	while (set[i].name && strcmp(set[i].name, name))
		i = (i + 1) & (cap - 1);
	return &set[i];
}

/* Adds a family; -EEXIST when it was already typed, -ENOMEM. */
static int family_add(struct parser *p, const char *name,
		      enum xlb_prom_type type, const struct family **out)
{
	struct family *slot;

	if ((p->n_families + 1) * 2 > p->cap_families) {
		size_t cap = p->cap_families ? p->cap_families * 2 : 64;
		struct family *set = calloc(cap, sizeof(*set));

		if (!set)
			return -ENOMEM;
		for (size_t i = 0; i < p->cap_families; i++) {
			if (p->families[i].name)
				*family_slot(set, cap, p->families[i].name) =
					p->families[i];
		}
		free(p->families);
		p->families = set;
		p->cap_families = cap;
		/* current pointed into the old table: find it again */
		if (p->current)
			p->current = NULL;
	}
	slot = family_slot(p->families, p->cap_families, name);
	if (slot->name)
		return -EEXIST;
	slot->name = strdup(name);
	if (!slot->name)
		return -ENOMEM;
	slot->type = type;
	p->n_families++;
	*out = slot;
	return 0;
}

static void families_free(struct parser *p)
{
	for (size_t i = 0; i < p->cap_families; i++)
		free(p->families[i].name);
	free(p->families);
}

/* Reads a metric or label name at *pos into dst; returns its length or 0. */
static size_t read_name(const char *line, size_t len, size_t *pos, char *dst,
			bool colon_ok)
{
	size_t start = *pos, i = *pos;

	if (i >= len || !is_name_start(line[i], colon_ok))
		return 0;
	while (i < len && is_name_char(line[i], colon_ok))
		i++;
	memcpy(dst, line + start, i - start);
	dst[i - start] = '\0';
	*pos = i;
	return i - start;
}

static void skip_blanks(const char *line, size_t len, size_t *pos)
{
	while (*pos < len && is_blank(line[*pos]))
		(*pos)++;
}

/* Reads the next blank-separated token; returns its length (0 at the end). */
static size_t read_token(const char *line, size_t len, size_t *pos,
			 const char **tok)
{
	size_t start;

	skip_blanks(line, len, pos);
	start = *pos;
	while (*pos < len && !is_blank(line[*pos]))
		(*pos)++;
	*tok = line + start;
	return *pos - start;
}

/*
 * A sample value: decimal floats with exponents, or NaN, Inf, +Inf, -Inf
 * (any case, as Go's ParseFloat takes them). Hex floats and strtod's other
 * extensions ("infinity", "nan(...)") are refused.
 */
static bool parse_value(const char *tok, size_t n, double *out)
{
	char buf[MAX_NUMBER_LEN + 1], *end;
	const char *t = tok;
	size_t m = n;

	if (n == 0 || n > MAX_NUMBER_LEN)
		return false;
	if (n == 3 && !strncasecmp(tok, "nan", 3)) {
		*out = NAN;
		return true;
	}
	if (*t == '+' || *t == '-') {
		t++;
		m--;
	}
	if (m == 3 && !strncasecmp(t, "inf", 3)) {
		*out = *tok == '-' ? -INFINITY : INFINITY;
		return true;
	}
	for (size_t i = 0; i < m; i++) {
		char c = t[i];

		if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' ||
		      c == 'E' || c == '+' || c == '-'))
			return false;
	}
	memcpy(buf, tok, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	/* overflow to ±HUGE_VAL is what Go gives too; underflow to 0 is fine */
	return end == buf + n && end != buf;
}

static bool parse_timestamp(const char *tok, size_t n, int64_t *out)
{
	char buf[32], *end;
	long long v;

	if (n == 0 || n >= sizeof(buf))
		return false;
	memcpy(buf, tok, n);
	buf[n] = '\0';
	if (!((buf[0] >= '0' && buf[0] <= '9') ||
	      ((buf[0] == '-' || buf[0] == '+') && n > 1)))
		return false;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || end != buf + n)
		return false;
	*out = v;
	return true;
}

static int parse_comment(struct parser *p, const char *line, size_t len)
{
	size_t pos = 1, n;
	const char *tok;
	char *name = p->scratch;

	n = read_token(line, len, &pos, &tok);
	if (!((n == 4 && !memcmp(tok, "HELP", 4)) ||
	      (n == 4 && !memcmp(tok, "TYPE", 4))))
		return 0; /* any other comment is ignored */
	bool is_type = tok[0] == 'T';

	if (pos >= len || !is_blank(line[pos]))
		return fail(p, -EINVAL, "# %s without a metric name",
			    is_type ? "TYPE" : "HELP");
	skip_blanks(line, len, &pos);
	if (!read_name(line, len, &pos, name, true))
		return fail(p, -EINVAL, "# %s: invalid metric name",
			    is_type ? "TYPE" : "HELP");
	if (pos < len && !is_blank(line[pos]))
		return fail(p, -EINVAL, "# %s %s: invalid metric name",
			    is_type ? "TYPE" : "HELP", name);
	if (!is_type) {
		/* the docstring may hold \\ and \n; anything else is text */
		for (size_t i = pos; i < len; i++) {
			if (line[i] == '\\' &&
			    (i + 1 >= len ||
			     (line[i + 1] != '\\' && line[i + 1] != 'n')))
				return fail(p, -EINVAL,
					    "# HELP %s: invalid escape", name);
			if (line[i] == '\\')
				i++;
		}
		return 0;
	}

	static const char *const types[] = {
		[XLB_PROM_UNTYPED] = "untyped",
		[XLB_PROM_COUNTER] = "counter",
		[XLB_PROM_GAUGE] = "gauge",
		[XLB_PROM_HISTOGRAM] = "histogram",
		[XLB_PROM_SUMMARY] = "summary",
	};
	size_t name_len = strlen(name);
	const char *type_tok;
	size_t type_n = read_token(line, len, &pos, &type_tok);
	int type = -1, rc;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (type_n == strlen(types[i]) &&
		    !memcmp(type_tok, types[i], type_n))
			type = (int)i;
	}
	if (type < 0)
		return fail(p, -EINVAL, "# TYPE %s: unknown type '%.*s'", name,
			    (int)(type_n > 32 ? 32 : type_n), type_tok);
	skip_blanks(line, len, &pos);
	if (pos != len)
		return fail(p, -EINVAL, "# TYPE %s: text after the type", name);
	(void)name_len;
	rc = family_add(p, name, (enum xlb_prom_type)type, &p->current);
	if (rc == -EEXIST)
		return fail(p, -EINVAL, "second # TYPE line for %s", name);
	if (rc)
		return fail(p, rc, "out of memory");
	return 0;
}

static bool has_suffix(const char *name, size_t name_len, const char *base,
		       const char *suffix)
{
	size_t bl = strlen(base), sl = strlen(suffix);

	return name_len == bl + sl && !memcmp(name, base, bl) &&
	       !memcmp(name + bl, suffix, sl);
}

/* The type of the family a sample belongs to: the last # TYPE before it. */
static enum xlb_prom_type sample_type(const struct parser *p, const char *name)
{
	const struct family *f = p->current;
	size_t n = strlen(name);

	if (!f)
		return XLB_PROM_UNTYPED;
	if (!strcmp(name, f->name))
		return f->type;
	if ((f->type == XLB_PROM_HISTOGRAM &&
	     (has_suffix(name, n, f->name, "_bucket") ||
	      has_suffix(name, n, f->name, "_sum") ||
	      has_suffix(name, n, f->name, "_count"))) ||
	    (f->type == XLB_PROM_SUMMARY &&
	     (has_suffix(name, n, f->name, "_sum") ||
	      has_suffix(name, n, f->name, "_count"))))
		return f->type;
	return XLB_PROM_UNTYPED;
}

static int parse_sample(struct parser *p, const char *line, size_t len,
			xlb_prom_sample_fn fn, void *arg)
{
	struct xlb_prom_label labels[XLB_PROM_MAX_LABELS];
	struct xlb_prom_sample s = { .labels = labels,
				     .timestamp_ms = INT64_MIN };
	char *out = p->scratch;
	size_t pos = 0, n;
	const char *tok;

	n = read_name(line, len, &pos, out, true);
	if (!n)
		return fail(p, -EINVAL, "invalid metric name");
	s.name = out;
	out += n + 1;
	size_t after_name = pos;

	skip_blanks(line, len, &pos);
	bool blank_before_value = pos > after_name;

	if (pos < len && line[pos] == '{') {
		pos++;
		for (;;) {
			skip_blanks(line, len, &pos);
			if (pos < len && line[pos] == '}') {
				pos++;
				break;
			}
			if (s.n_labels == XLB_PROM_MAX_LABELS)
				return fail(p, -E2BIG,
					    "%s: more than %d labels", s.name,
					    XLB_PROM_MAX_LABELS);
			n = read_name(line, len, &pos, out, false);
			if (!n)
				return fail(p, -EINVAL,
					    "%s: invalid label name", s.name);
			labels[s.n_labels].name = out;
			for (size_t i = 0; i < s.n_labels; i++) {
				if (!strcmp(labels[i].name, out))
					return fail(p, -EINVAL,
						    "%s: duplicate label %s",
						    s.name, out);
			}
			out += n + 1;
			skip_blanks(line, len, &pos);
			if (pos >= len || line[pos] != '=')
				return fail(p, -EINVAL,
					    "%s: label %s without '='", s.name,
					    labels[s.n_labels].name);
			pos++;
			skip_blanks(line, len, &pos);
			if (pos >= len || line[pos] != '"')
				return fail(p, -EINVAL,
					    "%s: label %s value not quoted",
					    s.name, labels[s.n_labels].name);
			pos++;
			labels[s.n_labels].value = out;
			for (;;) {
				if (pos >= len)
					return fail(p, -EINVAL,
						    "%s: label value not "
						    "terminated",
						    s.name);
				char c = line[pos++];

				if (c == '"')
					break;
				if (c == '\\') {
					if (pos >= len)
						return fail(p, -EINVAL,
							    "%s: label value "
							    "not terminated",
							    s.name);
					c = line[pos++];
					if (c == 'n')
						c = '\n';
					else if (c != '\\' && c != '"')
						return fail(p, -EINVAL,
							    "%s: invalid "
							    "escape '\\%c' in "
							    "label value",
							    s.name, c);
				}
				*out++ = c;
			}
			*out++ = '\0';
			s.n_labels++;
			skip_blanks(line, len, &pos);
			if (pos < len && line[pos] == ',') {
				pos++;
				continue;
			}
			if (pos < len && line[pos] == '}') {
				pos++;
				break;
			}
			return fail(p, -EINVAL,
				    "%s: expected ',' or '}' after label %s",
				    s.name, labels[s.n_labels - 1].name);
		}
	}
	if (pos < len && is_blank(line[pos]))
		blank_before_value = true;
	if (pos >= len || !blank_before_value)
		return fail(p, -EINVAL,
			    pos >= len ? "%s: no value"
				       : "%s: invalid metric name",
			    s.name);
	n = read_token(line, len, &pos, &tok);
	if (!n)
		return fail(p, -EINVAL, "%s: no value", s.name);
	if (!parse_value(tok, n, &s.value))
		return fail(p, -EINVAL, "%s: invalid value '%.*s'", s.name,
			    (int)(n > 32 ? 32 : n), tok);
	n = read_token(line, len, &pos, &tok);
	if (n && !parse_timestamp(tok, n, &s.timestamp_ms))
		return fail(p, -EINVAL, "%s: invalid timestamp '%.*s'", s.name,
			    (int)(n > 32 ? 32 : n), tok);
	skip_blanks(line, len, &pos);
	if (pos != len)
		return fail(p, -EINVAL, "%s: text after the timestamp", s.name);
	s.type = sample_type(p, s.name);
	return fn(&s, arg);
}

int xlb_prom_parse(const char *text, size_t len,
		   const struct xlb_prom_limits *limits, xlb_prom_sample_fn fn,
		   void *arg, char *err, size_t errlen)
{
	struct parser p = {
		.text = text,
		.len = len,
		.max_samples = limits && limits->max_samples
				       ? limits->max_samples
				       : DEFAULT_MAX_SAMPLES,
		.max_line_len = limits && limits->max_line_len
					? limits->max_line_len
					: DEFAULT_MAX_LINE_LEN,
		.err = err,
		.errlen = errlen,
	};
	size_t pos = 0, n_samples = 0, scratch_len;
	int rc = 0;

	if (err && errlen)
		err[0] = '\0';
	if (!text && len)
		return fail(&p, -EINVAL, "no body");
	/* a line unescapes to at most its length plus one NUL per string */
	scratch_len = (len < p.max_line_len ? len : p.max_line_len) * 2 + 2;
	p.scratch = malloc(scratch_len);
	if (!p.scratch)
		return fail(&p, -ENOMEM, "out of memory");

	while (pos < len) {
		const char *line = text + pos, *nl;
		size_t line_len;

		p.line_no++;
		nl = memchr(line, '\n', len - pos);
		line_len = nl ? (size_t)(nl - line) : len - pos;
		if (line_len > p.max_line_len) {
			rc = fail(&p, -E2BIG, "longer than %zu bytes",
				  p.max_line_len);
			break;
		}
		if (!nl) {
			/* the format ends every line with \n: a body cut
			 * mid-line is refused, not half-read */
			rc = fail(&p, -EINVAL,
				  "truncated: last line has no newline");
			break;
		}
		if (memchr(line, '\0', line_len)) {
			rc = fail(&p, -EINVAL, "NUL byte");
			break;
		}
		pos += line_len + 1;
		/* tolerate CRLF bodies? no: 0.0.4 says \n, and \r would end
		 * up in values; refuse so a broken proxy is noticed */
		if (line_len && line[line_len - 1] == '\r') {
			rc = fail(&p, -EINVAL,
				  "carriage return at end of line");
			break;
		}
		size_t start = 0;

		while (start < line_len && is_blank(line[start]))
			start++;
		if (start == line_len)
			continue;
		if (line[start] == '#') {
			rc = parse_comment(&p, line + start, line_len - start);
			if (rc)
				break;
			continue;
		}
		if (++n_samples > p.max_samples) {
			rc = fail(&p, -E2BIG, "more than %zu samples",
				  p.max_samples);
			break;
		}
		rc = parse_sample(&p, line + start, line_len - start, fn, arg);
		if (rc)
			break;
	}
	free(p.scratch);
	families_free(&p);
	return rc;
}

const char *xlb_prom_label(const struct xlb_prom_sample *sample,
			   const char *name)
{
	for (size_t i = 0; i < sample->n_labels; i++) {
		if (!strcmp(sample->labels[i].name, name))
			return sample->labels[i].value;
	}
	return NULL;
}
