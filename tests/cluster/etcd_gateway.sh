#!/usr/bin/env bash
# xlbd's etcd codec (user/xlbd/cluster_etcd.c) against a three-member etcd
# on loopback inside a namespace of its own: put/range of a VIP document,
# leases, the create-revision election, takeover within the lease TTL when
# the leader stops renewing. Usage: etcd_gateway.sh [FILTER]
cd "$(dirname "${BASH_SOURCE[0]}")/../.." || exit 1
# shellcheck source=tests/lib/testing.sh
. tests/lib/testing.sh

BUILD=${BUILD:-build}
FILTER=${1:-}
TTL=2
NS=xlbetcd-$$
BIN=$BUILD/tests/helpers/etcd_gateway_test

if [[ -n $FILTER && etcd_gateway != *"$FILTER"* && $FILTER != etcd* ]]; then
	exit 0
fi
if ((EUID != 0)); then
	skip etcd_gateway "needs root (network namespace)"
	exit 0
fi
if ! command -v etcd >/dev/null; then
	skip etcd_gateway "no etcd (make deps installs etcd-server)"
	exit 0
fi
[[ -x $BIN ]] || make -s "$BIN" || exit 1

DIR=$(mktemp -d /tmp/xlbetcd.XXXXXX)
PIDS=()
cleanup() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "$DIR"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up

cluster=""
for i in 1 2 3; do
	cluster+="${cluster:+,}m$i=http://127.0.0.1:$((2380 + i * 10))"
done
for i in 1 2 3; do
	ip netns exec "$NS" etcd --name "m$i" --data-dir "$DIR/m$i" \
		--listen-peer-urls "http://127.0.0.1:$((2380 + i * 10))" \
		--initial-advertise-peer-urls "http://127.0.0.1:$((2380 + i * 10))" \
		--listen-client-urls "http://127.0.0.1:$((2379 + i * 10))" \
		--advertise-client-urls "http://127.0.0.1:$((2379 + i * 10))" \
		--initial-cluster "$cluster" --initial-cluster-state new \
		--initial-cluster-token "$NS" >"$DIR/m$i.log" 2>&1 &
	PIDS+=($!)
done
URL=http://127.0.0.1:2389
for _ in $(seq 100); do
	ip netns exec "$NS" curl -sf -m 1 "$URL/health" 2>/dev/null |
		grep -q '"health":"true"' && break
	sleep 0.1
done
if ! ip netns exec "$NS" curl -sf -m 1 "$URL/health" | grep -q '"health":"true"'; then
	fail etcd_gateway "three members not healthy in 10 s: $(tail -3 "$DIR/m1.log")"
	exit 1
fi
echo "# $(etcd --version | head -1), 3 members in $NS"
out=$(ip netns exec "$NS" "$BIN" "$URL" "$TTL")
rc=$?
echo "$out"
# shellcheck disable=SC2034 # read by summary (testing.sh)
T_PASSED=$(grep -c '^PASS' <<<"$out")
T_FAILED=$(grep -c '^FAIL' <<<"$out")
((rc == 0 && T_FAILED == 0)) || T_FAILED=$((T_FAILED > 0 ? T_FAILED : 1))
summary
