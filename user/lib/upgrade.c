// SPDX-License-Identifier: GPL-2.0
/*
 * xlb_upgrade: load a new build of the program against the pinned maps and
 * swap it into each attachment's link. Every map of the object must be one
 * the instance pins, with the same shape, and the object must say (in its
 * .rodata) that it was built for the instance's layout: two layouts can share
 * every map shape and still read a struct's fields differently.
 */
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "upgrade.h"
#include "xlb.skel.h"

struct target {
	struct xlb_attachment att;
	struct bpf_object *obj;
	__u32 layout; /* the object's */
};

static struct bpf_map *rodata_map(struct bpf_object *obj)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
	{
		const char *n = bpf_map__name(map);
		size_t len = strlen(n);

		if (bpf_map__is_internal(map) && len >= 7 &&
		    !strcmp(n + len - 7, ".rodata"))
			return map;
	}
	return NULL;
}

/* The offset of a .rodata variable of this size, from the object's BTF. */
static long rodata_offset(struct bpf_object *obj, const char *name,
			  size_t want_size, size_t rodata_size)
{
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	struct btf *btf = bpf_object__btf(obj);
	int id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC)
		     : -ENOENT;

	if (id < 0)
		return -1;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (int i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, var->name_off), name) &&
		    vs->size == want_size &&
		    vs->offset + vs->size <= rodata_size)
			return vs->offset;
	}
	return -1;
}

static const char *shape_text(char *buf, size_t len, __u32 type, __u32 key,
			      __u32 value, __u32 entries, __u32 flags)
{
	snprintf(buf, len,
		 "type %u, key %u, value %u bytes, %u entries, flags 0x%x",
		 type, key, value, entries, flags);
	return buf;
}

/* Points each of the object's maps at the instance's pinned one. */
static int reuse_maps(struct xlb *xlb, struct bpf_object *obj, const char *what)
{
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj)
	{
		struct bpf_map_info info = {};
		__u32 info_len = sizeof(info);
		char have[96], want[96];
		const char *name = bpf_map__name(map);
		int id = -1;

		if (bpf_map__is_internal(map))
			continue;
		for (int i = 0; i < MAP_COUNT; i++)
			if (!strcmp(xlb_map_names[i], name))
				id = i;
		if (id < 0)
			return xlb_err(EPROTO,
				       "%s has a map %s that the instance at "
				       "%s "
				       "does not have: it was built for "
				       "another "
				       "layout",
				       what, name, xlb->pin_dir);
		if (bpf_obj_get_info_by_fd(xlb->fds[id], &info, &info_len))
			return xlb_errno(errno, "inspect the pinned map %s",
					 name);
		/* Sized at creation: the object's are only defaults. */
		if (id == MAP_CONNS || id == MAP_VIPS || id == MAP_BACKENDS)
			bpf_map__set_max_entries(map, info.max_entries);
		if (bpf_map__type(map) != info.type ||
		    bpf_map__key_size(map) != info.key_size ||
		    bpf_map__value_size(map) != info.value_size ||
		    bpf_map__max_entries(map) != info.max_entries ||
		    bpf_map__map_flags(map) !=
			    map_flags_as_created(info.type, info.map_flags))
			return xlb_err(
				EPROTO,
				"%s defines map %s as %s; the pinned map has "
				"%s",
				what, name,
				shape_text(want, sizeof(want),
					   bpf_map__type(map),
					   bpf_map__key_size(map),
					   bpf_map__value_size(map),
					   bpf_map__max_entries(map),
					   bpf_map__map_flags(map)),
				shape_text(have, sizeof(have), info.type,
					   info.key_size, info.value_size,
					   info.max_entries, info.map_flags));
		/* No pin path: nothing may be pinned anew by this load. */
		bpf_map__set_pin_path(map, NULL);
		if (bpf_map__reuse_fd(map, xlb->fds[id]))
			return xlb_errno(errno, "reuse the pinned map %s",
					 name);
	}
	return 0;
}

static int open_object(const char *path, struct bpf_object **out)
{
	size_t size;
	const void *elf;
	struct bpf_object *obj;

	if (path) {
		obj = bpf_object__open_file(path, NULL);
	} else {
		elf = xlb_bpf__elf_bytes(&size);
		obj = bpf_object__open_mem(elf, size, NULL);
	}
	if (!obj)
		return xlb_errno(errno, "open the BPF object %s",
				 path ? path : "built into this program");
	*out = obj;
	return 0;
}

