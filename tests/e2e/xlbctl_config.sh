#!/usr/bin/env bash
# xlbctl config apply / dump on a live instance: --dry-run changes nothing;
# apply makes the maps match the file and prints the difference; a second
# apply says "no changes"; dump output applies back unchanged (round trip);
# a failure part-way rolls back to the state before; a writer killed
# part-way leaves a state that the next apply of the same file completes;
# an invalid file is refused naming the JSON path, before anything changes.
#
#   tests/e2e/xlbctl_config.sh [FILTER]   run the tests whose name contains it
set -uo pipefail
# shellcheck source=tests/e2e/xlbctl_lib.sh
. "$(dirname "$0")/xlbctl_lib.sh"

xlbctl_setup xlbctl_config --backends 3

TMP=$(mktemp -d /tmp/xlbctl-config.XXXXXX)
XLBCTL_CLEANUPS+=("rm -rf '$TMP'")
V80=$TOPO_VIP4:80/tcp
V53=$TOPO_VIP4:53/udp

if ! xlbctl attach eth0 >/dev/null ||
	! xlbctl vip add "$V80" >/dev/null ||
	! xlbctl backend add "$V80" "$TOPO_B1_IP4" >/dev/null ||
	! xlbctl backend add "$V80" "$TOPO_B2_IP4" >/dev/null; then
	xlbctl_abort xlbctl_config_setup "attach, vip add or backend add failed"
fi

# The target: b1 reweighted, b2 drained, b3 added (MAC from the neighbour
# table), a UDP VIP with its own table size and a MAC given by hand.
cat >"$TMP/target.json" <<EOF
{
  "vips": [
    { "vip": "$V80",
      "backends": [
        { "address": "$TOPO_B1_IP4", "weight": 300 },
        { "address": "$TOPO_B2_IP4", "state": "draining" },
        { "address": "$TOPO_B3_IP4" } ] },
    { "vip": "$V53", "table_size": 1021,
      "backends": [ { "address": "$TOPO_B1_IP4", "weight": 7,
                      "mac": "$TOPO_B1_MAC" } ] }
  ]
}
EOF
xlbctl config dump >"$TMP/start.json"

# The state a dump shows, without ids: what must match after a round trip.
same_state() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
def norm(doc):
    return sorted((v["vip"], v.get("table_size", 65537), sorted(
        (b["address"], b.get("weight", 100), b.get("state", "active"), b.get("mac"))
        for b in v.get("backends", []))) for v in doc["vips"])
a, b = (json.loads(x) for x in sys.argv[1:3])
print("" if norm(a) == norm(b) else "%s != %s" % (norm(a), norm(b)))
EOF
}

if tcase dry_run_prints_the_changes_and_changes_nothing; then
	before=$(maps_snapshot | md5sum)
	out=$(xlbctl config apply "$TMP/target.json" --dry-run 2>&1)
	rc=$?
	after=$(maps_snapshot | md5sum)
	if ((rc == 0)) && [[ $before == "$after" &&
		$out == *"add backend $V80 $TOPO_B3_IP4 weight 100 state active mac (neighbour table)"* &&
		$out == *"set backend $V80 $TOPO_B1_IP4 weight 100 -> 300"* &&
		$out == *"set backend $V80 $TOPO_B2_IP4 state active -> draining"* &&
		$out == *"add vip $V53 table-size 1021"* &&
		$out == *"dry run: 5 changes, none applied" ]]; then
		pass dry_run_prints_the_changes_and_changes_nothing
	else
		fail dry_run_prints_the_changes_and_changes_nothing "exit $rc, maps $([[ $before == "$after" ]] && echo same || echo changed): $out"
	fi
fi

if tcase apply_makes_the_maps_match_the_file; then
	out=$(xlbctl config apply "$TMP/target.json" 2>&1)
	rc=$?
	dump=$(xlbctl config dump)
	# What the dump must show: the file, with the MACs of the segment.
	expected=$("$PY" - "$TMP/target.json" "$TOPO_B1_IP4=$TOPO_B1_MAC" \
		"$TOPO_B2_IP4=$TOPO_B2_MAC" "$TOPO_B3_IP4=$TOPO_B3_MAC" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
macs = dict(a.split("=") for a in sys.argv[2:])
for v in d["vips"]:
    for b in v["backends"]:
        b.setdefault("mac", macs[b["address"]])
print(json.dumps(d))
EOF
	)
	why=$(same_state "$dump" "$expected")
	stale=$(json 'any(v["table_stale"] for v in j)' "$(xlbctl vip list --json)")
	if ((rc == 0)) && [[ -z $why && $stale == False && $out == *"applied 5 changes" ]]; then
		pass apply_makes_the_maps_match_the_file
	else
		fail apply_makes_the_maps_match_the_file "exit $rc, $why, stale $stale: $out"
	fi
