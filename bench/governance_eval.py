"""Listing-review quality on the held-out evaluation set (tests/governance/data/listings_eval.tsv):
precision and recall per reason code and overall, and the false-positive rate on clean listings,
for the rules stage and the full stage (rules + classifier).

usage: python bench/governance_eval.py [FILE]
Prints a table and writes bench/results/governance_eval.json.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

from xingqu.governance.classifier import packaged_classifier, read_labelled
from xingqu.governance.evaluation import evaluate
from xingqu.governance.ruleset import packaged_ruleset

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "tests/governance/data/listings_eval.tsv"


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    rows = read_labelled(path.read_text(encoding="utf-8").splitlines())
    results = {
        "rules": evaluate(rows, packaged_ruleset()),
        "full": evaluate(rows, packaged_ruleset(), model=packaged_classifier()),
    }
    codes = [s.code for s in results["rules"].per_code] + ["overall"]
    print(f"{path.name}: {len(rows)} listings")
    print(
        f"{'reason code':24} {'support':>7} | {'rules P':>7} {'rules R':>7} | {'full P':>7} {'full R':>7}"
    )
    for code in codes:
        r = {k: (v.overall if code == "overall" else next(s for s in v.per_code if s.code == code))
             for k, v in results.items()}  # fmt: skip
        print(
            f"{code:24} {r['rules'].support:>7} | {r['rules'].precision:>7.3f} "
            f"{r['rules'].recall:>7.3f} | {r['full'].precision:>7.3f} {r['full'].recall:>7.3f}"
        )
    for name, report in results.items():
        print(
            f"{name}: false positives on clean listings {report.clean_flagged}/{report.clean} "
            f"({report.false_positive_rate:.1%})"
        )
    out = {
        "file": str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "ruleset_version": packaged_ruleset().version,
        "model_version": packaged_classifier().version,
        **{name: report.as_dict() for name, report in results.items()},
    }
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "governance_eval.json").write_text(json.dumps(out, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
