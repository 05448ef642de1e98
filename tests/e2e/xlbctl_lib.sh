# shellcheck shell=bash
# shellcheck disable=SC2119 # topo_down takes an optional prefix, unused here
# What the xlbctl end-to-end tests share: sourced by tests/e2e/xlbctl_*.sh
# (not executable, so tests/run.sh does not run it as a test). It moves to
# the top of the repository; the script's $1 is the FILTER.
#
#   xlbctl_setup NAME [topo_up options]   root check, topology up, trap
#   xlbctl_abort NAME WHY            FAIL NAME, the summary, exit 1
#   xlbctl ARGS...                   build/xlbctl in the LB namespace on the
#                                    topology's pin directory
#   maps_snapshot                    every pinned map but counters and conns,
#                                    the pins and the XDP state of the LB
#   expect_error NAME CODE TEXT CMD...  CMD fails with exit CODE and a
#                                    stderr line "xlbctl: ...TEXT...", and
#                                    maps_snapshot is the same after it
#   json EXPR JSON                   a Python expression over the parsed
#                                    JSON (as j), printed
#   tcase NAME                       whether the FILTER selects test NAME

cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
# shellcheck source=tests/lib/testing.sh
. tests/lib/testing.sh

BUILD=${BUILD:-build}
XLBCTL_BIN=$PWD/$BUILD/xlbctl
PY=/usr/bin/python3
FILTER=${1:-}
XLBCTL_CLEANUPS=()

tcase() { [[ -z $FILTER || $1 == *"$FILTER"* ]]; }

xlbctl() {
	nsenter --net="/run/netns/$TOPO_NS_LB" "$XLBCTL_BIN" \
		--pin-path "$TOPO_PIN_DIR" "$@"
}

# Runs at exit before the topology goes: kill what the test started.
xlbctl_cleanup() {
	local cmd
	for cmd in "${XLBCTL_CLEANUPS[@]}"; do
		eval "$cmd" >/dev/null 2>&1
	done
	topo_down
}

xlbctl_abort() {
	fail "$@"
	summary
	exit 1
}

xlbctl_setup() {
	local name=$1
	shift
	if ((EUID != 0)); then
		skip "$name" "needs root for namespaces, XDP and bpffs"
		summary
		exit 0
	fi
	if [[ ! -x $XLBCTL_BIN || ! -x $BUILD/xlb-backend || ! -x $BUILD/xlb-load ]]; then
		xlbctl_abort "$name" "build/xlbctl, xlb-backend or xlb-load not built (make)"
	fi
	# shellcheck source=tools/topo.sh
	. tools/topo.sh
	trap xlbctl_cleanup EXIT
	trap 'exit 130' INT TERM
	topo_up "$@" >/dev/null || xlbctl_abort "$name" "tools/topo.sh up failed"
}

maps_snapshot() {
	local dir=$TOPO_PIN_DIR m
	for m in xlb_meta xlb_config xlb_prefilter xlb_vips xlb_vip_addrs \
		xlb_tables xlb_backends xlb_be_state xlb_be_weight xlb_pair_intent \
		xlb_vip_digest; do
		echo "== $m"
		bpftool -j map dump pinned "$dir/$m" 2>&1
		echo
	done
	echo "== pins"
	ls "$dir" 2>&1
	echo "== xdp"
	ip -n "$TOPO_NS_LB" -d link show | grep -o 'prog/xdp id [0-9]*'
}

expect_error() {
	local name=$1 code=$2 text=$3 before after out rc
	shift 3
	tcase "$name" || return 0
	before=$(maps_snapshot | md5sum)
	out=$("$@" 2>&1 >/dev/null)
	rc=$?
	after=$(maps_snapshot | md5sum)
	if ((rc != code)); then
		fail "$name" "exit $rc, expected $code: $out"
	elif [[ $out != "xlbctl: "*"$text"* ]]; then
		fail "$name" "message '$out' lacks '$text'"
	elif [[ $(wc -l <<<"$out") != 1 ]]; then
		fail "$name" "more than one line: $out"
	elif [[ $before != "$after" ]]; then
		fail "$name" "the maps changed"
	else
		pass "$name"
	fi
}

json() {
	"$PY" -c 'import json, sys
j = json.loads(sys.argv[2])
print(eval(sys.argv[1]))' "$1" "$2"
}
