/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libxlb: the one place that loads, attaches, pins and adopts the data plane
 * and changes its maps. xlbctl and xlbd are thin layers over it.
 *
 * The pinned maps are the truth: a handle caches nothing between calls but
 * the map file descriptors, so every caller sees what the last writer (this
 * library, bpftool, another process) left. Functions return 0 or a negative
 * errno; xlb_errmsg() then says what failed and why, in words fit for an
 * operator. Functions that change the maps need the writer lock
 * (xlb_lock), and a change never leaves the data plane half-updated.
 */
#ifndef XLB_H
#define XLB_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "xlb_structs.h"
#include "xlb_maps.h"
#include "xlb_intent.h"

struct xlb;

/* The message of the last failure in this thread. */
const char *xlb_errmsg(void);

/* --- Instances: the maps under one pin directory --- */

struct xlb_create_opts {
	__u32 conn_table_size; /* 0: XLB_CONN_TABLE_DEFAULT */
	__u32 udp_timeout_s;   /* 0: XLB_UDP_TIMEOUT_DEFAULT_S */
	__u32 hash_seed;       /* 0 is a valid seed */
	int lock_timeout_ms;   /* 0: XLB_LOCK_TIMEOUT_DEFAULT_MS */
};

/*
 * Adopts the instance pinned at pin_dir; -ENOENT when there is none or it is
 * unfinished (a creation killed part-way). Refuses a pin directory that is
 * not the caller's or that group or others may write (-EPERM), one on a
 * bpffs no other mount namespace shares (-EXDEV), and pins whose type, key
 * and value size, entries or flags differ from the BPF object's (-EPROTO),
 * before reading any of them.
 */
int xlb_open(const char *pin_dir, struct xlb **out);
/*
 * The same, also taking pins of an older layout that a known migration
 * leads from; such a handle is for xlb_upgrade (which migrates them) and
 * xlb_close only.
 */
int xlb_open_for_upgrade(const char *pin_dir, struct xlb **out);
/* The oldest layout whose pins xlb_upgrade migrates (this one's if none). */
int xlb_layout_migrates_from(void);
/*
 * Adopts the instance at pin_dir or, when there is none, loads the data plane
 * and pins its maps there (creating the directory, which must be on bpffs,
 * and removing it again if the creation fails). opts applies only to a new
 * instance. Returns with the writer lock held: creating is a write.
 */
int xlb_create(const char *pin_dir, const struct xlb_create_opts *opts,
	       struct xlb **out);
void xlb_close(struct xlb *xlb);
/*
 * Detaches every attachment and removes every pin and the directory; refuses
 * (-EBUSY) while an attachment lives in another network namespace.
 */
int xlb_destroy(struct xlb *xlb);
/*
 * Removes what a creation killed part-way left at pin_dir (map pins without
 * a valid xlb_meta, no link pins), under the writer lock. -ENOENT when
 * nothing is there, -EEXIST when the instance is complete.
 */
int xlb_remove_unfinished(const char *pin_dir, int lock_timeout_ms);

const char *xlb_pin_dir(const struct xlb *xlb);
const struct xlb_meta *xlb_meta(const struct xlb *xlb);
int xlb_map_fd(const struct xlb *xlb, const char *name);

/* --- Writer lock: one writer per pin directory at a time --- */

#define XLB_LOCK_TIMEOUT_DEFAULT_MS 5000
/* One lock file per pin path, named after it: it outlives the instance. */
#define XLB_LOCK_DIR "/run/xlb"

/*
 * Waits up to timeout_ms; -EAGAIN naming the holder when it stays taken.
 * Once held, checks the open maps are still the pinned ones (xlb_verify).
 */
int xlb_lock(struct xlb *xlb, int timeout_ms);
void xlb_unlock(struct xlb *xlb);
/* The lock file of a pin directory: XLB_LOCK_DIR/<escaped path>.lock */
int xlb_lock_path(const char *pin_dir, char *out, size_t len);
/*
 * 0 when the maps this handle holds are still the ones pinned at its pin
 * directory; when the instance was removed and created again, the handle
 * takes the new one's maps and returns 0; -ESTALE when there is no valid
 * instance there any more, or when this handle has uncommitted changes to
 * the old one. A long-lived writer calls it at the start of each
 * transaction, with the lock held.
 */
