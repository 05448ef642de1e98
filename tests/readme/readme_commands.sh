#!/usr/bin/env bash
# README's commands, run as a user would: the quick start is the two
# commands it promises, and every command of the xlbctl section runs, in
# order, in the LB namespace of a test topology (never on a host interface;
# /sys/fs/bpf/xlb becomes the topology's pin directory). The topology CLI
# example runs as written. Usage: tests/readme/readme_commands.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
. tests/lib/testing.sh

# The fenced ```sh blocks of one README section, one command a line.
section_commands() {
	awk -v start="$1" -v stop="$2" '
		index($0, start) == 1 { on = 1; next }
		on && index($0, stop) == 1 { exit }
		on && /^```sh/ { code = 1; next }
		on && /^```/ { code = 0; next }
		on && code { print }' README.md |
		sed -e 's/[[:space:]]\+#.*$//' -e '/^[[:space:]]*$/d'
}

quick=$(section_commands "## Quick start" "## ")
if [[ $quick == $'make demo\nmake test' ]]; then
	pass quick_start_is_make_demo_then_make_test
else
	fail quick_start_is_make_demo_then_make_test "found: $(echo "$quick" | tr '\n' ';')"
fi
if grep -qx 'make test' .ci/run; then
	pass ci_runs_the_make_test_of_the_quick_start
else
	fail ci_runs_the_make_test_of_the_quick_start ".ci/run does not run 'make test'"
fi

if ((EUID != 0)); then
	skip readme_xlbctl_commands_run_as_written "needs root for namespaces and XDP"
	skip readme_topology_example_runs_as_written "needs root for namespaces"
	summary
	exit
fi

# The topology section's CLI example, first and in its own shell: it
# brings up and tears down a topology of its own.
topo_cli=$(section_commands "#### CLI" "#### Library" | grep '^tools/topo.sh' |
	grep -v '\[')
# (":" last: bash would exec the last command, changing its parent.)
if out=$(env -u TOPO_PREFIX bash -ec "$topo_cli"$'\n:' 2>&1); then
	pass readme_topology_example_runs_as_written
else
	fail readme_topology_example_runs_as_written "$(echo "$out" | tail -2 | tr '\n' ' ')"
fi
. tools/topo.sh
trap topo_down EXIT
topo_up --backends 3 >/dev/null || {
	fail topology_up "tools/topo.sh up failed"
	summary
	exit 1
}

# Wrappers a README line finds first on PATH, inside the LB namespace.
wrappers=$TOPO_RESULTS/readme-bin
work=$TOPO_RESULTS/readme-cwd
mkdir -p "$wrappers" "$work"
cat >"$wrappers/xlbctl" <<EOF
#!/usr/bin/env bash
# Lines that run until interrupted get 3 s, as a user's Ctrl-C.
case " \$* " in
*" --watch "*|" top ") timeout 3 "$REPO/build/xlbctl" --pin-path "$TOPO_PIN_DIR" "\$@"
	rc=\$?; [[ \$rc == 124 ]] && rc=0; exit \$rc ;;
esac
exec "$REPO/build/xlbctl" --pin-path "$TOPO_PIN_DIR" "\$@"
EOF
cat >"$wrappers/bpftool" <<EOF
#!/usr/bin/env bash
exec $(command -v bpftool) "\${@//\/sys\/fs\/bpf\/xlb/$TOPO_PIN_DIR}"
EOF
chmod +x "$wrappers/xlbctl" "$wrappers/bpftool"
# README attaches a second interface: give the LB one.
topo_exec lb ip link add eth1 type veth peer name eth1peer
topo_exec lb ip link set eth1 up && topo_exec lb ip link set eth1peer up

ran=0 failed_line=""
while read -r line; do
	out=$(cd "$work" && topo_exec lb env PATH="$wrappers:$PATH" \
		bash -c "$line" 2>&1 </dev/null)
	rc=$?
	ran=$((ran + 1))
	if ((rc != 0)); then
		failed_line="'$line' exited $rc: $(echo "$out" | tail -2 | tr '\n' ' ')"
		break
	fi
done < <(section_commands "## xlbctl: the command line" "## Operating xlbd")
if [[ -n $failed_line ]]; then
	fail readme_xlbctl_commands_run_as_written "$failed_line"
elif ((ran < 20)); then
	fail readme_xlbctl_commands_run_as_written "only $ran commands found"
elif [[ -e $TOPO_PIN_DIR ]] || topo_exec lb ip link show eth0 | grep -q xdp; then
	fail readme_xlbctl_commands_run_as_written "detach --all left pins or XDP"
else
	pass readme_xlbctl_commands_run_as_written
	echo "  $ran README commands ran"
fi

summary
