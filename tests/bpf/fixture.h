/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fresh xlb instance per test: pins under a unique directory, the program
 * loaded against them (not attached), and helpers to seed VIPs and backends
 * through the library and run frames with BPF_PROG_TEST_RUN. Pins are
 * removed at teardown, and at exit if a test stopped half-way.
 */
#ifndef XLB_TEST_FIXTURE_H
#define XLB_TEST_FIXTURE_H

#include "packet.h"
#include "xlb.h"

struct fixture {
	char pin_dir[96];
	struct xlb *xlb;
	int prog_fd;
	/* fixture_pair_of_frame's copy of the pairs, NULL until read */
	struct xlb_pair_info *pairs;
	size_t n_pairs;
};

struct run {
	__u32 verdict;
	__u8 out[PKT_MAX];
	__u32 out_len;
};

extern const __u8 fixture_lb_mac[6];

/*
 * A new instance, torn down when the test returns (test_defer). Returns 0,
 * or -EPERM when this process may not load BPF (the test then skips).
 */
int fixture_up(struct fixture **out, const struct xlb_create_opts *opts);

/* Brings up a fixture or skips/fails the calling test. */
#define FIXTURE(f, opts)                                         \
	do {                                                     \
		int err_ = fixture_up(&(f), (opts));             \
		if (err_ == -EPERM)                              \
			SKIP("needs root to load BPF programs"); \
		CHECK(!err_, "fixture: %d", err_);               \
	} while (0)

int fixture_vip(struct fixture *f, const char *text, struct xlb_vip_key *key);
int fixture_backend(struct fixture *f, const struct xlb_vip_key *vip,
		    const char *addr, const __u8 mac[6], __u32 weight,
		    __u32 state);
int fixture_set(struct fixture *f, const struct xlb_vip_key *vip,
		const char *addr, __u32 set, __u32 weight, __u32 state);
/*
 * The pair of backend addr (in VIP vip, or any when NULL) as
 * xlb_backend_list gives it, -ENOENT when none; *count (if set) is the
 * number of pairs listed.
 */
int fixture_pair_find(struct fixture *f, const struct xlb_vip_key *vip,
		      const char *addr, struct xlb_pair_info *out,
		      size_t *count);
int fixture_run(struct fixture *f, const struct pkt *p, struct run *r);
/* The pair the VIP's current table gives a flow (no probing). */
int fixture_predict(struct fixture *f, const struct xlb_vip_key *vip,
		    const struct xlb_flow_key *flow, __u16 *pair);
/*
 * The pair whose MAC a forwarded frame carries, or -1. It reads the pairs
 * once (a read of every pair map, milliseconds) until fixture_backend or
 * fixture_set changes them; a test that changes them otherwise calls
 * fixture_forget_pairs.
 */
int fixture_pair_of_frame(struct fixture *f, const struct run *r);
void fixture_forget_pairs(struct fixture *f);

#endif