int xlb_verify(struct xlb *xlb);

/* --- Attachments --- */

enum xlb_xdp_mode {
	XLB_MODE_NATIVE,
	XLB_MODE_GENERIC,
};

struct xlb_attach_opts {
	enum xlb_xdp_mode mode;
	bool force; /* replace another program attached to the interface */
};

/*
 * An attachment is identified by (network namespace, ifindex): a pin whose
 * link attaches in another namespace is listed with elsewhere set, and no
 * call from this namespace replaces, detaches or removes it.
 */
struct xlb_attachment {
	char ifname[IF_NAMESIZE];
	int ifindex;		/* 0: the device is gone (a stale pin) */
	bool elsewhere;		/* attached in another network namespace */
	char pin[NAME_MAX + 1]; /* its link pin's name in the pin directory */
	enum xlb_xdp_mode mode;
	__u32 prog_id;
	__u32 link_id;
};

/*
 * Loads the program against the instance's maps without attaching it (for
 * BPF_PROG_TEST_RUN): returns its fd, to be closed by the caller.
 */
int xlb_prog_load(struct xlb *xlb, const __u8 mac[6]);
int xlb_attach(struct xlb *xlb, const char *ifname,
	       const struct xlb_attach_opts *opts);
int xlb_detach(struct xlb *xlb, const char *ifname);
/* Sorted by interface name; *out is freed by the caller. */
int xlb_attachments(struct xlb *xlb, struct xlb_attachment **out, size_t *n);

/* --- Run-time settings --- */

int xlb_config_get(struct xlb *xlb, struct xlb_config *cfg);
int xlb_config_set(struct xlb *xlb, const struct xlb_config *cfg);
/* ipip, gue: the outer source address of one family (all zero = unset). */
int xlb_tunnel_source_set(struct xlb *xlb, const union xlb_addr *addr,
			  __u8 family);
bool xlb_tunnel_source_is_set(const struct xlb_config *cfg, __u8 family);
/* gue: the outer UDP destination port, 1-65535. */
int xlb_gue_port_set(struct xlb *xlb, __u32 port);

/* --- Forwarding modes (XLB_VIP_MODE_MASK of xlb_vip.flags) --- */

const char *xlb_mode_name(enum xlb_forward_mode mode);
/* "l2dsr", "ipip" or "gue". */
int xlb_parse_mode(const char *text, enum xlb_forward_mode *mode);
enum xlb_forward_mode xlb_vip_mode(const struct xlb_vip *vip);
/* l2dsr sends to the pair's MAC; the tunnel modes to the FIB's next hop. */
bool xlb_mode_uses_mac(enum xlb_forward_mode mode);
/* The MAC a pair of a tunnelling VIP holds when none was given: unused. */
#define XLB_TUNNEL_MAC ((const __u8 *)"\x02\0\0\0\0\0")
/*
 * Sets the VIP's mode and its pairs' copies; established flows follow.
 * Refused towards l2dsr while a pair has no MAC (XLB_TUNNEL_MAC).
 */
int xlb_vip_set_mode(struct xlb *xlb, const struct xlb_vip_key *key,
		     enum xlb_forward_mode mode);

/* --- VIPs --- */

struct xlb_vip_entry {
	struct xlb_vip_key key;
	struct xlb_vip vip;
	bool table_stale; /* the table lags the weights and states in the maps */
};

int xlb_vip_add(struct xlb *xlb, const struct xlb_vip_key *key,
		__u32 table_size);
/* ICMP echo answered by the LB for this VIP (on by default). */
int xlb_vip_set_icmp_echo(struct xlb *xlb, const struct xlb_vip_key *key,
			  bool on);
/*
 * A new table size (0: the default) for a VIP that keeps its pairs, so its
 * established flows keep their backends; the table is rebuilt at once.
 */
int xlb_vip_set_table_size(struct xlb *xlb, const struct xlb_vip_key *key,
			   __u32 table_size);
/* Removes the VIP, its pairs and its table. */
int xlb_vip_del(struct xlb *xlb, const struct xlb_vip_key *key);
int xlb_vip_get(struct xlb *xlb, const struct xlb_vip_key *key,
		struct xlb_vip *vip);
