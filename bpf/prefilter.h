/* SPDX-License-Identifier: GPL-2.0 */
/* Is this destination address (possibly, or certainly) a VIP's? */
#ifndef XLB_BPF_PREFILTER_H
#define XLB_BPF_PREFILTER_H

#include "maps.h"
#include "xlb_hash.h"
#include "xlb_maps.h"

/*
 * xlb_prefilter's value, read in place: loaders hand libbpf the pinned map
 * for this section (xlb_prefilter_section_reuse), so a packet tests its bit
 * with one load, where a lookup (which clang takes for a call) would cost a
 * key on the stack, a null test and registers saved around it. All ones as
 * built: a loader that does not hand the map over (an older libxlb given
 * this object) gets a filter that sends every address on to the exact VIP
 * lookup, slower but never wrong.
 */
struct xlb_prefilter xlb_prefilter_bits SEC(XLB_PREFILTER_SECTION) = {
	.words = { [0 ... XLB_PREFILTER_WORDS - 1] = ~0ULL },
};

/*
 * False means no VIP uses an address with this bit: the packet is passed
 * without a hash lookup. True may be a collision; the VIP lookup decides.
 */
static __always_inline bool prefilter_bit_set(__u32 bit)
{
	return xlb_prefilter_bits.words[bit >> 6] & (1ULL << (bit & 63));
}

/* An IPv4 address, from the header's word. */
static __always_inline bool prefilter_may_be_vip4(__be32 daddr)
{
	return prefilter_bit_set(xlb_prefilter_bit_of(daddr));
}

/* An IPv6 address, from the header's four words. */
static __always_inline bool prefilter_may_be_vip_words(const __be32 *w)
{
	return prefilter_bit_set(xlb_prefilter_bit_words(w));
}

/* Exact test, for packets whose ports cannot be trusted or read. */
static __always_inline bool is_vip_address(const struct xlb_flow_key *key)
{
	struct xlb_addr_key addr = {
		.addr = key->daddr,
		.family = key->family,
	};

	return bpf_map_lookup_elem(&xlb_vip_addrs, &addr) != NULL;
}

#endif
