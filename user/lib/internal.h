/* SPDX-License-Identifier: GPL-2.0 */
/* What the library's files share and its callers do not see. */
#ifndef XLB_INTERNAL_H
#define XLB_INTERNAL_H

#include <limits.h>
#include <linux/bpf.h>

#include "xlb.h"

enum xlb_map_id {
	MAP_META,
	MAP_CONFIG,
	MAP_PREFILTER,
	MAP_VIPS,
	MAP_VIP_ADDRS,
	MAP_TABLES,
	MAP_BACKENDS,
	MAP_BE_STATE,
	MAP_BE_WEIGHT,
	MAP_CONNS,
	MAP_BE_STATS,
	MAP_VIP_STATS,
	MAP_GLOBAL,
	MAP_PAIR_INTENT,
	MAP_VIP_DIGEST,
	MAP_BUDGET,
	MAP_DEVMAP,
	MAP_COUNT,
};

struct pair_word_bpf;
struct bpf_object;

struct xlb {
	char pin_dir[PATH_MAX];
	int dir_fd;  /* the pin directory, as checked when it was opened */
	int lock_fd; /* the lock file under XLB_LOCK_DIR while locked */
	bool locked;
	bool readonly; /* a reader of a directory it does not own */
	int fds[MAP_COUNT];
	__u32 map_ids[MAP_COUNT]; /* of the maps opened: xlb_verify compares */
	struct xlb_meta meta;
	int ncpus;
	/* VIP ids whose tables this handle changed and must rebuild. */
	__u64 dirty[XLB_MAX_VIPS / 64];
	/* Seconds spent in the batched swaps of xlb_tables (RCU waits). */
	double swap_s;
	unsigned long swaps;
	/*
	 * While set (one xlb_changes_apply, under the lock), the pairs as the
	 * maps hold them: pair_snapshot_read lends it instead of reading
	 * every slot again, and every pair write keeps it up to date, so an
	 * apply of n changes reads the slots once, not n times.
	 */
	struct pair_snapshot *cache;
	/* pair_word.c's program, loaded on the first live word change. */
	struct pair_word_bpf *pair_word;
};

extern const char *const xlb_map_names[MAP_COUNT];

/*
 * A pinned map's flags as it was created with: the kernel adds
 * BPF_F_RDONLY_PROG to every devmap (a lookup returns its value in place).
 */
static inline __u32 map_flags_as_created(__u32 type, __u32 flags)
{
	if (type == BPF_MAP_TYPE_DEVMAP || type == BPF_MAP_TYPE_DEVMAP_HASH)
		flags &= ~BPF_F_RDONLY_PROG;
	return flags;
}

