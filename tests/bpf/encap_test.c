// SPDX-License-Identifier: GPL-2.0
/*
 * ipip and gue forwarding: the frame leaves inside an outer IP (+ UDP)
 * header from the LB's tunnel source to the backend, with the next hop's
 * MAC from the kernel's FIB. The test runs in a network namespace of its own with one veth, a
 * permanent neighbour (the router) and routes to the backends' subnets, and
 * runs the program as if the frame came in on that veth.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "fixture.h"
#include "testing.h"

static const __u8 router_mac[6] = { 0x02, 0, 0, 0, 0xfe, 0x01 };
static const __u8 dev_mac[6] = { 0x02, 0, 0, 0, 0xaa, 0x01 };
static const __u8 unused_mac[6] = { 0x02, 0, 0, 0, 0, 0x0b };
static int ifindex;

static const struct pkt_spec tcp4 = { .family = XLB_FAMILY_V4,
				      .src = "192.0.2.1",
				      .dst = "10.0.0.1",
				      .sport = 1234,
				      .dport = 80,
				      .proto = IPPROTO_TCP,
				      .tcp_flags = 0x02,
				      .payload = 100 };
static const struct pkt_spec tcp6 = { .family = XLB_FAMILY_V6,
				      .src = "2001:db8::1",
				      .dst = "fd00::1",
				      .sport = 1234,
				      .dport = 80,
				      .proto = IPPROTO_TCP,
				      .tcp_flags = 0x02,
				      .payload = 100 };

/* A namespace with veth0 (10.1.0.1, fd01::1), router .254, routes. */
static int netns_up(void)
{
	static const char *const cmds[] = {
		"ip link add veth0 address 02:00:00:00:aa:01 type veth peer "
		"name veth1",
		/* bpf_fib_lookup answers only where forwarding is on. */
		"sysctl -qw net.ipv4.ip_forward=1",
		"sysctl -qw net.ipv6.conf.all.forwarding=1",
		"ip link set veth0 up",
		"ip link set veth1 up",
		"ip addr add 10.1.0.1/24 dev veth0",
		"ip addr add fd01::1/64 dev veth0 nodad",
		"ip neigh add 10.1.0.254 lladdr 02:00:00:00:fe:01 dev veth0 "
		"nud permanent",
		"ip neigh add fd01::fe lladdr 02:00:00:00:fe:01 dev veth0 nud "
		"permanent",
		"ip route add 10.2.0.0/24 via 10.1.0.254",
		/* "lock": the FIB's MTU check ignores an unlocked route MTU. */
		"ip route add 10.3.0.0/24 via 10.1.0.254 mtu lock 200",
		"ip route add fd02::/64 via fd01::fe",
		"ip route add fd03::/64 via fd01::fe mtu lock 1280",
		/* A second device: routes that leave by another interface. */
		"ip link add veth2 address 02:00:00:00:aa:02 type veth peer "
		"name veth3",
		"ip link set veth2 up",
		"ip link set veth3 up",
		"ip addr add 10.4.0.1/24 dev veth2",
		"ip neigh add 10.4.0.254 lladdr 02:00:00:00:fe:04 dev veth2 "
		"nud permanent",
		"ip route add 10.8.0.0/24 via 10.4.0.254",
	};

	if (unshare(CLONE_NEWNET))
		return -errno;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "%s >/dev/null 2>&1", cmds[i]);
		if (system(cmd)) {
			fprintf(stderr, "encap_test: failed: %s\n", cmds[i]);
			return -1;
		}
	}
	ifindex = if_nametoindex("veth0");
	return ifindex ? 0 : -1;
}

struct big_run {
	__u32 verdict;
	__u8 out[2048];
	__u32 out_len;
};

static int run_on_dev(struct fixture *f, const __u8 *data, __u32 len,
		      struct big_run *r)
{
	struct xdp_md ctx = { .data_end = len, .ingress_ifindex = ifindex };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data,
		    .data_size_in = len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .ctx_in = &ctx,
		    .ctx_size_in = sizeof(ctx), .repeat = 1);

	memset(r, 0, sizeof(*r));
	if (bpf_prog_test_run_opts(f->prog_fd, &opts)) {
		fprintf(stderr, "encap_test: test run: %s\n", strerror(errno));
		return -1;
	}
	r->verdict = opts.retval;
	r->out_len = opts.data_size_out;
	return 0;
}

