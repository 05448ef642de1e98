#!/usr/bin/env bash
# The models library (Isolation Forest, forecaster) timed next to
# scikit-learn on the same generated data, in one run. Needs Debian's
# python3-sklearn under /usr/bin/python3.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
if ! /usr/bin/python3 -c 'import sklearn' 2>/dev/null; then
	echo "bench-models: /usr/bin/python3 has no sklearn (make deps)" >&2
	exit 1
fi
[[ -x $BUILD/bench/models-bench ]] || make --no-print-directory "$BUILD/bench/models-bench"
exec /usr/bin/python3 tools/bench/models/bench_models.py "$BUILD/bench/models-bench"
