// SPDX-License-Identifier: GPL-2.0
/*
 * Backend MACs from the kernel's neighbour table (netlink, through libnl).
 * An address the table does not know yet is resolved the way the kernel
 * would for its own traffic: a NTF_USE request makes it send ARP or ND.
 * When nobody answers, the entry that request made is removed again, so a
 * failed lookup leaves the table as it was.
 */
#include <errno.h>
#include <linux/neighbour.h>
#include <string.h>
#include <time.h>

#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/neighbour.h>

#include "internal.h"

#define NUD_HAS_LLADDR                                                       \
	(NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | NUD_PERMANENT | \
	 NUD_NOARP)

static bool cached_mac(struct nl_cache *cache, int ifindex, struct nl_addr *dst,
		       __u8 mac[6])
{
	struct rtnl_neigh *neigh = rtnl_neigh_get(cache, ifindex, dst);
	struct nl_addr *lladdr;
	bool found = false;

	if (!neigh)
		return false;
	lladdr = rtnl_neigh_get_lladdr(neigh);
	if ((rtnl_neigh_get_state(neigh) & NUD_HAS_LLADDR) && lladdr &&
	    nl_addr_get_len(lladdr) == 6) {
		memcpy(mac, nl_addr_get_binary_addr(lladdr), 6);
		found = true;
	}
	rtnl_neigh_put(neigh);
	return found;
}

/* Deletes the unresolved entry for dst that our request added. */
static void remove_unresolved(struct nl_sock *sock, struct nl_cache *cache,
			      int ifindex, struct nl_addr *dst)
{
	struct rtnl_neigh *neigh;

	if (nl_cache_refill(sock, cache))
		return;
	neigh = rtnl_neigh_get(cache, ifindex, dst);
	if (!neigh)
		return;
	if (!(rtnl_neigh_get_state(neigh) & NUD_HAS_LLADDR))
		rtnl_neigh_delete(sock, neigh, 0);
	rtnl_neigh_put(neigh);
}

static int request_resolution(struct nl_sock *sock, int ifindex,
			      struct nl_addr *dst)
{
	struct rtnl_neigh *req = rtnl_neigh_alloc();
	int err;

	if (!req)
		return -ENOMEM;
	rtnl_neigh_set_ifindex(req, ifindex);
	rtnl_neigh_set_dst(req, dst);
	rtnl_neigh_set_state(req, NUD_NONE);
	rtnl_neigh_set_flags(req, NTF_USE);
	err = rtnl_neigh_add(sock, req, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_neigh_put(req);
	return err;
}

int xlb_neigh_lookup(int ifindex, const union xlb_addr *addr, __u8 family,
		     __u8 mac[6], int timeout_ms)
{
	struct timespec pause = { .tv_nsec = 20 * 1000 * 1000 };
	char text[XLB_ADDR_STRLEN], ifname[IF_NAMESIZE] = "?";
	struct nl_cache *cache = NULL;
	struct nl_sock *sock;
	struct nl_addr *dst;
	int err = 0, waited = 0;
	bool found;

	xlb_format_addr(addr, family, text, sizeof(text));
	if_indextoname(ifindex, ifname);
	sock = nl_socket_alloc();
	dst = family == XLB_FAMILY_V4
		      ? nl_addr_build(AF_INET, &addr->v4, 4)
		      : nl_addr_build(AF_INET6, addr->bytes, 16);
	if (!sock || !dst) {
		err = xlb_err(ENOMEM, "out of memory");
		goto out;
	}
	if (nl_connect(sock, NETLINK_ROUTE) ||
	    rtnl_neigh_alloc_cache(sock, &cache)) {
		err = xlb_err(EIO, "read the neighbour table over netlink");
		goto out;
	}
	found = cached_mac(cache, ifindex, dst, mac);
	if (!found && request_resolution(sock, ifindex, dst) < 0) {
		err = xlb_err(EIO, "ask the kernel to resolve %s on %s", text,
			      ifname);
		goto out;
	}
	while (!found && waited < timeout_ms) {
		nanosleep(&pause, NULL);
		waited += 20;
		if (nl_cache_refill(sock, cache))
			break;
		found = cached_mac(cache, ifindex, dst, mac);
	}
	/*
	 * A zero timeout only sends the request (the caller waits later, on
	 * another call): the entry stays for that call to find. An entry that
	 * never resolved (INCOMPLETE, FAILED) is what our request made.
	 */
	if (!found && timeout_ms > 0)
		remove_unresolved(sock, cache, ifindex, dst);
	if (!found)
		err = xlb_err(EHOSTUNREACH,
			      "no MAC for %s on %s: it did not answer %s "
			      "within "
			      "%d ms (give --mac)",
			      text, ifname,
			      family == XLB_FAMILY_V4 ? "ARP"
						      : "neighbour "
							"solicitation",
			      timeout_ms);
out:
	nl_cache_free(cache);
	nl_addr_put(dst);
	nl_socket_free(sock);
	return err;
}