static __u16 csum(const __u8 *p, size_t n, __u32 sum)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (n & 1)
		sum += p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

static __u16 get16(const __u8 *p)
{
	return (p[0] << 8) | p[1];
}

/* One VIP in mode with one backend; the tunnel sources set. */
static int setup_mode(struct fixture *f, const char *vip, const char *backend,
		      enum xlb_forward_mode mode, struct xlb_vip_key *key)
{
	union xlb_addr a;
	__u8 fam;

	if (fixture_vip(f, vip, key) || xlb_vip_set_mode(f->xlb, key, mode) ||
	    fixture_backend(f, key, backend, unused_mac, 1, 1))
		return -1;
	if (xlb_parse_addr("10.1.0.1", &a, &fam) ||
	    xlb_tunnel_source_set(f->xlb, &a, fam) ||
	    xlb_parse_addr("fd01::1", &a, &fam) ||
	    xlb_tunnel_source_set(f->xlb, &a, fam))
		return -1;
	return 0;
}

static int setup(struct fixture *f, const char *vip, const char *backend,
		 struct xlb_vip_key *key)
{
	return setup_mode(f, vip, backend, XLB_FORWARD_IPIP, key);
}

static void set_df(struct pkt *p)
{
	p->data[p->l3 + 6] = 0x40;
	pkt_ipv4_checksum(p);
}

static struct xlb_global_counters global(struct fixture *f)
{
	struct xlb_global_counters g;
	struct xlb_stats s = {};

	memset(&g, 0xff, sizeof(g)); /* unreadable: no count matches */
	if (!xlb_stats_read(f->xlb, &s))
		g = s.global;
	xlb_stats_free(&s);
	return g;
}

TEST(ipv4_in_ipv4_outer_header_and_next_hop)
{
	struct xlb_vip_key key;
	struct fixture *f;
	struct big_run r;
	const __u8 *o;
	struct pkt p;
	__u32 inner;

	FIXTURE(f, NULL);
	CHECK(!setup(f, "10.0.0.1:80/tcp", "10.2.0.5", &key), "setup: %s",
	      xlb_errmsg());
	pkt_build(&p, &tcp4);
	set_df(&p);
	p.data[p.l3 + 1] = 0xb8; /* DSCP EF: copied to the outer header */
	pkt_ipv4_checksum(&p);
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_TX);
	inner = p.len - 14;
	CHECK_EQ(r.out_len, p.len + 20);
	CHECK(!memcmp(r.out, router_mac, 6), "destination MAC is not the "
					     "router's (FIB result)");
	CHECK(!memcmp(r.out + 6, dev_mac, 6), "source MAC is not veth0's");
	CHECK_EQ(get16(r.out + 12), 0x0800);
	o = r.out + 14;
	CHECK_EQ(o[0], 0x45);
	CHECK_EQ(o[1], 0xb8);
	CHECK_EQ(get16(o + 2), inner + 20);
	CHECK_EQ(get16(o + 6), 0x4000); /* DF copied from the inner header */
	CHECK_EQ(o[8], 64);
	CHECK_EQ(o[9], 4);
	CHECK_EQ(csum(o, 20, 0), 0xffff); /* outer checksum is valid */
	CHECK(!memcmp(o + 12, "\x0a\x01\x00\x01", 4), "outer source");
	CHECK(!memcmp(o + 16, "\x0a\x02\x00\x05", 4), "outer destination");
	CHECK(!memcmp(o + 20, p.data + 14, inner), "inner packet changed");

	/* Without DF inside, none outside. */
	pkt_build(&p, &tcp4);
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_TX);
	CHECK_EQ(get16(r.out + 14 + 6), 0);
	CHECK_EQ(global(f).encap_sent, 2);
}

