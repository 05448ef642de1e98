// SPDX-License-Identifier: GPL-2.0
/*
 * The XDP program under BPF_PROG_TEST_RUN: VIP traffic is forwarded to the
 * backend the table predicts, with only the MACs rewritten; established
 * flows keep their backend through weight changes and drains; down backends
 * lose their flows at once.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "fixture.h"
#include "golden.h"
#include "testing.h"
#include "xlb_hash.h"

static const __u8 mac_a[6] = { 0x02, 0, 0, 0, 0, 0xa };
static const __u8 mac_b[6] = { 0x02, 0, 0, 0, 0, 0xb };
static const __u8 mac_c[6] = { 0x02, 0, 0, 0, 0, 0xc };

/* Forwarded means: XDP_TX, the backend's MAC, our MAC, the rest untouched. */
static const char *check_forwarded(const struct pkt *in, const struct run *r,
				   const __u8 backend_mac[6])
{
	if (r->verdict != XDP_TX)
		return "verdict is not XDP_TX";
	if (r->out_len != in->len)
		return "length changed";
	if (memcmp(r->out, backend_mac, 6))
		return "destination MAC is not the backend's";
	if (memcmp(r->out + 6, fixture_lb_mac, 6))
		return "source MAC is not the LB's";
	if (memcmp(r->out + 12, in->data + 12, in->len - 12))
		return "bytes after the MACs changed";
	return NULL;
}

static void forwards_to_predicted_backend(const char *vip_text,
					  const struct pkt_spec *spec,
					  const char *const backends[3])
{
	const __u8 *macs[3] = { mac_a, mac_b, mac_c };
	struct xlb_flow_key flow = pkt_flow_key(spec);
	struct xlb_vip_key vip;
	struct fixture *f;
	struct pkt p;
	struct run r;
	const char *why;
	__u16 pair;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, vip_text, &vip), "vip");
	for (int i = 0; i < 3; i++)
		CHECK(!fixture_backend(f, &vip, backends[i], macs[i], 100,
				       XLB_STATE_ACTIVE),
		      "backend");
	CHECK(!fixture_predict(f, &vip, &flow, &pair), "predict");
	CHECK(pair < 3, "predicted pair %u", pair);

	pkt_build(&p, spec);
	CHECK(!fixture_run(f, &p, &r), "run");
	why = check_forwarded(&p, &r, macs[pair]);
	CHECK(!why, "%s (verdict %u)", why, r.verdict);
}

TEST(ipv4_tcp_to_vip_goes_to_the_predicted_backend)
{
	const char *const be[3] = { "10.0.1.1", "10.0.1.2", "10.0.1.3" };
	struct pkt_spec s = { .family = XLB_FAMILY_V4,
			      .src = "192.0.2.7",
			      .dst = "10.0.0.1",
			      .sport = 40001,
			      .dport = 80,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = 0x02 };

	forwards_to_predicted_backend("10.0.0.1:80/tcp", &s, be);
}

TEST(ipv4_udp_to_vip_goes_to_the_predicted_backend)
{
	const char *const be[3] = { "10.0.1.1", "10.0.1.2", "10.0.1.3" };
	struct pkt_spec s = { .family = XLB_FAMILY_V4,
			      .src = "192.0.2.8",
			      .dst = "10.0.0.1",
			      .sport = 5353,
			      .dport = 53,
			      .proto = IPPROTO_UDP,
			      .payload = 30 };

	forwards_to_predicted_backend("10.0.0.1:53/udp", &s, be);
}

TEST(ipv6_tcp_to_vip_goes_to_the_predicted_backend)
{
	const char *const be[3] = { "fd00:1::1", "fd00:1::2", "fd00:1::3" };
	struct pkt_spec s = { .family = XLB_FAMILY_V6,
			      .src = "2001:db8::7",
			      .dst = "fd00::1",
			      .sport = 40001,
			      .dport = 443,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = 0x02 };

	forwards_to_predicted_backend("[fd00::1]:443/tcp", &s, be);
}

TEST(ipv6_udp_to_vip_goes_to_the_predicted_backend)
{
	const char *const be[3] = { "fd00:1::1", "fd00:1::2", "fd00:1::3" };
	struct pkt_spec s = { .family = XLB_FAMILY_V6,
			      .src = "2001:db8::9",
			      .dst = "fd00::1",
			      .sport = 7000,
			      .dport = 443,
			      .proto = IPPROTO_UDP,
			      .payload = 100 };

	forwards_to_predicted_backend("[fd00::1]:443/udp", &s, be);
}

