// SPDX-License-Identifier: GPL-2.0
/* Run-time settings of the data plane (xlb_config). */
#include <errno.h>

#include <bpf/bpf.h>

#include "internal.h"

int xlb_config_get(struct xlb *xlb, struct xlb_config *cfg)
{
	__u32 zero = 0;

	if (bpf_map_lookup_elem(xlb->fds[MAP_CONFIG], &zero, cfg))
		return xlb_errno(errno, "read %s", XLB_MAP_CONFIG);
	return 0;
}

int xlb_config_set(struct xlb *xlb, const struct xlb_config *cfg)
{
	__u32 zero = 0;
	int err;

	err = xlb_require_lock(xlb, "config set");
	if (err)
		return err;
	if (cfg->udp_timeout_ns < 1000000000ull ||
	    cfg->udp_timeout_ns > XLB_UDP_TIMEOUT_MAX_S * 1000000000ull)
		return xlb_err(ERANGE, "UDP timeout must be 1 to %u s",
			       XLB_UDP_TIMEOUT_MAX_S);
	if (cfg->new_flow_budget > XLB_NEW_FLOW_BUDGET_MAX)
		return xlb_err(ERANGE,
			       "new-flow budget %u is above %u per second per "
			       "CPU (0 = unlimited)",
			       cfg->new_flow_budget, XLB_NEW_FLOW_BUDGET_MAX);
	if (!cfg->gue_port)
		return xlb_err(ERANGE, "GUE port 0 is not 1-65535");
	if (bpf_map_update_elem(xlb->fds[MAP_CONFIG], &zero, cfg, BPF_ANY))
		return xlb_errno(errno, "write %s", XLB_MAP_CONFIG);
	return 0;
}
