#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""OLS parity: xlb's Householder fit against numpy.linalg.lstsq.

Well-conditioned designs must agree to 1e-9 relative per coefficient; AR(2)
designs over integer counts near 1e5 (condition number of [1, y(t-1),
y(t-2)] near 1e8) to 1e-6. For the count data the exact least-squares
solution is also computed in rational arithmetic, and both fits' errors
against it are printed, to show which side any difference comes from.

Usage: parity_ols.py OLS_FIT_BINARY
"""
import os
import subprocess
import sys
import tempfile
from fractions import Fraction

import numpy as np

from parity_results import result, summary


def xlb_fit(binary, X, y, path):
    with open(path, "w") as f:
        for row, target in zip(X, y):
            f.write(",".join(repr(float(v)) for v in row) + f",{float(target)!r}\n")
    out = subprocess.run([binary, path], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return np.array([float(v) for v in out.stdout.split()])


def numpy_fit(X, y):
    A = np.column_stack([np.ones(len(X)), X])
    return np.linalg.lstsq(A, y, rcond=None)[0], np.linalg.cond(A)


def exact_fit(X, y):
    """Least squares in rational arithmetic: exact for the given doubles."""
    A = [[Fraction(1)] + [Fraction(float(v)) for v in row] for row in X]
    b = [Fraction(float(v)) for v in y]
    k = len(A[0])
    M = [[sum(r[i] * r[j] for r in A) for j in range(k)] for i in range(k)]
    v = [sum(r[i] * t for r, t in zip(A, b)) for i in range(k)]
    for c in range(k):  # Gauss-Jordan, exact
        p = next(r for r in range(c, k) if M[r][c] != 0)
        M[c], M[p], v[c], v[p] = M[p], M[c], v[p], v[c]
        for r in range(k):
            if r != c and M[r][c] != 0:
                f = M[r][c] / M[c][c]
                M[r] = [a - f * m for a, m in zip(M[r], M[c])]
                v[r] -= f * v[c]
    return np.array([float(v[i] / M[i][i]) for i in range(k)])


def rel(a, b):
    return float(np.max(np.abs(a - b) / np.abs(b)))


def ar2_counts(rng, n, phi1=0.5, phi2=0.3, sd=100.0):
    y = np.empty(n + 200)
    y[:2] = 1e5
    for t in range(2, n + 200):
        y[t] = np.round(1e5 + phi1 * (y[t - 1] - 1e5) + phi2 * (y[t - 2] - 1e5)
                        + rng.normal(0, sd))
    return y[200:]


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="xlb-ols-parity-")
    path = os.path.join(tmp, "design.csv")

    print("well-conditioned designs (tolerance 1e-9 relative per coefficient)")
    print(f"{'seed':>4} {'n':>6} {'k':>3} {'cond':>9} {'max rel diff':>13}")
    worst = 0.0
    for seed, (n, k) in enumerate([(200, 1), (500, 3), (1000, 5), (2000, 8), (5000, 10)]):
        rng = np.random.default_rng(seed)
        X = rng.normal(rng.uniform(-5, 5, k), rng.uniform(0.5, 3, k), size=(n, k))
        beta = rng.choice([-1, 1], k) * rng.uniform(0.5, 3, k)
        y = 2.5 + X @ beta + rng.normal(0, 0.1, n)
        ours = xlb_fit(binary, X, y, path)
        ref, cond = numpy_fit(X, y)
        d = rel(ours, ref)
        worst = max(worst, d)
        print(f"{seed:>4} {n:>6} {k:>3} {cond:>9.3g} {d:>13.3g}")
    result("ols_matches_numpy_lstsq_on_well_conditioned_designs", worst <= 1e-9,
           f"max relative difference {worst:.3g} > 1e-9")

    print("AR(2) over integer counts near 1e5 (tolerance 1e-6 relative)")
    print(f"{'seed':>4} {'n':>6} {'cond':>9} {'xlb vs numpy':>13} "
          f"{'xlb vs exact':>13} {'numpy vs exact':>15}")
    worst = 0.0
    conds = []
    for seed in range(5):
        rng = np.random.default_rng(100 + seed)
        s = ar2_counts(rng, 5000)
        X = np.column_stack([s[1:-1], s[:-2]])
        y = s[2:]
        ours = xlb_fit(binary, X, y, path)
        ref, cond = numpy_fit(X, y)
        exact = exact_fit(X, y)
        d = rel(ours, ref)
        worst = max(worst, d)
        conds.append(cond)
        print(f"{seed:>4} {len(y):>6} {cond:>9.3g} {d:>13.3g} "
              f"{rel(ours, exact):>13.3g} {rel(ref, exact):>15.3g}")
    result("ols_ar2_counts_design_is_ill_conditioned_as_intended",
           min(conds) >= 3e7, f"condition numbers {min(conds):.3g}..{max(conds):.3g}")
    result("ols_matches_numpy_lstsq_on_ar2_counts_near_1e5", worst <= 1e-6,
           f"max relative difference {worst:.3g} > 1e-6")

    os.unlink(path)
    os.rmdir(tmp)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