TEST(vlan_tagged_vip_traffic_is_forwarded_with_its_tag)
{
	const char *const be[3] = { "10.0.1.1", "10.0.1.2", "10.0.1.3" };
	struct pkt_spec s = { .family = XLB_FAMILY_V4,
			      .src = "192.0.2.7",
			      .dst = "10.0.0.1",
			      .sport = 40002,
			      .dport = 80,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = 0x10,
			      .vlan = 42 };

	forwards_to_predicted_backend("10.0.0.1:80/tcp", &s, be);
}

TEST(ipv4_with_options_is_forwarded)
{
	const char *const be[3] = { "10.0.1.1", "10.0.1.2", "10.0.1.3" };
	struct pkt_spec s = { .family = XLB_FAMILY_V4,
			      .src = "192.0.2.7",
			      .dst = "10.0.0.1",
			      .sport = 40003,
			      .dport = 80,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = 0x02,
			      .ip_options = 12 };

	forwards_to_predicted_backend("10.0.0.1:80/tcp", &s, be);
}

TEST(ipv6_destination_options_are_skipped_and_forwarded)
{
	const char *const be[3] = { "fd00:1::1", "fd00:1::2", "fd00:1::3" };
	struct pkt_spec s = { .family = XLB_FAMILY_V6,
			      .src = "2001:db8::7",
			      .dst = "fd00::1",
			      .sport = 40004,
			      .dport = 443,
			      .proto = IPPROTO_TCP,
			      .tcp_flags = 0x02,
			      .v6_ext = 60 };

	forwards_to_predicted_backend("[fd00::1]:443/tcp", &s, be);
}

/* Flow i of a run: source port base + i to the VIP 10.0.0.1:80/tcp. */
static struct pkt_spec flow_spec(int i, __u8 flags, int base)
{
	return (struct pkt_spec){ .family = XLB_FAMILY_V4,
				  .src = "192.0.2.50",
				  .dst = "10.0.0.1",
				  .sport = base + i,
				  .dport = 80,
				  .proto = IPPROTO_TCP,
				  .tcp_flags = flags };
}

/* Sends flow i (source port base + i) once; returns the pair it reached. */
static int send_flow(struct fixture *f, int i, __u8 flags, int base)
{
	struct pkt_spec s = flow_spec(i, flags, base);
	struct pkt p;
	struct run r;

	pkt_build(&p, &s);
	if (fixture_run(f, &p, &r) || r.verdict != XDP_TX)
		return -1;
	return fixture_pair_of_frame(f, &r);
}

#define FLOWS 200

TEST(established_flows_keep_their_backend_through_weight_changes)
{
	static const __u32 weights[][3] = {
		{ 1, 1, 1 }, { 10, 1, 1 },    { 1, 1, 50 },
		{ 0, 5, 0 }, { 100, 100, 1 },
	};
	struct xlb_vip_key vip;
	struct fixture *f;
	int first[FLOWS], moved_new = 0;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &vip), "vip");
	CHECK(!fixture_backend(f, &vip, "10.0.1.1", mac_a, 1, 1), "be");
	CHECK(!fixture_backend(f, &vip, "10.0.1.2", mac_b, 1, 1), "be");
	CHECK(!fixture_backend(f, &vip, "10.0.1.3", mac_c, 1, 1), "be");
	for (int i = 0; i < FLOWS; i++) {
		first[i] = send_flow(f, i, 0x02, 30000);
		CHECK(first[i] >= 0, "flow %d SYN not forwarded", i);
	}
	for (size_t w = 1; w < sizeof(weights) / sizeof(weights[0]); w++) {
		const char *addr[3] = { "10.0.1.1", "10.0.1.2", "10.0.1.3" };

		for (int b = 0; b < 3; b++)
			CHECK(!fixture_set(f, &vip, addr[b], XLB_SET_WEIGHT,
					   weights[w][b], 0),
			      "set weight");
		for (int i = 0; i < FLOWS; i++)
			CHECK(send_flow(f, i, 0x10, 30000) == first[i],
			      "weights #%zu: flow %d left backend %d", w, i,
			      first[i]);
	}
	/* The table did change: new flows now follow the last weights. */
	for (int i = 0; i < FLOWS; i++)
		moved_new += send_flow(f, i, 0x02, 31000) == 2;
	CHECK(moved_new < FLOWS / 5, "%d of %d new flows went to weight 1",
	      moved_new, FLOWS);
}

