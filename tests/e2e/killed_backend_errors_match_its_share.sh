#!/usr/bin/env bash
# A backend's server killed (SIGKILL) with no one telling xlb: b1 stays
# active in the maps, so its share of new connections keeps reaching its
# host, which refuses them. The load tool's errors must be refusals in the
# share b1 had (its weight share, 25%, and the share measured before the
# kill), within ±10 points. This proves the harness injects a fault and
# measures it; healing it is the brain's job (a later issue).
#
#   tests/e2e/killed_backend_errors_match_its_share.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/lib.sh
. "$(dirname "$0")/lib.sh"

NAME=killed_backend_shows_as_refused_connections_in_its_share_of_traffic
# ±10 points is the issue's bound; at n = 2,400 a 25% share has a standard
# deviation of 0.9 points.
BOUND=10

e2e_want "$NAME" || {
	summary
	exit 0
}
e2e_setup --backends 3
e2e_case_begin "$NAME"
vip="$TOPO_VIP4:$E2E_HTTP_PORT/tcp"
url="http://$TOPO_VIP4:$E2E_HTTP_PORT/"
if e2e_attach native && e2e_vip_up "$vip" b1=100 b2=100 b3=200; then
	e2e_load before http "$url" --new-conn --rate 1000 --count 1200
	# No cleanup, no goodbye: the listening socket vanishes with the process.
	# (stderr closed: bash would report the "Killed" job.)
	topo_stop srv-b1 KILL 2>/dev/null
	e2e_load after http "$url" --new-conn --rate 1000 --count 2400
	xlbctl --json backend list >"$E2E_CASE_DIR/backends.json" 2>&1
	e2e_check '
before, after = report(sys.argv[1]), report(sys.argv[2]); bound = float(sys.argv[4])
pairs = json.load(open(sys.argv[3]))
if errors(before): print("errors before the kill: %s" % errors(before))
total, share = shares(before["backends"], ["b1", "b2", "b3"])
b1_before = share["b1"]
kinds = errors(after)
if set(kinds) - {"refused"}: print("errors other than refused: %s" % kinds)
n = after["scheduled"]
err_share = 100.0 * after["errors"]["total"] / n
if after["backends"].get("b1"): print("%d answers from the killed b1" % after["backends"]["b1"])
if after["ok"] + after["errors"]["total"] != n: print("%d ok + %d errors != %d" % (after["ok"], after["errors"]["total"], n))
weight_share = 25.0
for what, want in (("weight share", weight_share), ("share before the kill", b1_before)):
    if abs(err_share - want) > bound:
        print("errors %.1f%% of connections, b1 %s %.1f%% (+-%g)" % (err_share, what, want, bound))
active = [p["state"] for p in pairs if p["address"] == sys.argv[5]]
if active != ["active"]: print("xlb should not know: b1 is %s" % active)
print("info: b1 had %.1f%% of %d connections before the kill (weight share 25%%); after it, "
      "%d of %d connections failed (%.1f%%): %s" % (b1_before, total, after["errors"]["total"], n,
      err_share, kinds))
' "$E2E_CASE_DIR/before.json" "$E2E_CASE_DIR/after.json" \
		"$E2E_CASE_DIR/backends.json" "$BOUND" "$TOPO_B1_IP4"
fi
e2e_case_end "$vip"
summary