TEST(ipv6_in_ipv6_outer_header)
{
	struct xlb_vip_key key;
	struct fixture *f;
	struct big_run r;
	const __u8 *o;
	struct pkt p;

	FIXTURE(f, NULL);
	CHECK(!setup(f, "[fd00::1]:80/tcp", "fd02::5", &key), "setup: %s",
	      xlb_errmsg());
	pkt_build(&p, &tcp6);
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_TX);
	CHECK_EQ(r.out_len, p.len + 40);
	CHECK(!memcmp(r.out, router_mac, 6), "destination MAC");
	CHECK_EQ(get16(r.out + 12), 0x86dd);
	o = r.out + 14;
	CHECK_EQ(o[0] >> 4, 6);
	CHECK_EQ(get16(o + 4), p.len - 14);
	CHECK_EQ(o[6], 41); /* next header: IPv6 */
	CHECK_EQ(o[7], 64);
	CHECK_EQ(o[8], 0xfd);
	CHECK_EQ(o[9], 0x01);
	CHECK_EQ(o[23], 1); /* source fd01::1 */
	CHECK_EQ(o[24], 0xfd);
	CHECK_EQ(o[25], 0x02);
	CHECK_EQ(o[39], 5); /* destination fd02::5 */
	CHECK(!memcmp(o + 40, p.data + 14, p.len - 14), "inner changed");
}

TEST(vlan_tag_kept_outer_inserted_after_it)
{
	struct pkt_spec s = tcp4;
	struct xlb_vip_key key;
	struct fixture *f;
	struct big_run r;
	struct pkt p;

	FIXTURE(f, NULL);
	CHECK(!setup(f, "10.0.0.1:80/tcp", "10.2.0.5", &key), "setup");
	s.vlan = 7;
	pkt_build(&p, &s);
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_TX);
	CHECK_EQ(get16(r.out + 12), 0x8100);
	CHECK_EQ(get16(r.out + 14), 7);
	CHECK_EQ(get16(r.out + 16), 0x0800);
	CHECK_EQ(r.out[18], 0x45);
	CHECK_EQ(csum(r.out + 18, 20, 0), 0xffff);
	CHECK(!memcmp(r.out + 38, p.data + 18, p.len - 18), "inner changed");
}

TEST(too_big_with_df_gets_frag_needed_with_inner_mtu)
{
	struct xlb_vip_key key;
	struct fixture *f;
	struct big_run r;
	const __u8 *ip, *icmp;
	struct pkt p;

	FIXTURE(f, NULL);
	struct pkt_spec s = tcp4;

	/* The route to 10.3.0.0/24 has MTU 200; the frame's IP is 200. */
	CHECK(!setup(f, "10.0.0.1:80/tcp", "10.3.0.5", &key), "setup");
	s.payload = 160;
	pkt_build(&p, &s);
	CHECK_EQ(p.len - 14, 200);
	set_df(&p);
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_TX);
	CHECK_EQ(r.out_len, 14 + 20 + 8 + 28);
	CHECK(!memcmp(r.out, pkt_src_mac, 6), "not sent back to the sender");
	ip = r.out + 14;
	icmp = ip + 20;
	CHECK_EQ(ip[9], IPPROTO_ICMP);
	CHECK_EQ(csum(ip, 20, 0), 0xffff);
	CHECK(!memcmp(ip + 12, p.data + p.l3 + 16, 4), "source is not the VIP");
	CHECK(!memcmp(ip + 16, p.data + p.l3 + 12, 4), "not to the client");
	CHECK_EQ(icmp[0], 3);
	CHECK_EQ(icmp[1], 4);
	CHECK_EQ(get16(icmp + 6), 200 - 20); /* the MTU left inside */
	CHECK_EQ(csum(icmp, 8 + 28, 0), 0xffff);
	CHECK(!memcmp(icmp + 8, p.data + p.l3, 28), "quote is not the packet");

	/* Without DF it cannot be fragmented here: dropped, counted. */
	pkt_build(&p, &s);
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_DROP);
	CHECK_EQ(global(f).encap_too_big, 2);
	CHECK_EQ(global(f).encap_sent, 0);
}

