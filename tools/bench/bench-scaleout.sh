#!/usr/bin/env bash
# Issue 12's benchmark: several xlb hosts behind a router's ECMP route
# (tools/cluster/cluster.sh on the XDP switch segment: no bridge in the
# path). The same bounded sender as the side-by-side packet section
# (build/bench/pktbench send: 60-byte UDP frames, 1,024 flows, one CPU) in
# the client namespace, to the VIP through the router (kernel forwarding,
# fib_multipath_hash_policy=1), the route over 1, 2 and 3 LB hosts in turn,
# round by round; XDP sinks count what reaches the four backends. Then the
# time to withdraw a failed host: BIRD with BFD (3 x 50 ms) on the router
# and every LB host, xlb-announce on each; one host's BIRD and helper
# SIGKILLed (the BGP session's socket closes), and separately its link cut
# (only BFD can tell), timed until the router's route no longer has it.
#
# On this 2-core machine the sender, the router's forwarding and every LB
# host share the cores: the delivered rate is the topology's ceiling, and
# the shares show ECMP using every host; it is not a scaling factor.
#
#   tools/bench/bench-scaleout.sh         3 rounds of 3 s per host count
#   QUICK=1 tools/bench/bench-scaleout.sh 1 round of 1 s
#
# Writes results/bench-scaleout-<UTC time>/ (report.md, samples.csv) and
# prints report.md. Needs root; tears the cluster down however it ends.
# Benchmarks report, they do not pass or fail.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build}
PB=$BUILD/bench/pktbench

if ((EUID != 0)); then
	echo "bench-scaleout: SKIP: needs root for namespaces and XDP"
	exit 0
fi
for bin in "$PB" "$BUILD/xlbctl" "$BUILD/xdp-switch"; do
	if [[ ! -x $bin ]]; then
		echo "bench-scaleout: SKIP: $bin not built (make all)"
		exit 0
	fi
done
ROUNDS=3 SECONDS_PER_RUN=3
[[ ${QUICK:-0} == 0 || -z ${QUICK:-} ]] || ROUNDS=1 SECONDS_PER_RUN=1
FLOWS=1024 FRAME=60 PORT=5353 SENDER_CPU=${SENDER_CPU:-1}

STAMP=$(date -u +%Y%m%d-%H%M%S)
OUT=${BENCH_RESULTS:-results/bench-scaleout-$STAMP}
mkdir -p "$OUT"
OUT=$(readlink -f "$OUT")
CSV=$OUT/samples.csv
echo "section,system,round,metric,value" >"$CSV"
sample() { echo "$1,$2,$3,$4,$5" >>"$CSV"; }
log() { echo "bench-scaleout: $*" >&2; }

# shellcheck source=tools/cluster/cluster.sh
. tools/cluster/cluster.sh
cleanup() {
	cluster_down
	rm -rf "/sys/fs/bpf/xlbbench-$$-"*
}
trap cleanup EXIT
trap 'exit 130' INT TERM
cluster_up --prefix "xc$$" --lbs 3 --backends 4 --segment xdp >/dev/null || {
	log "the cluster did not come up"
	exit 1
}
UDP=$CL_VIP:$PORT/udp
for ((n = 1; n <= CL_LBS; n++)); do
	cluster_xlbctl "$n" vip add "$UDP" >/dev/null || exit 1
	for ((i = 1; i <= CL_BACKENDS; i++)); do
		cluster_xlbctl "$n" backend add "$UDP" "${CL_B_IP[i]}" \
			--mac "${CL_B_MAC[i]}" >/dev/null || exit 1
	done
done
for ((i = 1; i <= CL_BACKENDS; i++)); do
	cluster_exec "b$i" "$PB" sink attach eth0 --port "$PORT" \
		--pin "/sys/fs/bpf/xlbbench-$$-b$i" >/dev/null || {
		log "sink on b$i failed"
		exit 1
	}
done
# The sender's frames go out by XDP_TX: the router's end needs NAPI (an
# XDP program) to take them.
ip -n "$CL_PREFIX-rt" link set dev eth1 xdpdrv obj "$CL_PASS_OBJ" sec xdp

