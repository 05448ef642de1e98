// SPDX-License-Identifier: GPL-2.0
/*
 * Verdict rules: traffic that is not for a VIP passes with its bytes
 * untouched; VIP traffic that is malformed or cut short is dropped and
 * counted under its reason; fragments and IPv6 extension headers behave as
 * README documents.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <string.h>

#include <bpf/bpf.h>

#include "fixture.h"
#include "testing.h"
#include "xlb_hash.h"

static const __u8 mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const __u8 mac_b[6] = { 0x02, 0, 0, 0, 0, 0xb };

/* VIPs 10.0.0.1:80/tcp, 10.0.0.1:53/udp, [fd00::1]:443/tcp, [fd00::1]:443/udp. */
static int setup(struct fixture *f)
{
	static const char *const vips[] = { "10.0.0.1:80/tcp",
					    "10.0.0.1:53/udp",
					    "[fd00::1]:443/tcp",
					    "[fd00::1]:443/udp" };
	struct xlb_vip_key key;

	for (int i = 0; i < 4; i++) {
		const char *a = i < 2 ? "10.0.1.1" : "fd00:1::1";
		const char *b = i < 2 ? "10.0.1.2" : "fd00:1::2";

		if (fixture_vip(f, vips[i], &key) ||
		    fixture_backend(f, &key, a, mac_a, 1, 1) ||
		    fixture_backend(f, &key, b, mac_b, 1, 1))
			return -1;
	}
	return 0;
}

static const struct pkt_spec tcp4 = { .family = XLB_FAMILY_V4,
				      .src = "192.0.2.1",
				      .dst = "10.0.0.1",
				      .sport = 1234,
				      .dport = 80,
				      .proto = IPPROTO_TCP,
				      .tcp_flags = 0x02,
				      .payload = 10 };
static const struct pkt_spec udp4 = { .family = XLB_FAMILY_V4,
				      .src = "192.0.2.1",
				      .dst = "10.0.0.1",
				      .sport = 1234,
				      .dport = 53,
				      .proto = IPPROTO_UDP,
				      .payload = 10 };
static const struct pkt_spec tcp6 = { .family = XLB_FAMILY_V6,
				      .src = "2001:db8::1",
				      .dst = "fd00::1",
				      .sport = 1234,
				      .dport = 443,
				      .proto = IPPROTO_TCP,
				      .tcp_flags = 0x02,
				      .payload = 10 };