TEST(too_big_ipv6_gets_packet_too_big)
{
	struct pkt_spec s = tcp6;
	__u8 pseudo[40] = {};
	struct xlb_vip_key key;
	struct fixture *f;
	struct big_run r;
	const __u8 *ip, *icmp;
	struct pkt p;

	FIXTURE(f, NULL);
	/* fd03::/64 has MTU 1280: a 1280-byte inner packet cannot fit. */
	CHECK(!setup(f, "[fd00::1]:80/tcp", "fd03::5", &key), "setup");
	s.payload = 400;
	pkt_build(&p, &s);
	CHECK(p.len <= PKT_MAX, "frame");
	/* Longer than PKT_MAX allows: the frame's head, zeros after it. */
	{
		static __u8 big[1400];

		memcpy(big, p.data, p.len);
		big[14 + 4] = (1280 - 40) >> 8;
		big[14 + 5] = (1280 - 40) & 0xff;
		CHECK(!run_on_dev(f, big, 14 + 1280, &r), "run");
	}
	CHECK_EQ(r.verdict, XDP_TX);
	CHECK_EQ(r.out_len, 14 + 40 + 8 + 48);
	CHECK_EQ(get16(r.out + 12), 0x86dd);
	ip = r.out + 14;
	icmp = ip + 40;
	CHECK_EQ(ip[6], 58);
	CHECK(!memcmp(ip + 8, p.data + p.l3 + 24, 16), "source not the VIP");
	CHECK(!memcmp(ip + 24, p.data + p.l3 + 8, 16), "not to the client");
	CHECK_EQ(icmp[0], 2);
	CHECK_EQ((icmp[4] << 24) | (icmp[5] << 16) | (icmp[6] << 8) | icmp[7],
		 1280); /* 1240 would be below IPv6's minimum: 1280 */
	memcpy(pseudo, ip + 8, 32);
	pseudo[35] = 56;
	pseudo[39] = 58;
	CHECK_EQ(csum(icmp, 56, csum(pseudo, 40, 0)), 0xffff);
	CHECK_EQ(global(f).encap_too_big, 1);
}

TEST(no_route_no_source_or_other_device_are_counted)
{
	struct xlb_vip_key key;
	struct xlb_config cfg;
	struct fixture *f;
	struct big_run r;
	struct pkt p;

	FIXTURE(f, NULL);
	CHECK(!setup(f, "10.0.0.1:80/tcp", "10.9.0.5", &key), "setup");
	pkt_build(&p, &tcp4);
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_DROP); /* no route to 10.9.0.0/24 */
	CHECK_EQ(global(f).encap_no_route, 1);

	/* The source unset: dropped before any lookup. */
	CHECK(!xlb_config_get(f->xlb, &cfg), "config");
	memset(&cfg.tunnel_source4, 0, sizeof(cfg.tunnel_source4));
	CHECK(!xlb_config_set(f->xlb, &cfg), "config");
	CHECK(!system("ip route add 10.9.0.0/24 via 10.1.0.254"), "route");
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_DROP);
	CHECK_EQ(global(f).encap_no_route, 2);
	CHECK(!system("ip route del 10.9.0.0/24"), "route");

	/* The route leaves by another device (veth2): passed, counted. */
	CHECK(!xlb_backend_del(f->xlb, &key,
			       &(union xlb_addr){ .v4 = htonl(0x0a090005) },
			       XLB_FAMILY_V4),
	      "del");
	CHECK(!fixture_backend(f, &key, "10.8.0.5", unused_mac, 1, 1), "be");
	CHECK(!xlb_tunnel_source_set(
		      f->xlb, &(union xlb_addr){ .v4 = htonl(0x0a010001) },
		      XLB_FAMILY_V4),
	      "source");
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_PASS);
	CHECK_EQ(global(f).encap_other_dev, 1);
}

TEST(l2dsr_vips_untouched_by_the_mode)
{
	struct xlb_vip_key key;
	struct fixture *f;
	struct big_run r;
	struct pkt p;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &key), "vip");
	CHECK(!fixture_backend(f, &key, "10.2.0.5", unused_mac, 1, 1), "be");
	pkt_build(&p, &tcp4);
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_TX);
	CHECK_EQ(r.out_len, p.len);
	CHECK(!memcmp(r.out, unused_mac, 6), "l2dsr MAC");
	CHECK(!memcmp(r.out + 12, p.data + 12, p.len - 12), "l2dsr changed");
	/* Switched to ipip: the established flow follows its pair's mode. */
	CHECK(!xlb_vip_set_mode(f->xlb, &key, XLB_FORWARD_IPIP), "mode");
	CHECK(!xlb_tunnel_source_set(
		      f->xlb, &(union xlb_addr){ .v4 = htonl(0x0a010001) },
		      XLB_FAMILY_V4),
	      "source");
	p.data[p.l4 + 13] = 0x10; /* ACK: the connection-table path */
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_TX);
	CHECK_EQ(r.out_len, p.len + 20);
	CHECK_EQ(global(f).conn_hits, 1);
}

