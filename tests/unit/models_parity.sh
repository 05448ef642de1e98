#!/usr/bin/env bash
# Parity of the models library with scikit-learn and numpy (Debian's
# python3-sklearn, run with /usr/bin/python3: the first python3 on PATH may
# be another interpreter without it). Data sets are generated at run time
# from fixed seeds; see tests/unit/models/parity_*.py for what is compared.
set -uo pipefail
cd "$(dirname "$0")/../.."
source tests/lib/testing.sh

BUILD=${BUILD:-build}
PY=/usr/bin/python3

if ! $PY -c 'import sklearn, numpy, scipy' 2>/dev/null; then
	skip models_parity_with_sklearn "$PY lacks sklearn, numpy or scipy (make deps)"
	summary
	exit
fi
for bin in "$BUILD/xlb-model" "$BUILD/tests/unit/models/ols-fit"; do
	if [[ ! -x $bin ]]; then
		fail models_parity_with_sklearn "$bin not built (make)"
		summary
		exit
	fi
done

rc=0
$PY tests/unit/models/parity_ols.py "$BUILD/tests/unit/models/ols-fit" || rc=1
$PY tests/unit/models/parity_iforest.py "$BUILD/xlb-model" 5 || rc=1
exit $rc
