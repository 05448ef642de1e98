/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Fixed-width types for headers shared by the BPF program and user space.
 * BPF objects get them from vmlinux.h (included first); user space from the
 * kernel's UAPI headers.
 */
#ifndef XLB_TYPES_H
#define XLB_TYPES_H

#ifndef __bpf__
#include <linux/types.h>
#include <stddef.h>
#endif

#endif