/* Sorted by address, port, protocol; *out is freed by the caller. */
int xlb_vip_list(struct xlb *xlb, struct xlb_vip_entry **out, size_t *n);

/* --- Backends: (VIP, backend) pairs --- */

struct xlb_pair_info {
	__u32 id; /* index into xlb_backends, xlb_be_state, ... */
	struct xlb_vip_key vip;
	struct xlb_backend be;
	/* What the data plane uses (xlb_be_weight, xlb_be_state), as stored. */
	__u32 weight;
	__u32 state; /* may be outside enum xlb_backend_state */
	/* Their sources, from xlb_pair_intent (xlb_intent.h). */
	__u32 base_weight; /* the operator's */
	__u32 op_state;	   /* the operator's: enum xlb_op_state */
	__u32 factor;	   /* the brain's: XLB_FACTOR_ONE is 1.0 */
	__u32 health;	   /* the brain's: enum xlb_health */
	__u32 reason;	   /* the brain's last rule (xlbd's code), 0: none */
};

#define XLB_SET_WEIGHT 0x1
#define XLB_SET_STATE 0x2
#define XLB_SET_MAC 0x4

struct xlb_backend_spec {
	union xlb_addr addr;
	__u8 family;
	__u8 mac[6];
	/*
	 * The operator's intent: base weight and enum xlb_op_state (standby
	 * allowed). The maps get the effective values, composed with the
	 * brain's factor and health (xlb_effective_weight/_state).
	 */
	__u32 weight;
	__u32 state;
	__u32 set; /* XLB_SET_*: for xlb_backend_set, which fields apply */
};

/*
 * Adds the pair (VIP, backend). Its table is rebuilt at xlb_commit(); until
 * then the new pair takes no new flows.
 */
int xlb_backend_add(struct xlb *xlb, const struct xlb_vip_key *vip,
		    const struct xlb_backend_spec *spec);
/*
 * Changes weight, state or MAC. A state takes effect in the data plane at
 * once; the table follows at xlb_commit().
 */
int xlb_backend_set(struct xlb *xlb, const struct xlb_vip_key *vip,
		    const struct xlb_backend_spec *spec);
int xlb_backend_del(struct xlb *xlb, const struct xlb_vip_key *vip,
		    const union xlb_addr *addr, __u8 family);
/*
 * The brain's opinion of a pair: factor in [1, XLB_FACTOR_MAX] (fixed point,
 * XLB_FACTOR_ONE = 1.0), health an enum xlb_health, reason xlbd's code.
 * Writes them and the recomputed effective weight and state; as for
 * xlb_backend_set, the state takes effect at once and the table at
 * xlb_commit(). The operator's base weight and state are left alone.
 */
int xlb_pair_set_brain(struct xlb *xlb, const struct xlb_vip_key *vip,
		       const union xlb_addr *addr, __u8 family, __u32 factor,
		       __u32 health, __u32 reason);
/* Pairs of one VIP (or of all when vip is NULL), sorted by VIP then address. */
int xlb_backend_list(struct xlb *xlb, const struct xlb_vip_key *vip,
		     struct xlb_pair_info **out, size_t *n);
/*
 * As xlb_pair_set_brain, for a caller that knows the pair's id
 * (xlb_pair_info.id, an index of xlb_slots): reads and writes that one
 * pair only (xlbd's probe path). The id is a hint checked against the
 * slot: when the slot holds another pair, (vip, addr) is searched for as
 * xlb_pair_set_brain does.
 */
int xlb_pair_set_brain_id(struct xlb *xlb, __u32 pair,
			  const struct xlb_vip_key *vip,
			  const union xlb_addr *addr, __u8 family, __u32 factor,
			  __u32 health, __u32 reason);

/*
 * Every pair slot and every VIP as the maps hold them, for a long-lived
 * reader (xlbd's tick): by pair id, n = the instance's slots; VIPs in the
 * map's order, table_stale not computed. One batch read per pair map; the
 * buffers are allocated by the first read and reused by the next ones.
 */
