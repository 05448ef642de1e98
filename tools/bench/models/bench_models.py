#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Benchmark of the models library next to scikit-learn, on the same data in
the same run: Isolation Forest fit (100 trees x 256 samples, 4 features) and
scoring of 10,000 rows; forecaster refit on 86,400 points (one day at 1 s)
and one online update. Prints the figures, the ratio to sklearn, and the
targets.

Usage: bench_models.py MODELS_BENCH_BINARY
"""
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.linear_model import LinearRegression, SGDRegressor


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def write_csv(path, X, names):
    np.savetxt(path, X, delimiter=",", header=",".join(names), comments="",
               fmt="%.17g")


def main():
    binary = sys.argv[1]
    rng = np.random.default_rng(2024)
    tmp = tempfile.mkdtemp(prefix="xlb-bench-models-")
    paths = {k: os.path.join(tmp, f"{k}.csv") for k in ("train", "score", "series")}

    # 10,000 rows x 4 features, 2% uniform anomalies, for fit and for scoring.
    def rows():
        X = rng.normal(size=(10000, 4))
        X[:200] = rng.uniform(-5, 5, size=(200, 4))
        return X
    train, score = rows(), rows()
    # A day of request counts at 1 s: AR(2) around 1e5, Poisson-sized noise.
    n = 86400 + 2
    e = rng.normal(0, 316, n + 100)
    s = np.empty(n + 100)
    s[:2] = 1e5
    for t in range(2, n + 100):
        s[t] = 1e5 + 0.6 * (s[t - 1] - 1e5) + 0.25 * (s[t - 2] - 1e5) + e[t]
    series = np.round(s[100:])
    write_csv(paths["train"], train, [f"f{j}" for j in range(4)])
    write_csv(paths["score"], score, [f"f{j}" for j in range(4)])
    write_csv(paths["series"], series[:, None], ["requests"])

    out = subprocess.run([binary, paths["train"], paths["score"], paths["series"]],
                         capture_output=True, text=True)
    if out.returncode != 0:
        print(f"bench-models: {binary} failed: {out.stderr.strip()}")
        return 1
    xlb = {}
    for line in out.stdout.splitlines():
        name, *values = line.split()
        xlb[name] = [float(v) for v in values]

    forest = IsolationForest(n_estimators=100, max_samples=256, random_state=0)
    sk_fit = median_time(lambda: forest.fit(train), 7)
    sk_score = median_time(lambda: forest.score_samples(score), 7)

    X = np.column_stack([series[1:-1], series[:-2]])
    y = series[2:]
    A = np.column_stack([np.ones(len(y)), X])
    sk_refit = median_time(lambda: LinearRegression().fit(X, y), 20)
    np_refit = median_time(lambda: np.linalg.lstsq(A, y, rcond=None), 20)
    # sklearn has no online least squares: its nearest incremental update is
    # SGDRegressor.partial_fit (another estimator), on standardised rows.
    Z = (X[:1000] - X.mean(axis=0)) / X.std(axis=0)
    zy = (y[:1000] - y.mean()) / y.std()
    sgd = SGDRegressor()
    sgd.partial_fit(Z[:1], zy[:1])
    i = iter(range(10 ** 6))
    sk_update = median_time(lambda: sgd.partial_fit(Z[next(i) % 1000:][:1],
                                                    zy[:1]), 2000)

    def ms(v):
        return f"{v:.3f} ms"

    def verdict(value, target):
        return "met" if value <= target else "MISSED"

    fit, score_ms = xlb["iforest_fit_ms"][0], xlb["iforest_score_ms"][0]
    refit = xlb["forecast_refit_ms"][0]
    update = xlb["forecast_update_ns"][0]
    print("models: medians of repeated runs, xlb and sklearn on the same data, this run")
    print(f"{'':<44}{'xlb':>12}{'sklearn':>14}{'speed-up':>10}  target")
    print(f"{'iforest fit, 100 trees x 256, 4 features':<44}{ms(fit):>12}{ms(sk_fit * 1e3):>14}"
          f"{sk_fit * 1e3 / fit:>9.1f}x  <= 2 ms: {verdict(fit, 2)}")
    print(f"{'iforest score, 10,000 rows':<44}{ms(score_ms):>12}{ms(sk_score * 1e3):>14}"
          f"{sk_score * 1e3 / score_ms:>9.1f}x  <= 20 ms: {verdict(score_ms, 20)}")
    print(f"{'forecaster refit, 86,400 points':<44}{ms(refit):>12}{ms(sk_refit * 1e3):>14}"
          f"{sk_refit * 1e3 / refit:>9.1f}x  <= 1 ms: {verdict(refit, 1)}")
    print(f"{'  its AR(2) part: exact statistics + QR':<44}"
          f"{ms(xlb['forecast_refit_fixed_alpha_ms'][0]):>12}{'':>14}{'':>10}"
          "  (the refit with alpha fixed)")
    print(f"{'  its SES part: alpha search':<44}{ms(xlb['forecast_ses_fit_ms'][0]):>12}"
          f"{'-':>14}{'':>10}  (sklearn has none)")
    print(f"{'xlb_ols_fit, 86,400 x 2, row-major input':<44}{ms(xlb['ols_fit_ms'][0]):>12}"
          f"{ms(np_refit * 1e3):>14}{np_refit * 1e3 / xlb['ols_fit_ms'][0]:>9.1f}x"
          "  (sklearn column: numpy lstsq)")
    print(f"{'forecaster online update, window 86,400':<44}{update:>9.0f} ns"
          f"{sk_update * 1e6:>11.1f} us{sk_update * 1e9 / update:>9.0f}x"
          f"  <= 1 us: {verdict(update / 1e3, 1)}")
    print(f"{'  same, window 1,000':<44}{xlb['forecast_update_window_1000_ns'][0]:>9.0f} ns"
          "                          (cost independent of the window)")
    print(f"{'  with an exact refit every 600 updates':<44}"
          f"{xlb['forecast_update_amortised_refit_600_ns'][0]:>9.0f} ns"
          "                          (amortised)")
    print("notes: sklearn refit = LinearRegression().fit on the lagged design "
          "(no SES: sklearn has none, so the ratio flatters sklearn); "
          "sklearn update = SGDRegressor.partial_fit of one row (sklearn has "
          "no online least squares; refitting would cost the refit column); "
          f"iforest scoring {xlb['iforest_score_ns_per_row_tree'][0]:.2f} ns per row per tree; "
          f"fitted AR(2) coef {xlb['forecast_ar_coef'][0]:.4f} {xlb['forecast_ar_coef'][1]:.4f}, "
          f"SES alpha {xlb['forecast_ses_alpha'][0]:.3f}")

    for p in paths.values():
        os.unlink(p)
    os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