delivered() {
	local i total=0
	for ((i = 1; i <= CL_BACKENDS; i++)); do
		total=$((total + $("$PB" sink read "/sys/fs/bpf/xlbbench-$$-b$i" |
			awk '{ print $2 }')))
	done
	echo "$total"
}
forwarded() {
	cluster_xlbctl "$1" stats --interval 0 --json | /usr/bin/python3 -c \
		'import json, sys; print(json.load(sys.stdin)["global"]["forwarded"])'
}
# send SECONDS [COUNT]: bounded by both. The first send's sender (live
# frames, or AF_PACKET where the kernel refuses them) for all the others.
SENDER=auto
send() {
	cluster_exec cl taskset -c "$SENDER_CPU" "$PB" send eth0 \
		--src-mac "$(_cl_mac 1 2)" --dst-mac "$(_cl_mac 1 1)" \
		--src-ip "$CL_CL_IP" --dst-ip "$CL_VIP" --port "$PORT" \
		--flows "$FLOWS" --size "$FRAME" --seconds "$1" \
		--count "${2:-50000000}" --sender "$SENDER"
}

# One run over the hosts given: delivered rate, loss, each host's share.
rate_round() {
	local hosts=$1 round=$2 n d0 d1 out sent secs label
	local -A f0=()
	# shellcheck disable=SC2086 # host numbers, split on purpose
	cluster_route $hosts
	# the router resolves its next hops
	out=$(send 1 "$FLOWS") && SENDER=${out##* }
	sleep 0.2
	for n in 1 2 3; do f0[$n]=$(forwarded "$n"); done
	d0=$(delivered)
	out=$(send "$SECONDS_PER_RUN")
	sleep 0.2
	d1=$(delivered)
	read -r _ sent _ secs _ <<<"$out"
	label="$(wc -w <<<"$hosts")-hosts"
	/usr/bin/python3 - "$label" "$round" "$sent" "$secs" "$((d1 - d0))" <<'EOF' >>"$CSV"
import sys
label, rnd, sent, secs, dlv = sys.argv[1:]
sent, secs, dlv = int(sent), float(secs), int(dlv)
print(f"rate,{label},{rnd},sent_mpps,{sent / secs / 1e6:.6f}")
print(f"rate,{label},{rnd},delivered_mpps,{dlv / secs / 1e6:.6f}")
print(f"rate,{label},{rnd},loss_pct,{100.0 * (sent - dlv) / max(sent, 1):.3f}")
EOF
	for n in 1 2 3; do
		sample rate "$label" "$round" "lb${n}_forwarded" \
			"$(($(forwarded "$n") - f0[$n]))"
	done
}

for ((r = 1; r <= ROUNDS; r++)); do
	for hosts in "1" "1 2" "1 2 3"; do
		rate_round "$hosts" "$r"
	done
done

# ------------------------------------------------ withdrawal of a failed host
bird_ok=0
command -v bird >/dev/null && command -v birdc >/dev/null && bird_ok=1
wait_hosts() {
	local want=$1 deadline_ns=$(($(date +%s%N) + $2 * 1000000000)) t0=$3
	while (($(date +%s%N) < deadline_ns)); do
		if [[ $(cluster_route_hosts) == "$want" ]]; then
			echo $((($(date +%s%N) - t0) / 1000000))
			return 0
		fi
		sleep 0.01
	done
	return 1
}
announce() {
	cluster_start "ann-lb$1" "lb$1" "$PWD/tools/cluster/xlb-announce" \
		--dev eth0 --vip "$UDP" --birdc-socket "$CL_RUN/bird-lb$1.ctl" \
		--pin-path "${CL_PIN[$1]}" --interval-ms 100 >/dev/null
}
host_up() { cluster_bird_start "lb$1" >/dev/null && announce "$1"; }
kill_lb1() { kill -KILL "$(cluster_pid ann-lb1)" "$(cluster_pid bird-lb1)"; }
restart_lb1() {
	rm -f "$CL_RUN/bird-lb1.pid" "$CL_RUN/ann-lb1.pid"
	host_up 1
}
cut_lb1() { ip -n "$CL_PREFIX-sw" link set lb1 down; }
mend_lb1() { ip -n "$CL_PREFIX-sw" link set lb1 up; }
# withdraw_round KIND ROUND BREAK MEND: the time from BREAK until the route
# is over lb2 and lb3 alone; then MEND, and lb1 announced again.
withdraw_round() {
	local kind=$1 round=$2 t0 gone_ms
	sleep 1 # BFD up again on every session
	t0=$(date +%s%N)
	"$3"
	if gone_ms=$(wait_hosts "2 3" 10 "$t0"); then
		sample withdraw "$kind" "$round" withdraw_ms "$gone_ms"
	else
		log "withdraw $kind round $round: route still over $(cluster_route_hosts)"
	fi
	if ! "$4" || ! wait_hosts "1 2 3" 30 "$(date +%s%N)" >/dev/null; then
		log "lb1 was not announced again after $kind"
		return 1
	fi
}
if ((bird_ok)); then
	cluster_route # only what BGP brings from here on
	cluster_bird_start rt >/dev/null || bird_ok=0
	for n in 1 2 3; do host_up "$n" || bird_ok=0; done
	if ((bird_ok)) && wait_hosts "1 2 3" 30 "$(date +%s%N)" >/dev/null; then
		for ((r = 1; r <= ROUNDS; r++)); do
			withdraw_round killed-host "$r" kill_lb1 restart_lb1 || break
			withdraw_round link-cut "$r" cut_lb1 mend_lb1 || break
		done
	else
		log "BGP did not converge: $(cluster_birdc rt show protocols | tr '\n' ' ')"
	fi
fi

# ------------------------------------------------ report
{
	echo "date $(date -u +%FT%TZ)"
	echo "nproc $(nproc)"
	echo "kernel $(uname -r)"
	echo "cpu $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
	echo "rounds $ROUNDS"
	echo "seconds $SECONDS_PER_RUN"
	echo "flows $FLOWS"
	echo "frame $FRAME"
	echo "sender_cpu $SENDER_CPU"
	echo "sender $SENDER"
	echo "bird $( ((bird_ok)) && bird --version 2>&1 | awk '{ print $NF; exit }' || echo absent)"
	echo "git $(git rev-parse --short HEAD)"
} >"$OUT/env.txt"
/usr/bin/python3 - "$OUT" <<'EOF' >"$OUT/report.md"
import csv, statistics, sys
out = sys.argv[1]
env = dict(l.rstrip("\n").split(" ", 1) for l in open(f"{out}/env.txt") if " " in l)
rows = list(csv.DictReader(open(f"{out}/samples.csv")))
def vals(section, system, metric):
    return [float(r["value"]) for r in rows
            if (r["section"], r["system"], r["metric"]) == (section, system, metric)]
def fmt(v, d=2):
    if not v:
        return "n/a"
    return f"{statistics.median(v):.{d}f} ({min(v):.{d}f}–{max(v):.{d}f})"
print(f"# Scale-out benchmark, {env.get('date')}")
print()
print(f"On: nproc {env.get('nproc')}, kernel {env.get('kernel')}, CPU {env.get('cpu')}; "
      f"git {env.get('git')}. Three LB hosts (xlb l2dsr, native XDP) and four "
      "backends on the XDP switch segment, a router (kernel forwarding, ECMP, "
      "fib_multipath_hash_policy=1) between them and the client. Sender: "
      f"pktbench send ({'AF_PACKET: this kernel refused live frames' if env.get('sender') == 'packet' else 'live frames'}), {env.get('frame')}-byte UDP frames, "
      f"{env.get('flows')} flows, pinned to CPU {env.get('sender_cpu')}, "
      f"{env.get('seconds')} s a run, {env.get('rounds')} round{'' if env.get('rounds') == '1' else 's'} with the host "
      "counts interleaved; XDP sinks count what reaches the backends. Median "
      "(min–max) of the rounds. Every hop shares this machine's cores: the "
      "delivered rate is the topology's ceiling, not a scaling factor.")
print()
print("| LB hosts in the route | sent Mpps | delivered Mpps | loss % | share of forwarded packets per host |")
print("|---|---|---|---|---|")
for n in (1, 2, 3):
    label = f"{n}-hosts"
    fw = [statistics.median(vals("rate", label, f"lb{h}_forwarded") or [0]) for h in (1, 2, 3)]
    total = sum(fw) or 1
    shares = " / ".join(f"lb{h} {100 * fw[h - 1] / total:.0f}%" for h in (1, 2, 3))
    print(f"| {n} | {fmt(vals('rate', label, 'sent_mpps'), 3)} | "
          f"{fmt(vals('rate', label, 'delivered_mpps'), 3)} | "
          f"{fmt(vals('rate', label, 'loss_pct'), 2)} | {shares} |")
print()
if env.get("bird") == "absent":
    print("Withdrawal: SKIP: BIRD 2 is not installed (make deps installs bird2).")
else:
    print(f"Withdrawal of a failed host (BIRD {env.get('bird')}, BGP with BFD 3 x 50 ms), "
          "from the failure until the router's route is over lb2 and lb3 alone:")
    print()
    print("| failure of lb1 | withdrawn after ms | rounds |")
    print("|---|---|---|")
    for kind, what in (("killed-host", "BIRD and xlb-announce SIGKILLed (the BGP socket closes)"),
                       ("link-cut", "its link cut (BFD alone detects it)")):
        w = vals("withdraw", kind, "withdraw_ms")
        print(f"| {what} | {fmt(w, 0)} | {len(w)} |")
EOF
cat "$OUT/report.md"
echo "bench-scaleout: results in $OUT"
