/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The connection table's definition, shared with the benchmark's stateful
 * floors so that they measure a table of exactly the same kind.
 *
 * 5-tuple -> pair. One shared LRU hash (not the per-CPU LRU type, whose values
 * differ per CPU); BPF_F_NO_COMMON_LRU gives each CPU its own LRU list so
 * inserts do not contend on one lock. Size set at load time.
 */
#ifndef XLB_BPF_CONN_TABLE_H
#define XLB_BPF_CONN_TABLE_H

#include "xlb_structs.h"

#define XLB_CONN_TABLE_DEFINITION                    \
	__uint(type, BPF_MAP_TYPE_LRU_HASH);         \
	__uint(map_flags, BPF_F_NO_COMMON_LRU);      \
	__uint(max_entries, XLB_CONN_TABLE_DEFAULT); \
	__type(key, struct xlb_flow_key);            \
	__type(value, struct xlb_conn)

#endif