static void put16(__u8 *p, __u16 v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

/* Runs a frame that must pass untouched; returns why not, or NULL. */
static const char *passes_untouched(struct fixture *f, const struct pkt *p)
{
	struct run r;

	if (fixture_run(f, p, &r))
		return "test run failed";
	if (r.verdict != XDP_PASS)
		return r.verdict == XDP_TX ? "forwarded" : "dropped";
	if (r.out_len != p->len || memcmp(r.out, p->data, p->len))
		return "bytes changed";
	return NULL;
}

TEST(traffic_not_for_a_vip_passes_untouched)
{
	struct pkt_spec s;
	struct fixture *f;
	struct pkt p;
	const char *why;
	int cases = 0;

	FIXTURE(f, NULL);
	CHECK(!setup(f), "setup");

#define EXPECT_PASS(what)                         \
	do {                                      \
		why = passes_untouched(f, &p);    \
		CHECK(!why, "%s: %s", what, why); \
		cases++;                          \
	} while (0)

	s = tcp4, s.dst = "10.0.0.99";
	pkt_build(&p, &s);
	EXPECT_PASS("IPv4 TCP to another address");
	s = tcp6, s.dst = "fd00::99";
	pkt_build(&p, &s);
	EXPECT_PASS("IPv6 TCP to another address");
	s = tcp4, s.dport = 81;
	pkt_build(&p, &s);
	EXPECT_PASS("TCP to the VIP address, another port");
	s = tcp4, s.tcp_flags = 0x10, s.dport = 81;
	pkt_build(&p, &s);
	EXPECT_PASS("TCP ACK to the VIP address, another port");
	s = udp4, s.dport = 80;
	pkt_build(&p, &s);
	EXPECT_PASS("UDP to the port of a TCP VIP");
	s = tcp4, s.proto = IPPROTO_ICMP, s.dst = "10.0.0.99";
	pkt_build(&p, &s);
	EXPECT_PASS("ICMP echo to another address");
	s = tcp4, s.proto = IPPROTO_ICMP;
	pkt_build(&p, &s);
	p.data[p.l4] = 13; /* timestamp request */
	EXPECT_PASS("ICMP timestamp to the VIP address");
	s = tcp6, s.proto = IPPROTO_ICMPV6;
	pkt_build(&p, &s);
	p.data[p.l4] = 135; /* neighbour solicitation */
	EXPECT_PASS("ICMPv6 neighbour solicitation to the VIP address");
	s = tcp6, s.proto = IPPROTO_ICMPV6, s.v6_ext = 60;
	pkt_build(&p, &s);
	EXPECT_PASS("ICMPv6 echo behind a destination-options header");

	/* ARP request for the VIP address. */
	memset(&p, 0, sizeof(p));
	memset(p.data, 0xff, 6);
	memcpy(p.data + 6, pkt_src_mac, 6);
	put16(p.data + 12, 0x0806);
	put16(p.data + 14, 1);
	put16(p.data + 16, 0x0800);
	p.data[18] = 6;
	p.data[19] = 4;
	put16(p.data + 20, 1);
	inet_pton(AF_INET, "10.0.0.1", p.data + 38);
	p.len = 60;
	EXPECT_PASS("ARP for the VIP address");

	/* Two VLAN tags: only one is parsed. */
	s = tcp4, s.vlan = 7;
	pkt_build(&p, &s);
	memmove(p.data + 16, p.data + 12, p.len - 12);
	put16(p.data + 12, 0x8100);
	put16(p.data + 14, 8);
	p.len += 4;
	EXPECT_PASS("QinQ-tagged TCP to the VIP");

	/* An IPv4 header cut before the destination: no VIP to tell. */
	s = tcp4;
	pkt_build(&p, &s);
	p.len = p.l3 + 16;
	EXPECT_PASS("IPv4 header cut before the destination");

	s = tcp4, s.dst = "10.0.0.99";
	pkt_build(&p, &s);
	p.data[p.l3 + 6] = 0x20; /* more fragments */
	EXPECT_PASS("IPv4 fragment to another address");

	s = tcp4, s.dst = "10.0.0.99";
	pkt_build(&p, &s);
	p.data[p.l3 + 0] = 0x44; /* IHL 4 */
	EXPECT_PASS("malformed IPv4 to another address");

	p.len = 14;
	memcpy(p.data, pkt_dst_mac, 6);
	put16(p.data + 12, 0x0800);
	EXPECT_PASS("bare Ethernet header");
	printf("  %d kinds of non-VIP frames passed untouched\n", cases);
#undef EXPECT_PASS
}

struct malformed_case {
	const char *what;
	const struct pkt_spec *spec;
	enum xlb_drop_reason reason;
	void (*mutate)(struct pkt *p);
};

static void ihl_4(struct pkt *p)
{
	p->data[p->l3] = 0x44;
	pkt_ipv4_checksum(p);
}
static void total_len_below_header(struct pkt *p)
{
	put16(p->data + p->l3 + 2, 16);
}
static void version_6_in_ipv4(struct pkt *p)
{
	p->data[p->l3] = 0x65;
}
static void total_len_beyond_frame(struct pkt *p)
{
	put16(p->data + p->l3 + 2, p->len - p->l3 + 20);
}
static void tcp_header_cut(struct pkt *p)
{
	put16(p->data + p->l3 + 2, 20 + 10);
	p->len = p->l3 + 30;
}
static void tcp_doff_3(struct pkt *p)
{
	p->data[p->l4 + 12] = 3 << 4;
}
static void tcp_doff_beyond(struct pkt *p)
{
	p->data[p->l4 + 12] = 15 << 4;
}
static void udp_header_cut(struct pkt *p)
{
	put16(p->data + p->l3 + 2, 20 + 4);
	p->len = p->l3 + 24;
}
static void udp_len_4(struct pkt *p)
{
	put16(p->data + p->l4 + 4, 4);
}
static void udp_len_beyond(struct pkt *p)
{
	put16(p->data + p->l4 + 4, 200);
}
static void more_fragments(struct pkt *p)
{
	p->data[p->l3 + 6] = 0x20;
}
static void later_fragment(struct pkt *p)
{
	put16(p->data + p->l3 + 6, 185); /* offset 1480 */
}
static void v6_payload_beyond(struct pkt *p)
{
	put16(p->data + p->l3 + 4, 400);
}
static void v6_version_4(struct pkt *p)
{
	p->data[p->l3] = 0x40;
}
static void v6_fragment_header(struct pkt *p)
{
	/* Replace TCP by a fragment header in front of it. */
	memmove(p->data + p->l4 + 8, p->data + p->l4, p->len - p->l4);
	p->data[p->l3 + 6] = 44;
	memset(p->data + p->l4, 0, 8);
	p->data[p->l4] = IPPROTO_TCP;
	p->data[p->l4 + 3] = 1; /* more fragments */
	p->len += 8;
	put16(p->data + p->l3 + 4, p->len - p->l4);
}
static void v6_routing_header(struct pkt *p)
{
	v6_fragment_header(p);
	p->data[p->l3 + 6] = 43;
}
static void v6_long_chain(struct pkt *p)
{
	/* Five destination-options headers: more than XLB_IPV6_EXTHDR_MAX. */
	memmove(p->data + p->l4 + 40, p->data + p->l4, p->len - p->l4);
	memset(p->data + p->l4, 0, 40);
	for (int i = 0; i < 5; i++)
		p->data[p->l4 + 8 * i] = i < 4 ? 60 : IPPROTO_TCP;
	p->data[p->l3 + 6] = 60;
	p->len += 40;
	put16(p->data + p->l3 + 4, p->len - p->l4);
}
static void v6_ext_cut(struct pkt *p)
{
	p->data[p->l3 + 6] = 60;       /* destination options ... */
	put16(p->data + p->l3 + 4, 1); /* ... of which one byte is there */
}

TEST(malformed_vip_traffic_is_dropped_and_counted_by_reason)
{
	static const struct malformed_case cases[] = {
		{ "IPv4 IHL 4", &tcp4, XLB_DROP_BAD_IP_HEADER, ihl_4 },
		{ "IPv4 total length below header", &tcp4,
		  XLB_DROP_BAD_IP_HEADER, total_len_below_header },
		{ "version 6 in an IPv4 frame", &tcp4, XLB_DROP_BAD_IP_HEADER,
		  version_6_in_ipv4 },
		{ "IPv4 total length beyond the frame", &tcp4,
		  XLB_DROP_TRUNCATED, total_len_beyond_frame },
		{ "TCP header cut", &tcp4, XLB_DROP_TRUNCATED, tcp_header_cut },
		{ "TCP data offset 3", &tcp4, XLB_DROP_BAD_L4_HEADER,
		  tcp_doff_3 },
		{ "TCP data offset beyond the packet", &tcp4,
		  XLB_DROP_TRUNCATED, tcp_doff_beyond },
		{ "UDP header cut", &udp4, XLB_DROP_TRUNCATED, udp_header_cut },
		{ "UDP length 4", &udp4, XLB_DROP_BAD_L4_HEADER, udp_len_4 },
		{ "UDP length beyond the IP payload", &udp4,
		  XLB_DROP_BAD_L4_HEADER, udp_len_beyond },
		{ "IPv4 first fragment", &tcp4, XLB_DROP_FRAGMENT,
		  more_fragments },
		{ "IPv4 later fragment", &udp4, XLB_DROP_FRAGMENT,
		  later_fragment },
		{ "IPv6 payload beyond the frame", &tcp6, XLB_DROP_TRUNCATED,
		  v6_payload_beyond },
		{ "version 4 in an IPv6 frame", &tcp6, XLB_DROP_BAD_IP_HEADER,
		  v6_version_4 },
		{ "IPv6 fragment header", &tcp6, XLB_DROP_FRAGMENT,
		  v6_fragment_header },
		{ "IPv6 routing header", &tcp6, XLB_DROP_IPV6_EXTHDR,
		  v6_routing_header },
		{ "IPv6 chain of five extension headers", &tcp6,
		  XLB_DROP_IPV6_EXTHDR, v6_long_chain },
		{ "IPv6 extension header cut", &tcp6, XLB_DROP_TRUNCATED,
		  v6_ext_cut },
	};
	__u64 expected[XLB_DROP_REASONS] = {};
	struct xlb_stats stats = {};
	struct fixture *f;

	FIXTURE(f, NULL);
	CHECK(!setup(f), "setup");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pkt p;
		struct run r;

		pkt_build(&p, cases[i].spec);
		cases[i].mutate(&p);
		CHECK(!fixture_run(f, &p, &r), "run");
		CHECK(r.verdict == XDP_DROP, "%s: verdict %u, expected drop",
		      cases[i].what, r.verdict);
		expected[cases[i].reason]++;
		CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
		for (int d = 0; d < XLB_DROP_REASONS; d++)
			CHECK(stats.global.drops[d] == expected[d],
			      "%s: drop reason %d counted %llu, expected %llu",
			      cases[i].what, d,
			      (unsigned long long)stats.global.drops[d],
			      (unsigned long long)expected[d]);
	}
	CHECK_EQ(stats.global.forwarded, 0);
	CHECK_EQ(stats.global.passed, 0);
	printf("  %zu malformed VIP frames dropped under their reasons\n",
	       sizeof(cases) / sizeof(cases[0]));
	xlb_stats_free(&stats);
}