/* Opens, checks and loads the new program for one interface. */
static int prepare(struct xlb *xlb, const char *path, struct target *t)
{
	char what[PATH_MAX + 32];
	struct bpf_map *rodata;
	const void *init;
	size_t size = 0;
	long off_layout, off_mac;
	__u32 layout;
	__u8 ifmac[6];
	char *data;
	int err;

	snprintf(what, sizeof(what), "%s", path ? path : "the built-in object");
	err = xlb_interface_mac(t->att.ifname, ifmac);
	if (!err)
		err = open_object(path, &t->obj);
	if (err)
		return err;
	if (!bpf_object__find_program_by_name(t->obj, "xlb_xdp"))
		return xlb_err(EPROTO,
			       "%s has no program xlb_xdp: not an xlb data "
			       "plane object",
			       what);
	rodata = rodata_map(t->obj);
	init = rodata ? bpf_map__initial_value(rodata, &size) : NULL;
	off_layout = init ? rodata_offset(t->obj, "xlb_layout_version",
					  sizeof(layout), size)
			  : -1;
	off_mac = init ? rodata_offset(t->obj, "lb_mac", 6, size) : -1;
	if (off_layout < 0 || off_mac < 0)
		return xlb_err(EPROTO,
			       "%s has no xlb_layout_version or lb_mac in its "
			       ".rodata: not an xlb data plane object of "
			       "layout "
			       "4 or later",
			       what);
	memcpy(&layout, (const char *)init + off_layout, sizeof(layout));
	/* The same layout, or this library's over pins it migrates. */
	if (layout != xlb->meta.layout_version &&
	    (layout != XLB_LAYOUT_VERSION ||
	     !layout_migratable(xlb->meta.layout_version)))
		return xlb_err(EPROTO,
			       "%s was built for layout version %u; the "
			       "instance at %s has layout %u, and no migration "
			       "between them is known (this xlb migrates "
			       "layouts %d-%u to %u): detach --all and attach "
			       "again (this re-picks every flow)",
			       what, layout, xlb->pin_dir,
			       xlb->meta.layout_version,
			       xlb_layout_migrates_from(),
			       XLB_LAYOUT_VERSION - 1, XLB_LAYOUT_VERSION);
	t->layout = layout;
	data = malloc(size);
	if (!data)
		return xlb_err(ENOMEM, "out of memory");
	memcpy(data, init, size);
	memcpy(data + off_mac, ifmac, 6);
	err = bpf_map__set_initial_value(rodata, data, size);
	free(data);
	if (err)
		return xlb_err(-err, "set the interface MAC in %s", what);
	err = reuse_maps(xlb, t->obj, what);
	if (!err)
		err = xlb_prefilter_section_reuse(xlb, t->obj);
	if (err)
		return err;
	if (bpf_object__load(t->obj))
		return xlb_err(EPROTO, "load %s for %s: %s", what,
			       t->att.ifname, xlb_libbpf_last_message());
	return 0;
}

static int swap_program(struct xlb *xlb, struct target *t,
			struct xlb_upgrade_result *r)
{
	LIBBPF_OPTS(bpf_link_update_opts, opts, .flags = BPF_F_REPLACE);
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int prog_fd =
		bpf_program__fd(bpf_object__find_program_by_name(t->obj, "xlb_"
									 "xd"
									 "p"));
	char path[PATH_MAX + NAME_MAX + 2];
	int err = 0, link_fd, old_fd;

	snprintf(path, sizeof(path), "%s/%s", xlb->pin_dir, t->att.pin);
	link_fd = bpf_obj_get(path);
	old_fd = bpf_prog_get_fd_by_id(t->att.prog_id);
	opts.old_prog_fd = old_fd;
	if (link_fd < 0 || old_fd < 0)
		err = xlb_errno(errno, "open the attachment to %s",
				t->att.ifname);
	else if (bpf_link_update(link_fd, prog_fd, &opts))
		err = xlb_errno(errno,
				"replace program %u on %s (did it change "
				"meanwhile?)",
				t->att.prog_id, t->att.ifname);
	else if (!bpf_obj_get_info_by_fd(prog_fd, &info, &len))
		r->new_prog_id = info.id;
	if (link_fd >= 0)
		close(link_fd);
	if (old_fd >= 0)
		close(old_fd);
	return err;
}

