#!/usr/bin/env bash
# xlbctl upgrade: a new build of the program replaces the running one through
# bpf_link_update, reusing every pinned map.
#   - under load (60 long-lived TCP connections and open-loop new
#     connections), two upgrades (the built-in object, then the object file
#     from the build): 0 resets, 0 failed requests, no gap over 200 ms, the
#     program id changes and every map id stays; in generic mode also 0
#     retransmissions on the 60 (each socket's own count: the client's
#     whole count, reported, also holds the new connections' handshakes,
#     which a busy backend's listen queue may drop). In native
#     mode on veth the swap costs a burst of retransmissions (about 130 in
#     one run, a 130 ms gap) that a dry run (load and verify only) and
#     generic mode do not: the driver's, reported here as a figure;
#   - --dry-run, an object of another layout, an object that is not xlb and
#     an interface xlb is not attached to are refused or change nothing: the
#     maps dump the same and the program id stays;
#   - pins and program of the oldest layout this xlbctl migrates (an xlbctl
#     built from the repository's history made them) are migrated in place
#     under load: 0 resets, 0 failed requests, counters carried over.
#
#   tests/e2e/xlbctl_upgrade.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

OBJ=$E2E_REPO/$E2E_BUILD/bpf/xlb.bpf.o
FLOOR_OBJ=$E2E_REPO/$E2E_BUILD/tools/bench/floor_fwd.bpf.o
LOAD_CASE=upgrade_under_load_keeps_every_connection_request_and_map
REFUSE_CASE=refused_or_dry_run_upgrade_changes_nothing

prog_id() { ip -n "$TOPO_NS_LB" -d link show dev "$TOPO_IFNAME" | grep -o 'prog/xdp id [0-9]*' | awk '{print $3}'; }

map_id() { bpftool -j map show pinned "$1" | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }

map_ids() {
	local m
	for m in "$TOPO_PIN_DIR"/xlb_*; do
		printf '%s %s\n' "${m##*/}" "$(map_id "$m")"
	done
}

# Program $1 (the attached one) may use no map but the instance's pins and
# its own .rodata and .kconfig: the prefilter's data section must be the
# pinned xlb_prefilter, handed over by the loader.
check_program_maps() {
	local pinned id name extra=""
	pinned=$(map_ids | awk '{print $2}')
	id=$(bpftool -j prog show id "$1" | "$E2E_PY" -c 'import json,sys; print(*json.load(sys.stdin).get("map_ids", ["none"]))')
	for id in $id; do
		grep -qx "$id" <<<"$pinned" && continue
		name=$(bpftool -j map show id "$id" 2>/dev/null | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin).get("name", "?"))' 2>/dev/null)
		[[ $name == *.rodata || $name == *.kconfig ]] || extra+=" ${name:-map $id}"
	done
	[[ -z $extra ]] || e2e_problem "program $1 uses maps that are not the instance's pins:$extra"
}

# The load every upgrade runs under: 60 long-lived echo connections (the
# stream report, in E2E_BG_PID) and 300 new HTTP connections per second
# for 5 s (http.json, in HTTP_PID); returns once the 60 are open.
start_upgrade_load() {
	local before
	before=$(e2e_echo_open)
	e2e_load_bg stream stream "$TOPO_VIP4:$E2E_ECHO_PORT" \
		--connections 60 --interval 20 --duration 6 --max-gap-ms 200
	topo_exec cl "$E2E_LOAD" http "http://$TOPO_VIP4:$E2E_HTTP_PORT/" --new-conn \
		--rate 300 --duration 5 --json >"$E2E_CASE_DIR/http.json" 2>"$E2E_CASE_DIR/http.err" &
	HTTP_PID=$!
	e2e_wait_stream_open 60 "$before"
	sleep 1
}

