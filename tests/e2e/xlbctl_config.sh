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

summary