/*
 * An ICMP error about an ipip VIP's flow goes the flow's way: encapsulated
 * to its backend, the error itself the inner packet (its destination, the
 * VIP, is what the backend's decap looks for).
 */
TEST(icmp_error_about_an_ipip_flow_is_encapsulated)
{
	static const __u8 quote[28] = {
		0x45, 0,  0,	40,   0, 0, 0x40, 0, 64, IPPROTO_TCP,
		0,    0,  10,	0,    0, 1, 192,  0, 2,	 1, /* VIP -> client */
		0,    80, 0x04, 0xd2, 0, 0, 0,	  0 /* ports 80 -> 1234 */
	};
	struct pkt_spec s = { .family = XLB_FAMILY_V4,
			      .src = "192.0.2.254",
			      .dst = "10.0.0.1",
			      .proto = IPPROTO_ICMP,
			      .payload = sizeof(quote) };
	struct xlb_vip_key key;
	struct fixture *f;
	struct big_run r;
	const __u8 *o;
	struct pkt p;
	__u32 inner;

	FIXTURE(f, NULL);
	CHECK(!setup(f, "10.0.0.1:80/tcp", "10.2.0.5", &key), "setup: %s",
	      xlb_errmsg());
	pkt_build(&p, &s);
	p.data[p.l4] = 3;	 /* destination unreachable */
	p.data[p.l4 + 1] = 4;	 /* fragmentation needed */
	p.data[p.l4 + 7] = 0x80; /* next-hop MTU 1408 (0x0580) */
	p.data[p.l4 + 6] = 0x05;
	memcpy(p.data + p.l4 + 8, quote, sizeof(quote));
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_TX);
	inner = p.len - 14;
	CHECK_EQ(r.out_len, p.len + 20);
	CHECK(!memcmp(r.out, router_mac, 6), "destination MAC: the router's");
	o = r.out + 14;
	CHECK_EQ(o[9], 4);
	CHECK_EQ(csum(o, 20, 0), 0xffff);
	CHECK(!memcmp(o + 12, "\x0a\x01\x00\x01", 4), "outer source");
	CHECK(!memcmp(o + 16, "\x0a\x02\x00\x05", 4), "outer destination");
	CHECK(!memcmp(o + 20, p.data + 14, inner), "the error changed");
	CHECK_EQ(global(f).icmp_errors_steered, 1);
	CHECK_EQ(global(f).encap_sent, 1);
}

/*
 * gue over IPv4: [outer IPv4, protocol 17][UDP][inner], the UDP source port
 * from the flow hash in the ephemeral range, destination the configured
 * port, checksum zero; one flow keeps its port, flows spread.
 */
