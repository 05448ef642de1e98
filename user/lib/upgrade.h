/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hitless upgrade: a new build of the data plane replaces the running one on
 * its attachments through bpf_link_update, reusing every pinned map, so no
 * packet passes unbalanced and no flow loses its connection entry.
 */
#ifndef XLB_UPGRADE_H
#define XLB_UPGRADE_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "xlb.h"

struct xlb_upgrade_opts {
	const char *obj_path; /* NULL: the object built into this program */
	const char *const *ifnames; /* NULL or n_ifnames == 0: every one here */
	size_t n_ifnames;
	bool dry_run; /* load and verify, replace nothing */
};

struct xlb_upgrade_result {
	char ifname[IF_NAMESIZE];
	__u32 old_prog_id;
	__u32 new_prog_id; /* 0 on a dry run */
	/* The instance's layout before and after (the same: no migration). */
	__u32 layout_from, layout_to;
	char migration[256]; /* what the migration did, "" if none */
};

/*
 * Under the writer lock. Loads and verifies the new program for every target
 * first; refuses, changing nothing, when the object was built for another
 * layout or one of its maps differs from the pinned one. Then swaps the
 * programs one by one; *out (freed by the caller) lists what was done.
 *
 * Pins of an older layout (a handle from xlb_open_for_upgrade) take an
 * object of this library's layout: the migration's steps run on the maps
 * (safe for the program still running), every program is swapped, then
 * xlb_meta takes the new version. Killed part-way, the next upgrade does
 * it again (the steps are idempotent).
 */
int xlb_upgrade(struct xlb *xlb, const struct xlb_upgrade_opts *opts,
		struct xlb_upgrade_result **out, size_t *n_out);

#endif