/* Records the message for xlb_errmsg() and returns -err. */
int xlb_err(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Same, appending ": strerror(err)". */
int xlb_errno(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The last warning libbpf printed, for error messages. */
const char *xlb_libbpf_last_message(void);

/*
 * attach.c: points the object's XLB_PREFILTER_SECTION at the pinned
 * xlb_prefilter before it is loaded. An object built before the section
 * has none and reads the map by lookup: nothing to do.
 */
int xlb_prefilter_section_reuse(struct xlb *xlb, struct bpf_object *obj);

/* The MAC address of a local interface, as the program's rodata wants it. */
int xlb_interface_mac(const char *ifname, __u8 mac[6]);

/* -ENOLCK unless the caller holds the writer lock. */
int xlb_require_lock(struct xlb *xlb, const char *what);
/* Takes the lock file of xlb->pin_dir without checking any open maps. */
int xlb_lock_acquire(struct xlb *xlb, int timeout_ms);
/* Removes the lock file, still held, of an instance that is gone. */
void xlb_lock_remove(struct xlb *xlb);
/* -EPERM unless the caller's euid owns the pin directory. */
int xlb_check_writer(struct xlb *xlb);
/* Test hook: raises SIGKILL when $XLB_FAILPOINT is name. */
void xlb_failpoint(const char *name);
/* Detaches one attachment of xlb_attachments() and removes its pin. */
int xlb_detach_attachment(struct xlb *xlb, const struct xlb_attachment *a);
/*
 * devmap.c: makes xlb_devmap hold this namespace's attachments (none while
 * the instance is attached in several namespaces).
 */
int xlb_devmap_sync(struct xlb *xlb);

/*
 * Every slot's entry (in use or not), and the weight, state and intent of
 * every slot up to the last in use; past it those read as a free slot's
 * (zero), so only an in-use slot's may be relied on.
 */
struct pair_snapshot {
	__u32 n;
	struct xlb_backend *be;
	__u32 *weight;
	__u32 *state;
	struct xlb_pair_intent *intent;
	bool borrowed; /* xlb->cache's arrays: free leaves them alone */
};
int pair_snapshot_read(struct xlb *xlb, struct pair_snapshot *snap);
void pair_snapshot_free(struct pair_snapshot *snap);
/* After a successful write of a pair map: the cache follows (if any). */
void pair_cache_put_be(struct xlb *xlb, __u32 pair,
		       const struct xlb_backend *be);
void pair_cache_put_scalar(struct xlb *xlb, int map, __u32 pair, __u32 value);
void pair_cache_put_intent(struct xlb *xlb, __u32 pair,
			   const struct xlb_pair_intent *in);

/*
 * Changes a live pair's MAC, family and flags (be's word; the rest of be is
 * not written) in one 8-byte store, so packets in flight see all of the old
 * word or all of the new. The cache follows.
 */
int pair_word_write(struct xlb *xlb, __u32 pair, const struct xlb_backend *be);
/* Unloads the program, if loaded (the maps close). */
void pair_word_close(struct xlb *xlb);

/* migrate.c: whether known steps lead from layout from to this one. */
bool layout_migratable(__u32 from);
/*
 * Whether map id is one that the steps from layout from add: pins of that
 * layout lack it, so xlb_open_for_upgrade creates it and a step pins it.
 */
bool layout_adds_map(__u32 from, int id);
/*
 * Runs the steps from the pins' layout to this one (safe while the older
 * program runs); what says what they did ("7 -> 8: ...").
 */
int layout_migrate(struct xlb *xlb, char *what, size_t len);
/* Writes this layout's version into xlb_meta: after every program swap. */
int layout_commit(struct xlb *xlb);

/* Reads a whole array map (n entries of value_size) with one batch call. */
int array_read_all(int fd, __u32 n, size_t value_size, void *values);
/* The same with the caller's buffer of n keys: no allocation. */
int array_read_all_keys(int fd, __u32 n, size_t value_size, void *values,
			__u32 *keys);
/* Writes n entries (keys[i] -> values[i]) in one batch call. */
int map_write_batch(int fd, const __u32 *keys, const void *values, __u32 n);
/* Writes zeros to every CPU's copy of one per-CPU array entry. */
int percpu_zero(struct xlb *xlb, int fd, __u32 index, size_t value_size);

/* Every VIP, unsorted, without the staleness flag. */
int vips_read(struct xlb *xlb, struct xlb_vip_entry **out, size_t *n);
void vip_mark_dirty(struct xlb *xlb, __u32 vip_id);
/* Digest of what a VIP's table is built from (see struct xlb_vip). */
__u32 table_digest(const struct pair_snapshot *snap, __u32 vip_id);
/* Creates an empty table map for a new VIP and installs it. */
int table_install_empty(struct xlb *xlb, __u32 vip_id, __u32 size);
/*
 * Rewrites an existing VIP's value (flags, table size); what names the
 * change in the error.
 */
int vip_write(struct xlb *xlb, const struct xlb_vip_key *key,
	      const struct xlb_vip *vip, const char *what);
/* Gives the VIP a table of size slots built from its pairs as they are. */
int table_resize(struct xlb *xlb, const struct xlb_vip_key *key,
		 const struct xlb_vip *vip, __u32 size);
/* Recomputes xlb_vip_addrs and xlb_prefilter from xlb_vips. */
int derived_refresh(struct xlb *xlb);
/* Every field of a pair's intent in range; the message names the entry. */
int intent_check(const struct xlb_pair_intent *in, __u32 pair);
/* The same rules, no message: the fast path of a check over every pair. */
bool intent_valid(const struct xlb_pair_intent *in);
/* The effective weight and state a pair's intent composes to. */
__u32 intent_weight(const struct xlb_pair_intent *in);
__u32 intent_state(const struct xlb_pair_intent *in);
/* Writes a pair's intent and the effective weight and/or state from it. */
int pair_publish(struct xlb *xlb, __u32 pair, struct xlb_pair_intent *in,
		 bool weight, bool state);
/* Releases a pair's slot: state down first, then entry, weight, intent. */
int pair_release(struct xlb *xlb, __u32 pair, const struct xlb_backend *old);
/* -ERANGE/-EINVAL naming the entry when a VIP's table could not be built. */
int table_check_pairs(const struct pair_snapshot *snap,
		      const struct xlb_vip_key *key, __u32 vip_id);
/* xlb_commit from a snapshot the caller keeps up to date with its writes. */
int table_commit_from(struct xlb *xlb, struct pair_snapshot *snap,
		      const struct xlb_vip_entry *vips, size_t n);

#endif
