#!/usr/bin/env bash
# Scale-out benchmark: the same bounded UDP sender (xlb-load, 256 flows)
# through the router to the VIP with the ECMP route over 1, 2 and 3 LB
# hosts; prints delivered echoes per second, loss and each host's share of
# the forwarded packets. Prints figures, asserts nothing.
#
#   tools/cluster/bench-scaleout.sh [--rate R] [--duration S]
#       (defaults 20000/s, 3 s; rate at most 200000, duration at most 30)
# On a 2-core machine the sender, the router's forwarding, the bridge and the
# backends share the cores with the LB hosts: the figure is the topology's
# ceiling, not xlb's; the shares show that ECMP uses every host.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
rate=20000 duration=3
while (($#)); do
	case $1 in
	--rate) rate=$2 && shift ;;
	--duration) duration=$2 && shift ;;
	*) echo "bench-scaleout: unknown option '$1'" >&2 && exit 2 ;;
	esac
	shift
done
[[ $rate =~ ^[0-9]+$ ]] && ((rate >= 1 && rate <= 200000)) ||
	{ echo "bench-scaleout: --rate '$rate' is not 1-200000" >&2 && exit 2; }
[[ $duration =~ ^[0-9]+$ ]] && ((duration >= 1 && duration <= 30)) ||
	{ echo "bench-scaleout: --duration '$duration' is not 1-30" >&2 && exit 2; }
((EUID == 0)) || { echo "bench-scaleout: needs root" >&2 && exit 1; }
BUILD=${BUILD:-build}
# shellcheck source=tools/cluster/cluster.sh
. tools/cluster/cluster.sh
trap cluster_down EXIT
trap 'exit 130' INT TERM
cluster_up --prefix "xc$$" --lbs 3 --backends 4 || exit 1
UDP=$CL_VIP:5353/udp
for ((n = 1; n <= CL_LBS; n++)); do
	cluster_xlbctl "$n" vip add "$UDP" >/dev/null || exit 1
	for ((i = 1; i <= CL_BACKENDS; i++)); do
		cluster_xlbctl "$n" backend add "$UDP" "${CL_B_IP[i]}" --mac "${CL_B_MAC[i]}" >/dev/null || exit 1
	done
done
for ((i = 1; i <= CL_BACKENDS; i++)); do
	cluster_start "srv-b$i" "b$i" "$PWD/$BUILD/xlb-backend" --name "b$i" --port 0 \
		--udp-port 5353 --threads 1 >/dev/null
done
sleep 0.5
fwd() { cluster_xlbctl "$1" stats --interval 0 --json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["global"]["forwarded"])'; }

echo "hosts  sent/s  delivered/s  loss%  p99_ms  share per host (forwarded packets)"
for hosts in "1" "1 2" "1 2 3"; do
	# shellcheck disable=SC2086 # host numbers, split on purpose
	cluster_route $hosts
	[[ -n ${BENCH_DEBUG:-} ]] && ip -n "$CL_PREFIX-rt" route show "$CL_VIP/32" >&2
	declare -A b4=()
	for n in 1 2 3; do b4[$n]=$(fwd "$n"); done
	report=$(cluster_exec cl "$PWD/$BUILD/xlb-load" udp "$CL_VIP:5353" --rate "$rate" \
		--duration "$duration" --udp-flows 256 --timeout 1000 --json 2>/dev/null)
	shares=""
	total=0
	[[ -n ${BENCH_DEBUG:-} ]] && for n in 1 2 3; do echo "lb$n before ${b4[$n]} now $(fwd $n)" >&2; done
	for n in 1 2 3; do d[n]=$(($(fwd "$n") - b4[$n])); total=$((total + d[n])); done
	for n in 1 2 3; do shares+=" lb$n:$(((d[n] * 100) / (total > 0 ? total : 1)))%"; done
	/usr/bin/python3 - "$report" "$duration" "$(wc -w <<<"$hosts")" "$shares" <<'PYEOF'
import json, sys
r = json.loads(sys.argv[1]); d = float(sys.argv[2])
sent = r.get("sent", r.get("scheduled", 0)); done = r.get("completed", 0)
lat = r.get("latency_ms", {}) or {}
print("%5s  %6.0f  %11.0f  %5.2f  %6s %s" % (sys.argv[3], sent / d, done / d,
      100.0 * (sent - done) / sent if sent else 0, lat.get("p99", "-"), sys.argv[4]))
PYEOF
done