/* New flow i (source port base + i) reaches the pair the table names. */
static bool new_flows_follow_the_table(struct fixture *f,
				       const struct xlb_vip_key *vip, int base)
{
	for (int i = 0; i < FLOWS; i++) {
		struct pkt_spec s = flow_spec(i, 0x02, base);
		struct xlb_flow_key key = pkt_flow_key(&s);
		__u16 want;

		if (fixture_predict(f, vip, &key, &want) ||
		    send_flow(f, i, 0x02, base) != want)
			return false;
	}
	return true;
}

TEST(a_table_size_change_keeps_established_flows)
{
	static const __u32 sizes[] = { 251, 1021, 65537 };
	struct xlb_vip_key vip;
	struct fixture *f;
	int first[FLOWS];

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &vip), "vip");
	CHECK(!fixture_backend(f, &vip, "10.0.1.1", mac_a, 1, 1), "be");
	CHECK(!fixture_backend(f, &vip, "10.0.1.2", mac_b, 1, 1), "be");
	CHECK(!fixture_backend(f, &vip, "10.0.1.3", mac_c, 1, 1), "be");
	for (int i = 0; i < FLOWS; i++) {
		first[i] = send_flow(f, i, 0x02, 30000);
		CHECK(first[i] >= 0, "flow %d SYN not forwarded", i);
	}
	/* Shrink, grow, back: flows stay, new ones follow the new table. */
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct xlb_vip now;

		CHECK(!xlb_vip_set_table_size(f->xlb, &vip, sizes[k]), "%s",
		      xlb_errmsg());
		CHECK(!xlb_vip_get(f->xlb, &vip, &now) &&
			      now.table_size == sizes[k],
		      "table size %u, want %u", now.table_size, sizes[k]);
		for (int i = 0; i < FLOWS; i++)
			CHECK(send_flow(f, i, 0x10, 30000) == first[i],
			      "size %u: flow %d left backend %d", sizes[k], i,
			      first[i]);
		CHECK(new_flows_follow_the_table(f, &vip, 31000 + k * 1000),
		      "size %u: a new flow missed the table's pick", sizes[k]);
	}
	CHECK(xlb_vip_set_table_size(f->xlb, &vip, 250) == -EINVAL, "a size "
								    "that is "
								    "not a "
								    "prime was "
								    "taken");
}

TEST(draining_backend_keeps_its_flows_and_gets_no_new_ones)
{
	struct xlb_vip_key vip;
	struct fixture *f;
	int first[FLOWS], on_a = 0;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &vip), "vip");
	CHECK(!fixture_backend(f, &vip, "10.0.1.1", mac_a, 1, 1), "be");
	CHECK(!fixture_backend(f, &vip, "10.0.1.2", mac_b, 1, 1), "be");
	for (int i = 0; i < FLOWS; i++) {
		first[i] = send_flow(f, i, 0x02, 30000);
		on_a += first[i] == 0;
	}
	CHECK(on_a > 0 && on_a < FLOWS, "%d of %d flows on A", on_a, FLOWS);
	CHECK(!fixture_set(f, &vip, "10.0.1.1", XLB_SET_STATE, 0,
			   XLB_STATE_DRAINING),
	      "drain");
	for (int i = 0; i < FLOWS; i++)
		CHECK(send_flow(f, i, 0x10, 30000) == first[i],
		      "flow %d left its backend while draining", i);
	/* A SYN picks afresh, even on a 5-tuple that was on A. */
	for (int i = 0; i < FLOWS; i++)
		CHECK(send_flow(f, i, 0x02, 30000) == 1,
		      "SYN of flow %d reached the draining backend", i);
}

