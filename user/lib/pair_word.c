// SPDX-License-Identifier: GPL-2.0
/*
 * A live pair's word (MAC, family, flags) changed in one 8-byte store, by
 * bpf/pair_word.bpf.c run through BPF_PROG_TEST_RUN: a map update would copy
 * it with the kernel's memcpy, whose store width is not promised, and a
 * packet in flight could read bytes of two MACs. Loaded on first use and
 * kept while the handle's maps are open.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "internal.h"
#include "pair_word.skel.h"

static int pair_word_open(struct xlb *xlb)
{
	struct pair_word_bpf *skel = pair_word_bpf__open();
	int err;

	if (!skel)
		return xlb_errno(errno, "open the pair word program");
	err = bpf_map__reuse_fd(skel->maps.pair_backends,
				xlb->fds[MAP_BACKENDS]);
	if (!err)
		err = pair_word_bpf__load(skel);
	if (err) {
		pair_word_bpf__destroy(skel);
		return xlb_errno(-err, "load the pair word program (%s)",
				 xlb_libbpf_last_message());
	}
	xlb->pair_word = skel;
	return 0;
}

int pair_word_write(struct xlb *xlb, __u32 pair, const struct xlb_backend *be)
{
	struct xlb_pair_word_args args = { .pair = pair };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = &args,
		    .ctx_size_in = sizeof(args));
	int err = xlb->pair_word ? 0 : pair_word_open(xlb);

	if (err)
		return err;
	memcpy(&args.word, (const char *)be + XLB_PAIR_WORD_OFFSET,
	       sizeof(args.word));
	if (bpf_prog_test_run_opts(
		    bpf_program__fd(xlb->pair_word->progs.pair_word_store),
		    &opts))
		return xlb_errno(errno, "write %s[%u]", XLB_MAP_BACKENDS, pair);
	if (opts.retval)
		return xlb_err(ERANGE, "write %s[%u]: no such index",
			       XLB_MAP_BACKENDS, pair);
	pair_cache_put_be(xlb, pair, be);
	return 0;
}

void pair_word_close(struct xlb *xlb)
{
	pair_word_bpf__destroy(xlb->pair_word);
	xlb->pair_word = NULL;
}
