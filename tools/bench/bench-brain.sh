#!/usr/bin/env bash
# The brain's functional core on a fleet of 1,000 pairs over 4 VIPs
# (build/bench/brain-tick-bench): tick time against the 5 ms target, RSS.
# The map-side cost of a tick (counter reads, one transaction, the batched
# table rebuild) is timed by bench-tables.sh and xlbd's own
# xlbd_tick_stage_seconds.
set -uo pipefail
cd "$(dirname "$0")/../.."
exec build/bench/brain-tick-bench "$@"
