// SPDX-License-Identifier: GPL-2.0
/*
 * Thousands of random and mutated frames against the verdict rules, checked
 * by an independent reference classifier written from README's rules (not
 * from the BPF code):
 *   - not for us (group or another host's destination MAC) or not for a
 *     VIP (address, port, protocol): XDP_PASS, bytes untouched;
 *   - malformed or cut short, to a VIP address: XDP_DROP;
 *   - well-formed, to a VIP with an active backend: XDP_TX, only the MACs
 *     changed, to one of that VIP's backends;
 *   - ICMP to a VIP address: echo requests answered (XDP_TX, MACs and
 *     addresses swapped, TTL 64, type reply, checksums still valid); errors
 *     (v4 unreachable, v6 unreachable / too big) quoting a VIP flow sent to
 *     one of its backends like the flow, cut-short quotes dropped, others
 *     passed untouched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "testing.h"

#define FRAMES 30000

enum expect { EXPECT_PASS, EXPECT_DROP, EXPECT_TX, EXPECT_ECHO };

struct vip_def {
	const char *text;
	__u8 family, proto;
	__u8 addr[16];
	__u16 port;
	__u8 macs[2][6];
};

static struct vip_def vips[] = {
	{ .text = "10.0.0.1:80/tcp" },	{ .text = "10.0.0.1:53/udp" },
	{ .text = "10.0.0.2:443/tcp" }, { .text = "[fd00::1]:443/tcp" },
	{ .text = "[fd00::1]:53/udp" },
};
#define N_VIPS (int)(sizeof(vips) / sizeof(vips[0]))

static __u32 rng_state = 0xdecafbad;

static __u32 rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static __u16 get16(const __u8 *p)
{
	return (p[0] << 8) | p[1];
}

static bool is_vip_address(__u8 family, const __u8 *addr)
{
	for (int i = 0; i < N_VIPS; i++)
		if (vips[i].family == family &&
		    !memcmp(vips[i].addr, addr, family == 4 ? 4 : 16))
			return true;
	return false;
}

static int find_vip(__u8 family, const __u8 *addr, __u8 proto, __u16 port)
{
	for (int i = 0; i < N_VIPS; i++)
		if (vips[i].family == family && vips[i].proto == proto &&
		    vips[i].port == port &&
		    !memcmp(vips[i].addr, addr, family == 4 ? 4 : 16))
			return i;
	return -1;
}

/*
 * An ICMP error to a VIP address: the quote (at q, IP header of the
 * backend's reply VIP -> client) names the flow by its source.
 */
static enum expect classify_quote(const __u8 *d, __u32 q, __u32 ip_end,
				  __u8 family, int *vip_out)
{
	__u32 hlen = family == 4 ? 20 : 40, ql4;
	__u8 proto;

	if (q + hlen > ip_end)
		return EXPECT_DROP;
	if (family == 4) {
		proto = d[q + 9];
		if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
			return EXPECT_PASS;
		hlen = (d[q] & 0xf) * 4;
		if ((d[q] >> 4) != 4 || hlen < 20 ||
		    (get16(d + q + 6) & 0x1fff))
			return EXPECT_DROP;
	} else {
		if ((d[q] >> 4) != 6)
			return EXPECT_DROP;
		proto = d[q + 6];
		if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
			return EXPECT_PASS;
	}
	ql4 = q + hlen;
	if (ql4 + 8 > ip_end)
		return EXPECT_DROP;
	*vip_out = find_vip(family, d + q + (family == 4 ? 12 : 8), proto,
			    get16(d + ql4));
	return *vip_out < 0 ? EXPECT_PASS : EXPECT_TX;
}

static enum expect classify_icmp(const __u8 *d, __u32 l4, __u32 ip_end,
				 __u8 family, bool v6_ext, int *vip_out)
{
	if (l4 + 8 > ip_end)
		return EXPECT_DROP;
	if (family == 4 && d[l4] == 8)
		return EXPECT_ECHO; /* every VIP here answers echo */
	if (family == 6 && d[l4] == 128)
		return v6_ext ? EXPECT_PASS : EXPECT_ECHO;
	if ((family == 4 && d[l4] == 3) ||
	    (family == 6 && (d[l4] == 1 || d[l4] == 2)))
		return classify_quote(d, l4 + 8, ip_end, family, vip_out);
	return EXPECT_PASS;
}

