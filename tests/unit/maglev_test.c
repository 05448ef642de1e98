// SPDX-License-Identifier: GPL-2.0
/* Weighted Maglev tables: the properties the data plane relies on. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "golden.h"
#include "maglev.h"
#include "testing.h"
#include "xlb.h"
#include "xlb_hash.h"

#define M XLB_TABLE_SIZE_DEFAULT

static struct xlb_vip_key test_vip(void)
{
	struct xlb_vip_key vip = {
		.port = htons(80),
		.proto = IPPROTO_TCP,
		.family = XLB_FAMILY_V4,
	};

	inet_pton(AF_INET, "10.0.0.1", &vip.addr.v4);
	return vip;
}

/* Backend i is 10.1.x.y, pair id i, the given weight. */
static void make_backends(struct xlb_maglev_backend *be, size_t n,
			  const __u32 *weights)
{
	for (size_t i = 0; i < n; i++) {
		memset(&be[i], 0, sizeof(be[i]));
		be[i].addr.v4 = htonl(0x0a010000 + (__u32)i + 1);
		be[i].family = XLB_FAMILY_V4;
		be[i].weight = weights ? weights[i] : 1;
		be[i].pair = i;
	}
}

static void count_slots(const __u16 *table, __u32 size, __u32 *counts, size_t n)
{
	memset(counts, 0, n * sizeof(*counts));
	for (__u32 s = 0; s < size; s++)
		if (table[s] < n)
			counts[table[s]]++;
}

static __u32 rng_state = 12345;

static __u32 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

TEST(equal_weights_give_each_backend_floor_or_ceil_of_m_over_n)
{
	static const size_t sizes[] = { 3, 4, 7, 10, 33, 100, 257, 500, 1000 };
	struct xlb_vip_key vip = test_vip();
	struct xlb_maglev_backend be[1000];
	__u16 *table = malloc(M * sizeof(*table));
	__u32 counts[1000];

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];

		make_backends(be, n, NULL);
		CHECK(!xlb_maglev_build(&vip, be, n, M, table), "build");
		count_slots(table, M, counts, n);
		for (size_t i = 0; i < n; i++)
			CHECK(counts[i] == M / n || counts[i] == M / n + 1,
			      "N=%zu: backend %zu has %u slots, expected %zu "
			      "or "
			      "%zu",
			      n, i, counts[i], M / n, M / n + 1);
	}
	free(table);
}

TEST(every_slot_is_filled)
{
	struct xlb_vip_key vip = test_vip();
	struct xlb_maglev_backend be[5];
	__u16 table[31];

	make_backends(be, 5, NULL);
	CHECK(!xlb_maglev_build(&vip, be, 5, 31, table), "build");
	for (int s = 0; s < 31; s++)
		CHECK(table[s] < 5, "slot %d holds %u", s, table[s]);
}

TEST(removing_one_backend_moves_at_most_1pct_of_the_others_slots)
{
	static const size_t sizes[] = { 3, 5, 10, 50, 100, 300, 650, 1000 };
	struct xlb_vip_key vip = test_vip();
	struct xlb_maglev_backend be[1000];
	__u16 *before = malloc(M * sizeof(*before));
	__u16 *after = malloc(M * sizeof(*after));

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k], gone[3] = { 0, n / 2, n - 1 };
		double worst = 0;

		make_backends(be, n, NULL);
		CHECK(!xlb_maglev_build(&vip, be, n, M, before), "build");
		for (int r = 0; r < 3; r++) {
			__u32 others = 0, moved = 0;

			make_backends(be, n, NULL);
			be[gone[r]].weight = 0; /* out of the table */
			CHECK(!xlb_maglev_build(&vip, be, n, M, after), "buil"
									"d");
			for (__u32 s = 0; s < M; s++) {
				if (before[s] == gone[r])
					continue;
				others++;
				moved += before[s] != after[s];
			}
			CHECK(moved * 100 <= others,
			      "N=%zu, backend %zu removed: %u of %u other "
			      "slots moved (over 1%%)",
			      n, gone[r], moved, others);
			if (100.0 * moved / others > worst)
				worst = 100.0 * moved / others;
		}
		printf("  N=%zu: at most %.3f%% of the other slots moved\n", n,
		       worst);
	}
	free(before);
	free(after);
}

TEST(weights_from_1_to_1000_give_slots_within_1pct_or_2_slots)
{
	static const size_t sizes[] = { 3, 10, 30, 100, 300, 1000 };
	struct xlb_vip_key vip = test_vip();
	struct xlb_maglev_backend be[1000];
	__u16 *table = malloc(M * sizeof(*table));
	__u32 weights[1000], counts[1000];

	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		size_t n = sizes[k];
		double total = 0, worst = 0;

		for (size_t i = 0; i < n; i++)
			weights[i] = rng() % 1000 + 1;
		weights[0] = 1; /* the extremes, always */
		weights[n - 1] = 1000;
		for (size_t i = 0; i < n; i++)
			total += weights[i];
		make_backends(be, n, weights);
		CHECK(!xlb_maglev_build(&vip, be, n, M, table), "build");
		count_slots(table, M, counts, n);
		for (size_t i = 0; i < n; i++) {
			double want = M * weights[i] / total;
			double tolerance = want * 0.01 > 2 ? want * 0.01 : 2;
			double off = counts[i] > want ? counts[i] - want
						      : want - counts[i];

			if (off > worst)
				worst = off;
			CHECK(off <= tolerance,
			      "N=%zu: backend %zu (weight %u) has %u slots, "
			      "expected %.1f +- %.1f",
			      n, i, weights[i], counts[i], want, tolerance);
		}
		printf("  N=%zu: worst deviation %.2f slots\n", n, worst);
	}
	free(table);
}

