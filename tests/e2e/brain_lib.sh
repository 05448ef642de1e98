# shellcheck shell=bash
# tests/e2e/brain_lib.sh: what the brain's closed-loop tests share, on top
# of tests/e2e/lib.sh and xlbd_lib.sh. Sourced, not run.
#
#   brain_need_agent NAME            SKIP (and exit) without build/xlb-agent
#   brain_case_start NAME            a case's prologue: the filter, the
#                                    binaries, four backends, the case begun;
#                                    sets vip, url and cfg (xlbd's JSON-log
#                                    config)
#   brain_fault NODE QUERY           POST /fault?QUERY on a backend's admin port
#   brain_agents_up NODE=QUOTA...    per backend: a CPU quota (N%), 1 ms of CPU
#                                    per request, and xlb-agent reading the
#                                    server's cgroup and timing its service
#   brain_agents_down                stops the agents (by their PIDs)
#   brain_weights NODE...            the effective weights, space separated

BRAIN_AGENT=${XLB_AGENT:-$E2E_REPO/$E2E_BUILD/xlb-agent}
BRAIN_AGENT_NODES=()

brain_need_agent() {
	if [[ ! -x $BRAIN_AGENT ]]; then
		skip "$1" "$BRAIN_AGENT is not built (make)"
		summary
		exit 0
	fi
}

brain_case_start() {
	e2e_want "$1" || {
		summary
		exit 0
	}
	brain_need_agent "$1"
	xlbd_need
	e2e_setup --backends 4
	e2e_case_begin "$1"
	# shellcheck disable=SC2034 # the case's script uses them
	vip="$TOPO_VIP4:$E2E_HTTP_PORT/tcp" url="http://$TOPO_VIP4:$E2E_HTTP_PORT/"
	cfg="$E2E_CASE_DIR/xlbd.conf"
	xlbd_config "$cfg" '{ "log": { "format": "json" } }'
}

brain_fault() {
	topo_exec "$1" "$E2E_PY" -c '
import sys, urllib.request
req = urllib.request.Request("http://127.0.0.1:%s/fault?%s" % (sys.argv[1], sys.argv[2]),
                             data=b"", method="POST")
urllib.request.urlopen(req, timeout=2).read()' "$E2E_ADMIN_PORT" "$2"
}

brain_agents_up() {
	local spec node ip cpu acct
	for spec in "$@"; do
		node=${spec%%=*}
		ip=$(e2e_node_addr "$TOPO_VIP4" "$node")
		cpu=TOPO_CGROUP_${node^^} acct=TOPO_CGROUP_ACCT_${node^^}
		topo_cgroup_quota "$node" "${spec#*=}" >/dev/null || return 1
		brain_fault "$node" "cpu_us=1000" || return 1
		topo_start "agent-$node" "$node" "$BRAIN_AGENT" --listen "$ip:9470" \
			--cgroup "${!cpu}" --cgroup-cpuacct "${!acct}" \
			--probe "http://$ip:$E2E_HTTP_PORT/" --probe-interval 0.2 \
			--probe-timeout 1 >/dev/null || return 1
		BRAIN_AGENT_NODES+=("$node")
	done
}

brain_agents_down() {
	local node
	for node in "${BRAIN_AGENT_NODES[@]}"; do
		topo_stop "agent-$node" 2>/dev/null
	done
	BRAIN_AGENT_NODES=()
}

brain_weights() {
	local node out=()
	for node in "$@"; do
		out+=("$(xlbd_pair "$node" weight)")
	done
	echo "${out[*]}"
}