struct xlb_slots {
	__u32 n;
	struct xlb_backend *be;
	__u32 *weight;
	__u32 *state;
	struct xlb_pair_intent *intent;
	struct xlb_vip_entry *vips;
	size_t n_vips, max_vips;
	__u32 *keys; /* the library's: batch read keys */
	/*
	 * Ids are handed out lowest free first, so the pairs in use sit below
	 * a high-water mark: a read covers it and XLB_SLOTS_MARGIN more (room
	 * for pairs added since), and every XLB_SLOTS_FULL_EVERY-th read all
	 * slots (a pair written by hand anywhere is seen within that many).
	 * Past the part read, every entry is as the last full read left it.
	 * used: 1 + the highest id in use at the last read (0: none).
	 */
	__u32 used;
	__u32 reads;
};

#define XLB_SLOTS_MARGIN 256u
#define XLB_SLOTS_FULL_EVERY 16u

int xlb_slots_read(struct xlb *xlb, struct xlb_slots *slots);
void xlb_slots_free(struct xlb_slots *slots);

/* --- Tables --- */

/*
 * Rebuilds the tables of every VIP changed through this handle: all built
 * first, then swapped in with one batched update of xlb_tables (each VIP's
 * packets see its whole old or whole new table). Test hook:
 * XLB_FAILPOINT_TABLES=1 fails every rebuild right before the swap.
 */
int xlb_commit(struct xlb *xlb);
/*
 * First brings xlb_be_weight/xlb_be_state and xlb_pair_intent together (an
 * intent edited by hand is recomputed into them; with no brain opinion, a
 * hand edit of them becomes the intent), then rebuilds every stale table
 * (all of them when force); *rebuilt counts.
 */
int xlb_sync(struct xlb *xlb, bool force, int *rebuilt);
/*
 * Seconds this handle has spent in the batched swaps of xlb_tables, in
 * total (the kernel's RCU wait for the old tables), and how many swaps.
 */
double xlb_table_swap_seconds(const struct xlb *xlb, unsigned long *swaps);
/* Reads back a VIP's table: size slots of pair ids (XLB_PAIR_NONE: empty). */
int xlb_table_read(struct xlb *xlb, const struct xlb_vip_key *key,
		   __u16 **slots, __u32 *size);

/*
 * --- Transactions: for writers that change many pairs at once (xlbd) ---
 * begin (needs the writer lock) checks that the handle's maps are still the
 * pinned ones (xlb_verify) and reads the VIPs and pairs once; the staging
 * calls validate their values and change only the staged copy; commit
 * checks the whole, writes the pairs that changed (intent first, state
 * last), and rebuilds the tables of their VIPs in one batch. Nothing is
 * written when a check fails; a write that fails part-way is rolled back to
 * what begin read. After a commit the transaction may stage and commit
 * again; free it (and begin anew) to see other writers' changes.
 */
struct xlb_txn;

int xlb_txn_begin(struct xlb *xlb, struct xlb_txn **out);
/* spec.set may hold XLB_SET_WEIGHT and XLB_SET_STATE (operator intent). */
int xlb_txn_backend_set(struct xlb_txn *txn, const struct xlb_vip_key *vip,
			const struct xlb_backend_spec *spec);
/* As xlb_pair_set_brain, staged. */
int xlb_txn_set_brain(struct xlb_txn *txn, const struct xlb_vip_key *vip,
		      const union xlb_addr *addr, __u8 family, __u32 factor,
		      __u32 health, __u32 reason);
/* As xlb_pair_set_brain_id, staged: O(1) when the hint holds. */
int xlb_txn_set_brain_id(struct xlb_txn *txn, __u32 pair,
			 const struct xlb_vip_key *vip,
			 const union xlb_addr *addr, __u8 family, __u32 factor,
			 __u32 health, __u32 reason);
int xlb_txn_commit(struct xlb_txn *txn);
void xlb_txn_free(struct xlb_txn *txn);

/*
 * What the connection table can hold. With BPF_F_NO_COMMON_LRU each CPU
 * owns entries / cpus of it and never lends them, so flows whose packets
 * all arrive on one CPU (skewed RX: one queue, or RSS on few CPUs) fit in
 * per_cpu entries; beyond that, each insert on that CPU evicts one of its
 * flows, established or not.
 */
