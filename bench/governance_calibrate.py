"""Choose the listing classifier's regularisation and decision threshold by cross-validation on
the training set, and check the choice on the development set. The held-out evaluation set is
not read.

usage: python bench/governance_calibrate.py [--folds 5] [--repeats 3] [--seed 0]

For each C on the grid (1, 3, 10): 5-fold stratified cross-validation, repeated with 3 shuffles,
over the shipped training set (`src/xingqu/governance/data/listings_train.tsv`); the smallest
threshold at which the upper 95 % confidence bound on the classifier's added false-positive rate
on clean listings is at most 1 % (`governance.calibration.choose_threshold`); and what it catches
there among the violations the rules missed. The C that catches the most wins (ties: the smaller
C). Then the model trained on the whole training set is checked on the development set
(`tests/governance/data/listings_dev.tsv`: rules stage and full stage, precision, recall,
false-positive rate on clean listings) and on the simulator's generated catalogue (3,000 clean
products). Prints tables and writes bench/results/governance_calibrate.json; compare the chosen
values with `classifier_threshold` in `ruleset.toml` and the default C of `classifier.train`.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

from governance_review import generated_drafts

from xingqu.governance.calibration import (
    CONFIDENCE,
    GRID,
    TARGET_ADDED_FPR,
    added,
    choose_threshold,
    cross_validated,
    scored_with,
)
from xingqu.governance.classifier import (
    ListingClassifier,
    packaged_classifier,
    read_labelled,
    train,
    training_rows,
)
from xingqu.governance.evaluation import Report, evaluate
from xingqu.governance.ruleset import packaged_ruleset
from xingqu.governance.screening import screen

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests/governance/data/listings_dev.tsv"
RESULTS = ROOT / "bench" / "results"
C_GRID = (1.0, 3.0, 10.0)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    ruleset = packaged_ruleset()
    rows = training_rows()
    dev = read_labelled(DEV.read_text(encoding="utf-8").splitlines())
    print(f"training set: {len(rows)} listings; development set: {len(dev)} listings")
    print(
        f"target: the classifier adds at most {TARGET_ADDED_FPR:.1%} false positives on clean "
        f"listings ({CONFIDENCE:.0%} upper bound), {args.folds}-fold x {args.repeats}"
    )
    print(
        f"{'C':>5} {'threshold':>9} | {'clean flagged':>13} {'caught':>6} {'wrong':>5} {'missed':>6}"
    )
    candidates = []
    for c in C_GRID:
        began = time.perf_counter()
        scored = cross_validated(
            rows, ruleset, folds=args.folds, repeats=args.repeats, seed=args.seed, C=c
        )
        threshold = choose_threshold(scored, repeats=args.repeats)
        at = added(scored, threshold if threshold is not None else 2.0)
        curve = [added(scored, t) for t in GRID[::5]]
        candidates.append((c, threshold, at, curve, time.perf_counter() - began))
        print(
            f"{c:>5g} {threshold if threshold is not None else '-':>9} | "
            f"{at.clean_flagged:>6}/{at.clean:<6} {at.caught:>6} {at.wrong:>5} {at.missed:>6}"
        )
    c, threshold, at, _, _ = max(
        (x for x in candidates if x[1] is not None), key=lambda x: (x[2].caught, -x[0])
    )
    assert threshold is not None
    print(f"chosen: C={c:g}, threshold {threshold}")

    model = ListingClassifier(train(rows, C=c), "calibrated")
    dev_added = added(scored_with(model, dev, ruleset), threshold)
    calibrated = copy.copy(ruleset)
    calibrated.policy = replace(ruleset.policy, classifier_threshold=threshold)
    dev_rules = evaluate(dev, ruleset)
    dev_full = evaluate(dev, calibrated, model=model)
    generated = generated_drafts()
    generated_flagged = sum(1 for d in generated if screen(d, calibrated, model=model).findings)
    print()
    print(f"development set ({len(dev)} listings, {dev_rules.clean} clean):")
    print(f"{'stage':6} {'precision':>9} {'recall':>7} {'clean flagged':>14}")
    for name, report in (("rules", dev_rules), ("full", dev_full)):
        print(
            f"{name:6} {report.overall.precision:>9.3f} {report.overall.recall:>7.3f} "
            f"{report.clean_flagged:>5}/{report.clean} ({report.false_positive_rate:.1%})"
        )
    print(
        f"classifier on the rules' passes: {dev_added.clean_flagged} clean flagged, "
        f"{dev_added.caught} caught, {dev_added.wrong} wrong code, {dev_added.missed} missed"
    )
    print(f"generated catalogue: {generated_flagged}/{len(generated)} flagged (rules + classifier)")
    shipped = (packaged_ruleset().policy.classifier_threshold, packaged_classifier().model.C)
    print(f"shipped: threshold {shipped[0]}, C={shipped[1]:g}")

    def summary(report: Report) -> dict[str, object]:
        return {
            "precision": round(report.overall.precision, 4),
            "recall": round(report.overall.recall, 4),
            "clean_flagged": report.clean_flagged,
            "clean": report.clean,
            "false_positive_rate": round(report.false_positive_rate, 4),
        }

    out = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "training_listings": len(rows),
        "development_listings": len(dev),
        "target_added_fpr": TARGET_ADDED_FPR,
        "candidates": [
            {
                "C": cc,
                "threshold": t,
                "seconds": round(s, 1),
                "at_threshold": vars_of(a),
                "curve": [vars_of(p) for p in curve],
            }
            for cc, t, a, curve, s in candidates
        ],
        "chosen": {"C": c, "threshold": threshold},
        "shipped": {"threshold": shipped[0], "C": shipped[1]},
        "development": {
            "rules": summary(dev_rules),
            "full": summary(dev_full),
            "classifier_added": vars_of(dev_added),
        },
        "generated_catalogue": {"listings": len(generated), "flagged": generated_flagged},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "governance_calibrate.json").write_text(json.dumps(out, indent=2), encoding="utf-8")


def vars_of(a: object) -> dict[str, object]:
    fields = ("threshold", "clean", "clean_flagged", "caught", "wrong", "missed")
    return {f: getattr(a, f) for f in fields}


if __name__ == "__main__":
    main()
