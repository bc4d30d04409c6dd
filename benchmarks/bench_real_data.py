"""chainrule against scikit-learn on real data, on the same fixed split.

    python benchmarks/bench_real_data.py           # the README's figures
    python benchmarks/bench_real_data.py --quick   # a smoke run, as CI does

Split: train_test_split(test_size=0.2, random_state=0, stratify=y), features standardised
on the training part (cr.datasets.*(split=True)). Two tasks:
  - breast cancer, logistic regression: one Linear + sigmoid + BCE, batch gradient descent,
    against sklearn's LogisticRegression;
  - digits, an MLP with 64 hidden ReLU units trained with Adam on mini-batches, against
    sklearn's MLPClassifier(hidden_layer_sizes=(64,)); median over 3 seeds.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings

import numpy as np

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn


def logistic_regression(split, epochs: int, lr: float) -> tuple[float, float]:
    X_train, X_test, y_train, y_test = split
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(X_train.shape[1], 1), nn.Sigmoid())
    opt = cr.optim.SGD(model.parameters(), lr=lr)

    start = time.perf_counter()    # y of shape (N,) is read as the column the output is
    cr.train.fit(model, F.binary_cross_entropy, opt, (X_train, y_train.astype(np.float32)), epochs=epochs,
                 batch_size=None, progress=False)
    seconds = time.perf_counter() - start
    with cr.no_grad():
        acc = cr.train.accuracy(model(cr.tensor(X_test)), y_test, from_logits=False)
    return acc, seconds


def mlp_digits(split, seed: int, epochs: int) -> tuple[float, float]:
    X_train, X_test, y_train, y_test = split
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    opt = cr.optim.Adam(model.parameters(), lr=1e-3)
    loader = cr.data.DataLoader(X_train, y_train, batch_size=32, shuffle=True, seed=seed)
    start = time.perf_counter()
    cr.train.fit(model, F.cross_entropy, opt, loader, epochs=epochs, progress=False)
    seconds = time.perf_counter() - start
    with cr.no_grad():
        acc = cr.train.accuracy(model(cr.tensor(X_test)), y_test)
    return acc, seconds


def sklearn_scores(cancer, digits, seeds, quick: bool) -> dict:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    out = {}
    start = time.perf_counter()
    lr = LogisticRegression(max_iter=1000).fit(cancer[0], cancer[2])
    out["logreg"] = (lr.score(cancer[1], cancer[3]), time.perf_counter() - start)
    runs = []
    for seed in seeds:
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf = MLPClassifier(hidden_layer_sizes=(64,), random_state=seed,
                                max_iter=20 if quick else 200).fit(digits[0], digits[2])
        runs.append((clf.score(digits[1], digits[3]), time.perf_counter() - start))
    out["mlp"] = runs
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny smoke run (CI)")
    args = parser.parse_args(argv)
    seeds = [0, 1, 2]
    cancer = cr.datasets.breast_cancer(split=True)
    digits = cr.datasets.digits(split=True)

    lr_acc, lr_time = logistic_regression(cancer, epochs=20 if args.quick else 2000, lr=0.5)
    mlp_runs = [mlp_digits(digits, seed, epochs=2 if args.quick else 60) for seed in seeds]
    theirs = sklearn_scores(cancer, digits, seeds, args.quick)

    print(f"{'task':44} {'chainrule':>20} {'scikit-learn':>20}")
    print(f"{'breast cancer, logistic regression':44} "
          f"{lr_acc:9.4f} ({lr_time:6.2f} s) {theirs['logreg'][0]:9.4f} "
          f"({theirs['logreg'][1]:6.2f} s)")
    ours_acc = statistics.median(a for a, _ in mlp_runs)
    ours_time = statistics.median(t for _, t in mlp_runs)
    their_acc = statistics.median(a for a, _ in theirs["mlp"])
    their_time = statistics.median(t for _, t in theirs["mlp"])
    print(f"{'digits, MLP 64 ReLU + Adam (median of 3)':44} "
          f"{ours_acc:9.4f} ({ours_time:6.2f} s) {their_acc:9.4f} ({their_time:6.2f} s)")
    print("per seed, chainrule:", ", ".join(f"{a:.4f}" for a, _ in mlp_runs),
          "| scikit-learn:", ", ".join(f"{a:.4f}" for a, _ in theirs["mlp"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
