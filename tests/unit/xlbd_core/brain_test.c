// SPDX-License-Identifier: GPL-2.0
/*
 * The brain core driven by scripted snapshots over time: each test builds
 * a small fleet, advances its clock, and asserts the decisions.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "brain.h"
#include "testing.h"

TEST(config_default_passes_check)
{
	struct xlb_brain_config cfg;
	char err[128];

	xlb_brain_config_default(&cfg);
	CHECK_EQ(xlb_brain_config_check(&cfg, err, sizeof(err)), 0);
}

TEST(config_check_names_the_bad_key)
{
	struct xlb_brain_config cfg;
	char err[128];

	xlb_brain_config_default(&cfg);
	cfg.anomaly_k = 6;
	CHECK_EQ(xlb_brain_config_check(&cfg, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "anomaly_k"), "message: %s", err);
	xlb_brain_config_default(&cfg);
	cfg.max_step = NAN;
	CHECK_EQ(xlb_brain_config_check(&cfg, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "max_step"), "message: %s", err);
}

TEST(probe_fall_then_rise)
{
	struct xlb_brain_config cfg;
	struct xlb_brain *brain;
	struct xlb_brain_decision d;
	const char *key = "10.0.0.1:80/tcp 10.0.0.11";

	xlb_brain_config_default(&cfg);
	CHECK_EQ(xlb_brain_create(&cfg, &brain), 0);
	CHECK_EQ(xlb_brain_probe_result(brain, key, 1.0, false, 0, &d), 0);
	CHECK_EQ(xlb_brain_probe_result(brain, key, 1.1, true, 0, &d), 0);
	CHECK_EQ(xlb_brain_probe_result(brain, key, 1.2, false, 0, &d), 0);
	CHECK_EQ(xlb_brain_probe_result(brain, key, 1.3, false, 0, &d), 1);
	CHECK_EQ(d.rule, XLB_RULE_PROBE_DOWN);
	CHECK_EQ(d.new_health, XLB_HEALTH_DOWN);
	CHECK_EQ(xlb_brain_probe_result(brain, key, 1.4, false, 0, &d), 0);
	CHECK_EQ(xlb_brain_probe_result(brain, key, 1.5, true, 0.001, &d), 0);
	CHECK_EQ(xlb_brain_probe_result(brain, key, 1.6, true, 0.001, &d), 0);
	CHECK_EQ(xlb_brain_probe_result(brain, key, 1.7, true, 0.001, &d), 1);
	CHECK_EQ(d.rule, XLB_RULE_PROBE_UP);
	CHECK_EQ(d.new_health, XLB_HEALTH_OK);
	CHECK(d.new_factor <= XLB_FACTOR_ONE / 10 + 1,
	      "slow start begins at 10%%, factor %u", d.new_factor);
	xlb_brain_destroy(brain);
}

TEST(save_load_round_trip_and_refuses_other_versions)
{
	struct xlb_brain_config cfg;
	struct xlb_brain *a, *b;
	struct xlb_brain_decision d;
	void *blob, *blob2;
	size_t len, len2;

	xlb_brain_config_default(&cfg);
	CHECK_EQ(xlb_brain_create(&cfg, &a), 0);
	CHECK_EQ(xlb_brain_create(&cfg, &b), 0);
	xlb_brain_probe_result(a, "v p", 1, false, 0, &d);
	xlb_brain_probe_result(a, "v p", 2, false, 0, &d);
	CHECK_EQ(xlb_brain_save(a, &blob, &len), 0);
	CHECK_EQ(xlb_brain_load(b, blob, len), 0);
	CHECK_EQ(xlb_brain_save(b, &blob2, &len2), 0);
	CHECK(len == len2 && !memcmp(blob, blob2, len), "blob changed");
	((unsigned char *)blob)[4] ^= 0xff; /* the version */
	CHECK_EQ(xlb_brain_load(b, blob, len), -EPROTO);
	CHECK_EQ(xlb_brain_load(b, blob, 3), -EPROTO);
	free(blob);
	free(blob2);
	xlb_brain_destroy(a);
	xlb_brain_destroy(b);
}

int main(int argc, char **argv)
{
	return test_main(argc, argv);
}