/* The reference: what README says must happen to this frame. */
static enum expect classify(const __u8 *d, __u32 len, int *vip_out)
{
	__u32 off = 14, l4, ip_end;
	__u16 type;
	__u8 family, proto;
	const __u8 *daddr;

	*vip_out = -1;
	if (len < 14)
		return EXPECT_PASS;
	/* Group-addressed, or unicast to another host: not balanced. */
	if ((d[0] & 1) || memcmp(d, fixture_lb_mac, 6))
		return EXPECT_PASS;
	type = get16(d + 12);
	if (type == 0x8100) {
		if (len < 18)
			return EXPECT_PASS;
		type = get16(d + 16);
		off = 18;
	}
	if (type == 0x0800) {
		__u32 ihl, total;

		if (len < off + 20)
			return EXPECT_PASS;
		family = 4;
		daddr = d + off + 16;
		proto = d[off + 9];
		if (!is_vip_address(family, daddr) ||
		    (proto != IPPROTO_TCP && proto != IPPROTO_UDP &&
		     proto != IPPROTO_ICMP))
			return EXPECT_PASS;
		ihl = (d[off] & 0xf) * 4;
		total = get16(d + off + 2);
		if ((d[off] >> 4) != 4 || ihl < 20 || total < ihl)
			return EXPECT_DROP;
		if (off + total > len)
			return EXPECT_DROP;
		if (get16(d + off + 6) & 0x3fff)
			/* A fragmented ICMP message is the stack's to reassemble. */
			return proto == IPPROTO_ICMP ? EXPECT_PASS
						     : EXPECT_DROP;
		l4 = off + ihl;
		ip_end = off + total;
		if (proto == IPPROTO_ICMP)
			return classify_icmp(d, l4, ip_end, 4, false, vip_out);
	} else if (type == 0x86dd) {
		__u8 next;
		int headers = 0;

		if (len < off + 40)
			return EXPECT_PASS;
		family = 6;
		daddr = d + off + 24;
		if (!is_vip_address(family, daddr))
			return EXPECT_PASS;
		next = d[off + 6];
		/* Which protocol it carries decides whether it can be a VIP's. */
		if ((d[off] >> 4) != 6)
			return EXPECT_DROP;
		ip_end = off + 40 + get16(d + off + 4);
		if (ip_end > len)
			return EXPECT_DROP;
		l4 = off + 40;
		while (next == 0 || next == 60) {
			if (++headers > 4)
				return EXPECT_DROP;
			if (l4 + 2 > ip_end)
				return EXPECT_DROP;
			next = d[l4];
			l4 += (d[l4 + 1] + 1) * 8;
		}
		if (next == 44 || next == 43)
			return EXPECT_DROP;
		if (next == IPPROTO_ICMPV6) /* behind too much is passed */
			return l4 > 511 ? EXPECT_PASS
					: classify_icmp(d, l4, ip_end, 6,
							headers > 0, vip_out);
		if (next != IPPROTO_TCP && next != IPPROTO_UDP)
			return EXPECT_PASS;
		proto = next;
	} else {
		return EXPECT_PASS;
	}

	if (proto == IPPROTO_TCP) {
		if (l4 + 20 > ip_end)
			return EXPECT_DROP;
		if ((d[l4 + 12] >> 4) < 5)
			return EXPECT_DROP;
		if (l4 + (d[l4 + 12] >> 4) * 4 > ip_end)
			return EXPECT_DROP;
	} else {
		__u32 udp_len;

		if (l4 + 8 > ip_end)
			return EXPECT_DROP;
		udp_len = get16(d + l4 + 4);
		if (udp_len < 8 || l4 + udp_len > ip_end)
			return EXPECT_DROP;
	}
	*vip_out = find_vip(family, daddr, proto, get16(d + l4 + 2));
	return *vip_out < 0 ? EXPECT_PASS : EXPECT_TX;
}

/* The 16-bit words of [from, to) summed, mod 0xffff: ones' complement. */
static __u32 sum16(const __u8 *d, __u32 from, __u32 to)
{
	__u64 sum = 0;

	for (__u32 i = from; i < to; i += 2)
		sum += (d[i] << 8) | (i + 1 < to ? d[i + 1] : 0);
	return sum % 0xffff;
}