/* An address sharing a VIP address's prefilter bit is still not a VIP. */
TEST(prefilter_collision_is_not_taken_for_a_vip)
{
	union xlb_addr vip = {}, other = {};
	struct pkt_spec s = tcp4;
	struct fixture *f;
	char text[32];
	const char *why;
	struct pkt p;

	FIXTURE(f, NULL);
	CHECK(!setup(f), "setup");
	inet_pton(AF_INET, "10.0.0.1", &vip.v4);
	for (__u32 x = 0x0b000000;; x++) {
		other.v4 = htonl(x);
		if (xlb_prefilter_bit(&other) == xlb_prefilter_bit(&vip))
			break;
	}
	inet_ntop(AF_INET, &other.v4, text, sizeof(text));
	s.dst = text;
	pkt_build(&p, &s);
	why = passes_untouched(f, &p);
	CHECK(!why, "well-formed TCP to %s: %s", text, why);
	p.data[p.l3] = 0x44; /* malformed: would be dropped if it were a VIP */
	why = passes_untouched(f, &p);
	CHECK(!why, "malformed TCP to %s: %s", text, why);
}

/*
 * The program tests the pinned xlb_prefilter itself (read in place, not by
 * lookup): with the pin cleared by hand, VIP traffic passes untouched, and
 * it is balanced again once the bits are back. A loader that did not hand
 * the pin to the program would leave it its built-in filter, all ones, and
 * keep balancing.
 */
