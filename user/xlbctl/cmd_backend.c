// SPDX-License-Identifier: GPL-2.0
/* backend add, set, del and list: (VIP, backend) pairs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "output.h"
#include "report.h"
#include "session.h"

int cmd_backend_add(const struct cli *cli)
{
	struct xlb_backend_spec spec = cli->backend;
	struct xlb_vip vip;
	struct xlb *xlb;
	int rc, err;

	rc = session_open(cli, &xlb);
	if (rc)
		return rc;
	/*
	 * Resolve before taking the lock: ARP may take a while, and a VIP
	 * that does not exist should say so before any waiting.
	 */
	err = xlb_vip_get(xlb, &cli->vip, &vip);
	/*
	 * ipip and gue route to the backend: its MAC is unused, no ARP to
	 * wait for.
	 */
	if (!err && !(spec.set & XLB_SET_MAC) &&
	    !xlb_mode_uses_mac(xlb_vip_mode(&vip)))
		memcpy(spec.mac, XLB_TUNNEL_MAC, 6);
	else if (!err && !(spec.set & XLB_SET_MAC))
		err = xlb_resolve_mac(xlb, &spec.addr, spec.family, spec.mac,
				      cli->neigh_timeout_ms);
	if (!err)
		err = xlb_lock(xlb, cli->lock_timeout_ms);
	if (err) {
		rc = report(cli, err, "%s%s", xlb_errmsg(),
			    err == -EAGAIN ? " (--lock-timeout waits longer)"
					   : "");
		xlb_close(xlb);
		return rc;
	}
	spec.set |= XLB_SET_MAC;
	return session_finish(cli, xlb, xlb_backend_add(xlb, &cli->vip, &spec));
}

int cmd_backend_set(const struct cli *cli)
{
	struct xlb *xlb;
	int rc;

	rc = session_open_writer(cli, &xlb);
	if (rc)
		return rc;
	return session_finish(cli, xlb,
			      xlb_backend_set(xlb, &cli->vip, &cli->backend));
}

int cmd_backend_del(const struct cli *cli)
{
	struct xlb *xlb;
	int rc;

	rc = session_open_writer(cli, &xlb);
	if (rc)
		return rc;
	return session_finish(cli, xlb,
			      xlb_backend_del(xlb, &cli->vip,
					      &cli->backend.addr,
					      cli->backend.family));
}

static void list_text(const struct xlb_pair_info *pairs, size_t n)
{
	struct table *t = table_new("llrrrlllrrl", "VIP", "BACKEND", "ID",
				    "WEIGHT", "BASE", "STATE", "OP_STATE",
				    "HEALTH", "FACTOR", "REASON", "MAC", NULL);
	char vip[XLB_VIP_STRLEN], addr[XLB_ADDR_STRLEN], mac[XLB_MAC_STRLEN];

	for (size_t i = 0; i < n; i++) {
		table_row(t);
		table_cell(t, "%s",
			   xlb_format_vip(&pairs[i].vip, vip, sizeof(vip)));
		table_cell(t, "%s",
			   xlb_format_addr(&pairs[i].be.addr,
					   pairs[i].be.family, addr,
					   sizeof(addr)));
		table_cell(t, "%u", pairs[i].id);
		table_cell(t, "%u", pairs[i].weight);
		table_cell(t, "%u", pairs[i].base_weight);
		table_cell(t, "%s", xlb_state_name(pairs[i].state));
		table_cell(t, "%s", xlb_op_state_name(pairs[i].op_state));
		table_cell(t, "%s", xlb_health_name(pairs[i].health));
		table_cell(t, "%u.%03u", pairs[i].factor / XLB_FACTOR_ONE,
			   pairs[i].factor % XLB_FACTOR_ONE);
		table_cell(t, "%u", pairs[i].reason);
		table_cell(t, "%s",
			   xlb_format_mac(pairs[i].be.mac, mac, sizeof(mac)));
	}
	table_print(t, stdout);
	table_free(t);
}

static void list_json(const struct xlb_pair_info *pairs, size_t n)
{
	char vip[XLB_VIP_STRLEN], addr[XLB_ADDR_STRLEN], mac[XLB_MAC_STRLEN];
	json_object *list = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();

		json_object_object_add(
			o, "vip",
			json_object_new_string(xlb_format_vip(
				&pairs[i].vip, vip, sizeof(vip))));
		json_object_object_add(o, "address",
				       json_object_new_string(xlb_format_addr(
					       &pairs[i].be.addr,
					       pairs[i].be.family, addr,
					       sizeof(addr))));
		json_object_object_add(o, "id",
				       json_object_new_int(pairs[i].id));
		json_object_object_add(o, "weight",
				       json_object_new_int(pairs[i].weight));
		json_object_object_add(
			o, "state",
			json_object_new_string(xlb_state_name(pairs[i].state)));
		json_object_object_add(o, "state_value",
				       json_object_new_int(pairs[i].state));
		json_object_object_add(
			o, "base_weight",
			json_object_new_int64(pairs[i].base_weight));
		json_object_object_add(o, "op_state",
				       json_object_new_string(xlb_op_state_name(
					       pairs[i].op_state)));
		json_object_object_add(o, "health",
				       json_object_new_string(xlb_health_name(
					       pairs[i].health)));
		json_object_object_add(
			o, "factor",
			json_object_new_double((double)pairs[i].factor /
					       XLB_FACTOR_ONE));
		json_object_object_add(o, "factor_milli",
				       json_object_new_int64(pairs[i].factor));
		json_object_object_add(o, "reason",
				       json_object_new_int64(pairs[i].reason));
		json_object_object_add(
			o, "mac",
			json_object_new_string(xlb_format_mac(
				pairs[i].be.mac, mac, sizeof(mac))));
		json_object_array_add(list, o);
	}
	json_print(list, stdout, false);
	json_object_put(list);
}

int cmd_backend_list(const struct cli *cli)
{
	struct xlb_pair_info *pairs;
	struct xlb_vip vip;
	struct xlb *xlb;
	size_t n;
	int rc, err = 0;

	rc = session_open(cli, &xlb);
	if (rc)
		return rc;
	/* An unknown VIP is an error, not an empty list. */
	if (cli->has_vip)
		err = xlb_vip_get(xlb, &cli->vip, &vip);
	if (!err)
		err = xlb_backend_list(xlb, cli->has_vip ? &cli->vip : NULL,
				       &pairs, &n);
	if (err) {
		rc = report_lib(cli, err);
		xlb_close(xlb);
		return rc;
	}
	if (cli->json)
		list_json(pairs, n);
	else
		list_text(pairs, n);
	free(pairs);
	xlb_close(xlb);
	return rc;
}