/*
 * An echo reply made from request p: MACs and addresses swapped, TTL or
 * hop limit 64, type reply, everything else but the checksums as it was,
 * and each checksummed range summing to what it did (a valid checksum
 * stays valid: the pseudo-header's sum does not change with the swap).
 * Returns what is wrong, or NULL.
 */
static const char *check_echo(const struct pkt *p, const struct run *r)
{
	__u8 want[PKT_MAX];
	__u32 off = 14, l4, ip_end;
	bool v4;

	if (r->verdict != XDP_TX)
		return "not answered";
	if (r->out_len != p->len)
		return "length changed";
	if (get16(p->data + 12) == 0x8100)
		off = 18;
	v4 = get16(p->data + off - 2) == 0x0800;
	memcpy(want, p->data, p->len);
	memcpy(want, p->data + 6, 6);
	memcpy(want + 6, p->data, 6);
	if (v4) {
		l4 = off + (p->data[off] & 0xf) * 4;
		ip_end = off + get16(p->data + off + 2);
		memcpy(want + off + 12, p->data + off + 16, 4);
		memcpy(want + off + 16, p->data + off + 12, 4);
		want[off + 8] = 64;
		want[off + 10] = r->out[off + 10];
		want[off + 11] = r->out[off + 11];
		want[l4] = 0;
		if (sum16(r->out, off, l4) != sum16(p->data, off, l4))
			return "IP header checksum wrong";
	} else {
		l4 = off + 40;
		ip_end = l4 + get16(p->data + off + 4);
		memcpy(want + off + 8, p->data + off + 24, 16);
		memcpy(want + off + 24, p->data + off + 8, 16);
		want[off + 7] = 64;
		want[l4] = 129;
	}
	want[l4 + 2] = r->out[l4 + 2];
	want[l4 + 3] = r->out[l4 + 3];
	if (memcmp(want, r->out, p->len))
		return "bytes other than the reply's changed";
	if (sum16(r->out, l4, ip_end) != sum16(p->data, l4, ip_end))
		return "ICMP checksum wrong";
	return NULL;
}

static int setup(struct fixture *f)
{
	for (int i = 0; i < N_VIPS; i++) {
		struct xlb_vip_key key;

		if (fixture_vip(f, vips[i].text, &key))
			return -1;
		vips[i].family = key.family;
		vips[i].proto = key.proto;
		vips[i].port = ntohs(key.port);
		memcpy(vips[i].addr, key.addr.bytes, 16);
		for (int b = 0; b < 2; b++) {
			char addr[32];
			__u8 mac[6] = { 0x02, 0, 0, 0, i, b + 1 };

			snprintf(addr, sizeof(addr),
				 key.family == 4 ? "10.9.%d.%d" : "fd09::%d:%d",
				 i, b + 1);
			memcpy(vips[i].macs[b], mac, 6);
			if (fixture_backend(f, &key, addr, mac, 1, 1))
				return -1;
		}
	}
	return 0;
}

/* A well-formed frame: mostly to VIPs, sometimes near misses. */
static void template(struct pkt *p)
{
	static const char *const dst4[] = { "10.0.0.1", "10.0.0.2",
					    "10.0.0.3" };
	static const char *const dst6[] = { "fd00::1", "fd00::2" };
	static const __u16 ports[] = { 80, 53, 443, 81 };
	static const __u8 v6_ext[] = { 0, 0, 0, 0, 60, 0 };
	struct pkt_spec s = {
		.sport = rng() % 65535 + 1,
		.dport = ports[rng() % 4],
		.tcp_flags = rng() % 4 ? 0x02 : 0x10,
		.vlan = rng() % 5 ? 0 : 1 + rng() % 4000,
		.payload = rng() % 64,
	};
	char src[40];

	switch (rng() % 8) {
	case 0:
		s.proto = IPPROTO_ICMP;
		break;
	case 1:
	case 2:
	case 3:
		s.proto = IPPROTO_UDP;
		break;
	default:
		s.proto = IPPROTO_TCP;
	}
	if (rng() % 3) {
		s.family = XLB_FAMILY_V4;
		snprintf(src, sizeof(src), "198.51.100.%u", rng() % 256);
		s.dst = dst4[rng() % 3];
		s.ip_options = (rng() % 4 ? 0 : rng() % 11) * 4;
	} else {
		s.family = XLB_FAMILY_V6;
		if (s.proto == IPPROTO_ICMP)
			s.proto = IPPROTO_ICMPV6;
		snprintf(src, sizeof(src), "2001:db8::%x", rng() % 65536);
		s.dst = dst6[rng() % 2];
		s.v6_ext = v6_ext[rng() % 6];
	}
	s.src = src;
	pkt_build(p, &s);
}