TEST(down_backend_loses_its_flows_at_once)
{
	struct xlb_vip_key vip;
	struct fixture *f;
	int first[FLOWS];

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &vip), "vip");
	CHECK(!fixture_backend(f, &vip, "10.0.1.1", mac_a, 1, 1), "be");
	CHECK(!fixture_backend(f, &vip, "10.0.1.2", mac_b, 1, 1), "be");
	CHECK(!fixture_backend(f, &vip, "10.0.1.3", mac_c, 1, 1), "be");
	for (int i = 0; i < FLOWS; i++)
		first[i] = send_flow(f, i, 0x02, 30000);
	CHECK(!fixture_set(f, &vip, "10.0.1.1", XLB_SET_STATE, 0,
			   XLB_STATE_DOWN),
	      "down");
	for (int i = 0; i < FLOWS; i++) {
		int now = send_flow(f, i, 0x10, 30000);

		CHECK(now == 1 || now == 2, "flow %d reached pair %d", i, now);
		if (first[i] != 0)
			CHECK(now == first[i],
			      "flow %d on a live backend moved", i);
	}
}

/* A state written straight into the map (bpftool) acts before any rebuild. */
TEST(state_set_by_hand_takes_effect_before_the_table_rebuild)
{
	struct xlb_vip_key vip;
	struct fixture *f;
	__u32 pair = 0, down = XLB_STATE_DOWN;
	int reached_a = 0;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &vip), "vip");
	CHECK(!fixture_backend(f, &vip, "10.0.1.1", mac_a, 1, 1), "be");
	CHECK(!fixture_backend(f, &vip, "10.0.1.2", mac_b, 1, 1), "be");
	CHECK(!fixture_backend(f, &vip, "10.0.1.3", mac_c, 1, 1), "be");
	CHECK(!bpf_map_update_elem(xlb_map_fd(f->xlb, XLB_MAP_BE_STATE), &pair,
				   &down, BPF_ANY),
	      "write state");
	for (int i = 0; i < FLOWS; i++) {
		int now = send_flow(f, i, 0x02, 32000);

		CHECK(now >= 0, "flow %d dropped", i);
		reached_a += now == 0;
	}
	CHECK(reached_a == 0, "%d new flows reached the down backend",
	      reached_a);
}

TEST(unknown_state_value_reads_as_down)
{
	struct xlb_vip_key vip;
	struct fixture *f;
	__u32 pair = 0, bogus = 77;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &vip), "vip");
	CHECK(!fixture_backend(f, &vip, "10.0.1.1", mac_a, 1, 1), "be");
	CHECK(!fixture_backend(f, &vip, "10.0.1.2", mac_b, 1, 1), "be");
	CHECK(!bpf_map_update_elem(xlb_map_fd(f->xlb, XLB_MAP_BE_STATE), &pair,
				   &bogus, BPF_ANY),
	      "write state");
	for (int i = 0; i < FLOWS; i++)
		CHECK(send_flow(f, i, 0x02, 33000) == 1,
		      "flow %d reached the backend in state 77", i);
}

TEST(vip_without_active_backend_drops_and_counts)
{
	struct xlb_global_counters g;
	struct xlb_stats stats = {};
	struct xlb_vip_key vip;
	struct xlb_vip v;
	struct fixture *f;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &vip), "vip");
	CHECK(send_flow(f, 1, 0x02, 30000) == -1, "forwarded with no backend");
	CHECK(!fixture_backend(f, &vip, "10.0.1.1", mac_a, 1,
			       XLB_STATE_DRAINING),
	      "be");
	CHECK(send_flow(f, 2, 0x02, 30000) == -1, "forwarded to a "
						  "draining-only VIP");
	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	g = stats.global;
	CHECK(!xlb_vip_get(f->xlb, &vip, &v), "vip get");
	CHECK_EQ(g.drops[XLB_DROP_NO_BACKEND], 2);
	CHECK_EQ(stats.vips[v.id].dropped, 2);
	CHECK_EQ(g.forwarded, 0);
	xlb_stats_free(&stats);
}

TEST(non_syn_without_state_is_counted_and_placed)
{
	struct xlb_stats stats = {};
	struct xlb_vip_key vip;
	struct fixture *f;

	FIXTURE(f, NULL);
	CHECK(!fixture_vip(f, "10.0.0.1:80/tcp", &vip), "vip");
	CHECK(!fixture_backend(f, &vip, "10.0.1.1", mac_a, 1, 1), "be");
	CHECK(send_flow(f, 1, 0x10, 30000) == 0, "ACK not forwarded");
	CHECK(send_flow(f, 1, 0x10, 30000) == 0, "ACK not forwarded");
	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	CHECK_EQ(stats.global.nonsyn_misses, 1);
	CHECK_EQ(stats.global.conn_misses, 1);
	CHECK_EQ(stats.global.conn_hits, 1);
	CHECK_EQ(stats.pairs[0].new_flows, 1);
	xlb_stats_free(&stats);
}

