#!/usr/bin/env bash
# Installs every Debian package the build, the tests, the benchmarks and the
# demo need. Idempotent: does nothing when all are present; otherwise runs
# apt-get update first, then installs only what is missing.
set -euo pipefail

packages=(
	# build
	make gcc clang llvm pkg-config libbpf-dev libelf-dev zlib1g-dev bpftool
	libjson-c-dev libnl-3-dev libnl-route-3-dev libncurses-dev libcsv-dev
	libmicrohttpd-dev libcurl4-openssl-dev
	clang-format
	# xlbd: history, sd_notify, promtool for its /metrics test
	libsqlite3-dev libsystemd-dev prometheus
	# harness, tests, demo
	iproute2 ethtool iputils-ping tcpdump util-linux procps
	# model parity tests and benchmarks (Debian's Python, not PyPI)
	python3-sklearn python3-numpy python3-scipy
	# xlb-agent tests: a real Prometheus server, promtool, node_exporter
	prometheus prometheus-node-exporter
	# side-by-side benchmarks (make bench): peers, client, plots
	nginx-light wrk haproxy nftables gnuplot-nox
	# the Debian package (make deb) and its test
	dpkg-dev debhelper fakeroot lintian
	# xlbd status page test: headless browser for its DOM and screenshot
	chromium
	# scale-out cluster layer (tests/cluster): BGP + BFD daemon in namespaces
	bird2
	# scale-out shared state (tests/cluster): etcd members in namespaces
	etcd-server etcd-client
)

missing=()
for p in "${packages[@]}"; do
	[[ $p == \#* ]] && continue
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

if ((EUID != 0)); then
	echo "deps: missing packages: ${missing[*]}; run 'make deps' as root" >&2
	exit 1
fi

echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# nginx, haproxy, prometheus and node_exporter are peers that the tests and
# benchmarks start themselves: keep their packages from starting services on
# the host (exit 101 of policy-rc.d), unless the machine already has a policy.
policy=/usr/sbin/policy-rc.d
if [[ ! -e $policy ]]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