TEST(the_program_reads_the_pinned_prefilter)
{
	struct xlb_prefilter saved, cleared = {};
	const char *why4, *why6;
	struct fixture *f;
	struct run r4, r6;
	struct pkt p4, p6;
	__u32 zero = 0;
	int fd;

	FIXTURE(f, NULL);
	CHECK(!setup(f), "setup");
	fd = xlb_map_fd(f->xlb, XLB_MAP_PREFILTER);
	CHECK(!bpf_map_lookup_elem(fd, &zero, &saved), "read the prefilter");
	pkt_build(&p4, &tcp4);
	pkt_build(&p6, &tcp6);
	CHECK(!bpf_map_update_elem(fd, &zero, &cleared, BPF_ANY), "clear it");
	why4 = passes_untouched(f, &p4);
	why6 = passes_untouched(f, &p6);
	CHECK(!why4 && !why6, "prefilter cleared: IPv4 VIP traffic %s, IPv6 %s",
	      why4 ? why4 : "passed", why6 ? why6 : "passed");
	CHECK(!bpf_map_update_elem(fd, &zero, &saved, BPF_ANY), "restore it");
	CHECK(!fixture_run(f, &p4, &r4) && !fixture_run(f, &p6, &r6), "run");
	CHECK(r4.verdict == XDP_TX && r6.verdict == XDP_TX,
	      "prefilter restored: verdicts %u (IPv4) and %u (IPv6), not TX",
	      r4.verdict, r6.verdict);
}

TEST(deleting_a_vip_lets_its_traffic_pass)
{
	struct xlb_vip_key key;
	struct fixture *f;
	struct pkt p;
	struct run r;

	FIXTURE(f, NULL);
	CHECK(!setup(f), "setup");
	pkt_build(&p, &tcp4);
	CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_TX, "not forwarded");
	CHECK(!xlb_parse_vip("10.0.0.1:80/tcp", &key), "parse");
	CHECK(!xlb_vip_del(f->xlb, &key), "%s", xlb_errmsg());
	CHECK(!passes_untouched(f, &p), "still balanced after delete");
	/* The UDP VIP on the same address still works. */
	pkt_build(&p, &udp4);
	CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_TX, "the other VIP "
							      "on the address "
							      "stopped");
}
