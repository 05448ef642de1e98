# shellcheck shell=bash
# What the cluster tests share: sourced by tests/cluster/*.sh (not
# executable, so tests/run.sh does not run it). Moves to the top of the
# repository; the script's $1 is the FILTER.
#
#   cluster_test_setup NAME [cluster_up options]   root check, cluster, trap
#   tcase NAME            whether the FILTER selects test NAME
#   lb_counters N         "forwarded nonsyn_misses" of LB host N (totals)
#   digests N             the VIP table digests of LB host N and its seed
#   conns_open N          start tests/cluster/conn_client.py with N
#                         connections to the VIP (coprocess CONN; not in
#                         a $(...)); its first line in OPENED
#   conns_round           one GET on every connection; prints its JSON line
#   json EXPR JSON        a Python expression over the parsed JSON (as j)

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
# shellcheck source=tests/lib/testing.sh
. tests/lib/testing.sh
# shellcheck source=tools/cluster/cluster.sh
. tools/cluster/cluster.sh

BUILD=${BUILD:-build}
PY=/usr/bin/python3
FILTER=${1:-}
CLUSTER_CLEANUPS=()

tcase() { [[ -z $FILTER || $1 == *"$FILTER"* ]]; }

json() { "$PY" -c 'import json,sys; j=json.loads(sys.argv[2]); print(eval(sys.argv[1]))' "$1" "$2"; }

cluster_test_cleanup() {
	local cmd
	for cmd in "${CLUSTER_CLEANUPS[@]}"; do
		eval "$cmd" >/dev/null 2>&1
	done
	[[ -n ${CONN_PID:-} ]] && kill "$CONN_PID" 2>/dev/null
	cluster_down
}

cluster_test_setup() {
	local name=$1 i
	shift
	if ((EUID != 0)); then
		skip "$name" "needs root for namespaces, XDP and bpffs"
		summary
		exit 0
	fi
	if [[ ! -x $BUILD/xlbctl || ! -x $BUILD/xlb-backend ]]; then
		fail "$name" "build/xlbctl or build/xlb-backend not built (make)"
		summary
		exit 1
	fi
	trap cluster_test_cleanup EXIT
	trap 'exit 130' INT TERM
	cluster_up --prefix "xc$$" "$@" || {
		fail "$name" "tools/cluster/cluster.sh up failed"
		summary
		exit 1
	}
	for ((i = 1; i <= CL_BACKENDS; i++)); do
		cluster_start "srv-b$i" "b$i" "$PWD/$BUILD/xlb-backend" --name "b$i" \
			--port "$CL_PORT" --threads 2 >/dev/null
	done
	for ((i = 0; i < 50; i++)); do
		cluster_exec b1 ss -Htln "sport = :$CL_PORT" | grep -q . && break
		sleep 0.1
	done
}

lb_counters() {
	json '"%d %d" % (j["global"]["forwarded"], j["global"]["nonsyn_misses"])' \
		"$(cluster_xlbctl "$1" stats --interval 0 --json)"
}

digests() {
	local n=$1
	bpftool -j map dump pinned "${CL_PIN[n]}/xlb_vip_digest" |
		"$PY" -c 'import json,sys; print(json.dumps([e.get("value") for e in json.load(sys.stdin)], sort_keys=True))'
	json 'j.get("hash_seed")' "$(cluster_xlbctl "$n" status --json)"
}

conns_open() {
	coproc CONN { nsenter --net="/run/netns/$CL_PREFIX-cl" -- "$PY" \
		tests/cluster/conn_client.py "$CL_VIP" "$CL_PORT" "$1"; }
	OPENED=""
	# shellcheck disable=SC2034 # read by the tests
	read -r -t 15 OPENED <&"${CONN[0]}"
}

conns_round() {
	local line
	echo round >&"${CONN[1]}"
	read -r -t 60 line <&"${CONN[0]}" && echo "$line"
}
