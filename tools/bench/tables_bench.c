// SPDX-License-Identifier: GPL-2.0
/*
 * Table rebuilds (issue 15 item 9): 100 VIPs of 65,537 slots, 2 backends
 * each, rebuilt by one sync (every table swapped in one batched update of
 * xlb_tables) against the same VIPs committed one at a time (one swap, one
 * RCU wait each). The target: the batch under 50 ms. Figures, not a test.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xlb.h"

#define VIPS 100
#define ROUNDS 5

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int setup(struct xlb *xlb, struct xlb_vip_key *keys)
{
	char text[64], addr[32];

	for (int v = 0; v < VIPS; v++) {
		snprintf(text, sizeof(text), "10.0.%d.%d:80/tcp", v / 200,
			 1 + v % 200);
		if (xlb_parse_vip(text, &keys[v]) ||
		    xlb_vip_add(xlb, &keys[v], 0))
			return -1;
		for (int b = 0; b < 2; b++) {
			struct xlb_backend_spec spec = {
				.weight = 100,
				.state = XLB_OP_ACTIVE,
				.mac = { 0x02, 0, 0, 0, 0, 0xa + b },
			};

			snprintf(addr, sizeof(addr), "10.1.%d.%d", b, 1 + v);
			if (xlb_parse_addr(addr, &spec.addr, &spec.family) ||
			    xlb_backend_add(xlb, &keys[v], &spec))
				return -1;
		}
	}
	return xlb_commit(xlb);
}

/*
 * One weight change per VIP: each a backend set and a commit (one swap
 * each), or all staged in one transaction (one read, one batched swap).
 */
static double round_ms(struct xlb *xlb, const struct xlb_vip_key *keys,
		       int round, int batched)
{
	struct xlb_txn *txn = NULL;
	double t0 = now_ms();
	int err = 0;

	if (batched)
		err = xlb_txn_begin(xlb, &txn);
	for (int v = 0; v < VIPS && !err; v++) {
		struct xlb_backend_spec spec = { .weight = 50 + round + batched,
						 .set = XLB_SET_WEIGHT };
		char addr[32];

		snprintf(addr, sizeof(addr), "10.1.0.%d", 1 + v);
		err = xlb_parse_addr(addr, &spec.addr, &spec.family);
		if (!err && batched)
			err = xlb_txn_backend_set(txn, &keys[v], &spec);
		if (!err && !batched)
			err = xlb_backend_set(xlb, &keys[v], &spec);
		if (!err && !batched)
			err = xlb_commit(xlb);
	}
	if (!err && batched)
		err = xlb_txn_commit(txn);
	xlb_txn_free(txn);
	return err ? -1 : now_ms() - t0;
}

int main(void)
{
	static struct xlb_vip_key keys[VIPS];
	double one[ROUNDS], all[ROUNDS], best_one = 1e9, best_all = 1e9;
	double t0, sync_ms;
	char pin_dir[64];
	struct xlb *xlb;
	int rebuilt, rc = 1;

	snprintf(pin_dir, sizeof(pin_dir), "/sys/fs/bpf/xlbbench-%d-tables",
		 getpid());
	if (xlb_create(pin_dir, NULL, &xlb)) {
		fprintf(stderr, "tables_bench: %s\n", xlb_errmsg());
		return 1;
	}
	if (setup(xlb, keys)) {
		fprintf(stderr, "tables_bench: setup: %s\n", xlb_errmsg());
		goto out;
	}
	for (int r = 0; r < ROUNDS; r++) {
		one[r] = round_ms(xlb, keys, r, 0);
		all[r] = round_ms(xlb, keys, r, 1);
		if (one[r] < 0 || all[r] < 0) {
			fprintf(stderr, "tables_bench: %s\n", xlb_errmsg());
			goto out;
		}
		best_one = one[r] < best_one ? one[r] : best_one;
		best_all = all[r] < best_all ? all[r] : best_all;
	}
	t0 = now_ms();
	if (xlb_sync(xlb, true, &rebuilt)) {
		fprintf(stderr, "tables_bench: sync: %s\n", xlb_errmsg());
		goto out;
	}
	sync_ms = now_ms() - t0;
	printf("table rebuilds, %d VIPs x %u slots, 2 backends each (best of "
	       "%d):\n",
	       VIPS, XLB_TABLE_SIZE_DEFAULT, ROUNDS);
	printf("  one transaction (batched swap):     %8.1f ms  (target < 50 "
	       "ms)\n",
	       best_all);
	printf("  one commit per VIP (a swap each):    %8.1f ms\n", best_one);
	printf("  sync --all (%d tables):              %8.1f ms\n", rebuilt,
	       sync_ms);
	rc = 0;
out:
	xlb_destroy(xlb);
	xlb_close(xlb);
	return rc;
}
