#!/usr/bin/env bash
# Issue 11: the per-CPU new-flow insert budget through xlbctl. attach
# --new-flow-budget sets it on a new instance, xlbctl settings shows and
# changes it on a running one, status shows it (text and JSON), xlb_config holds it, an out-of-range
# value is refused with nothing changed, and lru_bypass is a global counter
# of xlbctl stats --json. (Its effect on packets: tests/bpf/syn_flood_test.)
#
#   tests/e2e/xlbctl_new_flow_budget.sh [FILTER]
set -uo pipefail
# shellcheck source=tests/e2e/xlbctl_lib.sh
. "$(dirname "$0")/xlbctl_lib.sh"

xlbctl_setup xlbctl_new_flow_budget --backends 1

if tcase budget_set_at_creation_is_shown; then
	out=$(xlbctl attach eth0 --conn-table-size 65536 --new-flow-budget 5000 2>&1) ||
		xlbctl_abort budget_set_at_creation_is_shown "attach: $out"
	st=$(xlbctl status --json)
	txt=$(xlbctl status)
	if [[ $(json 'j["new_flow_budget"]' "$st") == 5000 ]] &&
		grep -q '^budget    5000 new flows per second per CPU' <<<"$txt"; then
		pass budget_set_at_creation_is_shown
	else
		fail budget_set_at_creation_is_shown "status: $st / $txt"
	fi
else
	xlbctl attach eth0 --conn-table-size 65536 >/dev/null ||
		xlbctl_abort xlbctl_new_flow_budget "attach failed"
fi

if tcase budget_changes_on_an_attached_instance; then
	out=$(xlbctl settings --new-flow-budget 0 2>&1)
	rc=$?
	st=$(xlbctl settings --json)
	# A read only prints the settings: no lock, no commit, nothing on stderr.
	shown_err=$(xlbctl settings 2>&1 >/dev/null)
	[[ -n $shown_err ]] && rc="settings printed '$shown_err'"
	cfg=$(bpftool -j map dump pinned "$TOPO_PIN_DIR/xlb_config")
	if ((rc == 0)) && [[ $(json 'j["new_flow_budget"]' "$st") == 0 ]] &&
		grep -q '^new-flow-budget  0 (unlimited)' <<<"$out" &&
		xlbctl status | grep -q '^budget    new flows unlimited' &&
		[[ $(json 'j[0]["formatted"]["value"]["new_flow_budget"]' "$cfg") == 0 ]]; then
		pass budget_changes_on_an_attached_instance
	else
		fail budget_changes_on_an_attached_instance "rc $rc $out: $st $cfg"
	fi
fi

expect_error budget_out_of_range_is_refused 1 \
	"--new-flow-budget 100000001 is out of range [0, 100000000]" \
	xlbctl settings --new-flow-budget 100000001
expect_error budget_not_a_number_is_refused 1 "--new-flow-budget" \
	xlbctl settings --new-flow-budget lots

if tcase lru_bypass_is_a_global_counter; then
	st=$(xlbctl stats --json 2>&1)
	if why=$(json '"" if "lru_bypass" in json.dumps(j) else j' "$st") && [[ -z $why ]]; then
		pass lru_bypass_is_a_global_counter
	else
		fail lru_bypass_is_a_global_counter "stats: $st"
	fi
fi

summary
