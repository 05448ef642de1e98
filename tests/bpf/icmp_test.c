// SPDX-License-Identifier: GPL-2.0
/*
 * ICMP to a VIP address (bpf/icmp.h): echo requests answered by XDP_TX with
 * checksums verified by recomputing them from the reply's bytes, echo off on
 * every VIP of an address leaves it to the stack, and errors (IPv4
 * fragmentation needed, IPv6 packet too big) quoting a VIP flow reach that
 * flow's backend: its connection-table entry when it has one, else the
 * Maglev pick. Cut-short and garbage quotes are dropped and counted; errors
 * quoting other flows and ICMP to other addresses pass untouched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"
#include "testing.h"

/* Backend b of VIP i: 02:00:00:00:0i:0b+1, so a MAC names one pair. */
static const __u8 macs[3][2][6] = {
	{ { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } },
	{ { 2, 0, 0, 0, 1, 1 }, { 2, 0, 0, 0, 1, 2 } },
	{ { 2, 0, 0, 0, 2, 1 }, { 2, 0, 0, 0, 2, 2 } },
};

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Ones' complement sum of [p, p + len), folded, not inverted. */
static __u16 fold(const __u8 *p, __u32 len, __u32 sum)
{
	for (__u32 i = 0; i < len; i += 2)
		sum += (p[i] << 8) | (i + 1 < len ? p[i + 1] : 0);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The IPv6 pseudo-header's sum for an ICMPv6 message of len bytes. */
static __u32 pseudo6(const __u8 *ip6, __u32 len)
{
	return fold(ip6 + 8, 32, 0) + len + IPPROTO_ICMPV6;
}

/* Writes a correct ICMP(v6) checksum into the message at p->l4. */
static void icmp_checksum(struct pkt *p, bool v6, __u32 msg_len)
{
	__u8 *icmp = p->data + p->l4;

	icmp[2] = icmp[3] = 0;
	put16(icmp + 2,
	      ~fold(icmp, msg_len, v6 ? pseudo6(p->data + p->l3, msg_len) : 0));
}

/* 0 when every checksum of an ICMP(v6) frame verifies. */
static bool checksums_ok(const __u8 *d, __u32 l3, __u32 l4, bool v6,
			 __u32 msg_len)
{
	if (!v6 && fold(d + l3, l4 - l3, 0) != 0xffff)
		return false;
	return fold(d + l4, msg_len, v6 ? pseudo6(d + l3, msg_len) : 0) ==
	       0xffff;
}

static struct xlb_global_counters global(struct fixture *f)
{
	struct xlb_global_counters g;
	struct xlb_stats s = {};

	memset(&g, 0xff, sizeof(g));
	if (!xlb_stats_read(f->xlb, &s))
		g = s.global;
	xlb_stats_free(&s);
	return g;
}

/* VIPs 10.0.0.1:80/tcp, 10.0.0.1:53/udp, [fd00::1]:443/tcp, two backends. */
static int setup(struct fixture *f, struct xlb_vip_key keys[3])
{
	static const char *const vips[] = { "10.0.0.1:80/tcp",
					    "10.0.0.1:53/udp",
					    "[fd00::1]:443/tcp" };

	for (int i = 0; i < 3; i++) {
		const char *a = i < 2 ? "10.0.1.1" : "fd00:1::1";
		const char *b = i < 2 ? "10.0.1.2" : "fd00:1::2";

		if (fixture_vip(f, vips[i], &keys[i]) ||
		    fixture_backend(f, &keys[i], a, macs[i][0], 1, 1) ||
		    fixture_backend(f, &keys[i], b, macs[i][1], 1, 1))
			return -1;
	}
	return 0;
}

/* Echo request from the client, TTL/hop limit 32, 24 bytes of data. */
static void echo_request(struct pkt *p, bool v6)
{
	struct pkt_spec s = {
		.family = v6 ? XLB_FAMILY_V6 : XLB_FAMILY_V4,
		.src = v6 ? "2001:db8::1" : "192.0.2.1",
		.dst = v6 ? "fd00::1" : "10.0.0.1",
		.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
		.payload = 24,
	};

	pkt_build(p, &s);
	put16(p->data + p->l4 + 4, 0x4242); /* identifier */
	put16(p->data + p->l4 + 6, 7);	    /* sequence */
	if (v6) {
		p->data[p->l3 + 7] = 32;
	} else {
		p->data[p->l3 + 8] = 32;
		pkt_ipv4_checksum(p);
	}
	icmp_checksum(p, v6, 8 + 24);
}

static const char *check_reply(const struct pkt *p, const struct run *r,
			       bool v6)
{
	__u32 a = v6 ? 8 : 12, alen = v6 ? 16 : 4, l3 = p->l3, l4 = p->l4;
	__u8 want[PKT_MAX];

	if (r->verdict != XDP_TX)
		return "not answered";
	if (r->out_len != p->len)
		return "length changed";
	memcpy(want, p->data, p->len);
	memcpy(want, p->data + 6, 6);
	memcpy(want + 6, p->data, 6);
	memcpy(want + l3 + a, p->data + l3 + a + alen, alen);
	memcpy(want + l3 + a + alen, p->data + l3 + a, alen);
	want[l3 + (v6 ? 7 : 8)] = 64;
	want[l4] = v6 ? 129 : 0;
	/* The checksums are checked by recomputation below. */
	if (!v6) {
		want[l3 + 10] = r->out[l3 + 10];
		want[l3 + 11] = r->out[l3 + 11];
	}
	want[l4 + 2] = r->out[l4 + 2];
	want[l4 + 3] = r->out[l4 + 3];
	if (memcmp(want, r->out, p->len))
		return "reply bytes wrong";
	if (!checksums_ok(r->out, l3, l4, v6, 8 + 24))
		return "checksum does not verify";
	return NULL;
}

TEST(echo_to_a_vip_address_is_answered_with_valid_checksums)
{
	struct xlb_vip_key keys[3];
	struct fixture *f;
	const char *why;
	struct pkt p;
	struct run r;

	FIXTURE(f, NULL);
	CHECK(!setup(f, keys), "setup");
	for (int v6 = 0; v6 < 2; v6++) {
		echo_request(&p, v6);
		CHECK(checksums_ok(p.data, p.l3, p.l4, v6, 32), "request "
								"checksums");
		CHECK(!fixture_run(f, &p, &r), "run");
		why = check_reply(&p, &r, v6);
		CHECK(!why, "IPv%d echo: %s", v6 ? 6 : 4, why);
	}
	CHECK_EQ(global(f).icmp_echo_replied, 2);
	CHECK_EQ(global(f).passed, 0);
	CHECK_EQ(global(f).forwarded, 0);
}

TEST(echo_off_on_every_vip_of_the_address_passes)
{
	struct xlb_vip_key keys[3];
	struct fixture *f;
	const char *why;
	struct pkt p;
	struct run r;

	FIXTURE(f, NULL);
	CHECK(!setup(f, keys), "setup");
	CHECK(!xlb_vip_set_icmp_echo(f->xlb, &keys[0], false), "%s",
	      xlb_errmsg());
	/* 10.0.0.1:53/udp still answers: so does the address. */
	echo_request(&p, false);
	CHECK(!fixture_run(f, &p, &r), "run");
	why = check_reply(&p, &r, false);
	CHECK(!why, "one of two VIPs on: %s", why);

	CHECK(!xlb_vip_set_icmp_echo(f->xlb, &keys[1], false), "%s",
	      xlb_errmsg());
	CHECK(!fixture_run(f, &p, &r), "run");
	CHECK(r.verdict == XDP_PASS, "both off: verdict %u", r.verdict);
	CHECK(r.out_len == p.len && !memcmp(r.out, p.data, p.len), "both off: "
								   "passed but "
								   "changed");
	/* The other address is not affected. */
	echo_request(&p, true);
	CHECK(!fixture_run(f, &p, &r), "run");
	CHECK(!check_reply(&p, &r, true), "IPv6 VIP still answers");

	CHECK(!xlb_vip_set_icmp_echo(f->xlb, &keys[1], true), "%s",
	      xlb_errmsg());
	echo_request(&p, false);
	CHECK(!fixture_run(f, &p, &r), "run");
	CHECK(!check_reply(&p, &r, false), "back on: answered again");
	CHECK_EQ(global(f).icmp_echo_replied, 3);
	CHECK_EQ(global(f).passed, 1);
}

/*
 * An ICMP error from a router (192.0.2.254 / 2001:db8::fe) to the VIP,
 * quoting the backend's reply VIP:vport -> client:cport (TCP) with
 * quote_l4 bytes of it past the IP header.
 */
static void icmp_error(struct pkt *p, bool v6, __u16 vport, __u16 cport,
		       __u32 quote_l4)
{
	struct pkt_spec s = {
		.family = v6 ? XLB_FAMILY_V6 : XLB_FAMILY_V4,
		.src = v6 ? "2001:db8::fe" : "192.0.2.254",
		.dst = v6 ? "fd00::1" : "10.0.0.1",
		.proto = v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
	};
	__u32 qlen = (v6 ? 40 : 20) + quote_l4;
	__u8 *icmp, *q;

	s.payload = qlen;
	pkt_build(p, &s);
	icmp = p->data + p->l4;
	q = icmp + 8;
	memset(q, 0, qlen);
	if (v6) {
		icmp[0] = 2; /* packet too big */
		icmp[1] = 0;
		put16(icmp + 6, 1280); /* MTU */
		q[0] = 0x60;
		put16(q + 4, 20);
		q[6] = IPPROTO_TCP;
		q[7] = 64;
		inet_pton(AF_INET6, "fd00::1", q + 8);
		inet_pton(AF_INET6, "2001:db8::1", q + 24);
	} else {
		icmp[0] = 3; /* destination unreachable */
		icmp[1] = 4; /* fragmentation needed */
		put16(icmp + 6, 1400);
		q[0] = 0x45;
		put16(q + 2, 40);
		put16(q + 6, 0x4000); /* DF */
		q[8] = 64;
		q[9] = IPPROTO_TCP;
		inet_pton(AF_INET, "10.0.0.1", q + 12);
		inet_pton(AF_INET, "192.0.2.1", q + 16);
	}
	if (quote_l4 >= 4) {
		put16(q + (v6 ? 40 : 20), vport);
		put16(q + (v6 ? 42 : 22), cport);
	}
	icmp_checksum(p, v6, 8 + qlen);
}

/* The client's flow the error quotes, as the data plane keys it. */
static struct xlb_flow_key client_flow(bool v6, __u16 cport, __u16 vport)
{
	struct pkt_spec s = {
		.family = v6 ? XLB_FAMILY_V6 : XLB_FAMILY_V4,
		.src = v6 ? "2001:db8::1" : "192.0.2.1",
		.dst = v6 ? "fd00::1" : "10.0.0.1",
		.sport = cport,
		.dport = vport,
		.proto = IPPROTO_TCP,
	};

	return pkt_flow_key(&s);
}

/* Forwarded to mac, nothing but the MACs changed. */
static const char *steered_to(const struct pkt *p, const struct run *r,
			      const __u8 *mac)
{
	if (r->verdict != XDP_TX)
		return "not forwarded";
	if (r->out_len != p->len)
		return "length changed";
	if (memcmp(r->out, mac, 6))
		return "wrong backend";
	if (memcmp(r->out + 6, fixture_lb_mac, 6) ||
	    memcmp(r->out + 12, p->data + 12, p->len - 12))
		return "more than the MACs changed";
	return NULL;
}

TEST(errors_quoting_a_vip_flow_reach_its_backend)
{
	struct xlb_vip_key keys[3];
	struct xlb_flow_key flow;
	int steered = 0, syns = 0;
	struct fixture *f;
	const char *why;
	__u16 pair, now;
	struct pkt p;
	struct run r;

	FIXTURE(f, NULL);
	CHECK(!setup(f, keys), "setup");
	for (int v6 = 0; v6 < 2; v6++) {
		struct xlb_vip_key *vip = &keys[v6 ? 2 : 0];
		__u16 vport = v6 ? 443 : 80;
		struct pkt_spec s = {
			.family = v6 ? XLB_FAMILY_V6 : XLB_FAMILY_V4,
			.src = v6 ? "2001:db8::1" : "192.0.2.1",
			.dst = v6 ? "fd00::1" : "10.0.0.1",
			.sport = 50000,
			.dport = vport,
			.proto = IPPROTO_TCP,
			.tcp_flags = 0x02,
		};
		char x[40];
		struct pkt syn;
		int got;

		/* Without a connection entry: the Maglev pick, none added. */
		for (__u16 cport = 40000; cport < 40016; cport++) {
			flow = client_flow(v6, cport, vport);
			CHECK(!fixture_predict(f, vip, &flow, &pair), "predic"
								      "t");
			icmp_error(&p, v6, vport, cport, 8);
			CHECK(!fixture_run(f, &p, &r), "run");
			why = steered_to(&p, &r, r.out);
			CHECK(!why, "IPv%d error: %s", v6 ? 6 : 4, why);
			got = fixture_pair_of_frame(f, &r);
			CHECK(got == pair,
			      "IPv%d error, port %u: pair %d, the "
			      "table's pick %u",
			      v6 ? 6 : 4, cport, got, pair);
			steered++;
		}
		CHECK_EQ(global(f).conn_misses, 0);

		/*
		 * With one: a SYN of the flow goes to pair X; X then drains,
		 * so the table picks the other. The error follows the entry.
		 */
		pkt_build(&syn, &s);
		CHECK(!fixture_run(f, &syn, &r) && r.verdict == XDP_TX, "SYN "
									"forwar"
									"ded");
		syns++;
		pair = fixture_pair_of_frame(f, &r);
		snprintf(x, sizeof(x), "%s",
			 !memcmp(r.out, macs[v6 ? 2 : 0][0], 6)
				 ? (v6 ? "fd00:1::1" : "10.0.1.1")
				 : (v6 ? "fd00:1::2" : "10.0.1.2"));
		CHECK(!fixture_set(f, vip, x, XLB_SET_STATE, 0,
				   XLB_STATE_DRAINING),
		      "drain");
		flow = client_flow(v6, 50000, vport);
		CHECK(!fixture_predict(f, vip, &flow, &now), "predict");
		CHECK(now != pair, "the drained pair is still picked");
		icmp_error(&p, v6, vport, 50000, 8);
		CHECK(!fixture_run(f, &p, &r), "run");
		why = steered_to(&p, &r, r.out);
		CHECK(!why, "IPv%d error with a conn entry: %s", v6 ? 6 : 4,
		      why);
		got = fixture_pair_of_frame(f, &r);
		CHECK(got == pair,
		      "IPv%d error with a conn entry: pair %d, "
		      "the entry's %u",
		      v6 ? 6 : 4, got, pair);
		steered++;
	}
	CHECK_EQ(global(f).icmp_errors_steered, steered);
	CHECK_EQ(global(f).forwarded, syns);
	CHECK_EQ(global(f).passed, 0);
}

static const char *passes_untouched(struct fixture *f, const struct pkt *p)
{
	struct run r;

	if (fixture_run(f, p, &r))
		return "run failed";
	if (r.verdict != XDP_PASS)
		return "not passed";
	if (r.out_len != p->len || memcmp(r.out, p->data, p->len))
		return "bytes changed";
	return NULL;
}

TEST(bad_quotes_are_dropped_other_icmp_passes)
{
	struct xlb_global_counters g;
	struct xlb_vip_key keys[3], nobe;
	struct fixture *f;
	struct pkt p;
	struct run r;
	const char *why;

	FIXTURE(f, NULL);
	CHECK(!setup(f, keys), "setup");
	CHECK(!fixture_vip(f, "10.0.0.1:8080/tcp", &nobe), "vip");

	/* The quote's ports cut short, v4 and v6. */
	for (int v6 = 0; v6 < 2; v6++) {
		icmp_error(&p, v6, v6 ? 443 : 80, 40000, 4);
		CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_DROP,
		      "IPv%d truncated quote: verdict %u", v6 ? 6 : 4,
		      r.verdict);
	}
	/* No room for the quoted IP header at all. */
	icmp_error(&p, false, 80, 40000, 8);
	put16(p.data + p.l3 + 2, 20 + 8 + 10);
	pkt_ipv4_checksum(&p);
	CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_DROP,
	      "no quoted header: verdict %u", r.verdict);
	/* Garbage: a quoted IPv4 header of version 5, an IPv6 one of 4. */
	icmp_error(&p, false, 80, 40000, 8);
	p.data[p.l4 + 8] = 0x55;
	CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_DROP,
	      "v4 garbage quote: verdict %u", r.verdict);
	icmp_error(&p, true, 443, 40000, 8);
	p.data[p.l4 + 8] = 0x40;
	CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_DROP,
	      "v6 garbage quote: verdict %u", r.verdict);
	/* A VIP without backends. */
	icmp_error(&p, false, 8080, 40000, 8);
	CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_DROP,
	      "no backend: verdict %u", r.verdict);

	g = global(f);
	CHECK_EQ(g.icmp_drops[XLB_ICMP_DROP_TRUNCATED], 3);
	CHECK_EQ(g.icmp_drops[XLB_ICMP_DROP_BAD_QUOTE], 2);
	CHECK_EQ(g.icmp_drops[XLB_ICMP_DROP_NO_BACKEND], 1);
	CHECK_EQ(g.icmp_errors_steered, 0);

	/* A quote of a flow no VIP has (port 81), v4 and v6. */
	for (int v6 = 0; v6 < 2; v6++) {
		icmp_error(&p, v6, 81, 40000, 8);
		why = passes_untouched(f, &p);
		CHECK(!why, "IPv%d quote of a non-VIP flow: %s", v6 ? 6 : 4,
		      why);
	}
	/* ICMP to an address no VIP has: echo and errors alike. */
	echo_request(&p, false);
	inet_pton(AF_INET, "10.0.0.99", p.data + p.l3 + 16);
	pkt_ipv4_checksum(&p);
	why = passes_untouched(f, &p);
	CHECK(!why, "echo to another address: %s", why);
	echo_request(&p, true);
	inet_pton(AF_INET6, "fd00::99", p.data + p.l3 + 24);
	why = passes_untouched(f, &p);
	CHECK(!why, "IPv6 echo to another address: %s", why);
	icmp_error(&p, false, 80, 40000, 8);
	inet_pton(AF_INET, "10.0.0.99", p.data + p.l3 + 16);
	pkt_ipv4_checksum(&p);
	why = passes_untouched(f, &p);
	CHECK(!why, "error to another address: %s", why);

	g = global(f);
	CHECK_EQ(g.passed, 5);
	CHECK_EQ(g.icmp_drops[XLB_ICMP_DROP_TRUNCATED], 3);
	CHECK_EQ(g.icmp_drops[XLB_ICMP_DROP_BAD_QUOTE], 2);
	CHECK_EQ(g.icmp_drops[XLB_ICMP_DROP_NO_BACKEND], 1);
	CHECK_EQ(g.icmp_echo_replied, 0);
	CHECK_EQ(g.icmp_errors_steered, 0);
	CHECK_EQ(g.forwarded, 0);
}