fi

if tcase a_second_apply_changes_nothing; then
	before=$(maps_snapshot | md5sum)
	out=$(xlbctl config apply "$TMP/target.json" 2>&1)
	rc=$?
	after=$(maps_snapshot | md5sum)
	if ((rc == 0)) && [[ $out == "no changes" && $before == "$after" ]]; then
		pass a_second_apply_changes_nothing
	else
		fail a_second_apply_changes_nothing "exit $rc: $out"
	fi
fi

if tcase dump_applies_back_unchanged; then
	xlbctl config dump >"$TMP/dump.json"
	before=$(maps_snapshot | md5sum)
	out=$(xlbctl config apply - <"$TMP/dump.json" 2>&1)
	rc=$?
	after=$(maps_snapshot | md5sum)
	why=$(same_state "$(cat "$TMP/dump.json")" "$(xlbctl config dump)")
	if ((rc == 0)) && [[ $out == "no changes" && $before == "$after" && -z $why ]]; then
		pass dump_applies_back_unchanged
	else
		fail dump_applies_back_unchanged "exit $rc: $out $why"
	fi
fi

if tcase invalid_file_is_refused_before_anything_changes; then
	sed 's/"weight": 7/"weight": 20000/' "$TMP/target.json" >"$TMP/bad.json"
	expect_error invalid_file_is_refused_before_anything_changes 1 \
		"config apply $TMP/bad.json: vips[1].backends[0].weight: 20000 is out of range [0, 10000]" \
		xlbctl config apply "$TMP/bad.json"
fi

# Back to the start through a failure at the third change: rolled back.
if tcase failure_part_way_rolls_back; then
	before=$(xlbctl config dump)
	out=$(XLB_FAILPOINT_APPLY=fail:2 xlbctl config apply "$TMP/start.json" 2>&1)
	rc=$?
	why=$(same_state "$before" "$(xlbctl config dump)")
	stale=$(json 'any(v["table_stale"] for v in j)' "$(xlbctl vip list --json)")
	if ((rc == 5)) && [[ -z $why && $stale == False && $out == *"failpoint"*"(rolled back to the state before)" ]]; then
		pass failure_part_way_rolls_back
	else
		fail failure_part_way_rolls_back "exit $rc, $why, stale $stale: $out"
	fi
fi

# Killed after two changes: the next apply of the same file finishes.
if tcase kill_part_way_is_completed_by_the_next_apply; then
	XLB_FAILPOINT_APPLY=kill:2 xlbctl config apply "$TMP/start.json" >"$TMP/killed.out" 2>&1
	rc_killed=$?
	out=$(xlbctl config apply "$TMP/start.json" 2>&1)
	rc=$?
	why=$(same_state "$(cat "$TMP/start.json")" "$(xlbctl config dump)")
	again=$(xlbctl config apply "$TMP/start.json" 2>&1)
	if ((rc_killed == 137 && rc == 0)) && [[ -z $why && $out == *"applied"* && $again == "no changes" ]]; then
		pass kill_part_way_is_completed_by_the_next_apply
	else
		fail kill_part_way_is_completed_by_the_next_apply "killed exit $rc_killed, then exit $rc: $out; $why; again: $again"
	fi
fi

# Killed after the last change, before the tables: the next apply has no
# change left but rebuilds the stale table.
if tcase kill_before_the_rebuild_leaves_stale_tables_the_next_apply_rebuilds; then
	XLB_FAILPOINT_APPLY=kill:5 xlbctl config apply "$TMP/target.json" >/dev/null 2>&1
	rc_killed=$?
	stale=$(json 'sum(v["table_stale"] for v in j)' "$(xlbctl vip list --json)")
	out=$(xlbctl config apply "$TMP/target.json" 2>&1)
	after=$(json 'sum(v["table_stale"] for v in j)' "$(xlbctl vip list --json)")
	if ((rc_killed == 137)) && [[ $stale -ge 1 && $out == "no changes; rebuilt $stale stale table"* && $after == 0 ]]; then
		pass kill_before_the_rebuild_leaves_stale_tables_the_next_apply_rebuilds
	else
		fail kill_before_the_rebuild_leaves_stale_tables_the_next_apply_rebuilds "killed exit $rc_killed, stale $stale then $after: $out"
	fi
fi


