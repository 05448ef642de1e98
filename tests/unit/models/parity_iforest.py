#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Isolation Forest parity: xlb-model iforest against scikit-learn.

Five generated data sets (2,000 to 10,000 rows, 2 to 20 features, 1-5%
injected anomalies), each for several seeds that fix both the data and the
forests. For each, averaged over the seeds:
  - sklearn's ROC AUC must lie in [0.7, 0.98]: parity at 1.0 proves nothing;
  - xlb's AUC must be within 0.01 of sklearn's;
  - the Spearman correlation of xlb's scores with sklearn's must be at least
    sklearn's own seed-to-seed Spearman (two sklearn forests, two seeds, same
    data) minus 0.02.
Both sides fit on the whole data set and score it, as an unsupervised
detector is used; sklearn is IsolationForest(n_estimators=100,
max_samples=256), xlb-model runs with its defaults (100 trees, psi 256).

Usage: parity_iforest.py XLB_MODEL_BINARY [SEEDS]
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy.stats import spearmanr
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from parity_results import result, summary


# Each generator returns X with the k anomalies in its first k rows.

def blobs(rng):
    """One Gaussian blob, uniform outliers over a box around it."""
    n, d, k = 2000, 2, 40
    X = rng.normal(size=(n, d))
    X[:k] = rng.uniform(-3.5, 3.5, size=(k, d))
    return X, k


def clusters(rng):
    """Four clusters of different spreads, uniform outliers between them."""
    n, d, k = 5000, 5, 150
    centres = rng.uniform(-4, 4, size=(4, d))
    scales = rng.uniform(0.6, 1.4, size=4)
    which = rng.integers(0, 4, size=n)
    X = centres[which] + rng.normal(size=(n, d)) * scales[which, None]
    lo, hi = np.percentile(X, 1, axis=0), np.percentile(X, 99, axis=0)
    X[:k] = rng.uniform(lo, hi, size=(k, d))
    return X, k


def correlated(rng):
    """Three latent factors behind ten features; outliers break the
    correlation while keeping each feature's spread (hard for axis-parallel
    splits)."""
    n, d, k = 4000, 10, 160
    load = rng.normal(size=(3, d))
    X = rng.normal(size=(n, 3)) @ load + 0.3 * rng.normal(size=(n, d))
    X[:k] = rng.normal(size=(k, d)) * X.std(axis=0) * 1.3
    return X, k


def heavy_tailed(rng):
    """Student-t (3 degrees of freedom) inliers; wider t outliers."""
    n, d, k = 10000, 4, 100
    X = rng.standard_t(3, size=(n, d))
    X[:k] = rng.standard_t(3, size=(k, d)) * 2.5
    return X, k


def constant_features(rng):
    """Twenty features of which six are constant (one at 1e5); outliers
    shifted in three random informative features."""
    n, d, k = 3000, 20, 150
    X = rng.normal(size=(n, d))
    X[:, :6] = np.array([0, 3.5, -1, 0, 7, 1e5])
    cols = rng.choice(np.arange(6, d), size=(k, 3))
    for i in range(k):
        X[i, cols[i]] += rng.choice([-1, 1], size=3) * 2.2
    return X, k


DATASETS = [("blobs", blobs), ("clusters", clusters), ("correlated", correlated),
            ("heavy_tailed", heavy_tailed), ("constant_features", constant_features)]


def sklearn_scores(X, seed):
    forest = IsolationForest(n_estimators=100, max_samples=256, random_state=seed)
    return -forest.fit(X).score_samples(X)


def xlb_scores(binary, X, seed, path):
    header = ",".join(f"f{j}" for j in range(X.shape[1]))
    np.savetxt(path, X, delimiter=",", header=header, comments="", fmt="%.17g")
    out = subprocess.run([binary, "iforest", "--train", path, "--score", path,
                          "--seed", str(seed)], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    scores = np.array([float(v) for v in out.stdout.split()])
    if len(scores) != len(X):
        raise RuntimeError(f"{len(scores)} scores for {len(X)} rows")
    return scores


def main():
    binary = sys.argv[1]
    seeds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    tmp = tempfile.mkdtemp(prefix="xlb-iforest-parity-")
    path = os.path.join(tmp, "data.csv")

    print(f"means over {seeds} seeds; rho = Spearman correlation of scores")
    print(f"{'data set':<18} {'n':>6} {'d':>3} {'anom':>5} {'AUC sk':>7} {'AUC xlb':>8} "
          f"{'diff':>7} {'rho(xlb,sk)':>12} {'rho(sk,sk2)':>12}")
    for di, (name, generate) in enumerate(DATASETS):
        auc_sk, auc_xlb, rho_xlb, rho_sk = [], [], [], []
        for seed in range(seeds):
            X, k = generate(np.random.default_rng(1000 * (di + 1) + seed))
            labels = np.zeros(len(X))
            labels[:k] = 1
            sk = sklearn_scores(X, seed)
            sk2 = sklearn_scores(X, seed + 10007)
            ours = xlb_scores(binary, X, seed, path)
            auc_sk.append(roc_auc_score(labels, sk))
            auc_xlb.append(roc_auc_score(labels, ours))
            rho_xlb.append(spearmanr(ours, sk).correlation)
            rho_sk.append(spearmanr(sk2, sk).correlation)
        a_sk, a_x = np.mean(auc_sk), np.mean(auc_xlb)
        r_x, r_sk = np.mean(rho_xlb), np.mean(rho_sk)
        print(f"{name:<18} {len(X):>6} {X.shape[1]:>3} {100 * k / len(X):>4.1f}% "
              f"{a_sk:>7.4f} {a_x:>8.4f} {a_x - a_sk:>+7.4f} {r_x:>12.4f} {r_sk:>12.4f}")
        result(f"iforest_parity_{name}_sklearn_auc_is_informative",
               0.7 <= a_sk <= 0.98, f"sklearn AUC {a_sk:.4f} outside [0.7, 0.98]")
        result(f"iforest_parity_{name}_auc_within_0.01_of_sklearn",
               abs(a_x - a_sk) <= 0.01,
               f"xlb AUC {a_x:.4f}, sklearn {a_sk:.4f}")
        result(f"iforest_parity_{name}_spearman_at_least_sklearn_seed_to_seed_minus_0.02",
               r_x >= r_sk - 0.02,
               f"rho(xlb, sklearn) {r_x:.4f} < rho(sklearn, sklearn) {r_sk:.4f} - 0.02")

    os.unlink(path)
    os.rmdir(tmp)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