/* The config path: a file's icmp_echo read back, diffed and applied. */
TEST(config_apply_sets_icmp_echo)
{
	struct xlb_desired now, want, again;
	struct xlb_vip_key keys[3];
	struct xlb_change *changes;
	struct fixture *f;
	struct pkt p;
	struct run r;
	size_t n;

	FIXTURE(f, NULL);
	CHECK(!setup(f, keys), "setup");
	CHECK(!xlb_desired_read(f->xlb, &now), "%s", xlb_errmsg());
	CHECK(!xlb_desired_read(f->xlb, &want), "%s", xlb_errmsg());
	CHECK_EQ(now.n_vips, 3);
	for (size_t v = 0; v < now.n_vips; v++) {
		CHECK(!now.vips[v].no_icmp_echo, "echo on after vip add");
		want.vips[v].no_icmp_echo = now.vips[v].key.family ==
					    XLB_FAMILY_V4;
	}
	CHECK(!xlb_desired_diff(&now, &want, &changes, &n), "%s", xlb_errmsg());
	CHECK_EQ(n, 2);
	CHECK_EQ(changes[0].kind, XLB_CHANGE_VIP_SET);
	CHECK(!xlb_changes_apply(f->xlb, changes, n), "%s", xlb_errmsg());
	free(changes);
	echo_request(&p, false);
	CHECK(!fixture_run(f, &p, &r), "run");
	CHECK(r.verdict == XDP_PASS, "echo off by the file: verdict %u",
	      r.verdict);
	echo_request(&p, true);
	CHECK(!fixture_run(f, &p, &r), "run");
	CHECK(!check_reply(&p, &r, true), "IPv6 VIP still answers");

	CHECK(!xlb_desired_read(f->xlb, &again), "%s", xlb_errmsg());
	CHECK(!xlb_desired_diff(&again, &want, &changes, &n), "%s",
	      xlb_errmsg());
	CHECK_EQ(n, 0);
	free(changes);
	xlb_desired_free(&now);
	xlb_desired_free(&want);
	xlb_desired_free(&again);
}