TEST(gue_ipv4_outer_udp_header_and_source_port_per_flow)
{
	struct pkt_spec s = tcp4;
	struct xlb_vip_key key;
	__u16 sport, ports[64];
	struct fixture *f;
	struct big_run r;
	const __u8 *o;
	int distinct = 0;
	struct pkt p;
	__u32 inner;

	FIXTURE(f, NULL);
	CHECK(!setup_mode(f, "10.0.0.1:80/tcp", "10.2.0.5", XLB_FORWARD_GUE,
			  &key),
	      "setup: %s", xlb_errmsg());
	pkt_build(&p, &tcp4);
	set_df(&p);
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_TX);
	inner = p.len - 14;
	CHECK_EQ(r.out_len, p.len + 28);
	CHECK(!memcmp(r.out, router_mac, 6), "destination MAC: the router's");
	CHECK(!memcmp(r.out + 6, dev_mac, 6), "source MAC is not veth0's");
	o = r.out + 14;
	CHECK_EQ(o[0], 0x45);
	CHECK_EQ(get16(o + 2), inner + 28);
	CHECK_EQ(get16(o + 6), 0x4000); /* DF copied from the inner header */
	CHECK_EQ(o[9], IPPROTO_UDP);
	CHECK_EQ(csum(o, 20, 0), 0xffff);
	CHECK(!memcmp(o + 12, "\x0a\x01\x00\x01", 4), "outer source");
	CHECK(!memcmp(o + 16, "\x0a\x02\x00\x05", 4), "outer destination");
	sport = get16(o + 20);
	CHECK(sport >= 49152, "source port %u not ephemeral", sport);
	CHECK_EQ(get16(o + 22), XLB_GUE_PORT_DEFAULT);
	CHECK_EQ(get16(o + 24), inner + 8);
	CHECK_EQ(get16(o + 26), 0); /* no checksum over IPv4 */
	CHECK(!memcmp(o + 28, p.data + 14, inner), "inner packet changed");

	/* The same flow again (now a connection-table hit): the same port. */
	p.data[p.l4 + 13] = 0x10;
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(get16(r.out + 14 + 20), sport);
	CHECK_EQ(global(f).conn_hits, 1);

	/* 64 client ports: the outer source ports spread. */
	for (int i = 0; i < 64; i++) {
		int seen = 0;

		s.sport = 20000 + i;
		pkt_build(&p, &s);
		CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
		CHECK_EQ(r.verdict, XDP_TX);
		ports[i] = get16(r.out + 14 + 20);
		CHECK(ports[i] >= 49152, "port %u", ports[i]);
		for (int j = 0; j < i; j++)
			seen |= ports[j] == ports[i];
		distinct += !seen;
	}
	CHECK(distinct >= 60, "only %d distinct source ports of 64", distinct);
	CHECK_EQ(global(f).encap_sent, 66);
}

/*
 * gue over IPv6 to the port set at run time: next header 17, payload
 * length with the UDP header, checksum zero (RFC 6935/6936, the decap side
 * takes it).
 */
TEST(gue_ipv6_outer_udp_header_on_the_configured_port)
{
	struct xlb_vip_key key;
	struct xlb_config cfg;
	struct fixture *f;
	struct big_run r;
	const __u8 *o;
	struct pkt p;

	FIXTURE(f, NULL);
	CHECK(!setup_mode(f, "[fd00::1]:80/tcp", "fd02::5", XLB_FORWARD_GUE,
			  &key),
	      "setup: %s", xlb_errmsg());
	CHECK(!xlb_gue_port_set(f->xlb, 7000), "port: %s", xlb_errmsg());
	pkt_build(&p, &tcp6);
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_TX);
	CHECK_EQ(r.out_len, p.len + 48);
	CHECK_EQ(get16(r.out + 12), 0x86dd);
	o = r.out + 14;
	CHECK_EQ(o[0] >> 4, 6);
	CHECK_EQ(get16(o + 4), p.len - 14 + 8);
	CHECK_EQ(o[6], IPPROTO_UDP);
	CHECK_EQ(o[23], 1); /* source fd01::1 */
	CHECK_EQ(o[39], 5); /* destination fd02::5 */
	CHECK(get16(o + 40) >= 49152, "source port");
	CHECK_EQ(get16(o + 42), 7000);
	CHECK_EQ(get16(o + 44), p.len - 14 + 8);
	CHECK_EQ(get16(o + 46), 0);
	CHECK(!memcmp(o + 48, p.data + 14, p.len - 14), "inner changed");

	/* Port 0 is refused and the setting stays. */
	CHECK(xlb_gue_port_set(f->xlb, 0), "port 0 taken");
	CHECK(strstr(xlb_errmsg(), "GUE port 0"), "message: %s", xlb_errmsg());
	CHECK(xlb_gue_port_set(f->xlb, 65536), "port 65536 taken");
	CHECK(!xlb_config_get(f->xlb, &cfg), "config");
	CHECK_EQ(cfg.gue_port, 7000);
}