static void mutate(struct pkt *p)
{
	int n = rng() % 4;

	for (int i = 0; i < n; i++) {
		switch (rng() % 5) {
		case 0: /* flip a byte in the headers */
			p->data[rng() % (p->l4 + 24)] ^= 1 << (rng() % 8);
			break;
		case 1: /* cut the frame */
			p->len = 14 + rng() % (p->len - 13);
			break;
		case 2: /* a random byte anywhere in the headers */
			p->data[12 + rng() % (p->l4 + 12)] = rng();
			break;
		case 3: /* a length field */
			p->data[p->l3 + 2 + (rng() % 3)] = rng();
			break;
		case 4: /* the L4 length/offset byte */
			p->data[p->l4 + 4 + rng() % 9] = rng();
			break;
		}
	}
}

static void random_frame(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->len = 14 + rng() % 200;
	for (__u32 i = 0; i < p->len; i++)
		p->data[i] = rng();
	if (rng() % 4) /* mostly to us, so the parser is reached */
		memcpy(p->data, fixture_lb_mac, 6);
	if (rng() % 2) { /* make it IP, so the parser goes further */
		bool v4 = rng() % 2;

		p->data[12] = v4 ? 0x08 : 0x86;
		p->data[13] = v4 ? 0x00 : 0xdd;
	}
}

TEST(random_and_mutated_frames_follow_the_verdict_rules)
{
	int counts[4] = {}, kinds[3] = {};
	struct fixture *f;

	FIXTURE(f, NULL);
	CHECK(!setup(f), "setup");
	for (int i = 0; i < FRAMES; i++) {
		int kind = i % 3, vip;
		const char *why;
		enum expect want;
		struct pkt p;
		struct run r;

		if (kind == 0) {
			template(&p);
		} else if (kind == 1) {
			template(&p);
			mutate(&p);
		} else {
			random_frame(&p);
		}
		kinds[kind]++;
		want = classify(p.data, p.len, &vip);
		CHECK(!fixture_run(f, &p, &r), "run");
		CHECK(r.verdict != XDP_ABORTED, "frame %d: aborted", i);
		switch (want) {
		case EXPECT_PASS:
			CHECK(r.verdict == XDP_PASS,
			      "frame %d (kind %d): verdict %u, expected pass",
			      i, kind, r.verdict);
			CHECK(r.out_len == p.len &&
				      !memcmp(r.out, p.data, p.len),
			      "frame %d: passed but changed", i);
			break;
		case EXPECT_DROP:
			CHECK(r.verdict == XDP_DROP,
			      "frame %d (kind %d): verdict %u, expected drop",
			      i, kind, r.verdict);
			break;
		case EXPECT_TX:
			CHECK(r.verdict == XDP_TX,
			      "frame %d (kind %d): verdict %u, expected "
			      "forward to %s",
			      i, kind, r.verdict, vips[vip].text);
			CHECK(!memcmp(r.out, vips[vip].macs[0], 6) ||
				      !memcmp(r.out, vips[vip].macs[1], 6),
			      "frame %d: sent to a MAC not of %s", i,
			      vips[vip].text);
			CHECK(!memcmp(r.out + 6, fixture_lb_mac, 6) &&
				      !memcmp(r.out + 12, p.data + 12,
					      p.len - 12),
			      "frame %d: more than the MACs changed", i);
			break;
		case EXPECT_ECHO:
			why = check_echo(&p, &r);
			CHECK(!why, "frame %d (kind %d): echo request: %s", i,
			      kind, why);
			break;
		}
		counts[want]++;
	}
	printf("  %d frames (%d templates, %d mutated, %d random): %d passed, "
	       "%d dropped, %d forwarded, %d echo replies, all as the rules "
	       "say\n",
	       FRAMES, kinds[0], kinds[1], kinds[2], counts[EXPECT_PASS],
	       counts[EXPECT_DROP], counts[EXPECT_TX], counts[EXPECT_ECHO]);
	CHECK(counts[EXPECT_PASS] > 1000 && counts[EXPECT_DROP] > 100 &&
		      counts[EXPECT_TX] > 1000 && counts[EXPECT_ECHO] > 100,
	      "the mix does not exercise every verdict");
}