struct xlb_conn_capacity {
	__u32 entries; /* the map's size (the kernel rounds it to the CPUs) */
	__u32 cpus;    /* possible CPUs */
	__u32 per_cpu; /* what flows arriving on one CPU can hold */
	bool per_cpu_lru;
};

int xlb_conn_capacity(struct xlb *xlb, struct xlb_conn_capacity *out);

/* --- Counters, summed over CPUs --- */

struct xlb_stats {
	struct xlb_global_counters global;
	__u32 max_vips, max_backends;
	struct xlb_vip_counters *vips;	 /* by VIP id */
	struct xlb_pair_counters *pairs; /* by pair id */
	__u64 *scratch; /* the library's: per-CPU values between reads */
	/*
	 * Pair counters to read: ids [0, pairs_read), 0: all. A caller that
	 * knows where the pairs in use end (xlb_slots.used) reads only those.
	 */
	__u32 pairs_read;
};

/* Allocates the arrays on first use; read again into the same struct. */
int xlb_stats_read(struct xlb *xlb, struct xlb_stats *stats);
void xlb_stats_free(struct xlb_stats *stats);

/* --- Addresses, VIPs and MACs as text --- */

#define XLB_ADDR_STRLEN 46 /* INET6_ADDRSTRLEN */
#define XLB_VIP_STRLEN 64
#define XLB_MAC_STRLEN 18

int xlb_parse_addr(const char *text, union xlb_addr *addr, __u8 *family);
/* "10.0.0.1:80/tcp" or "[fd00::1]:443/udp". */
int xlb_parse_vip(const char *text, struct xlb_vip_key *key);
int xlb_parse_mac(const char *text, __u8 mac[6]);
const char *xlb_format_addr(const union xlb_addr *addr, __u8 family, char *buf,
			    size_t len);
const char *xlb_format_vip(const struct xlb_vip_key *key, char *buf,
			   size_t len);
const char *xlb_format_mac(const __u8 mac[6], char *buf, size_t len);
/* A data-plane state (xlb_be_state): unknown values read as down. */
const char *xlb_state_name(__u32 state);
/* An operator state: active, draining, down or standby. */
int xlb_parse_state(const char *text, __u32 *state);
const char *xlb_op_state_name(__u32 op_state);
const char *xlb_health_name(__u32 health);

/*
 * --- Validation: the one set of rules, whatever the values' source ---
 * Each returns 0 or a negative errno; the message starts with what, e.g.
 * "weight 20000 is out of range [0, 10000]".
 */
int xlb_check_table_size(const char *what, __u32 size);
int xlb_check_weight(const char *what, __u32 weight);
int xlb_check_op_state(const char *what, __u32 op_state);
int xlb_check_mac(const char *what, const __u8 mac[6]);
int xlb_check_family(const char *what, __u8 family);
int xlb_check_factor(const char *what, __u32 factor);
int xlb_check_health(const char *what, __u32 health);
int xlb_vip_key_cmp(const struct xlb_vip_key *a, const struct xlb_vip_key *b);
int xlb_addr_cmp(const union xlb_addr *a, __u8 fa, const union xlb_addr *b,
		 __u8 fb);

/* --- Neighbours --- */

/*
 * The MAC of addr as the neighbour table of ifindex knows it, asking the
 * kernel to resolve it (ARP / ND) and waiting up to timeout_ms when unknown.
 */
int xlb_neigh_lookup(int ifindex, const union xlb_addr *addr, __u8 family,
		     __u8 mac[6], int timeout_ms);

/*
 * --- Desired state: a whole configuration, its difference from the maps,
 * and a transaction that applies it all or nothing (xlbctl config) ---
 */

/* One (VIP, backend) pair as a configuration wants it. */
struct xlb_desired_backend {
	union xlb_addr addr;
	__u8 family;
	bool has_mac; /* false: keep the pair's MAC, or resolve one if new */
	__u8 mac[6];
	__u32 weight;
	__u32 state;
};