/* The MTU left for the client accounts for the UDP header too. */
TEST(gue_too_big_gets_frag_needed_with_the_udp_overhead)
{
	struct pkt_spec s = tcp4;
	struct xlb_vip_key key;
	struct fixture *f;
	struct big_run r;
	struct pkt p;

	FIXTURE(f, NULL);
	CHECK(!setup_mode(f, "10.0.0.1:80/tcp", "10.3.0.5", XLB_FORWARD_GUE,
			  &key),
	      "setup");
	/* 10.3.0.0/24 has MTU 200: 180 bytes of IP fit ipip, not gue. */
	s.payload = 140;
	pkt_build(&p, &s);
	CHECK_EQ(p.len - 14, 180);
	set_df(&p);
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_TX);
	CHECK_EQ(r.out_len, 14 + 20 + 8 + 28);
	CHECK(!memcmp(r.out, pkt_src_mac, 6), "not sent back to the sender");
	CHECK_EQ(r.out[14 + 20], 3);
	CHECK_EQ(r.out[14 + 21], 4);
	CHECK_EQ(get16(r.out + 14 + 26), 200 - 28);
	CHECK_EQ(global(f).encap_too_big, 1);
}

/* xlb_devmap as libxlb fills it on attach: ifindex -> ifindex. */
static int devmap_set(struct fixture *f, const char *dev, bool on)
{
	char path[160];
	__u32 ifi = if_nametoindex(dev);
	int fd, err;

	snprintf(path, sizeof(path), "%s/%s", f->pin_dir, XLB_MAP_DEVMAP);
	fd = bpf_obj_get(path);
	if (fd < 0 || !ifi)
		return -1;
	err = on ? bpf_map_update_elem(fd, &ifi, &ifi, BPF_ANY)
		 : bpf_map_delete_elem(fd, &ifi);
	close(fd);
	return err;
}

/*
 * Two-armed: the route to the backend leaves by veth2. With xlb attached
 * there (veth2 in xlb_devmap) the encapsulated frame is redirected to it,
 * with veth2's MAC as the source and its next hop's as the destination;
 * without, it is passed untouched (encap_other_dev).
 */
TEST(two_armed_route_by_an_attached_interface_is_redirected)
{
	static const __u8 veth2_mac[6] = { 0x02, 0, 0, 0, 0xaa, 0x02 };
	static const __u8 hop_mac[6] = { 0x02, 0, 0, 0, 0xfe, 0x04 };
	const enum xlb_forward_mode modes[] = { XLB_FORWARD_IPIP,
						XLB_FORWARD_GUE };
	struct xlb_vip_key key;
	struct fixture *f;
	struct big_run r;
	const __u8 *o;
	struct pkt p;

	FIXTURE(f, NULL);
	CHECK(!setup(f, "10.0.0.1:80/tcp", "10.8.0.5", &key), "setup: %s",
	      xlb_errmsg());
	CHECK(!devmap_set(f, "veth2", true), "devmap");
	for (int m = 0; m < 2; m++) {
		CHECK(!xlb_vip_set_mode(f->xlb, &key, modes[m]), "mode");
		pkt_build(&p, &tcp4);
		CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
		CHECK_EQ(r.verdict, XDP_REDIRECT);
		CHECK_EQ(r.out_len, p.len + (m ? 28 : 20));
		CHECK(!memcmp(r.out, hop_mac, 6), "destination: veth2's hop");
		CHECK(!memcmp(r.out + 6, veth2_mac, 6), "source: veth2's MAC");
		o = r.out + 14;
		CHECK_EQ(o[9], m ? IPPROTO_UDP : 4);
		CHECK_EQ(csum(o, 20, 0), 0xffff);
		CHECK(!memcmp(o + 16, "\x0a\x08\x00\x05", 4), "destination");
		CHECK(!memcmp(o + (m ? 28 : 20), p.data + 14, p.len - 14), "inn"
									   "er "
									   "cha"
									   "nge"
									   "d");
	}
	CHECK_EQ(global(f).encap_sent, 2);
	CHECK_EQ(global(f).encap_other_dev, 0);

	/* Detached from veth2: passed as it came, counted. */
	CHECK(!devmap_set(f, "veth2", false), "devmap");
	pkt_build(&p, &tcp4);
	CHECK(!run_on_dev(f, p.data, p.len, &r), "run");
	CHECK_EQ(r.verdict, XDP_PASS);
	CHECK(r.out_len == p.len && !memcmp(r.out, p.data, p.len), "changed");
	CHECK_EQ(global(f).encap_other_dev, 1);
	CHECK_EQ(global(f).encap_sent, 2);
}

int main(int argc, char **argv)
{
	if (geteuid() == 0 && netns_up()) {
		fprintf(stderr, "encap_test: cannot set up the namespace\n");
		return 1;
	}
	return test_main(argc, argv);
}
