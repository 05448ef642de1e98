#!/usr/bin/env bash
# Every refusal of issue 3: each gives one line "xlbctl: <command>
# <object>: <why>", its documented exit code, and leaves the pinned maps,
# the pins and the XDP state exactly as they were (bpftool dumps compared).
# Then two writers at once (no corruption, no lost table rebuild) and a held
# lock (timeout message naming the holder).
#
#   tests/e2e/xlbctl_errors.sh [FILTER]   run the tests whose name contains it
set -uo pipefail
# shellcheck source=tests/e2e/xlbctl_lib.sh
. "$(dirname "$0")/xlbctl_lib.sh"

xlbctl_setup xlbctl_errors --backends 2

VIP=$TOPO_VIP4:80/tcp
OTHER_PIN=$TOPO_PIN_DIR-other
FAKE_PIN=$TOPO_PIN_DIR-fake
TMP=$(mktemp -d /tmp/xlbctl-errors.XXXXXX)
XLBCTL_CLEANUPS+=("rm -rf '$TMP' '$OTHER_PIN' '$FAKE_PIN'")

if ! xlbctl attach eth0 --conn-table-size 65536 >/dev/null ||
	! xlbctl vip add "$VIP" >/dev/null ||
	! xlbctl backend add "$VIP" "$TOPO_B1_IP4" >/dev/null ||
	! xlbctl backend add "$VIP" "$TOPO_B2_IP4" --weight 50 >/dev/null; then
	xlbctl_abort xlbctl_errors_setup "attach, vip add or backend add failed"
fi

# --- bad input: exit 1
expect_error bad_vip_address_is_refused 1 "vip add: '10.211.100.300:80/tcp': bad address" \
	xlbctl vip add 10.211.100.300:80/tcp
expect_error bad_backend_address_is_refused 1 "'10.211.0' is not an IPv4 or IPv6 address" \
	xlbctl backend add "$VIP" 10.211.0
expect_error weight_out_of_range_is_refused 1 "--weight 20000 is out of range [0, 10000]" \
	xlbctl backend set "$VIP" "$TOPO_B1_IP4" --weight 20000
expect_error non_prime_table_size_is_refused 1 "table size 65536 is not a prime in [3, 1048573]" \
	xlbctl vip add "$TOPO_VIP4:81/tcp" --table-size 65536
expect_error unknown_command_is_refused 1 "unknown command 'frob'" \
	xlbctl frob
printf '{"vips": [{"vip": "%s", "backends": [{"address": "%s", "weight": 20000}]}]}' \
	"$VIP" "$TOPO_B1_IP4" >"$TMP/bad-weight.json"
expect_error invalid_config_is_refused_naming_the_json_path 1 \
	"vips[0].backends[0].weight: 20000 is out of range [0, 10000]" \
	xlbctl config apply "$TMP/bad-weight.json"
printf '{"vips": [\n  {"vip": "%s",}\n]}' "$VIP" >"$TMP/bad-json.json"
expect_error invalid_json_is_refused_naming_the_line 1 "line 2, column" \
	xlbctl config apply "$TMP/bad-json.json"

# --- not found: exit 2
expect_error unknown_interface_is_refused 2 "attach nosuch0: no interface nosuch0" \
	xlbctl attach nosuch0
expect_error unknown_backend_is_refused 2 "backend 10.211.0.99 does not serve VIP $VIP" \
	xlbctl backend set "$VIP" 10.211.0.99 --weight 5
expect_error unknown_backend_del_is_refused 2 "backend 10.211.0.99 does not serve VIP" \
	xlbctl backend del "$VIP" 10.211.0.99
expect_error unknown_vip_is_refused 2 "no VIP 10.211.100.9:80/tcp" \
	xlbctl backend add 10.211.100.9:80/tcp "$TOPO_B1_IP4" --mac 02:00:0a:d3:00:0b
expect_error unknown_vip_del_is_refused 2 "no VIP 10.211.100.9:80/tcp" \
	xlbctl vip del 10.211.100.9:80/tcp
expect_error detach_of_an_unattached_interface_is_refused 2 "not attached to lo" \
	xlbctl detach lo
expect_error unreadable_config_is_refused 2 "cannot read it: No such file or directory" \
	xlbctl config apply "$TMP/missing.json"
expect_error a_backend_that_does_not_answer_arp_is_refused 2 \
	"no MAC for 10.211.0.99 on eth0: it did not answer ARP" \
	xlbctl backend add "$VIP" 10.211.0.99 --neigh-timeout 0.3
expect_error missing_instance_is_reported 2 "no xlb instance at $TOPO_PIN_DIR-none (xlbctl attach DEV creates one)" \
	xlbctl --pin-path "$TOPO_PIN_DIR-none" status