static bool wanted(const struct xlb_upgrade_opts *opts, const char *ifname)
{
	if (!opts->n_ifnames)
		return true;
	for (size_t i = 0; i < opts->n_ifnames; i++)
		if (!strcmp(opts->ifnames[i], ifname))
			return true;
	return false;
}

/* The attachments to upgrade; every named interface must be one of them. */
static int pick_targets(struct xlb *xlb, const struct xlb_upgrade_opts *opts,
			struct target **out, size_t *n_out)
{
	struct xlb_attachment *att;
	struct target *t;
	size_t n_att, n = 0;
	int err = xlb_attachments(xlb, &att, &n_att);

	if (err)
		return err;
	t = calloc(n_att ? n_att : 1, sizeof(*t));
	if (!t) {
		free(att);
		return xlb_err(ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n_att; i++)
		if (!att[i].elsewhere && att[i].ifindex &&
		    wanted(opts, att[i].ifname))
			t[n++].att = att[i];
	free(att);
	for (size_t i = 0; i < opts->n_ifnames; i++) {
		bool found = false;

		for (size_t j = 0; j < n; j++)
			found |= !strcmp(t[j].att.ifname, opts->ifnames[i]);
		if (!found) {
			free(t);
			return xlb_err(ENOENT,
				       "xlb is not attached to %s in this "
				       "network namespace",
				       opts->ifnames[i]);
		}
	}
	if (!n) {
		free(t);
		return xlb_err(ENOENT,
			       "the instance at %s is attached nowhere in this "
			       "network namespace",
			       xlb->pin_dir);
	}
	*out = t;
	*n_out = n;
	return 0;
}

int xlb_upgrade(struct xlb *xlb, const struct xlb_upgrade_opts *opts,
		struct xlb_upgrade_result **out, size_t *n_out)
{
	struct xlb_upgrade_result *res = NULL;
	__u32 from = xlb->meta.layout_version;
	char migration[256] = "";
	struct target *t = NULL;
	size_t n = 0, done = 0;
	bool migrate;
	int err;

	err = xlb_require_lock(xlb, "upgrade");
	if (!err)
		err = pick_targets(xlb, opts, &t, &n);
	if (!err && !(res = calloc(n, sizeof(*res))))
		err = xlb_err(ENOMEM, "out of memory");
	/* Every program verified before the first swap: all or none. */
	for (size_t i = 0; !err && i < n; i++) {
		err = prepare(xlb, opts->obj_path, &t[i]);
		snprintf(res[i].ifname, sizeof(res[i].ifname), "%s",
			 t[i].att.ifname);
		res[i].old_prog_id = t[i].att.prog_id;
	}
	migrate = !err && n && t[0].layout != from;
	if (migrate && !opts->dry_run)
		err = layout_migrate(xlb, migration, sizeof(migration));
	else if (migrate)
		snprintf(migration, sizeof(migration),
			 "would migrate layout %u to %u", from, t[0].layout);
	for (size_t i = 0; !err && !opts->dry_run && i < n; i++, done++)
		err = swap_program(xlb, &t[i], &res[i]);
	if (err && done) {
		char why[256];

		snprintf(why, sizeof(why), "%s", xlb_errmsg());
		err = xlb_err(-err,
			      "%s; %zu of %zu attachments already run the new "
			      "program (it uses the same maps, so both "
			      "serve%s)",
			      why, done, n,
			      migrate ? "; the layout stays the old one until "
					"an upgrade swaps them all"
				      : "");
	}
	/* Every attachment runs the new layout's program: the pins say so. */
	if (!err && migrate && !opts->dry_run)
		err = layout_commit(xlb);
	/* The redirect targets: empty in a devmap a migration just made. */
	if (!err && !opts->dry_run)
		err = xlb_devmap_sync(xlb);
	for (size_t i = 0; !err && i < n; i++) {
		res[i].layout_from = from;
		res[i].layout_to = opts->dry_run ? from : t[i].layout;
		snprintf(res[i].migration, sizeof(res[i].migration), "%s",
			 migration);
	}
	for (size_t i = 0; i < n; i++)
		bpf_object__close(t[i].obj);
	free(t);
	if (err) {
		free(res);
		return err;
	}
	*out = res;
	*n_out = n;
	return 0;
}
