// SPDX-License-Identifier: GPL-2.0
/*
 * Two-armed redirect targets: xlb_devmap holds the ifindex of every
 * interface the instance is attached to, so an ipip or gue frame whose route
 * leaves by another of them goes there by XDP_REDIRECT (bpf/encap.h). Only
 * attached interfaces: a native redirect needs an XDP program on the
 * target, and the attachment is what an operator sees.
 *
 * ifindexes repeat across network namespaces and a devmap entry names a
 * device of the namespace that wrote it, so the map is filled only while
 * every live attachment of the instance is in one namespace; with
 * attachments in several it is emptied, and such frames are passed
 * (encap_other_dev) rather than sent into another namespace's device.
 * Once the others are gone, the next attach or detach in the remaining
 * namespace fills it again.
 */
#include <errno.h>
#include <stdlib.h>

#include <bpf/bpf.h>

#include "internal.h"

static bool wanted(const struct xlb_attachment *att, size_t n, __u32 ifindex,
		   bool one_netns)
{
	for (size_t i = 0; one_netns && i < n; i++)
		if (!att[i].elsewhere && att[i].ifindex == (int)ifindex)
			return true;
	return false;
}

int xlb_devmap_sync(struct xlb *xlb)
{
	int fd = xlb->fds[MAP_DEVMAP], err;
	struct xlb_attachment *att;
	bool one_netns = true, here = false;
	__u32 key, next;
	size_t n;
	bool first = true;

	err = xlb_attachments(xlb, &att, &n);
	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		here |= att[i].ifindex && !att[i].elsewhere;
		one_netns &= !(att[i].ifindex && att[i].elsewhere);
	}
	/* Nothing here: the entries are another namespace's to state. */
	if (!here && !one_netns) {
		free(att);
		return 0;
	}
	/* Stale entries out first, then every wanted one (idempotent). */
	while (!bpf_map_get_next_key(fd, first ? NULL : &key, &next)) {
		if (!wanted(att, n, next, one_netns) &&
		    bpf_map_delete_elem(fd, &next) && errno != ENOENT) {
			err = xlb_errno(errno, "remove interface %u from %s",
					next, XLB_MAP_DEVMAP);
			break;
		}
		key = next;
		first = false;
	}
	for (size_t i = 0; !err && one_netns && i < n; i++) {
		__u32 ifindex = att[i].ifindex;

		if (!ifindex || att[i].elsewhere)
			continue;
		if (bpf_map_update_elem(fd, &ifindex, &ifindex, BPF_ANY))
			err = xlb_errno(errno,
					"add %s (ifindex %u) to %s as a "
					"redirect target",
					att[i].ifname, ifindex, XLB_MAP_DEVMAP);
	}
	free(att);
	return err;
}
