#!/usr/bin/env bash
# Issue 15, the write path, through xlbctl as an operator uses it: a
# command that cannot finish writes nothing (item 5), the operator's intent
# beside what the data plane uses (backend list), standby, hand edits of the
# intent map recomputed by sync, and the connection table's per-CPU
# capacity in status (item 8).
#
#   tests/e2e/hardening_writes.sh [FILTER]   run the tests whose name contains it
set -uo pipefail
# shellcheck source=tests/e2e/xlbctl_lib.sh
. "$(dirname "$0")/xlbctl_lib.sh"

xlbctl_setup hardening_writes --backends 2

VIP=$TOPO_VIP4:80/tcp
TMP=$(mktemp -d /tmp/hardening-writes.XXXXXX)
XLBCTL_CLEANUPS+=("rm -rf '$TMP'")

if ! xlbctl attach eth0 --conn-table-size 4096 >/dev/null ||
	! xlbctl vip add "$VIP" >/dev/null ||
	! xlbctl backend add "$VIP" "$TOPO_B1_IP4" >/dev/null ||
	! xlbctl backend add "$VIP" "$TOPO_B2_IP4" --weight 50 >/dev/null; then
	xlbctl_abort hardening_writes_setup "attach, vip add or backend add failed"
fi

pair_id() {
	json "next(b['id'] for b in j if b['address'] == '$1')" "$(xlbctl backend list --json)"
}
# le32 VALUE: the 4 little-endian bytes bpftool takes.
le32() { printf '%d %d %d %d' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
# field ADDR NAME: one field of the backend's list entry.
field() {
	json "next(b['$2'] for b in j if b['address'] == '$1')" "$(xlbctl backend list --json)"
}

B1=$(pair_id "$TOPO_B1_IP4")
B2=$(pair_id "$TOPO_B2_IP4")

# Item 5: another pair's weight out of range by hand; a set whose commit
# could not finish exits 1 naming the entry, and writes nothing.
if tcase a_set_that_cannot_commit_writes_nothing; then
	# shellcheck disable=SC2046 # the bytes are words
	bpftool map update pinned "$TOPO_PIN_DIR/xlb_be_weight" key $(le32 "$B2") value $(le32 20000)
	expect_error a_set_that_cannot_commit_writes_nothing 1 \
		"xlb_be_weight[$B2] (backend $TOPO_B2_IP4 of VIP $VIP) is 20000" \
		xlbctl backend set "$VIP" "$TOPO_B1_IP4" --weight 7 --state draining
	# shellcheck disable=SC2046
	bpftool map update pinned "$TOPO_PIN_DIR/xlb_be_weight" key $(le32 "$B2") value $(le32 50)
	if [[ $(field "$TOPO_B1_IP4" state) != active || $(field "$TOPO_B1_IP4" weight) != 100 ]]; then
		fail a_set_that_cannot_commit_writes_nothing_state "b1 is $(field "$TOPO_B1_IP4" state) $(field "$TOPO_B1_IP4" weight)"
	fi
fi

if tcase backend_list_shows_intent_and_brain_state; then
	out=$(xlbctl backend list)
	why=$(json '"" if all(k in j[0] for k in ("base_weight", "op_state", "health", "factor", "reason", "weight", "state")) and j[0]["factor"] == 1.0 and j[0]["health"] == "ok" else j[0]' \
		"$(xlbctl backend list --json)")
	if [[ -n $why ]]; then
		fail backend_list_shows_intent_and_brain_state "json: $why"
	elif ! grep -q 'BASE.*OP_STATE.*HEALTH.*FACTOR.*REASON' <<<"$out" ||
		! grep -q "$TOPO_B2_IP4.* 50 .* 50 .*active.*active.*ok.*1\.000" <<<"$out"; then
		fail backend_list_shows_intent_and_brain_state "text: $out"
	else
		pass backend_list_shows_intent_and_brain_state
	fi
fi

if tcase standby_is_down_in_the_data_plane; then
	xlbctl backend set "$VIP" "$TOPO_B2_IP4" --state standby >/dev/null
	got="$(field "$TOPO_B2_IP4" op_state) $(field "$TOPO_B2_IP4" state)"
	xlbctl backend set "$VIP" "$TOPO_B2_IP4" --state active >/dev/null
	if [[ $got == "standby down" && $(field "$TOPO_B2_IP4" state) == active ]]; then
		pass standby_is_down_in_the_data_plane
	else
		fail standby_is_down_in_the_data_plane "op_state/state '$got'"
	fi
fi

if tcase config_files_accept_standby; then
	printf '{"vips": [{"vip": "%s", "backends": [{"address": "%s"}, {"address": "%s", "weight": 50, "state": "standby"}]}]}' \
		"$VIP" "$TOPO_B1_IP4" "$TOPO_B2_IP4" >"$TMP/standby.json"
	out=$(xlbctl config apply "$TMP/standby.json" 2>&1)
	rc=$?
	got="$(field "$TOPO_B2_IP4" op_state) $(field "$TOPO_B2_IP4" state)"
	again=$(xlbctl config apply --dry-run "$TMP/standby.json" 2>&1)
	dumped=$(xlbctl config dump)
	xlbctl backend set "$VIP" "$TOPO_B2_IP4" --state active >/dev/null
	if ((rc == 0)) && [[ $got == "standby down" && $again != *"set backend"* && $dumped == *'"standby"'* ]]; then
		pass config_files_accept_standby
	else
		fail config_files_accept_standby "rc $rc '$out', got '$got', dry run after '$again', dump '$dumped'"
	fi
fi

# The intent map by hand (struct xlb_pair_intent: base_weight, op_state,
# factor, health, reason, changed_s, pub_weight, pub_state; 8 x u32), then
# sync: the effective values are recomputed and the table follows.
if tcase a_hand_edited_intent_is_applied_by_sync; then
	# shellcheck disable=SC2046
	bpftool map update pinned "$TOPO_PIN_DIR/xlb_pair_intent" key $(le32 "$B2") value \
		$(le32 30) $(le32 2) $(le32 1000) $(le32 0) $(le32 0) $(le32 0) $(le32 50) $(le32 1)
	stale=$(json 'j[0]["table_stale"]' "$(xlbctl vip list --json)")
	synced=$(xlbctl sync)
	got="$(field "$TOPO_B2_IP4" weight) $(field "$TOPO_B2_IP4" state) $(field "$TOPO_B2_IP4" base_weight)"
	xlbctl backend set "$VIP" "$TOPO_B2_IP4" --weight 50 --state active >/dev/null
	if [[ $synced == "rebuilt 1 table" && $got == "30 draining 30" ]]; then
		pass a_hand_edited_intent_is_applied_by_sync
	else
		fail a_hand_edited_intent_is_applied_by_sync "stale before $stale, sync '$synced', weight/state/base '$got'"
	fi
fi

# A hand edit of xlb_be_weight with no brain opinion becomes the intent.
if tcase a_hand_edited_weight_becomes_the_intent_at_sync; then
	# shellcheck disable=SC2046
	bpftool map update pinned "$TOPO_PIN_DIR/xlb_be_weight" key $(le32 "$B2") value $(le32 70)
	synced=$(xlbctl sync)
	got="$(field "$TOPO_B2_IP4" weight) $(field "$TOPO_B2_IP4" base_weight)"
	xlbctl backend set "$VIP" "$TOPO_B2_IP4" --weight 50 >/dev/null
	if [[ $synced == "rebuilt 1 table" && $got == "70 70" ]]; then
		pass a_hand_edited_weight_becomes_the_intent_at_sync
	else
		fail a_hand_edited_weight_becomes_the_intent_at_sync "sync '$synced', weight/base '$got'"
	fi
fi

if tcase status_states_the_per_cpu_conn_capacity; then
	ncpus=$(nproc --all)
	out=$(xlbctl status)
	per=$(json 'j["limits"]["conn_table_per_cpu"]' "$(xlbctl status --json)")
	if [[ $per == $((4096 / ncpus)) ]] && grep -q "conns .*$per per CPU on $ncpus CPUs" <<<"$out"; then
		pass status_states_the_per_cpu_conn_capacity
	else
		fail status_states_the_per_cpu_conn_capacity "per CPU '$per' ($ncpus CPUs): $out"
	fi
fi

summary