struct xlb_desired_vip {
	struct xlb_vip_key key;
	__u32 table_size;	       /* 0: XLB_TABLE_SIZE_DEFAULT */
	bool no_icmp_echo;	       /* "icmp_echo": false */
	enum xlb_forward_mode forward; /* "forward" (0: l2dsr) */
	struct xlb_desired_backend *backends;
	size_t n_backends;
};

/* Mirrors the config file: vips[i].backends[j] names an element of both. */
struct xlb_desired {
	struct xlb_desired_vip *vips;
	size_t n_vips;
};

/* The state in the maps, as a configuration (sorted, MACs included). */
int xlb_desired_read(struct xlb *xlb, struct xlb_desired *out);
void xlb_desired_free(struct xlb_desired *desired);
/*
 * Checks values, duplicates and room (pairs per table, VIPs and pairs per
 * instance); the message names the element as the file does, e.g.
 * "vips[1].backends[0].weight: 20000 is out of range [0, 10000]".
 */
int xlb_desired_check(const struct xlb_desired *desired, __u32 max_vips,
		      __u32 max_backends);

enum xlb_change_kind {
	XLB_CHANGE_VIP_DEL,
	XLB_CHANGE_BACKEND_DEL,
	XLB_CHANGE_VIP_ADD,
	XLB_CHANGE_BACKEND_ADD,
	XLB_CHANGE_BACKEND_SET,
	XLB_CHANGE_VIP_SET,    /* ICMP echo on or off */
	XLB_CHANGE_VIP_RESIZE, /* a new table size, pairs kept */
	XLB_CHANGE_VIP_MODE,   /* a new forwarding mode, after pairs' MACs */
};

struct xlb_change {
	enum xlb_change_kind kind;
	struct xlb_vip_key vip;
	__u32 table_size;  /* VIP_ADD, VIP_DEL, VIP_RESIZE: the table's size */
	bool no_icmp_echo; /* VIP_ADD, VIP_SET */
	/* VIP_ADD, VIP_MODE: the VIP's mode; BACKEND_ADD, _SET: its VIP's */
	enum xlb_forward_mode forward;
	/*
	 * Backend changes: the new values; spec.set holds the XLB_SET_* that
	 * change (for an add, XLB_SET_MAC once the MAC is known). needs_mac:
	 * the neighbour table gives the MAC (xlb_changes_resolve_macs).
	 */
	bool needs_mac;
	struct xlb_backend_spec spec;
	struct xlb_backend_spec old; /* BACKEND_SET, BACKEND_DEL: before */
};

/*
 * The changes that turn current into desired, in the order they apply:
 * deletions first (they free room), then additions, then settings. A VIP
 * whose table size differs is deleted and added again. Pure: no maps.
 */
int xlb_desired_diff(const struct xlb_desired *current,
		     const struct xlb_desired *desired, struct xlb_change **out,
		     size_t *n);
/* One line, e.g. "set backend 10.0.0.11 of 10.0.0.1:80/tcp: weight 100 -> 50". */
const char *xlb_change_format(const struct xlb_change *change, char *buf,
			      size_t len);
/*
 * Fills the MAC of each change that needs one (xlb_resolve_mac): a backend
 * added to an l2dsr VIP without one, or kept by a VIP that turns l2dsr.
 */
int xlb_changes_resolve_macs(struct xlb *xlb, struct xlb_change *changes,
			     size_t n, int timeout_ms);
/*
 * Applies the changes in order and rebuilds the tables they touch and any
 * left stale (by a writer killed part-way, or a hand edit). On a failure it
 * restores the state read before the first change and returns the first
 * error; xlb_errmsg() says what failed and whether the rollback worked.
 * Needs the writer lock. Test hook: XLB_FAILPOINT_APPLY=fail:N or kill:N
 * fails, or SIGKILLs the process, right before change N (from 0; N = n:
 * after the last change, before the tables are rebuilt).
 */
int xlb_changes_apply(struct xlb *xlb, const struct xlb_change *changes,
		      size_t n);

/*
 * The MAC of a backend from the neighbour table of each interface the
 * instance is attached to (asking the kernel to resolve it); -ENOENT when
 * it is attached nowhere.
 */
int xlb_resolve_mac(struct xlb *xlb, const union xlb_addr *addr, __u8 family,
		    __u8 mac[6], int timeout_ms);

#endif