TEST(table_does_not_depend_on_the_order_backends_were_added)
{
	struct xlb_vip_key vip = test_vip();
	struct xlb_maglev_backend be[100], shuffled[100];
	__u16 *a = malloc(M * sizeof(*a)), *b = malloc(M * sizeof(*b));
	__u32 weights[100];

	for (int i = 0; i < 100; i++)
		weights[i] = rng() % 100 + 1;
	make_backends(be, 100, weights);
	memcpy(shuffled, be, sizeof(be));
	for (int i = 99; i > 0; i--) {
		int j = rng() % (i + 1);
		struct xlb_maglev_backend t = shuffled[i];

		shuffled[i] = shuffled[j];
		shuffled[j] = t;
	}
	CHECK(!xlb_maglev_build(&vip, be, 100, M, a), "build");
	CHECK(!xlb_maglev_build(&vip, shuffled, 100, M, b), "build");
	CHECK(!memcmp(a, b, M * sizeof(*a)), "tables differ");
	free(a);
	free(b);
}

TEST(zero_weights_leave_the_table_empty)
{
	struct xlb_vip_key vip = test_vip();
	struct xlb_maglev_backend be[3];
	__u32 weights[3] = { 0, 0, 0 };
	__u16 table[7];

	make_backends(be, 3, weights);
	CHECK(!xlb_maglev_build(&vip, be, 3, 7, table), "build");
	for (int s = 0; s < 7; s++)
		CHECK_EQ(table[s], XLB_PAIR_NONE);
}

TEST(non_prime_or_out_of_range_sizes_are_refused)
{
	struct xlb_vip_key vip = test_vip();
	struct xlb_maglev_backend be[1];
	__u16 table[16], *big;

	make_backends(be, 1, NULL);
	CHECK(xlb_maglev_build(&vip, be, 1, 15, table) < 0, "15 accepted");
	CHECK(xlb_maglev_build(&vip, be, 1, 2, table) < 0, "2 accepted");
	CHECK(xlb_maglev_build(&vip, be, 1, 13, table) == 0, "13 refused");
	/* The upper bound: 1048583 is the first prime above the maximum. */
	big = malloc(1048583 * sizeof(*big));
	CHECK(big, "out of memory");
	test_defer(free, big);
	CHECK(xlb_is_prime(1048583), "1048583 is prime");
	CHECK(xlb_maglev_build(&vip, be, 1, 1048583, big) < 0, "1048583 (above "
							       "XLB_TABLE_SIZE_"
							       "MAX) accepted");
	CHECK(xlb_maglev_build(&vip, be, 1, XLB_TABLE_SIZE_MAX, big) == 0,
	      "XLB_TABLE_SIZE_MAX refused");
	CHECK(xlb_check_table_size("table size", 1048583) == -EINVAL &&
		      strstr(xlb_errmsg(), "1048583 is not a prime in"),
	      "validation accepted 1048583: %s", xlb_errmsg());
	CHECK(!xlb_is_prime(65535) && xlb_is_prime(65537) &&
		      xlb_is_prime(XLB_TABLE_SIZE_MAX),
	      "primality");
}

/* The committed golden tables: the builder may not change silently. */
TEST(golden_configurations_build_the_golden_tables)
{
	__u16 *table = malloc(M * sizeof(*table));
	struct golden_config g;

	for (int c = 0; c < GOLDEN_CONFIGS; c++) {
		golden_config_load(&g, c);
		CHECK(!xlb_maglev_build(&g.vip, g.backends, g.n_backends,
					g.table_size, table),
		      "build");
		for (int s = 0; s < GOLDEN_FIRST_SLOTS; s++)
			CHECK(table[s] == golden_first_slots[c][s],
			      "config %d: slot %d holds pair %u, golden says "
			      "%u",
			      c, s, table[s], golden_first_slots[c][s]);
		CHECK(golden_table_digest(table, g.table_size) ==
			      golden_digest[c],
		      "config %d: table digest %08x, golden %08x", c,
		      golden_table_digest(table, g.table_size),
		      golden_digest[c]);
	}
	free(table);
}

/* The committed golden flows: hash and table give the golden backends. */
TEST(golden_flows_map_to_golden_backends)
{
	__u16 *table = malloc(M * sizeof(*table));
	struct golden_config g;

	for (int c = 0; c < GOLDEN_CONFIGS; c++) {
		golden_config_load(&g, c);
		CHECK(!xlb_maglev_build(&g.vip, g.backends, g.n_backends,
					g.table_size, table),
		      "build");
		for (int i = 0; i < GOLDEN_FLOWS; i++) {
			struct xlb_flow_key key = golden_flow(&g, i);
			__u32 hash = xlb_flow_hash(&key, GOLDEN_SEED);
			__u32 slot = xlb_hash_to_slot(hash, g.table_size);

			CHECK(table[slot] == golden_flow_backend[c][i],
			      "config %d: flow %d lands on backend %u, golden "
			      "says %u",
			      c, i, table[slot], golden_flow_backend[c][i]);
		}
	}
	free(table);
}

int main(int argc, char **argv)
{
	/* XLB_GOLDEN_PRINT=1 prints fresh golden values (for a deliberate change). */
	if (getenv("XLB_GOLDEN_PRINT")) {
		golden_print();
		return 0;
	}
	return test_main(argc, argv);
}
