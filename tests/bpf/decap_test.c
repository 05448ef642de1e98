// SPDX-License-Identifier: GPL-2.0
/*
 * The backend's decap program: IP-in-IP or GUE to a configured VIP leaves
 * with exactly the inner packet behind the original Ethernet addresses;
 * other inner destinations, other UDP ports and plain packets pass byte for
 * byte, each counted.
 */
#include <errno.h>
#include <linux/bpf.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "decap.skel.h"
#include "packet.h"
#include "testing.h"
#include "xlb.h"
#include "xlb_decap.h"

static const struct pkt_spec tcp4 = { .family = XLB_FAMILY_V4,
				      .src = "192.0.2.1",
				      .dst = "10.0.0.1",
				      .sport = 1234,
				      .dport = 80,
				      .proto = IPPROTO_TCP,
				      .tcp_flags = 0x10,
				      .payload = 50 };
static const struct pkt_spec tcp6 = { .family = XLB_FAMILY_V6,
				      .src = "2001:db8::1",
				      .dst = "fd00::1",
				      .sport = 1234,
				      .dport = 80,
				      .proto = IPPROTO_TCP,
				      .tcp_flags = 0x10,
				      .payload = 50 };

struct frame {
	__u8 data[1024];
	__u32 len;
};

/* inner (from its L3 on) behind an outer header of outer_family. */
static void encapsulate(const struct pkt *inner, __u8 outer_family,
			struct frame *f)
{
	__u32 ilen = inner->len - inner->l3, olen;
	__u8 *o = f->data + 14;

	memset(f, 0, sizeof(*f));
	memcpy(f->data, inner->data, 12);
	olen = outer_family == XLB_FAMILY_V4 ? 20 : 40;
	if (outer_family == XLB_FAMILY_V4) {
		f->data[12] = 0x08;
		o[0] = 0x45;
		o[2] = (ilen + 20) >> 8;
		o[3] = (ilen + 20) & 0xff;
		o[8] = 64;
		o[9] = inner->data[12] == 0x08 ? 4 : 41;
		memcpy(o + 12, "\x0a\x01\x00\x01\x0a\x02\x00\x05", 8);
	} else {
		f->data[12] = 0x86;
		f->data[13] = 0xdd;
		o[0] = 0x60;
		o[4] = ilen >> 8;
		o[5] = ilen & 0xff;
		o[6] = inner->data[12] == 0x08 ? 4 : 41;
		o[7] = 64;
		o[8] = 0xfd;
		o[23] = 1;
		o[24] = 0xfd;
		o[39] = 5;
	}
	memcpy(o + olen, inner->data + inner->l3, ilen);
	f->len = 14 + olen + ilen;
}

/*
 * inner behind outer IP + UDP to port (checksum zero, as the LB sends) and,
 * for GUE variant 0, its 4-byte header; variant 1 is the inner IP header
 * right after UDP.
 */
static void encapsulate_gue(const struct pkt *inner, __u8 outer_family,
			    int variant, __u16 port, struct frame *f)
{
	__u32 ilen = inner->len - inner->l3, olen, glen = variant ? 0 : 4;
	__u8 *o = f->data + 14, *udp;

	encapsulate(inner, outer_family, f);
	olen = outer_family == XLB_FAMILY_V4 ? 20 : 40;
	udp = o + olen;
	memmove(udp + 8 + glen, udp, ilen);
	memset(udp, 0, 8 + glen);
	udp[0] = 0xc0; /* source port 49152 + 0x12 */
	udp[1] = 0x12;
	udp[2] = port >> 8;
	udp[3] = port & 0xff;
	udp[4] = (8 + glen + ilen) >> 8;
	udp[5] = (8 + glen + ilen) & 0xff;
	if (!variant)
		udp[9] = inner->data[12] == 0x08 ? 4 : 41; /* proto/ctype */
	if (outer_family == XLB_FAMILY_V4) {
		o[2] = (20 + 8 + glen + ilen) >> 8;
		o[3] = (20 + 8 + glen + ilen) & 0xff;
		o[9] = IPPROTO_UDP;
	} else {
		o[4] = (8 + glen + ilen) >> 8;
		o[5] = (8 + glen + ilen) & 0xff;
		o[6] = IPPROTO_UDP;
	}
	f->len += 8 + glen;
}

struct result {
	__u32 verdict;
	__u8 out[1024];
	__u32 len;
};

