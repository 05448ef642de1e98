// SPDX-License-Identifier: GPL-2.0
#include "fixture.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "testing.h"
#include "xlb_hash.h"

const __u8 fixture_lb_mac[6] = { 0x02, 0x1b, 0x00, 0x00, 0x00, 0x02 };

#define MAX_LIVE 4
/* Static, not on a test's stack: teardown runs after the test returns. */
static struct fixture pool[MAX_LIVE];
static bool in_use[MAX_LIVE];

static void remove_pins(const char *dir)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "fixture: could not remove %s\n", dir);
}

static void fixture_down(struct fixture *f);

static void fixture_down_deferred(void *f)
{
	fixture_down(f);
}

static void cleanup_at_exit(void)
{
	for (int i = 0; i < MAX_LIVE; i++)
		if (in_use[i])
			fixture_down(&pool[i]);
}

static void cleanup_on_signal(int sig)
{
	cleanup_at_exit();
	signal(sig, SIG_DFL);
	raise(sig);
}

int fixture_up(struct fixture **out, const struct xlb_create_opts *opts)
{
	static int serial;
	static bool registered;
	struct xlb_create_opts defaults = { .conn_table_size = 65536 };
	struct fixture *f = NULL;
	int err;

	if (geteuid() != 0)
		return -EPERM;
	if (!registered) {
		atexit(cleanup_at_exit);
		signal(SIGINT, cleanup_on_signal);
		signal(SIGTERM, cleanup_on_signal);
		registered = true;
	}
	for (int i = 0; i < MAX_LIVE && !f; i++) {
		if (!in_use[i]) {
			in_use[i] = true;
			f = &pool[i];
		}
	}
	if (!f)
		return -ENOSPC;
	memset(f, 0, sizeof(*f));
	f->prog_fd = -1;
	*out = f;
	test_defer(fixture_down_deferred, f);
	snprintf(f->pin_dir, sizeof(f->pin_dir),
		 "/sys/fs/bpf/xlbtest-bpf-%d-%d", getpid(), serial++);
	err = xlb_create(f->pin_dir, opts ? opts : &defaults, &f->xlb);
	if (err) {
		fprintf(stderr, "fixture: %s\n", xlb_errmsg());
		return err;
	}
	f->prog_fd = xlb_prog_load(f->xlb, fixture_lb_mac);
	if (f->prog_fd < 0) {
		fprintf(stderr, "fixture: %s\n", xlb_errmsg());
		return f->prog_fd;
	}
	return 0;
}

static void fixture_down(struct fixture *f)
{
	fixture_forget_pairs(f);
	for (int i = 0; i < MAX_LIVE; i++)
		if (&pool[i] == f)
			in_use[i] = false;
	if (f->prog_fd >= 0)
		close(f->prog_fd);
	f->prog_fd = -1;
	if (f->xlb) {
		if (xlb_destroy(f->xlb))
			fprintf(stderr, "fixture: %s\n", xlb_errmsg());
		xlb_close(f->xlb);
		f->xlb = NULL;
	}
	if (f->pin_dir[0] && !access(f->pin_dir, F_OK))
		remove_pins(f->pin_dir);
}

int fixture_vip(struct fixture *f, const char *text, struct xlb_vip_key *key)
{
	int err = xlb_parse_vip(text, key);

	if (!err)
		err = xlb_vip_add(f->xlb, key, 0);
	if (err)
		fprintf(stderr, "fixture: vip %s: %s\n", text, xlb_errmsg());
	return err;
}

int fixture_backend(struct fixture *f, const struct xlb_vip_key *vip,
		    const char *addr, const __u8 mac[6], __u32 weight,
		    __u32 state)
{
	struct xlb_backend_spec spec = { .weight = weight, .state = state };
	int err;

	memcpy(spec.mac, mac, 6);
	err = xlb_parse_addr(addr, &spec.addr, &spec.family);
	fixture_forget_pairs(f);
	if (!err)
		err = xlb_backend_add(f->xlb, vip, &spec);
	if (!err)
		err = xlb_commit(f->xlb);
	if (err)
		fprintf(stderr, "fixture: backend %s: %s\n", addr,
			xlb_errmsg());
	return err;
}

int fixture_set(struct fixture *f, const struct xlb_vip_key *vip,
		const char *addr, __u32 set, __u32 weight, __u32 state)
{
	struct xlb_backend_spec spec = {
		.weight = weight,
		.state = state,
		.set = set,
	};
	int err;

	fixture_forget_pairs(f);
	err = xlb_parse_addr(addr, &spec.addr, &spec.family);
	if (!err)
		err = xlb_backend_set(f->xlb, vip, &spec);
	if (!err)
		err = xlb_commit(f->xlb);
	if (err)
		fprintf(stderr, "fixture: set %s: %s\n", addr, xlb_errmsg());
	return err;
}

int fixture_pair_find(struct fixture *f, const struct xlb_vip_key *vip,
		      const char *addr, struct xlb_pair_info *out,
		      size_t *count)
{
	struct xlb_pair_info *pairs;
	union xlb_addr a;
	__u8 family;
	size_t n;
	int err = xlb_parse_addr(addr, &a, &family);

	if (!err)
		err = xlb_backend_list(f->xlb, vip, &pairs, &n);
	if (err)
		return err;
	err = -ENOENT;
	for (size_t i = 0; i < n; i++) {
		if (!xlb_addr_cmp(&pairs[i].be.addr, pairs[i].be.family, &a,
				  family)) {
			*out = pairs[i];
			err = 0;
		}
	}
	if (count)
		*count = n;
	free(pairs);
	return err;
}

int fixture_run(struct fixture *f, const struct pkt *p, struct run *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = p->data,
		    .data_size_in = p->len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .repeat = 1);
	int err;

	memset(r, 0, sizeof(*r));
	err = bpf_prog_test_run_opts(f->prog_fd, &opts);
	if (err) {
		fprintf(stderr, "fixture: test run: %s\n", strerror(errno));
		return -errno;
	}
	r->verdict = opts.retval;
	r->out_len = opts.data_size_out;
	return 0;
}

int fixture_predict(struct fixture *f, const struct xlb_vip_key *vip,
		    const struct xlb_flow_key *flow, __u16 *pair)
{
	struct xlb_config cfg;
	__u16 *slots;
	__u32 size;
	int err;

	err = xlb_config_get(f->xlb, &cfg);
	if (!err)
		err = xlb_table_read(f->xlb, vip, &slots, &size);
	if (err)
		return err;
	*pair = slots[xlb_hash_to_slot(xlb_flow_hash(flow, cfg.hash_seed),
				       size)];
	free(slots);
	return 0;
}

void fixture_forget_pairs(struct fixture *f)
{
	free(f->pairs);
	f->pairs = NULL;
	f->n_pairs = 0;
}

int fixture_pair_of_frame(struct fixture *f, const struct run *r)
{
	int found = -1;

	if (!f->pairs && xlb_backend_list(f->xlb, NULL, &f->pairs, &f->n_pairs))
		return -1;
	for (size_t i = 0; i < f->n_pairs; i++)
		if (!memcmp(f->pairs[i].be.mac, r->out, 6))
			found = f->pairs[i].id;
	return found;
}
