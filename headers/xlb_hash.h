/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Hashes computed identically by the data plane and user space: the flow
 * hash that picks a Maglev slot, the slot mapping and the prefilter bit. Any
 * change here changes which backend a flow lands on; the golden vectors in
 * tests/ pin them down.
 */
#ifndef XLB_HASH_H
#define XLB_HASH_H

#include "xlb_structs.h"

static inline __u32 xlb_rotl32(__u32 x, int r)
{
	return (x << r) | (x >> (32 - r));
}

/* One MurmurHash3 mixing round: cheap, and every input bit reaches h. */
static inline __u32 xlb_hash_mix(__u32 h, __u32 k)
{
	k *= 0xcc9e2d51;
	k = xlb_rotl32(k, 15);
	k *= 0x1b873593;
	h ^= k;
	h = xlb_rotl32(h, 13);
	return h * 5 + 0xe6546b64;
}

static inline __u32 xlb_hash_final(__u32 h, __u32 len)
{
	h ^= len;
	h ^= h >> 16;
	h *= 0x85ebca6b;
	h ^= h >> 13;
	h *= 0xc2b2ae35;
	h ^= h >> 16;
	return h;
}

/* Hash of a flow's 5-tuple: the same 40 bytes the connection table keys on. */
static inline __u32 xlb_flow_hash(const struct xlb_flow_key *key, __u32 seed)
{
	const __u32 *w = (const __u32 *)key;
	__u32 h = seed;

	for (int i = 0; i < (int)(sizeof(*key) / 4); i++) {
		h = xlb_hash_mix(h, w[i]);
#ifdef __bpf__
		/*
		 * One round after the other: clang would start every word's
		 * round at once and spill what BPF's registers cannot hold,
		 * to stack that counts against the 512 bytes of a call chain.
		 */
		asm volatile("" : "+r"(h), "+r"(w));
#endif
	}
	return xlb_hash_final(h, sizeof(*key));
}

/*
 * Maps a 32-bit hash onto [0, size) with a multiply and a shift instead of a
 * division (Lemire's reduction): uniform, and cheaper on the packet path.
 */
static inline __u32 xlb_hash_to_slot(__u32 hash, __u32 size)
{
	return (__u32)(((__u64)hash * size) >> 32);
}

/*
 * Prefilter bit of a destination address (Fibonacci hashing of its words
 * XORed together). An IPv4 address's other words are zero: its bit is
 * xlb_prefilter_bit_of(v4), which the data plane computes without them.
 */
static inline __u32 xlb_prefilter_bit_of(__u32 x)
{
	return (x * 0x9e3779b1u) >> (32 - XLB_PREFILTER_BITS);
}

/* The same of an address as its four words, where they are (a header). */
static inline __u32 xlb_prefilter_bit_words(const __u32 *w)
{
	return xlb_prefilter_bit_of(w[0] ^ w[1] ^ w[2] ^ w[3]);
}

static inline __u32 xlb_prefilter_bit(const union xlb_addr *addr)
{
	return xlb_prefilter_bit_words(addr->v6);
}

#endif