# The pairs' copies of their VIP's mode, as the data plane reads them:
# "ADDRESS=MODE ..." of every pair in use (mode: flags bits 4-5).
pair_modes() {
	bpftool -j map dump pinned "$TOPO_PIN_DIR/xlb_backends" | "$PY" -c '
import ipaddress, json, sys
out = []
for e in json.load(sys.stdin):
    v = e["formatted"]["value"]
    if v["flags"] & 1:
        a = ipaddress.IPv4Address(v["addr"]["v4"].to_bytes(4, "little"))
        out.append("%s=%d" % (a, (v["flags"] >> 4) & 3))
print(" ".join(sorted(out)))'
}

# FILE's VIPs in mode ipip with backend ADDRESS removed (op del) or added.
edit_ipip() {
	"$PY" - "$@" <<'PYEOF'
import json, sys
path, op, addr = sys.argv[1:4]
d = json.load(open(path))
for v in d["vips"]:
    if v.get("forward") == "ipip":
        v["backends"] = [b for b in v["backends"] if b["address"] != addr]
        if op == "add":
            v["backends"].append({"address": addr})
print(json.dumps(d))
PYEOF
}

# A VIP's mode changed in place, by vip set and by config apply: its pairs
# follow; a backend added while it tunnels needs no ARP; turning l2dsr,
# such a backend's MAC comes from the neighbour table before the mode
# changes, and a backend the segment lacks stops it with nothing changed.
if tcase forward_mode_changes_in_place_and_l2dsr_resolves_macs_first; then
	why=""
	xlbctl config apply "$TMP/target.json" >/dev/null 2>&1 || why+="applying the target failed; "
	out=$(xlbctl vip set "$V80" --forward ipip 2>&1) || why+="vip set ipip: $out; "
	[[ $out == *"set vip $V80 forward ipip"*"applied 1 change" ]] || why+="vip set ipip said: $out; "
	modes=$(pair_modes)
	[[ $modes == *"$TOPO_B1_IP4=1"* && $modes == *"$TOPO_B3_IP4=1"* && $modes == *"$TOPO_B1_IP4=0"* ]] ||
		why+="pairs after vip set ipip: $modes; "
	# b3 again, added while the VIP tunnels, and a backend off the segment.
	xlbctl config dump >"$TMP/ipip.json"
	edit_ipip "$TMP/ipip.json" del "$TOPO_B3_IP4" >"$TMP/ipip1.json"
	xlbctl config apply "$TMP/ipip1.json" >/dev/null 2>&1 || why+="removing b3 failed; "
	edit_ipip "$TMP/ipip1.json" add "$TOPO_B3_IP4" >"$TMP/ipip2.json"
	edit_ipip "$TMP/ipip2.json" add 192.0.2.50 >"$TMP/ipip3.json"
	out=$(xlbctl config apply "$TMP/ipip3.json" 2>&1) || why+="adding under ipip: $out; "
	[[ $out == *"add backend $V80 192.0.2.50 weight 100 state active mac none (tunnelled)"* ]] ||
		why+="adding under ipip said: $out; "
	dump=$(xlbctl config dump)
	[[ $(json '[b.get("mac") for v in j["vips"] for b in v["backends"] if b["address"] == "192.0.2.50"]' "$dump") == "[None]" ]] ||
		why+="a tunnelled backend's dump shows a MAC: $dump; "
	before=$(maps_snapshot | md5sum)
	out=$(xlbctl vip set "$V80" --forward l2dsr --neigh-timeout 0.3 2>&1)
	rc=$?
	after=$(maps_snapshot | md5sum)
	[[ $rc != 0 && $out == *"192.0.2.50"* && $after == "$before" ]] ||
		why+="l2dsr with a backend off the segment: exit $rc, maps $([[ $after == "$before" ]] && echo same || echo changed): $out; "
	xlbctl config apply "$TMP/ipip2.json" >/dev/null 2>&1 || why+="removing 192.0.2.50 failed; "
	out=$(xlbctl vip set "$V80" --forward l2dsr 2>&1) || why+="vip set l2dsr: $out; "
	[[ $out == *"set backend $V80 $TOPO_B3_IP4 mac none -> $TOPO_B3_MAC"*"set vip $V80 forward l2dsr"* ]] ||
		why+="vip set l2dsr said: $out; "
	modes=$(pair_modes)
	[[ $modes != *"=1"* ]] || why+="pairs after l2dsr: $modes; "
	dump=$(xlbctl config dump)
	[[ $dump != *'"forward"'* && $(json '[b["mac"] for v in j["vips"] for b in v["backends"] if b["address"] == "'"$TOPO_B3_IP4"'"]' "$dump") == *"$TOPO_B3_MAC"* ]] ||
		why+="dump after l2dsr: $dump; "
	if [[ -z $why ]]; then
		pass forward_mode_changes_in_place_and_l2dsr_resolves_macs_first
	else
		fail forward_mode_changes_in_place_and_l2dsr_resolves_macs_first "$why"
	fi
fi

summary