# Every map but the connection table (which traffic changes), and the pins.
maps_snapshot() {
	local m
	for m in "$TOPO_PIN_DIR"/xlb_*; do
		[[ ${m##*/} == xlb_conns ]] && continue
		echo "== ${m##*/}"
		bpftool -j map dump pinned "$m" 2>&1 | sed 's/"inner_map_id": [0-9]*/"inner_map_id": N/g'
	done
	ls "$TOPO_PIN_DIR"
}

# An xlb object that says it was built for layout 99: map shapes all match.
other_layout_obj() {
	local out=$1 sec off value
	cp "$OBJ" "$out"
	read -r sec value < <(readelf -sW "$OBJ" | awk '$8 == "xlb_layout_version" {print $7, $2}')
	off=$(readelf -SW "$OBJ" | sed -n "s/^ *\[ *$sec\] *[^ ]* *PROGBITS *[0-9a-f]* *\([0-9a-f]*\) .*/\1/p")
	[[ -n $off && -n $value ]] || return 1
	printf '\x63\x00\x00\x00' | dd of="$out" bs=1 seek=$((0x$off + 0x$value)) conv=notrunc status=none
}

load_case() {
	local mode=$1 vip_echo="$TOPO_VIP4:$E2E_ECHO_PORT/tcp" vip_http="$TOPO_VIP4:$E2E_HTTP_PORT/tcp"
	local retrans0 retrans1 ids0 ids1 prog0 prog1 prog2
	e2e_want "${LOAD_CASE}_$mode" || return 0
	e2e_case_begin "${LOAD_CASE}_$mode"
	if e2e_vip_up "$vip_echo" b1=100 b2=100 b3=100 && e2e_vip_up "$vip_http" b1=100 b2=100 b3=100; then
		ids0=$(map_ids)
		prog0=$(prog_id)
		retrans0=$(e2e_tcp_retrans)
		start_upgrade_load
		e2e_xlbctl upgrade >/dev/null
		prog1=$(prog_id)
		check_program_maps "$prog1"
		sleep 1
		e2e_xlbctl upgrade "$TOPO_IFNAME" --obj "$OBJ" >/dev/null
		prog2=$(prog_id)
		check_program_maps "$prog2"
		wait "$E2E_BG_PID"
		wait "$HTTP_PID"
		retrans1=$(e2e_tcp_retrans)
		ids1=$(map_ids)
		[[ $prog1 != "$prog0" && $prog2 != "$prog1" && -n $prog2 ]] ||
			e2e_problem "program ids $prog0 -> $prog1 -> $prog2: not replaced twice"
		[[ $ids0 == "$ids1" ]] || e2e_problem "map ids changed: $(diff <(echo "$ids0") <(echo "$ids1") | tr '\n' ' ')"
		e2e_check '
s, h = report(sys.argv[1]), report(sys.argv[2]); retrans = int(sys.argv[4]) - int(sys.argv[3])
conns = s.get("connections", [])
if len(conns) != 60: print("%d of 60 connections" % len(conns))
if s["connection_ends"] != {"ok": 60}: print("connection ends %s" % s["connection_ends"])
if errors(s): print("stream errors %s" % errors(s))
if s["gaps_over_threshold"]: print("%d gaps over 200 ms" % s["gaps_over_threshold"])
if h["ok"] != h["scheduled"] or errors(h): print("new connections: %d of %d ok, errors %s" % (h["ok"], h["scheduled"], errors(h)))
stream_retrans = sum(c.get("retransmits", 0) for c in conns)
if stream_retrans and sys.argv[5] == "generic":
    print("the 60 connections retransmitted %d TCP segments" % stream_retrans)
print("info: %d messages on 60 connections, longest gap %.1f ms, retransmissions %d; %d new connections ok;"
      " the client retransmitted %d in all" % (sum(c["echoed"] for c in conns), s["max_gap_ms"],
      stream_retrans, h["ok"], retrans))
' "$E2E_CASE_DIR/stream.json" "$E2E_CASE_DIR/http.json" "$retrans0" "$retrans1" "$mode"
		e2e_note "program $prog0 -> $prog1 -> $prog2, map ids unchanged"
	fi
	e2e_case_end "$vip_echo" "$vip_http"
}

# expect_refused WHY ARGS...: xlbctl upgrade ARGS fails and says WHY.
expect_refused() {
	local why=$1 out rc
	shift
	out=$(xlbctl upgrade "$@" 2>&1)
	rc=$?
	((rc != 0)) || e2e_problem "xlbctl upgrade $* succeeded; expected a refusal ($why)"
	grep -q -- "$why" <<<"$out" || e2e_problem "xlbctl upgrade $* said '$out', not '$why'"
}

refuse_case() {
	local vip="$TOPO_VIP4:$E2E_HTTP_PORT/tcp" snap0 snap1 prog0 prog1 bad
	e2e_want "$REFUSE_CASE" || return 0
	e2e_case_begin "$REFUSE_CASE"
	bad=$E2E_CASE_DIR/layout99.bpf.o
	if ! other_layout_obj "$bad"; then
		e2e_problem "could not make the layout-99 object from $OBJ"
	elif e2e_vip_up "$vip" b1=100 b2=200; then
		snap0=$(maps_snapshot)
		prog0=$(prog_id)
		e2e_xlbctl upgrade --dry-run >/dev/null
		expect_refused "built for layout version 99" --obj "$bad"
		expect_refused "has no program xlb_xdp" --obj "$FLOOR_OBJ"
		expect_refused "open the BPF object" --obj /nonexistent.bpf.o
		expect_refused "not attached to nosuchdev" nosuchdev
		snap1=$(maps_snapshot)
		prog1=$(prog_id)
		[[ $prog0 == "$prog1" ]] || e2e_problem "program id $prog0 -> $prog1 after refusals"
		[[ $snap0 == "$snap1" ]] || e2e_problem "maps changed: $(diff <(echo "$snap0") <(echo "$snap1") | head -5 | tr '\n' ' ')"
	fi
	e2e_case_end "$vip"
}

# The xlbctl of layout N, built from this repository's history (the tree
# just before the commit that made the layout N + 1) into DIR; its path on
# stdout. Fails without the history (a tarball, a shallow clone).
old_xlbctl() {
	local n=$1 dir=$2 c v
	for c in $(git -C "$E2E_REPO" log --format=%H -G'#define XLB_LAYOUT_VERSION' -- headers/xlb_limits.h 2>/dev/null); do
		v=$(git -C "$E2E_REPO" show "$c:headers/xlb_limits.h" | awk '$2 == "XLB_LAYOUT_VERSION" {print $3}')
		[[ $v == $((n + 1)) ]] || continue
		git -C "$E2E_REPO" archive "$c^" | tar -x -C "$dir" || return 1
		make -C "$dir" -j"$(nproc)" build/xlbctl >"$dir/build.log" 2>&1 || return 1
		echo "$dir/build/xlbctl"
		return 0
	done
	return 1
}

# Pins made by the xlbctl of the oldest layout this one migrates, its
# program forwarding 60 long-lived connections and open-loop new ones:
# xlbctl upgrade migrates them in place, every step of the chain, and
# nothing breaks: 0 resets, 0 failed requests, the connection table the
# same map, the global counters carried over exactly (sum of the pairs'
# packets, a map the migration keeps, equals the global forwarded count).
# Before it, this xlbctl refuses the old pins with a pointer to upgrade,
# and a dry run says what it would do and changes nothing.
migrate_case() {
	local name=upgrade_migrates_older_pins_keeping_every_connection
	local from old dir vip_echo="$TOPO_VIP4:$E2E_ECHO_PORT/tcp" vip_http="$TOPO_VIP4:$E2E_HTTP_PORT/tcp"
	local out conns0 conns1 snap0 snap1 stats
	e2e_want "$name" || return 0
	from=$(xlbctl --json version | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)["migrates_from_layout"])')
	if [[ $from == "$(xlbctl --json version | "$E2E_PY" -c 'import json,sys; print(json.load(sys.stdin)["layout_version"])')" ]]; then
		skip "$name" "this xlbctl knows no migration"
		return 0
	fi
	dir=$(mktemp -d /tmp/xlb-layout$from.XXXXXX)
	if ! old=$(old_xlbctl "$from" "$dir"); then
		skip "$name" "needs this repository's git history to build the layout-$from xlbctl"
		rm -rf "$dir"
		return 0
	fi
	e2e_case_begin "$name"
	oldctl() { topo_exec lb "$old" --pin-path "$TOPO_PIN_DIR" "$@"; }
	if ! oldctl attach "$TOPO_IFNAME" --mode native --conn-table-size 65536 >/dev/null ||
		! oldctl vip add "$vip_echo" >/dev/null || ! oldctl vip add "$vip_http" >/dev/null; then
		e2e_problem "the layout-$from xlbctl could not attach or add the VIPs"
	fi
	for node in b1 b2 b3; do
		oldctl backend add "$vip_echo" "$(e2e_node_addr "$vip_echo" "$node")" >/dev/null &&
			oldctl backend add "$vip_http" "$(e2e_node_addr "$vip_http" "$node")" >/dev/null ||
			e2e_problem "the layout-$from xlbctl could not add $node"
	done
	out=$(xlbctl vip list 2>&1) && e2e_problem "this xlbctl read layout-$from pins: $out"
	grep -q "have layout version $from.*xlbctl upgrade migrates them" <<<"$out" ||
		e2e_problem "refusal of the old pins said: $out"
	snap0=$(maps_snapshot)
	out=$(xlbctl upgrade --dry-run 2>&1) || e2e_problem "dry run: $out"
	grep -q "would migrate layout $from to" <<<"$out" || e2e_problem "dry run said: $out"
	snap1=$(maps_snapshot)
	[[ $snap0 == "$snap1" ]] || e2e_problem "the dry run changed the maps"
	conns0=$(map_id "$TOPO_PIN_DIR/xlb_conns")
	start_upgrade_load
	out=$(xlbctl upgrade 2>&1) || e2e_problem "upgrade: $out"
	e2e_note "$(head -n 1 <<<"$out")"
	wait "$E2E_BG_PID"
	wait "$HTTP_PID"
	conns1=$(map_id "$TOPO_PIN_DIR/xlb_conns")
	[[ $conns0 == "$conns1" ]] || e2e_problem "the connection table was replaced ($conns0 -> $conns1)"
	stats=$(xlbctl --json stats --interval 0 2>&1) || e2e_problem "stats after the migration: $stats"
	e2e_check '
s, h = report(sys.argv[1]), report(sys.argv[2])
v = json.loads(sys.argv[3])
out, frm = sys.argv[4], sys.argv[5]
conns = s.get("connections", [])
if len(conns) != 60: print("%d of 60 connections" % len(conns))
if s["connection_ends"] != {"ok": 60}: print("connection ends %s" % s["connection_ends"])
if errors(s): print("stream errors %s" % errors(s))
if h["ok"] != h["scheduled"] or errors(h): print("new connections: %d of %d ok, errors %s" % (h["ok"], h["scheduled"], errors(h)))
if "layout %s migrated to" % frm not in out: print("upgrade said: %s" % out)
pairs = sum(b["packets"] for x in v["vips"] for b in x["backends"])
fwd = v["global"]["forwarded"]
if pairs != fwd: print("global forwarded %d, the pairs forwarded %d: counters lost in the migration" % (fwd, pairs))
print("info: %d messages on 60 connections, longest gap %.1f ms; %d new connections ok; %d packets forwarded"
      % (sum(c["echoed"] for c in conns), s["max_gap_ms"], h["ok"], fwd))
' "$E2E_CASE_DIR/stream.json" "$E2E_CASE_DIR/http.json" "$stats" "$out" "$from"
	out=$(xlbctl settings --json 2>&1)
	grep -q '"gue_port": *6080' <<<"$out" || e2e_problem "settings after the migration: $out"
	e2e_case_end "$vip_echo" "$vip_http"
	# Not migrated (a failure): only the old xlbctl removes old pins.
	xlbctl detach --all >/dev/null 2>&1 || oldctl detach --all >/dev/null 2>&1
	rm -rf "$dir"
}

if ! e2e_want "${LOAD_CASE}_native" && ! e2e_want "${LOAD_CASE}_generic" && ! e2e_want "$REFUSE_CASE" &&
	! e2e_want upgrade_migrates_older_pins_keeping_every_connection; then
	summary
	exit 0
fi
e2e_setup --backends 3
for mode in native generic; do
	E2E_WHY=()
	if ! e2e_attach "$mode"; then
		fail "xlb_attaches_for_upgrade_$mode" "${E2E_WHY[*]}"
		continue
	fi
	load_case "$mode"
	[[ $mode == native ]] && refuse_case
	e2e_detach_all
done
migrate_case
summary
