#!/usr/bin/env bash
# ipip end to end: backends in another subnet behind a router, reached by
# IP-in-IP from the LB, stripped by xlb-decap, answering the client directly.
#   ipip_requests_reach_both_backends   HTTP through the tunnel, both serve
#   ipip_weight_change_and_drain_keep_a_connection   a TCP echo connection
#       stays up through a weight change and its backend's drain, new
#       connections avoid the drained backend
cd "$(dirname "$0")/../.." || exit 1
. tests/lib/testing.sh
. tests/e2e/tunnel_lib.sh

if [[ $EUID -ne 0 ]]; then
	skip tunnel_ipip "needs root"
	exit 0
fi
trap tun_down EXIT
if ! tun_up; then
	fail tunnel_ipip_setup "topology"
	exit 1
fi
tun_backend b1
tun_backend b2
for n in b1 b2; do
	tun_ns "$n" "$TUN_BUILD/xlb-decap" attach eth0 10.0.0.1 >/dev/null || {
		fail tunnel_ipip_setup "xlb-decap attach on $n"
		exit 1
	}
done
VIP=10.0.0.1:80/tcp
ECHO=10.0.0.1:7/tcp
tun_xlbctl attach eth0 >/dev/null &&
	tun_xlbctl settings --tunnel-source 10.1.0.1 >/dev/null &&
	tun_xlbctl vip add "$VIP" --forward ipip >/dev/null &&
	tun_xlbctl vip add "$ECHO" --forward ipip >/dev/null &&
	for v in "$VIP" "$ECHO"; do
		tun_xlbctl backend add "$v" 10.2.1.5 >/dev/null &&
			tun_xlbctl backend add "$v" 10.2.2.5 >/dev/null || exit 1
	done || {
	fail tunnel_ipip_setup "xlbctl configuration"
	exit 1
}
sleep 0.5

rc=0
# ---- requests reach both backends
declare -A seen=()
ok=0
for i in $(seq 1 40); do
	name=$(tun_ns client curl -s -m 2 --local-port $((20000 + i)) \
		-D - -o /dev/null http://10.0.0.1/ | tr -d '\r' |
		awk -F': ' 'tolower($1)=="x-backend"{print $2}')
	[[ -n $name ]] && ok=$((ok + 1)) && seen[$name]=1
done
sent=$(tun_xlbctl --json stats --interval 0 2>/dev/null |
	/usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); g=d.get("global",d); print(g.get("encap_sent",0))' 2>/dev/null)
dec1=$(tun_ns b1 "$TUN_BUILD/xlb-decap" stats eth0 | awk '$1=="decapsulated"{print $2}')
dec2=$(tun_ns b2 "$TUN_BUILD/xlb-decap" stats eth0 | awk '$1=="decapsulated"{print $2}')
if ((ok == 40)) && [[ -n ${seen[b1]:-} && -n ${seen[b2]:-} ]] &&
	((${dec1:-0} > 0 && ${dec2:-0} > 0)); then
	pass ipip_requests_reach_both_backends
else
	fail ipip_requests_reach_both_backends "$ok/40 answered, served by: ${!seen[*]}, encap_sent ${sent:-?}, decapsulated b1 ${dec1:-?} b2 ${dec2:-?}"
	rc=1
fi

# ---- a TCP echo connection through a weight change and its backend's drain
OUT=$(mktemp)
tun_ns client /usr/bin/python3 - >"$OUT" 2>&1 <<'PY' &
import socket, time
s = socket.create_connection(("10.0.0.1", 7), timeout=3)
f = s.makefile("rb")
# xlb-backend's echo greets with "backend NAME" before echoing.
if not f.readline().startswith(b"backend "):
    raise SystemExit("no greeting")
def echo(msg):
    s.sendall(msg)
    got = f.read(len(msg))
    if len(got) < len(msg):
        raise SystemExit("closed")
    return got == msg
ok = echo(b"hello\n")
# The shell changes weights and drains while this keeps talking.
for i in range(30):
    time.sleep(0.1)
    ok = echo(b"ping %d\n" % i) and ok
print("OK" if ok else "MISMATCH", flush=True)
PY
PY_PID=$!
sleep 0.5
tun_xlbctl backend set "$ECHO" 10.2.1.5 --weight 300 >/dev/null
tun_xlbctl backend set "$ECHO" 10.2.1.5 --state draining >/dev/null
tun_xlbctl backend set "$ECHO" 10.2.2.5 --state draining >/dev/null
wait "$PY_PID"
py_rc=$?
result=$(cat "$OUT")
rm -f "$OUT"
# Both drained: no new connection may be placed at all.
if tun_ns client /usr/bin/python3 -c '
import socket; socket.create_connection(("10.0.0.1", 7), timeout=1)' 2>/dev/null; then
	new_refused=no
else
	new_refused=yes
fi
if ((py_rc == 0)) && [[ $result == *"OK"* && $new_refused == yes ]]; then
	pass ipip_weight_change_and_drain_keep_a_connection
else
	fail ipip_weight_change_and_drain_keep_a_connection "python rc $py_rc, result '$result', new connection refused: $new_refused"
	rc=1
fi
exit $rc
