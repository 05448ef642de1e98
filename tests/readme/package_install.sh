#!/usr/bin/env bash
# README's "Installing": `make deb` builds a lintian-clean (no errors) Debian
# package from the tree; installed with dpkg, its programs run from the
# installed paths, its man pages, units and example config are where README
# says; `dpkg --purge` removes every file again. The package is removed also
# when a check fails (trap).
#
#   tests/readme/package_install.sh [FILTER]
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
# shellcheck source=tests/lib/testing.sh
. tests/lib/testing.sh

if ((EUID != 0)); then
	skip package_builds_installs_and_purges "needs root (dpkg -i)"
	summary
	exit
fi
if dpkg-query -W -f='${Status}' xlb 2>/dev/null | grep -q 'install ok'; then
	skip package_builds_installs_and_purges "an xlb package is installed on this machine already; not touching it"
	summary
	exit
fi

BUILD=${BUILD:-build}
log=$(mktemp /tmp/xlb-package-test.XXXXXX)
trap 'dpkg --purge xlb >/dev/null 2>&1; rm -f "$log"' EXIT

installed_files=(
	/usr/sbin/xlbctl /usr/sbin/xlbd /usr/sbin/xlb-agent
	/usr/share/man/man8/xlbctl.8.gz /usr/share/man/man8/xlbd.8.gz
	/usr/share/man/man8/xlb-agent.8.gz
	/lib/systemd/system/xlbd.service /lib/systemd/system/xlb-agent.service
	/usr/lib/xlb/xlb.bpf.o /etc/xlb/xlbd.conf.example
)

if ! BUILD=$BUILD tools/deb.sh >"$log" 2>&1; then
	fail deb_builds_lintian_clean "$(tail -n 8 "$log" | tr '\n' ' ')"
	summary
	exit
fi
deb=$(tail -n 1 "$log")
pass deb_builds_lintian_clean

if ! out=$(dpkg -i "$deb" 2>&1); then
	fail package_installs "$(echo "$out" | tail -n 5 | tr '\n' ' ')"
	summary
	exit
fi
pass package_installs

missing=()
for f in "${installed_files[@]}"; do [[ -e $f ]] || missing+=("$f"); done
if ((${#missing[@]})); then
	fail package_has_every_file "missing: ${missing[*]}"
else
	pass package_has_every_file
fi

version=$(dpkg-parsechangelog -l debian/changelog -SVersion)
check installed_xlbctl_reports_the_package_version \
	bash -c "/usr/sbin/xlbctl --version | grep -F 'xlbctl $version'"
check installed_xlbd_prints_its_help bash -c '/usr/sbin/xlbd --help | grep -q -- --config'
check installed_agent_prints_its_help bash -c '/usr/sbin/xlb-agent --help | grep -q -- --listen'
check units_run_the_installed_programs bash -c '
	for unit in xlbd xlb-agent; do
		exe=$(sed -n "s/^ExecStart=\([^ ]*\).*/\1/p" /lib/systemd/system/$unit.service)
		[[ $exe == /usr/sbin/$unit && -x $exe ]] || { echo "$unit.service runs $exe"; exit 1; }
	done'
check units_do_not_start_on_install \
	bash -c '! pgrep -f "^/usr/sbin/xlb(d|-agent)" >/dev/null'

dpkg --purge xlb >/dev/null 2>&1
left=()
for f in "${installed_files[@]}"; do [[ -e $f ]] && left+=("$f"); done
if ((${#left[@]})); then
	fail purge_removes_every_file "left: ${left[*]}"
else
	pass purge_removes_every_file
fi
summary
