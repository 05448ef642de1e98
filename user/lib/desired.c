// SPDX-License-Identifier: GPL-2.0
/*
 * Desired state: a whole configuration as data, read from the maps, checked,
 * and compared with another to list the changes between them. Everything
 * here but xlb_desired_read is pure, so the diff is testable without BPF.
 */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "maglev.h"

void xlb_desired_free(struct xlb_desired *desired)
{
	for (size_t i = 0; i < desired->n_vips; i++)
		free(desired->vips[i].backends);
	free(desired->vips);
	memset(desired, 0, sizeof(*desired));
}

int xlb_desired_read(struct xlb *xlb, struct xlb_desired *out)
{
	struct xlb_vip_entry *vips = NULL;
	struct xlb_pair_info *pairs = NULL;
	size_t n_vips, n_pairs, p = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = xlb_vip_list(xlb, &vips, &n_vips);
	if (!err)
		err = xlb_backend_list(xlb, NULL, &pairs, &n_pairs);
	if (err)
		goto out;
	out->vips = calloc(n_vips + 1, sizeof(*out->vips));
	if (!out->vips) {
		err = xlb_err(ENOMEM, "out of memory");
		goto out;
	}
	/* Both lists are sorted by VIP: walk them side by side. */
	for (size_t v = 0; v < n_vips; v++) {
		struct xlb_desired_vip *dv = &out->vips[v];
		size_t first;

		dv->key = vips[v].key;
		dv->table_size = vips[v].vip.table_size;
		dv->no_icmp_echo =
			!!(vips[v].vip.flags & XLB_VIP_F_NO_ICMP_ECHO);
		dv->forward = xlb_vip_mode(&vips[v].vip);
		out->n_vips++;
		while (p < n_pairs &&
		       xlb_vip_key_cmp(&pairs[p].vip, &dv->key) < 0)
			p++;
		for (first = p;
		     p < n_pairs && !xlb_vip_key_cmp(&pairs[p].vip, &dv->key);
		     p++)
			;
		dv->backends = calloc(p - first + 1, sizeof(*dv->backends));
		if (!dv->backends) {
			err = xlb_err(ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = first; i < p; i++) {
			struct xlb_desired_backend *db =
				&dv->backends[dv->n_backends++];

			db->addr = pairs[i].be.addr;
			db->family = pairs[i].be.family;
			/* A tunnelling VIP's pair may have none (unused). */
			db->has_mac =
				memcmp(pairs[i].be.mac, XLB_TUNNEL_MAC, 6);
			memcpy(db->mac, pairs[i].be.mac, 6);
			/* The operator's intent, not the brain's product. */
			db->weight = pairs[i].base_weight;
			db->state = pairs[i].op_state <= XLB_OP_STANDBY
					    ? pairs[i].op_state
					    : XLB_OP_DOWN;
		}
	}
out:
	free(vips);
	free(pairs);
	if (err)
		xlb_desired_free(out);
	return err;
}

static __u32 table_size_of(const struct xlb_desired_vip *vip)
{
	return vip->table_size ? vip->table_size : XLB_TABLE_SIZE_DEFAULT;
}

static int check_backend(const struct xlb_desired_vip *vip, size_t v, size_t b)
{
	const struct xlb_desired_backend *be = &vip->backends[b];
	char text[XLB_ADDR_STRLEN], what[96];
	int err;

	snprintf(what, sizeof(what), "vips[%zu].backends[%zu].address:", v, b);
	err = xlb_check_family(what, be->family);
	if (!err) {
		snprintf(what, sizeof(what),
			 "vips[%zu].backends[%zu].weight:", v, b);
		err = xlb_check_weight(what, be->weight);
	}
	if (!err) {
		snprintf(what, sizeof(what),
			 "vips[%zu].backends[%zu].state:", v, b);
		err = xlb_check_op_state(what, be->state);
	}
	if (!err && be->has_mac) {
		snprintf(what, sizeof(what), "vips[%zu].backends[%zu].mac:", v,
			 b);
		err = xlb_check_mac(what, be->mac);
	}
	if (err)
		return err;
	for (size_t j = 0; j < b; j++)
		if (!xlb_addr_cmp(&vip->backends[j].addr,
				  vip->backends[j].family, &be->addr,
				  be->family))
			return xlb_err(EEXIST,
				       "vips[%zu].backends[%zu].address: %s "
				       "is also vips[%zu].backends[%zu]",
				       v, b,
				       xlb_format_addr(&be->addr, be->family,
						       text, sizeof(text)),
				       v, j);
	return 0;
}

static int check_vip(const struct xlb_desired *desired, size_t v)
{
	const struct xlb_desired_vip *vip = &desired->vips[v];
	__u32 size = table_size_of(vip);
	char text[XLB_VIP_STRLEN], what[64];
	int err;

	xlb_format_vip(&vip->key, text, sizeof(text));
	if ((vip->key.family != XLB_FAMILY_V4 &&
	     vip->key.family != XLB_FAMILY_V6) ||
	    (vip->key.proto != IPPROTO_TCP && vip->key.proto != IPPROTO_UDP) ||
	    !vip->key.port)
		return xlb_err(EINVAL,
			       "vips[%zu].vip: %s is not a usable VIP "
			       "(IPv4 or IPv6, port 1-65535, tcp or udp)",
			       v, text);
	for (size_t j = 0; j < v; j++)
		if (!xlb_vip_key_cmp(&desired->vips[j].key, &vip->key))
			return xlb_err(EEXIST,
				       "vips[%zu].vip: %s is also "
				       "vips[%zu]",
				       v, text, j);
	snprintf(what, sizeof(what), "vips[%zu].table_size:", v);
	err = xlb_check_table_size(what, size);
	if (err)
		return err;
	if (vip->n_backends > size)
		return xlb_err(ENOSPC,
			       "vips[%zu].backends: %zu backends do not fit "
			       "a table of %u slots",
			       v, vip->n_backends, size);
	for (size_t b = 0; b < vip->n_backends; b++) {
		err = check_backend(vip, v, b);
		if (err)
			return err;
	}
	return 0;
}

int xlb_desired_check(const struct xlb_desired *desired, __u32 max_vips,
		      __u32 max_backends)
{
	size_t pairs = 0;
	int err;

	if (desired->n_vips > max_vips)
		return xlb_err(ENOSPC,
			       "vips: %zu VIPs; the instance holds at "
			       "most %u",
			       desired->n_vips, max_vips);
	for (size_t v = 0; v < desired->n_vips; v++) {
		err = check_vip(desired, v);
		if (err)
			return err;
		pairs += desired->vips[v].n_backends;
	}
	if (pairs > max_backends)
		return xlb_err(ENOSPC,
			       "vips: %zu backends in all; the instance holds "
			       "at most %u",
			       pairs, max_backends);
	return 0;
}

/* --- Diff --- */

struct change_list {
	struct xlb_change *items;
	size_t n, cap;
};

static int change_push(struct change_list *list, const struct xlb_change *c)
{
	if (list->n == list->cap) {
		size_t cap = list->cap ? 2 * list->cap : 16;
		void *grown = realloc(list->items, cap * sizeof(*list->items));

		if (!grown)
			return xlb_err(ENOMEM, "out of memory");
		list->items = grown;
		list->cap = cap;
	}
	list->items[list->n++] = *c;
	return 0;
}

static const struct xlb_desired_vip *find_vip(const struct xlb_desired *d,
					      const struct xlb_vip_key *key)
{
	for (size_t i = 0; i < d->n_vips; i++)
		if (!xlb_vip_key_cmp(&d->vips[i].key, key))
			return &d->vips[i];
	return NULL;
}

static const struct xlb_desired_backend *
find_backend(const struct xlb_desired_vip *vip,
	     const struct xlb_desired_backend *be)
{
	for (size_t i = 0; vip && i < vip->n_backends; i++)
		if (!xlb_addr_cmp(&vip->backends[i].addr,
				  vip->backends[i].family, &be->addr,
				  be->family))
			return &vip->backends[i];
	return NULL;
}

static struct xlb_backend_spec spec_of(const struct xlb_desired_backend *be)
{
	struct xlb_backend_spec spec = {
		.addr = be->addr,
		.family = be->family,
		.weight = be->weight,
		.state = be->state,
	};

	if (be->has_mac) {
		memcpy(spec.mac, be->mac, 6);
		spec.set |= XLB_SET_MAC;
	}
	return spec;
}

/* What differs between a pair as it is and as it should be. */
static __u32 backend_delta(const struct xlb_desired_backend *now,
			   const struct xlb_desired_backend *want)
{
	__u32 set = 0;

	if (now->weight != want->weight)
		set |= XLB_SET_WEIGHT;
	if (now->state != want->state)
		set |= XLB_SET_STATE;
	if (want->has_mac && (!now->has_mac || memcmp(now->mac, want->mac, 6)))
		set |= XLB_SET_MAC;
	return set;
}

/*
 * A pair added; a backend the file gives no MAC for keeps the one it had
 * in was, if any.
 */
static int push_backend_add(struct change_list *list,
			    const struct xlb_desired_vip *want, size_t b,
			    const struct xlb_desired_vip *was)
{
	const struct xlb_desired_backend *be = &want->backends[b];
	const struct xlb_desired_backend *old = find_backend(was, be);
	struct xlb_change c = {
		.kind = XLB_CHANGE_BACKEND_ADD,
		.vip = want->key,
		.forward = want->forward,
		.spec = spec_of(be),
	};

	if (!be->has_mac && old && old->has_mac) {
		memcpy(c.spec.mac, old->mac, 6);
		c.spec.set |= XLB_SET_MAC;
	}
	c.needs_mac = !(c.spec.set & XLB_SET_MAC) &&
		      xlb_mode_uses_mac(want->forward);
	return change_push(list, &c);
}

/* A VIP added with its backends. */
static int push_vip_add(struct change_list *list,
			const struct xlb_desired_vip *want)
{
	struct xlb_change c = {
		.kind = XLB_CHANGE_VIP_ADD,
		.vip = want->key,
		.table_size = table_size_of(want),
		.no_icmp_echo = want->no_icmp_echo,
		.forward = want->forward,
	};
	int err = change_push(list, &c);

	for (size_t b = 0; !err && b < want->n_backends; b++)
		err = push_backend_add(list, want, b, NULL);
	return err;
}

int xlb_desired_diff(const struct xlb_desired *current,
		     const struct xlb_desired *desired, struct xlb_change **out,
		     size_t *n)
{
	struct change_list list = {};
	int err = 0;

	/* Deletions first: VIPs, then pairs of the VIPs that stay. */
	for (size_t v = 0; !err && v < current->n_vips; v++) {
		const struct xlb_desired_vip *now = &current->vips[v];

		if (!find_vip(desired, &now->key))
			err = change_push(
				&list, &(struct xlb_change){
					       .kind = XLB_CHANGE_VIP_DEL,
					       .vip = now->key,
					       .table_size = table_size_of(now),
				       });
	}
	for (size_t v = 0; !err && v < current->n_vips; v++) {
		const struct xlb_desired_vip *now = &current->vips[v];
		const struct xlb_desired_vip *want =
			find_vip(desired, &now->key);

		for (size_t b = 0; !err && want && b < now->n_backends; b++) {
			if (find_backend(want, &now->backends[b]))
				continue;
			err = change_push(
				&list,
				&(struct xlb_change){
					.kind = XLB_CHANGE_BACKEND_DEL,
					.vip = now->key,
					.spec = spec_of(&now->backends[b]),
					.old = spec_of(&now->backends[b]),
				});
		}
	}
	/* Additions: new VIPs with their pairs, then new pairs. */
	for (size_t v = 0; !err && v < desired->n_vips; v++) {
		const struct xlb_desired_vip *want = &desired->vips[v];

		if (!find_vip(current, &want->key))
			err = push_vip_add(&list, want);
	}
	for (size_t v = 0; !err && v < desired->n_vips; v++) {
		const struct xlb_desired_vip *want = &desired->vips[v];
		const struct xlb_desired_vip *now =
			find_vip(current, &want->key);

		for (size_t b = 0; !err && now && b < want->n_backends; b++)
			if (!find_backend(now, &want->backends[b]))
				err = push_backend_add(&list, want, b, now);
	}
	/* Settings of VIPs that stay, then of their pairs. */
	for (size_t v = 0; !err && v < desired->n_vips; v++) {
		const struct xlb_desired_vip *want = &desired->vips[v];
		const struct xlb_desired_vip *now =
			find_vip(current, &want->key);

		if (now && table_size_of(now) != table_size_of(want))
			err = change_push(&list,
					  &(struct xlb_change){
						  .kind = XLB_CHANGE_VIP_RESIZE,
						  .vip = want->key,
						  .table_size =
							  table_size_of(want),
					  });
		if (!err && now && now->no_icmp_echo != want->no_icmp_echo)
			err = change_push(&list,
					  &(struct xlb_change){
						  .kind = XLB_CHANGE_VIP_SET,
						  .vip = want->key,
						  .no_icmp_echo =
							  want->no_icmp_echo,
					  });
	}
	for (size_t v = 0; !err && v < desired->n_vips; v++) {
		const struct xlb_desired_vip *want = &desired->vips[v];
		const struct xlb_desired_vip *now =
			find_vip(current, &want->key);

		for (size_t b = 0; !err && now && b < want->n_backends; b++) {
			const struct xlb_desired_backend *old =
				find_backend(now, &want->backends[b]);
			struct xlb_change c = {
				.kind = XLB_CHANGE_BACKEND_SET,
				.vip = want->key,
				.forward = want->forward,
			};

			if (!old)
				continue;
			c.spec = spec_of(&want->backends[b]);
			c.spec.set = backend_delta(old, &want->backends[b]);
			c.old = spec_of(old);
			/* A VIP turning l2dsr: its pairs' MACs come first. */
			c.needs_mac = !old->has_mac &&
				      !want->backends[b].has_mac &&
				      xlb_mode_uses_mac(want->forward);
			if (c.spec.set || c.needs_mac)
				err = change_push(&list, &c);
		}
	}
	/* Last: a VIP turning l2dsr finds each pair's MAC in place. */
	for (size_t v = 0; !err && v < desired->n_vips; v++) {
		const struct xlb_desired_vip *want = &desired->vips[v];
		const struct xlb_desired_vip *now =
			find_vip(current, &want->key);

		if (now && now->forward != want->forward)
			err = change_push(&list,
					  &(struct xlb_change){
						  .kind = XLB_CHANGE_VIP_MODE,
						  .vip = want->key,
						  .forward = want->forward,
					  });
	}
	if (err) {
		free(list.items);
		return err;
	}
	*out = list.items;
	*n = list.n;
	return 0;
}

/* --- Text --- */

static void append(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strlen(buf);
	va_list ap;

	if (used >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

const char *xlb_change_format(const struct xlb_change *c, char *buf, size_t len)
{
	char vip[XLB_VIP_STRLEN], addr[XLB_ADDR_STRLEN], mac[XLB_MAC_STRLEN],
		old_mac[XLB_MAC_STRLEN];
	const struct xlb_backend_spec *s = &c->spec, *o = &c->old;

	xlb_format_vip(&c->vip, vip, sizeof(vip));
	xlb_format_addr(&s->addr, s->family, addr, sizeof(addr));
	xlb_format_mac(s->mac, mac, sizeof(mac));
	xlb_format_mac(o->mac, old_mac, sizeof(old_mac));
	buf[0] = '\0';
	switch (c->kind) {
	case XLB_CHANGE_VIP_DEL:
		append(buf, len, "del vip %s", vip);
		break;
	case XLB_CHANGE_VIP_ADD:
		append(buf, len, "add vip %s table-size %u", vip,
		       c->table_size);
		if (c->no_icmp_echo)
			append(buf, len, " icmp-echo off");
		if (c->forward != XLB_FORWARD_L2DSR)
			append(buf, len, " forward %s",
			       xlb_mode_name(c->forward));
		break;
	case XLB_CHANGE_VIP_MODE:
		append(buf, len, "set vip %s forward %s", vip,
		       xlb_mode_name(c->forward));
		break;
	case XLB_CHANGE_VIP_SET:
		append(buf, len, "set vip %s icmp-echo %s", vip,
		       c->no_icmp_echo ? "off" : "on");
		break;
	case XLB_CHANGE_VIP_RESIZE:
		append(buf, len, "resize vip %s table-size %u (flows kept)",
		       vip, c->table_size);
		break;
	case XLB_CHANGE_BACKEND_DEL:
		append(buf, len, "del backend %s %s", vip, addr);
		break;
	case XLB_CHANGE_BACKEND_ADD:
		append(buf, len, "add backend %s %s weight %u state %s mac %s",
		       vip, addr, s->weight, xlb_op_state_name(s->state),
		       (s->set & XLB_SET_MAC) ? mac
		       : c->needs_mac	      ? "(neighbour table)"
					      : "none (tunnelled)");
		break;
	case XLB_CHANGE_BACKEND_SET:
		append(buf, len, "set backend %s %s", vip, addr);
		if (s->set & XLB_SET_WEIGHT)
			append(buf, len, " weight %u -> %u", o->weight,
			       s->weight);
		if (s->set & XLB_SET_STATE)
			append(buf, len, " state %s -> %s",
			       xlb_op_state_name(o->state),
			       xlb_op_state_name(s->state));
		if (s->set & XLB_SET_MAC)
			append(buf, len, " mac %s -> %s",
			       (o->set & XLB_SET_MAC) ? old_mac : "none", mac);
		else if (c->needs_mac)
			append(buf, len, " mac none -> (neighbour table)");
		break;
	}
	return buf;
}
