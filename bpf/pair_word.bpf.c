// SPDX-License-Identifier: GPL-2.0
/*
 * Stores a live pair's word (MAC, family, flags) with one 8-byte write. A
 * map update from user space copies the value with the kernel's memcpy,
 * which promises nothing about the width of its stores (rep movsb on CPUs
 * with fast short moves); this one BPF_DW store pairs with the one 8-byte
 * load of forward(), so a packet leaves with the old MAC or the new one,
 * never bytes of both. libxlb runs it through BPF_PROG_TEST_RUN with
 * pair_backends being the instance's xlb_backends.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xlb_structs.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* replaced by xlb_backends' own */
	__type(key, __u32);
	__type(value, struct xlb_backend);
} pair_backends SEC(".maps");

SEC("syscall")
int pair_word_store(struct xlb_pair_word_args *args)
{
	__u32 pair = args->pair;
	__u64 word = args->word;
	struct xlb_backend *be = bpf_map_lookup_elem(&pair_backends, &pair);

	if (!be)
		return 1;
	*(volatile __u64 *)((__u8 *)be + XLB_PAIR_WORD_OFFSET) = word;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
