// SPDX-License-Identifier: GPL-2.0
/*
 * Layout migrations: what xlbctl upgrade does to the pins of an older layout
 * so that this layout's program can run on them, keeping every map (and so
 * every connection entry). A step runs before the programs are swapped, so
 * it must leave the maps right for both programs: it may give a value to
 * bytes the older program ignores, or pin a map that program does not know
 * (added_maps), never change what that program reads. A layout change that
 * alters the shape of a map both know has no step here, and an upgrade
 * across it is refused.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "internal.h"

struct layout_step {
	__u32 from; /* migrates from this layout to the next */
	const char *what;
	int (*apply)(struct xlb *xlb);
};

/* 7 -> 8: xlb_config.gue_port was padding; layout 8's program sends to it. */
static int gue_port_default(struct xlb *xlb)
{
	struct xlb_config cfg;
	__u32 zero = 0;

	if (bpf_map_lookup_elem(xlb->fds[MAP_CONFIG], &zero, &cfg))
		return xlb_errno(errno, "read %s/%s", xlb->pin_dir,
				 XLB_MAP_CONFIG);
	if (cfg.gue_port)
		return 0;
	cfg.gue_port = XLB_GUE_PORT_DEFAULT;
	if (bpf_map_update_elem(xlb->fds[MAP_CONFIG], &zero, &cfg, BPF_EXIST))
		return xlb_errno(errno, "write %s/%s", xlb->pin_dir,
				 XLB_MAP_CONFIG);
	return 0;
}

/*
 * 8 -> 9: xlb_devmap is new. xlb_open_for_upgrade made it (layout_adds_map)
 * so that the new program could be loaded against it; this pins it. The
 * older program does not know it; the upgrade fills it after the swap.
 */
static int devmap_pin(struct xlb *xlb)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/%s", xlb->pin_dir, XLB_MAP_DEVMAP);
	if (!access(path, F_OK))
		return 0; /* pinned by an upgrade that stopped after it */
	if (bpf_obj_pin(xlb->fds[MAP_DEVMAP], path))
		return xlb_errno(errno, "pin %s", path);
	return 0;
}

static const struct layout_step steps[] = {
	{ 7, "xlb_config.gue_port (padding before) set to 6080",
	  gue_port_default },
	{ 8, "xlb_devmap (new: the two-armed redirect targets) pinned",
	  devmap_pin },
};

/* Maps a layout added, by the version that has them first. */
static const struct {
	enum xlb_map_id id;
	__u32 since;
} added_maps[] = {
	{ MAP_DEVMAP, 9 },
};

bool layout_adds_map(__u32 from, int id)
{
	for (size_t i = 0; i < sizeof(added_maps) / sizeof(added_maps[0]); i++)
		if ((int)added_maps[i].id == id)
			return from < added_maps[i].since;
	return false;
}

static const struct layout_step *step_from(__u32 from)
{
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (steps[i].from == from)
			return &steps[i];
	return NULL;
}

bool layout_migratable(__u32 from)
{
	for (; from < XLB_LAYOUT_VERSION; from++)
		if (!step_from(from))
			return false;
	return from == XLB_LAYOUT_VERSION;
}

int xlb_layout_migrates_from(void)
{
	__u32 from = XLB_LAYOUT_VERSION;

	while (from > 1 && step_from(from - 1))
		from--;
	return (int)from;
}

int layout_migrate(struct xlb *xlb, char *what, size_t len)
{
	int err = 0;

	what[0] = '\0';
	for (__u32 v = xlb->meta.layout_version; !err && v < XLB_LAYOUT_VERSION;
	     v++) {
		const struct layout_step *s = step_from(v);

		if (!s)
			return xlb_err(EPROTO, "no migration from layout %u",
				       v);
		err = s->apply(xlb);
		snprintf(what + strlen(what), len - strlen(what),
			 "%s%u -> %u: %s", what[0] ? "; " : "", v, v + 1,
			 s->what);
	}
	return err;
}

/* After every swap: from now on the pins say what the program reads. */
int layout_commit(struct xlb *xlb)
{
	struct xlb_meta meta = xlb->meta;
	__u32 zero = 0;

	meta.layout_version = XLB_LAYOUT_VERSION;
	if (bpf_map_update_elem(xlb->fds[MAP_META], &zero, &meta, BPF_EXIST))
		return xlb_errno(errno, "write the layout version to %s/%s",
				 xlb->pin_dir, XLB_MAP_META);
	xlb->meta = meta;
	return 0;
}