static int run(int prog_fd, const struct frame *f, struct result *r)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->data,
		    .data_size_in = f->len, .data_out = r->out,
		    .data_size_out = sizeof(r->out), .repeat = 1);

	memset(r, 0, sizeof(*r));
	if (bpf_prog_test_run_opts(prog_fd, &opts))
		return -errno;
	r->verdict = opts.retval;
	r->len = opts.data_size_out;
	return 0;
}

static int add_vip(struct decap_bpf *skel, const char *text)
{
	struct xlb_addr_key key = {};
	__u32 one = 1;

	if (xlb_parse_addr(text, &key.addr, &key.family))
		return -1;
	return bpf_map_update_elem(bpf_map__fd(skel->maps.xlb_decap_vips), &key,
				   &one, BPF_ANY);
}

static struct xlb_decap_counters counters(struct decap_bpf *skel)
{
	struct xlb_decap_counters sum = {}, per[256];
	__u32 zero = 0;
	int n = libbpf_num_possible_cpus();

	if (n <= 0 || n > 256 ||
	    bpf_map_lookup_elem(bpf_map__fd(skel->maps.xlb_decap_stats), &zero,
				per)) {
		memset(&sum, 0xff, sizeof(sum));
		return sum;
	}
	for (int i = 0; i < n; i++) {
		sum.decapsulated += per[i].decapsulated;
		sum.not_vip += per[i].not_vip;
		sum.passed += per[i].passed;
		sum.gue_decapsulated += per[i].gue_decapsulated;
	}
	return sum;
}

static void skel_free(void *p)
{
	decap_bpf__destroy(p);
}

#define SKEL(s)                                                \
	do {                                                   \
		if (geteuid() != 0)                            \
			SKIP("needs root to load BPF");        \
		(s) = decap_bpf__open_and_load();              \
		CHECK((s), "load decap: %s", strerror(errno)); \
		test_defer(skel_free, (s));                    \
	} while (0)

/* Every combination of outer and inner family strips to the inner packet. */
TEST(ipip_to_a_vip_leaves_exactly_the_inner_packet)
{
	const struct pkt_spec *inner_specs[] = { &tcp4, &tcp6 };
	const __u8 outer[] = { XLB_FAMILY_V4, XLB_FAMILY_V6 };
	struct decap_bpf *skel;
	struct result r;
	struct frame f;
	struct pkt p;

	SKEL(skel);
	CHECK(!add_vip(skel, "10.0.0.1") && !add_vip(skel, "fd00::1"), "vips");
	for (int i = 0; i < 2; i++) {
		for (int o = 0; o < 2; o++) {
			pkt_build(&p, inner_specs[i]);
			encapsulate(&p, outer[o], &f);
			CHECK(!run(bpf_program__fd(skel->progs.xlb_decap), &f,
				   &r),
			      "run");
			CHECK_EQ(r.verdict, XDP_PASS);
			CHECK_EQ(r.len, p.len);
			CHECK(!memcmp(r.out, p.data, p.len),
			      "inner %d in outer %d: not the inner frame", i,
			      o);
		}
	}
	CHECK_EQ(counters(skel).decapsulated, 4);
	CHECK_EQ(counters(skel).not_vip, 0);
}

TEST(other_inner_destinations_and_plain_packets_pass_untouched)
{
	struct pkt_spec other = tcp4;
	struct decap_bpf *skel;
	struct result r;
	struct frame f;
	struct pkt p;
	int fd;

	SKEL(skel);
	fd = bpf_program__fd(skel->progs.xlb_decap);
	CHECK(!add_vip(skel, "10.0.0.1"), "vip");
	other.dst = "10.0.0.2";
	pkt_build(&p, &other);
	encapsulate(&p, XLB_FAMILY_V4, &f);
	CHECK(!run(fd, &f, &r), "run");
	CHECK_EQ(r.verdict, XDP_PASS);
	CHECK(r.len == f.len && !memcmp(r.out, f.data, f.len), "changed");
	CHECK_EQ(counters(skel).not_vip, 1);

	/* A plain packet to the VIP (l2dsr traffic) is not touched either. */
	pkt_build(&p, &tcp4);
	memcpy(f.data, p.data, p.len);
	f.len = p.len;
	CHECK(!run(fd, &f, &r), "run");
	CHECK(r.len == f.len && !memcmp(r.out, f.data, f.len), "changed");
	CHECK_EQ(counters(skel).passed, 1);
	CHECK_EQ(counters(skel).decapsulated, 0);
}