# --- conflicts: exit 3
expect_error duplicate_vip_is_refused 3 "VIP $VIP already exists" \
	xlbctl vip add "$VIP"
expect_error duplicate_backend_is_refused 3 "backend $TOPO_B1_IP4 already serves VIP $VIP" \
	xlbctl backend add "$VIP" "$TOPO_B1_IP4"
expect_error attaching_twice_says_already_attached 3 "already attached to eth0" \
	xlbctl attach eth0
expect_error another_conn_table_size_names_the_existing_one 3 \
	"has a connection table of 65536 entries" \
	xlbctl attach eth0 --conn-table-size 1024
expect_error attach_over_another_instance_is_refused 3 \
	"eth0 already has an XDP program (id" \
	xlbctl --pin-path "$OTHER_PIN" attach eth0
if tcase refused_attach_leaves_no_instance_behind; then
	if [[ -e $OTHER_PIN ]]; then
		fail refused_attach_leaves_no_instance_behind "$OTHER_PIN exists"
	else
		pass refused_attach_leaves_no_instance_behind
	fi
fi
expect_error force_does_not_steal_another_instances_link 3 \
	"is attached through a bpf_link its owner holds" \
	xlbctl --pin-path "$OTHER_PIN" attach eth0 --force

# --- system: exit 5
expect_error pin_path_off_bpffs_is_refused 5 \
	"$TMP is not on a BPF filesystem (mount -t bpf bpf /sys/fs/bpf)" \
	xlbctl --pin-path "$TMP/pins/xlb" attach eth0
if tcase pin_path_off_bpffs_creates_nothing; then
	if [[ -e $TMP/pins ]]; then
		fail pin_path_off_bpffs_creates_nothing "$TMP/pins was created"
	else
		pass pin_path_off_bpffs_creates_nothing
	fi
fi

# A user without CAP_BPF: a copy of xlbctl it can run, as nobody.
cp "$XLBCTL_BIN" "$TMP/xlbctl" && chmod 755 "$TMP" "$TMP/xlbctl"
as_nobody() {
	nsenter --net="/run/netns/$TOPO_NS_LB" setpriv --reuid=65534 \
		--regid=65534 --clear-groups "$TMP/xlbctl" \
		--pin-path "$TOPO_PIN_DIR" "$@"
}
expect_error not_root_cannot_read 5 "Permission denied (xlbctl needs root" \
	as_nobody status
expect_error not_root_cannot_write 5 "Permission denied (xlbctl needs root" \
	as_nobody backend set "$VIP" "$TOPO_B1_IP4" --weight 1

# Pins of another layout version: a hand-made xlb_meta saying version 99.
if tcase other_layout_version_is_refused; then
	mkdir -p "$FAKE_PIN"
	bpftool map create "$FAKE_PIN/xlb_meta" type array key 4 value 24 \
		entries 1 name xlb_meta &&
		bpftool map update pinned "$FAKE_PIN/xlb_meta" key 0 0 0 0 \
			value 0x31 0x42 0x4c 0x58 99 0 0 0 0 4 0 0 0 16 0 0 \
			0 0 1 0 0 0 0 0
	for cmd in status "vip add $TOPO_VIP4:82/tcp" "attach eth0"; do
		# shellcheck disable=SC2086 # the command's words
		expect_error "other_layout_version_is_refused_by_${cmd%% *}" 5 \
			"pins at $FAKE_PIN have layout version 99; this xlb speaks version $(awk '/define XLB_LAYOUT_VERSION/ {print $3}' "$(dirname "$0")/../../headers/xlb_limits.h")" \
			xlbctl --pin-path "$FAKE_PIN" $cmd
	done
	if [[ $(ls "$FAKE_PIN") == xlb_meta ]]; then
		pass other_layout_pins_are_left_as_they_were
	else
		fail other_layout_pins_are_left_as_they_were "$(ls "$FAKE_PIN")"
	fi
	rm -rf "$FAKE_PIN"
fi

