// SPDX-License-Identifier: GPL-2.0
#include "maglev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "xlb_hash.h"

#define MAGLEV_SEED_OFFSET 0x6d61676c /* "magl" */
#define MAGLEV_SEED_SKIP 0x65763031   /* "ev01" */

bool xlb_is_prime(__u32 n)
{
	if (n < 2)
		return false;
	if (n % 2 == 0)
		return n == 2;
	for (__u32 d = 3; (__u64)d * d <= n; d += 2)
		if (n % d == 0)
			return false;
	return true;
}

/* Hash of (VIP, backend address): the seed of the backend's permutation. */
static __u32 permutation_hash(const struct xlb_vip_key *vip,
			      const struct xlb_maglev_backend *be, __u32 seed)
{
	const __u32 *w = (const __u32 *)vip;
	__u32 h = seed;

	for (size_t i = 0; i < sizeof(*vip) / 4; i++)
		h = xlb_hash_mix(h, w[i]);
	for (int i = 0; i < 4; i++)
		h = xlb_hash_mix(h, be->addr.v6[i]);
	h = xlb_hash_mix(h, be->family);
	return xlb_hash_final(h, sizeof(*vip) + 17);
}

static int backend_cmp(const void *a, const void *b)
{
	const struct xlb_maglev_backend *x = a, *y = b;

	if (x->family != y->family)
		return x->family < y->family ? -1 : 1;
	return memcmp(x->addr.bytes, y->addr.bytes, sizeof(x->addr.bytes));
}

static inline __u32 step(__u32 next, __u32 skip, __u32 size)
{
	next += skip; /* below 2 * size < 2^21: no overflow */
	return next >= size ? next - size : next;
}

struct cursor {
	__u32 next; /* the backend's next preferred slot */
	__u32 skip;
	__u64 credit; /* weight earned but not yet spent on a slot */
};

/*
 * Maglev's population, weighted: in each round every backend earns its
 * weight in credit and claims its next free preferred slot for every
 * max-weight of credit, so slot counts follow the weights and, with equal
 * weights, this is the paper's round robin exactly.
 */
int xlb_maglev_build(const struct xlb_vip_key *vip,
		     struct xlb_maglev_backend *backends, size_t n, __u32 size,
		     __u16 *table)
{
	struct cursor *cur;
	__u32 max_weight = 0, filled = 0;

	if (xlb_check_table_size("table size", size))
		return -EINVAL;
	for (__u32 i = 0; i < size; i++)
		table[i] = XLB_PAIR_NONE;

	qsort(backends, n, sizeof(*backends), backend_cmp);
	for (size_t i = 0; i < n; i++)
		if (backends[i].weight > max_weight)
			max_weight = backends[i].weight;
	if (max_weight == 0)
		return 0;

	cur = calloc(n, sizeof(*cur));
	if (!cur)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		cur[i].next = permutation_hash(vip, &backends[i],
					       MAGLEV_SEED_OFFSET) %
			      size;
		cur[i].skip =
			permutation_hash(vip, &backends[i], MAGLEV_SEED_SKIP) %
				(size - 1) +
			1;
	}

	while (filled < size) {
		for (size_t i = 0; i < n && filled < size; i++) {
			struct cursor *c = &cur[i];

			c->credit += backends[i].weight;
			if (c->credit < max_weight)
				continue;
			c->credit -= max_weight;
			/* next, skip < size: a subtraction, not a division. */
			while (table[c->next] != XLB_PAIR_NONE)
				c->next = step(c->next, c->skip, size);
			table[c->next] = backends[i].pair;
			c->next = step(c->next, c->skip, size);
			filled++;
		}
	}
	free(cur);
	return 0;
}