/* GUE variant 1 (what the LB sends) and 0, every family pair: stripped. */
TEST(gue_to_a_vip_leaves_exactly_the_inner_packet)
{
	const struct pkt_spec *inner_specs[] = { &tcp4, &tcp6 };
	const __u8 outer[] = { XLB_FAMILY_V4, XLB_FAMILY_V6 };
	struct decap_bpf *skel;
	struct result r;
	struct frame f;
	struct pkt p;

	SKEL(skel);
	CHECK(!add_vip(skel, "10.0.0.1") && !add_vip(skel, "fd00::1"), "vips");
	for (int v = 0; v < 2; v++) {
		for (int i = 0; i < 2; i++) {
			for (int o = 0; o < 2; o++) {
				pkt_build(&p, inner_specs[i]);
				encapsulate_gue(&p, outer[o], v,
						XLB_GUE_PORT_DEFAULT, &f);
				CHECK(!run(bpf_program__fd(
						   skel->progs.xlb_decap),
					   &f, &r),
				      "run");
				CHECK_EQ(r.verdict, XDP_PASS);
				CHECK_EQ(r.len, p.len);
				CHECK(!memcmp(r.out, p.data, p.len),
				      "variant %d, inner %d in outer %d: not "
				      "the inner frame",
				      v, i, o);
			}
		}
	}
	CHECK_EQ(counters(skel).gue_decapsulated, 8);
	CHECK_EQ(counters(skel).decapsulated, 0);
	CHECK_EQ(counters(skel).passed, 0);
}

/*
 * The port is the loader's (xlb-decap --gue-port): UDP to another port, an
 * unknown GUE variant or an inner destination that is no VIP passes as it
 * came.
 */
TEST(gue_on_another_port_or_variant_or_destination_passes_untouched)
{
	struct pkt_spec other = tcp4;
	struct decap_bpf *skel;
	struct result r;
	struct frame f;
	struct pkt p;
	int fd;

	if (geteuid() != 0)
		SKIP("needs root to load BPF");
	skel = decap_bpf__open();
	CHECK(skel, "open decap");
	test_defer(skel_free, skel);
	skel->rodata->gue_port = 7000;
	CHECK(!decap_bpf__load(skel), "load decap: %s", strerror(errno));
	fd = bpf_program__fd(skel->progs.xlb_decap);
	CHECK(!add_vip(skel, "10.0.0.1"), "vip");

	pkt_build(&p, &tcp4);
	encapsulate_gue(&p, XLB_FAMILY_V4, 1, XLB_GUE_PORT_DEFAULT, &f);
	CHECK(!run(fd, &f, &r), "run");
	CHECK_EQ(r.verdict, XDP_PASS);
	CHECK(r.len == f.len && !memcmp(r.out, f.data, f.len), "other port");

	encapsulate_gue(&p, XLB_FAMILY_V4, 1, 7000, &f);
	f.data[14 + 20 + 8] = 0x85; /* first bits 10: no GUE variant */
	CHECK(!run(fd, &f, &r), "run");
	CHECK(r.len == f.len && !memcmp(r.out, f.data, f.len), "variant 2");
	encapsulate_gue(&p, XLB_FAMILY_V4, 0, 7000, &f);
	f.data[14 + 20 + 8] = 0x01; /* variant 0 with extension words */
	CHECK(!run(fd, &f, &r), "run");
	CHECK(r.len == f.len && !memcmp(r.out, f.data, f.len), "hlen 1");
	CHECK_EQ(counters(skel).passed, 3);

	other.dst = "10.0.0.2";
	pkt_build(&p, &other);
	encapsulate_gue(&p, XLB_FAMILY_V4, 1, 7000, &f);
	CHECK(!run(fd, &f, &r), "run");
	CHECK(r.len == f.len && !memcmp(r.out, f.data, f.len), "not a VIP");
	CHECK_EQ(counters(skel).not_vip, 1);

	pkt_build(&p, &tcp4);
	encapsulate_gue(&p, XLB_FAMILY_V4, 1, 7000, &f);
	CHECK(!run(fd, &f, &r), "run");
	CHECK(r.len == p.len && !memcmp(r.out, p.data, p.len), "not stripped");
	CHECK_EQ(counters(skel).gue_decapsulated, 1);
}