TEST(udp_flow_expires_after_idle_timeout)
{
	struct xlb_create_opts opts = { .conn_table_size = 4096,
					.udp_timeout_s = 1 };
	struct pkt_spec s = { .family = XLB_FAMILY_V4,
			      .src = "192.0.2.9",
			      .dst = "10.0.0.1",
			      .sport = 6000,
			      .dport = 53,
			      .proto = IPPROTO_UDP,
			      .payload = 8 };
	struct xlb_stats stats = {};
	struct xlb_vip_key vip;
	struct fixture *f;
	struct pkt p;
	struct run r;

	FIXTURE(f, &opts);
	CHECK(!fixture_vip(f, "10.0.0.1:53/udp", &vip), "vip");
	CHECK(!fixture_backend(f, &vip, "10.0.1.1", mac_a, 1, 1), "be");
	pkt_build(&p, &s);
	for (int i = 0; i < 3; i++)
		CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_TX, "run");
	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	CHECK_EQ(stats.pairs[0].new_flows, 1);
	CHECK_EQ(stats.global.conn_hits, 2);
	/* Half the timeout: the same flow (a clock running fast expires it). */
	usleep(500 * 1000);
	CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_TX, "run");
	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	CHECK_EQ(stats.global.udp_expired, 0);
	CHECK_EQ(stats.global.conn_hits, 3);
	usleep(1300 * 1000); /* past 1 s on the coarse clock */
	CHECK(!fixture_run(f, &p, &r) && r.verdict == XDP_TX, "run");
	CHECK(!xlb_stats_read(f->xlb, &stats), "stats");
	CHECK_EQ(stats.global.udp_expired, 1);
	CHECK_EQ(stats.pairs[0].new_flows, 2);
	xlb_stats_free(&stats);
}

/* The program and the library agree on the committed golden vectors. */
TEST(golden_flows_reach_golden_backends_through_the_program)
{
	for (int c = 0; c < GOLDEN_CONFIGS; c++) {
		struct xlb_config cfg;
		struct golden_config g;
		struct xlb_vip_key vip;
		struct fixture *f;
		char text[64];

		FIXTURE(f, NULL);
		golden_config_load(&g, c);
		vip = g.vip;
		CHECK(!xlb_vip_add(f->xlb, &vip, g.table_size), "vip");
		CHECK(!xlb_config_get(f->xlb, &cfg), "config");
		cfg.hash_seed = GOLDEN_SEED;
		CHECK(!xlb_config_set(f->xlb, &cfg), "config");
		for (int i = 0; i < GOLDEN_BACKENDS; i++) {
			__u8 mac[6];

			golden_backend_mac(i, mac);
			xlb_format_addr(&g.backends[i].addr,
					g.backends[i].family, text,
					sizeof(text));
			CHECK(!fixture_backend(f, &vip, text, mac,
					       g.backends[i].weight, 1),
			      "backend");
		}
		for (int i = 0; i < GOLDEN_FLOWS; i++) {
			struct xlb_flow_key key = golden_flow(&g, i);
			char src[64];
			struct pkt_spec s = {
				.family = key.family,
				.src = xlb_format_addr(&key.saddr, key.family,
						       src, sizeof(src)),
				.dst = xlb_format_addr(&vip.addr, vip.family,
						       text, sizeof(text)),
				.sport = ntohs(key.sport),
				.dport = ntohs(key.dport),
				.proto = key.proto,
				.tcp_flags = 0x02,
				.payload = 4,
			};
			__u8 want[6];
			struct pkt p;
			struct run r;

			golden_backend_mac(golden_flow_backend[c][i], want);
			pkt_build(&p, &s);
			CHECK(!fixture_run(f, &p, &r), "run");
			CHECK(r.verdict == XDP_TX && !memcmp(r.out, want, 6),
			      "config %d flow %d: verdict %u, MAC ..%02x, "
			      "golden backend %u",
			      c, i, r.verdict, r.out[5],
			      golden_flow_backend[c][i]);
		}
	}
}
