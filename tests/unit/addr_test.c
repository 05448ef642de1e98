// SPDX-License-Identifier: GPL-2.0
/* VIPs, addresses and MACs as operators write them. */
#include <errno.h>
#include <string.h>
#include <strings.h>

#include "testing.h"
#include "xlb.h"

TEST(parsing_rejects_bad_vips_addresses_and_macs)
{
	static const char *const bad_vips[] = {
		"10.0.0.1",	     "10.0.0.1:80",
		"10.0.0.1:0/tcp",    "10.0.0.1:70000/tcp",
		"10.0.0.1:80/sctp",  "fd00::1:80/tcp",
		"[10.0.0.1]:80/tcp", "10.0.0.256:80/tcp",
		"[fd00::1]:x/udp",   "",
	};
	static const char *const good_vips[] = { "10.0.0.1:80/tcp",
						 "[fd00::1]:443/udp",
						 "10.0.0.1:65535/UDP" };
	struct xlb_vip_key key;
	char text[XLB_VIP_STRLEN];
	__u8 mac[6];

	for (size_t i = 0; i < sizeof(bad_vips) / sizeof(bad_vips[0]); i++)
		CHECK(xlb_parse_vip(bad_vips[i], &key) == -EINVAL,
		      "'%s' accepted", bad_vips[i]);
	for (size_t i = 0; i < sizeof(good_vips) / sizeof(good_vips[0]); i++) {
		CHECK(!xlb_parse_vip(good_vips[i], &key), "'%s' refused",
		      good_vips[i]);
		xlb_format_vip(&key, text, sizeof(text));
		CHECK(!strcasecmp(text, good_vips[i]), "'%s' printed as '%s'",
		      good_vips[i], text);
	}
	CHECK(!xlb_parse_mac("02:00:00:aa:bb:cc", mac) && mac[3] == 0xaa, "good"
									  " MA"
									  "C");
	CHECK(xlb_parse_mac("01:00:5e:00:00:01", mac) < 0, "multicast MAC");
	CHECK(xlb_parse_mac("02:00:00:aa:bb", mac) < 0, "short MAC");
	CHECK(xlb_parse_mac("02:00:00:aa:bb:cc:dd", mac) < 0, "long MAC");
}
