/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The data plane's clock: nanoseconds of the monotonic clock at the last
 * tick, for UDP idle times and the new-flow insert budget.
 */
#ifndef XLB_BPF_CLOCK_H
#define XLB_BPF_CLOCK_H

#define XLB_NSEC 1000000000ull

/*
 * The kernel's tick rate, which libbpf reads from the kernel's config
 * (/boot/config-*, /proc/config.gz) when it loads the program: a constant
 * of the loaded program, so the verifier keeps one branch of coarse_ns.
 * 0 when there is no config to read.
 */
extern const unsigned int CONFIG_HZ __kconfig __weak;

/* jiffies at boot: five minutes of ticks before the 32-bit counter wraps. */
#define XLB_INITIAL_JIFFIES(hz) ((__u64)(__u32)(-300 * (hz)))

static __always_inline __u64 jiffies_ns(const unsigned int hz)
{
	return (bpf_jiffies64() - XLB_INITIAL_JIFFIES(hz)) * (XLB_NSEC / hz);
}

/*
 * The coarse clock from jiffies, which the verifier inlines (one load),
 * where bpf_ktime_get_coarse_ns is a call: 30-40 ns of a new flow's path
 * on this kernel, whose returns go through the SRSO safe-RET thunk
 * (tools/bench). Both advance once a tick; jiffies trail by the time the
 * tick started after boot (0.25 s measured here), so a time written with
 * one clock and read with the other, across an upgrade, is off by that
 * much once. The common tick rates have a constant to multiply by; any
 * other rate, or none known, takes the helper.
 */
static __always_inline __u64 coarse_ns(void)
{
	switch (CONFIG_HZ) {
	case 100:
		return jiffies_ns(100);
	case 250:
		return jiffies_ns(250);
	case 1000:
		return jiffies_ns(1000);
	default:
		return bpf_ktime_get_coarse_ns();
	}
}

#endif
