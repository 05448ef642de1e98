// SPDX-License-Identifier: GPL-2.0
/*
 * Forwarding modes: a VIP's mode (bits XLB_VIP_MODE_MASK of xlb_vip.flags)
 * and its copy in every pair of the VIP, which is what the data plane reads.
 */
#include <errno.h>
#include <string.h>

#include <bpf/bpf.h>

#include "internal.h"

static const char *const mode_names[] = {
	[XLB_FORWARD_L2DSR] = "l2dsr",
	[XLB_FORWARD_IPIP] = "ipip",
	[XLB_FORWARD_GUE] = "gue",
};

const char *xlb_mode_name(enum xlb_forward_mode mode)
{
	if ((unsigned int)mode < sizeof(mode_names) / sizeof(mode_names[0]))
		return mode_names[mode];
	return "unknown";
}

int xlb_parse_mode(const char *text, enum xlb_forward_mode *mode)
{
	if (!strcmp(text, "l2dsr"))
		*mode = XLB_FORWARD_L2DSR;
	else if (!strcmp(text, "ipip"))
		*mode = XLB_FORWARD_IPIP;
	else if (!strcmp(text, "gue"))
		*mode = XLB_FORWARD_GUE;
	else
		return xlb_err(EINVAL, "mode '%s' is not l2dsr, ipip or gue",
			       text);
	return 0;
}

enum xlb_forward_mode xlb_vip_mode(const struct xlb_vip *vip)
{
	return (vip->flags & XLB_VIP_MODE_MASK) >> XLB_VIP_MODE_SHIFT;
}

bool xlb_mode_uses_mac(enum xlb_forward_mode mode)
{
	return mode == XLB_FORWARD_L2DSR;
}

/*
 * The pairs first, then the VIP: a packet reads the mode from its pair,
 * and a backend added meanwhile copies it from the VIP (we hold the lock,
 * so none is). A pair's mode is one byte, so no packet sees half of it.
 */
int xlb_vip_set_mode(struct xlb *xlb, const struct xlb_vip_key *key,
		     enum xlb_forward_mode mode)
{
	char text[XLB_VIP_STRLEN], addr[XLB_ADDR_STRLEN];
	struct pair_snapshot snap;
	struct xlb_vip vip;
	__u8 bits;
	int err;

	err = xlb_require_lock(xlb, "vip set mode");
	if (!err)
		err = xlb_vip_get(xlb, key, &vip);
	if (err)
		return err;
	if (mode != XLB_FORWARD_L2DSR && mode != XLB_FORWARD_IPIP &&
	    mode != XLB_FORWARD_GUE)
		return xlb_err(EINVAL, "mode %u is not l2dsr, ipip or gue",
			       (unsigned int)mode);
	xlb_format_vip(key, text, sizeof(text));
	bits = (__u32)mode << XLB_VIP_MODE_SHIFT;
	err = pair_snapshot_read(xlb, &snap);
	if (err)
		return err;
	for (__u32 i = 0; i < snap.n && !err; i++) {
		const struct xlb_backend be = snap.be[i];

		if (!(be.flags & XLB_BACKEND_F_IN_USE) || be.vip_id != vip.id)
			continue;
		/* Checked before any pair changes: nothing half-applied. */
		if (xlb_mode_uses_mac(mode) &&
		    !memcmp(be.mac, XLB_TUNNEL_MAC, 6))
			err = xlb_err(EINVAL,
				      "%s: backend %s has no MAC (it was added "
				      "to a tunnelling VIP): backend set --mac "
				      "first, or config apply, which resolves "
				      "it",
				      text,
				      xlb_format_addr(&be.addr, be.family, addr,
						      sizeof(addr)));
	}
	for (__u32 i = 0; i < snap.n && !err; i++) {
		struct xlb_backend be = snap.be[i];

		if (!(be.flags & XLB_BACKEND_F_IN_USE) || be.vip_id != vip.id ||
		    (be.flags & XLB_VIP_MODE_MASK) == bits)
			continue;
		be.flags = (be.flags & ~XLB_VIP_MODE_MASK) | bits;
		err = pair_word_write(xlb, i, &be);
	}
	pair_snapshot_free(&snap);
	if (err)
		return err;
	vip.flags = (vip.flags & ~XLB_VIP_MODE_MASK) | bits;
	return vip_write(xlb, key, &vip, "set the mode");
}

static bool addr_is_zero(const union xlb_addr *a)
{
	static const union xlb_addr zero;

	return !memcmp(a, &zero, sizeof(*a));
}

int xlb_tunnel_source_set(struct xlb *xlb, const union xlb_addr *addr,
			  __u8 family)
{
	struct xlb_config cfg;
	int err;

	err = xlb_config_get(xlb, &cfg);
	if (err)
		return err;
	if (family == XLB_FAMILY_V4)
		cfg.tunnel_source4 = *addr;
	else if (family == XLB_FAMILY_V6)
		cfg.tunnel_source6 = *addr;
	else
		return xlb_err(EINVAL, "tunnel source family %u is not 4 or 6",
			       family);
	return xlb_config_set(xlb, &cfg);
}

int xlb_gue_port_set(struct xlb *xlb, __u32 port)
{
	struct xlb_config cfg;
	int err;

	err = xlb_config_get(xlb, &cfg);
	if (err)
		return err;
	if (!port || port > 0xffff)
		return xlb_err(ERANGE, "GUE port %u is not 1-65535", port);
	cfg.gue_port = port;
	return xlb_config_set(xlb, &cfg);
}

bool xlb_tunnel_source_is_set(const struct xlb_config *cfg, __u8 family)
{
	return !addr_is_zero(family == XLB_FAMILY_V4 ? &cfg->tunnel_source4
						     : &cfg->tunnel_source6);
}