# --- another XDP program: refused without --force, replaced with it. It
# sits on a veth pair made inside the LB namespace (gone with it).
if tcase force_replaces_another_xdp_program; then
	printf '%s\n' '__attribute__((section("xdp"), used)) int xdp_pass(void *ctx) { return 2; }' \
		'char _license[] __attribute__((section("license"), used)) = "GPL";' >"$TMP/pass.c"
	if clang -O2 -target bpf -c "$TMP/pass.c" -o "$TMP/pass.o" &&
		ip -n "$TOPO_NS_LB" link add xlbv0 type veth peer name xlbv1 &&
		ip -n "$TOPO_NS_LB" link set xlbv0 up &&
		ip -n "$TOPO_NS_LB" link set xlbv1 up &&
		ip -n "$TOPO_NS_LB" link set dev xlbv0 xdpgeneric obj "$TMP/pass.o" sec xdp; then
		expect_error another_xdp_program_is_refused_without_force 3 \
			"xlbv0 already has an XDP program (id" \
			xlbctl attach xlbv0 --mode generic
		out=$(xlbctl attach xlbv0 --mode generic --force 2>&1) &&
			mode=$(json 'next(a["mode"] for a in j["attachments"] if a["interface"] == "xlbv0")' \
				"$(xlbctl status --json)")
		if [[ ${mode:-} == generic ]]; then
			pass force_replaces_another_xdp_program
		else
			fail force_replaces_another_xdp_program "$out"
		fi
		xlbctl detach xlbv0 >/dev/null
	else
		fail force_replaces_another_xdp_program "could not set up a veth with an XDP program"
	fi
fi

# --- no MAC and attached nowhere: an instance whose only attachment went.
if tcase backend_without_mac_needs_an_attachment; then
	other() { nsenter --net="/run/netns/$TOPO_NS_LB" "$XLBCTL_BIN" --pin-path "$OTHER_PIN" "$@"; }
	ip -n "$TOPO_NS_LB" link add xlbv2 type veth peer name xlbv3 2>/dev/null
	ip -n "$TOPO_NS_LB" link set xlbv2 up
	if other attach xlbv2 --mode generic >/dev/null && other detach xlbv2 >/dev/null &&
		other vip add "$VIP" >/dev/null; then
		out=$(other backend add "$VIP" "$TOPO_B1_IP4" 2>&1)
		rc=$?
		if ((rc == 2)) && [[ $out == *"attached to no interface"*"give --mac"* ]]; then
			pass backend_without_mac_needs_an_attachment
		else
			fail backend_without_mac_needs_an_attachment "exit $rc: $out"
		fi
	else
		fail backend_without_mac_needs_an_attachment "could not set up a second instance"
	fi
	other detach --all >/dev/null 2>&1
fi

# --- the lock: held elsewhere, a writer times out naming the holder.
if tcase held_lock_times_out_naming_the_holder; then
	# -o: flock itself holds the lock, not its sleep, so ending flock's
	# child ends the hold.
	# The lock file xlbctl status --json names (under /run/xlb).
	lock=$(json 'j["lock"]' "$(xlbctl status --json)")
	flock -o "$lock" sleep 10 &
	holder=$!
	XLBCTL_CLEANUPS+=("kill \$(pgrep -P $holder) $holder")
	sleep 0.3
	start=$(date +%s%N)
	expect_error held_lock_times_out_naming_the_holder 4 \
		"is locked by another writer (pid $holder, flock) for over 300 ms" \
		xlbctl --lock-timeout 0.3 vip add "$TOPO_VIP4:83/tcp"
	waited=$((($(date +%s%N) - start) / 1000000))
	# Readers never wait for the lock.
	if xlbctl vip list >/dev/null && ((waited < 3000)); then
		pass readers_do_not_wait_for_the_lock
	else
		fail readers_do_not_wait_for_the_lock "vip list failed or waited"
	fi
	kill "$(pgrep -P "$holder")" 2>/dev/null
	wait "$holder" 2>/dev/null
fi

# --- two writers at once: every change lands, no table left behind.
if tcase concurrent_writers_never_corrupt_a_table; then
	writer() {
		local addr=$1 w rc=0
		for w in $(seq 1 25); do
			xlbctl backend set "$VIP" "$addr" --weight "$w" || rc=1
		done
		return $rc
	}
	writer "$TOPO_B1_IP4" 2>"$TMP/w1.err" &
	w1=$!
	writer "$TOPO_B2_IP4" 2>"$TMP/w2.err" &
	w2=$!
	wait "$w1"
	rc1=$?
	wait "$w2"
	rc2=$?
	weights=$(json '" ".join(str(b["weight"]) for b in j)' "$(xlbctl backend list --json)")
	stale=$(json 'j[0]["table_stale"]' "$(xlbctl vip list --json)")
	synced=$(xlbctl sync)
	if ((rc1 || rc2)); then
		fail concurrent_writers_never_corrupt_a_table "a writer failed: $(cat "$TMP/w1.err" "$TMP/w2.err")"
	elif [[ $weights != "25 25" || $stale != False || $synced != "rebuilt 0 tables" ]]; then
		fail concurrent_writers_never_corrupt_a_table "weights '$weights', stale $stale, sync '$synced'"
	else
		pass concurrent_writers_never_corrupt_a_table
	fi
fi

summary
