// SPDX-License-Identifier: GPL-2.0
/*
 * Backend MACs for l2dsr: a backend sits on the segment of one of the
 * interfaces the instance is attached to, so its MAC is in (or can be put
 * into) the neighbour table of that interface.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int xlb_resolve_mac(struct xlb *xlb, const union xlb_addr *addr, __u8 family,
		    __u8 mac[6], int timeout_ms)
{
	struct xlb_attachment *att;
	char text[XLB_ADDR_STRLEN], msg[512] = "";
	size_t n, live = 0;
	int err;

	xlb_format_addr(addr, family, text, sizeof(text));
	err = xlb_attachments(xlb, &att, &n);
	if (err)
		return err;
	/*
	 * First ask every interface without waiting (each sends its ARP or
	 * ND request), then wait on each: a backend answers on one of them.
	 */
	for (size_t i = 0; i < n; i++) {
		if (!att[i].ifindex || att[i].elsewhere)
			continue;
		live++;
		if (!xlb_neigh_lookup(att[i].ifindex, addr, family, mac, 0))
			goto found;
	}
	for (size_t i = 0; i < n; i++) {
		if (!att[i].ifindex || att[i].elsewhere)
			continue;
		err = xlb_neigh_lookup(att[i].ifindex, addr, family, mac,
				       timeout_ms);
		if (!err)
			goto found;
		if (!msg[0])
			snprintf(msg, sizeof(msg), "%s", xlb_errmsg());
	}
	free(att);
	if (!live)
		return xlb_err(ENOENT,
			       "no MAC for %s: xlb is attached to no "
			       "interface to look it up on (attach first, or "
			       "give --mac)",
			       text);
	return xlb_err(-err, "%s", msg);
found:
	free(att);
	return 0;
}

int xlb_changes_resolve_macs(struct xlb *xlb, struct xlb_change *changes,
			     size_t n, int timeout_ms)
{
	char line[256], msg[512];
	int err;

	for (size_t i = 0; i < n; i++) {
		struct xlb_backend_spec *s = &changes[i].spec;

		if (!changes[i].needs_mac || (s->set & XLB_SET_MAC))
			continue;
		err = xlb_resolve_mac(xlb, &s->addr, s->family, s->mac,
				      timeout_ms);
		if (err) {
			snprintf(msg, sizeof(msg), "%s", xlb_errmsg());
			return xlb_err(-err, "%s: %s",
				       xlb_change_format(&changes[i], line,
							 sizeof(line)),
				       msg);
		}
		s->set |= XLB_SET_MAC;
	}
	return 0;
}
