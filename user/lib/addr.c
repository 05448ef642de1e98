// SPDX-License-Identifier: GPL-2.0
/* Addresses, VIPs, MACs and states as text, both ways. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

int xlb_parse_addr(const char *text, union xlb_addr *addr, __u8 *family)
{
	char buf[XLB_ADDR_STRLEN + 2];
	size_t len = strlen(text);

	memset(addr, 0, sizeof(*addr));
	/* Accept "[v6]" too, as it appears in a VIP. */
	if (len >= 2 && len < sizeof(buf) && text[0] == '[' &&
	    text[len - 1] == ']') {
		memcpy(buf, text + 1, len - 2);
		buf[len - 2] = '\0';
		text = buf;
	}
	if (inet_pton(AF_INET, text, &addr->v4) == 1) {
		*family = XLB_FAMILY_V4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, addr->bytes) == 1) {
		*family = XLB_FAMILY_V6;
		return 0;
	}
	return xlb_err(EINVAL, "'%s' is not an IPv4 or IPv6 address", text);
}

static int parse_port(const char *text, __be16 *port)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < 1 || v > 65535)
		return -EINVAL;
	*port = htons((__u16)v);
	return 0;
}

int xlb_parse_vip(const char *text, struct xlb_vip_key *key)
{
	char buf[XLB_VIP_STRLEN];
	char *slash, *colon, *host;
	__u8 family;
	int err;

	memset(key, 0, sizeof(*key));
	if (strlen(text) >= sizeof(buf))
		return xlb_err(EINVAL, "'%s' is too long for a VIP", text);
	strcpy(buf, text);

	slash = strrchr(buf, '/');
	if (!slash)
		return xlb_err(EINVAL,
			       "'%s' is not a VIP: expected ADDR:PORT/tcp, "
			       "ADDR:PORT/udp or [V6ADDR]:PORT/tcp",
			       text);
	*slash = '\0';
	if (!strcasecmp(slash + 1, "tcp"))
		key->proto = IPPROTO_TCP;
	else if (!strcasecmp(slash + 1, "udp"))
		key->proto = IPPROTO_UDP;
	else
		return xlb_err(EINVAL, "'%s': protocol must be tcp or udp",
			       text);

	colon = strrchr(buf, ':');
	if (!colon || parse_port(colon + 1, &key->port))
		return xlb_err(EINVAL, "'%s': missing or bad port (1-65535)",
			       text);
	*colon = '\0';
	host = buf;
	/* IPv6 needs brackets, or its colons would be read as the port. */
	if (strchr(host, ':') && host[0] != '[')
		return xlb_err(EINVAL, "'%s': write IPv6 VIPs as [ADDR]:PORT",
			       text);
	err = xlb_parse_addr(host, &key->addr, &family);
	if (err)
		return xlb_err(EINVAL, "'%s': bad address", text);
	if (family == XLB_FAMILY_V4 && host[0] == '[')
		return xlb_err(EINVAL, "'%s': brackets are for IPv6", text);
	key->family = family;
	return 0;
}

int xlb_parse_mac(const char *text, __u8 mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2],
		   &b[3], &b[4], &b[5], &tail) != 6 ||
	    strlen(text) != 17)
		return xlb_err(EINVAL, "'%s' is not a MAC (aa:bb:cc:dd:ee:ff)",
			       text);
	for (int i = 0; i < 6; i++)
		mac[i] = b[i];
	if (mac[0] & 1)
		return xlb_err(EINVAL, "'%s' is a multicast MAC", text);
	return 0;
}

const char *xlb_format_addr(const union xlb_addr *addr, __u8 family, char *buf,
			    size_t len)
{
	const void *src = family == XLB_FAMILY_V4 ? (const void *)&addr->v4
						  : (const void *)addr->bytes;

	if (!inet_ntop(family == XLB_FAMILY_V4 ? AF_INET : AF_INET6, src, buf,
		       len))
		snprintf(buf, len, "?");
	return buf;
}

const char *xlb_format_vip(const struct xlb_vip_key *key, char *buf, size_t len)
{
	char addr[XLB_ADDR_STRLEN];
	const char *proto = key->proto == IPPROTO_TCP	? "tcp"
			    : key->proto == IPPROTO_UDP ? "udp"
							: "?";

	xlb_format_addr(&key->addr, key->family, addr, sizeof(addr));
	if (key->family == XLB_FAMILY_V6)
		snprintf(buf, len, "[%s]:%u/%s", addr, ntohs(key->port), proto);
	else
		snprintf(buf, len, "%s:%u/%s", addr, ntohs(key->port), proto);
	return buf;
}

const char *xlb_format_mac(const __u8 mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return buf;
}

const char *xlb_state_name(__u32 state)
{
	switch (state) {
	case XLB_STATE_ACTIVE:
		return "active";
	case XLB_STATE_DRAINING:
		return "draining";
	case XLB_STATE_DOWN:
		return "down";
	default:
		return "down(unknown)";
	}
}

int xlb_parse_state(const char *text, __u32 *state)
{
	if (!strcmp(text, "active"))
		*state = XLB_STATE_ACTIVE;
	else if (!strcmp(text, "draining"))
		*state = XLB_STATE_DRAINING;
	else if (!strcmp(text, "down"))
		*state = XLB_STATE_DOWN;
	else if (!strcmp(text, "standby"))
		*state = XLB_OP_STANDBY;
	else
		return xlb_err(EINVAL,
			       "'%s' is not a state (active, draining, down, "
			       "standby)",
			       text);
	return 0;
}

int xlb_addr_cmp(const union xlb_addr *a, __u8 fa, const union xlb_addr *b,
		 __u8 fb)
{
	if (fa != fb)
		return fa < fb ? -1 : 1;
	return memcmp(a->bytes, b->bytes, sizeof(a->bytes));
}

int xlb_vip_key_cmp(const struct xlb_vip_key *a, const struct xlb_vip_key *b)
{
	int c = xlb_addr_cmp(&a->addr, a->family, &b->addr, b->family);

	if (c)
		return c;
	if (a->port != b->port)
		return ntohs(a->port) < ntohs(b->port) ? -1 : 1;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return 0;
}
