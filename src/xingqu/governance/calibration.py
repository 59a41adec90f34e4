"""Choosing the classifier's decision threshold by cross-validation on the training set.

The classifier only looks at listings the rules passed, and every listing it flags is held for an
operator, so what it costs is clean listings held and what it buys is violations the rules missed.
`cross_validated` scores every training listing with a model that did not see it (stratified
5-fold, repeated with three shuffles), together with what the rules stage found.
`choose_threshold` then takes the smallest threshold on a 0.01 grid at which the classifier's
added false-positive rate on clean listings is at most `TARGET_ADDED_FPR` (1 %: half of the 2 %
goal, the rules keeping the other half) with 95 % confidence: the one-sided Clopper–Pearson
upper bound on flagged clean listings (per repeat, rounded up) out of the clean listings.
`bench/governance_calibrate.py` runs this for a few regularisation strengths and checks the
result on the development set; the chosen value is `classifier_threshold` in
`ruleset/ruleset.toml`.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import beta

from xingqu.governance.classifier import (
    CLEAN,
    LabelledListing,
    ListingClassifier,
    train,
)
from xingqu.governance.ruleset import RuleSet
from xingqu.governance.screening import ListingDraft, TextModel, screen

TARGET_ADDED_FPR = 0.01  # the classifier's share of the 2 % goal; the rules use the rest
CONFIDENCE = 0.95
GRID = tuple(round(0.50 + 0.01 * i, 2) for i in range(50))  # 0.50, 0.51, …, 0.99


@dataclass(frozen=True, slots=True)
class Scored:
    row: LabelledListing
    rules: tuple[str, ...]  # the codes the rules stage found
    code: str  # the classifier's most likely violation
    score: float  # the classifier's probability that the listing is not clean


@dataclass(frozen=True, slots=True)
class Added:
    """What the classifier adds at a threshold, over the listings the rules passed."""

    threshold: float
    clean: int  # clean listings in the set (the false-positive rate's denominator)
    clean_flagged: int  # clean listings the rules passed and the classifier flags
    caught: int  # violating listings the rules missed, flagged with one of their codes
    wrong: int  # violating listings the rules missed, flagged with another code
    missed: int  # violating listings the rules missed and the classifier passes

    @property
    def false_positive_rate(self) -> float:
        return self.clean_flagged / self.clean if self.clean else 0.0


def stratified_folds(labels: Sequence[str], k: int, seed: int = 0) -> list[list[int]]:
    """Indices split into k folds, each label dealt round-robin after a seeded shuffle."""
    order = list(range(len(labels)))
    random.Random(seed).shuffle(order)
    folds: list[list[int]] = [[] for _ in range(k)]
    dealt = 0
    for label in sorted(set(labels)):
        for i in order:
            if labels[i] == label:
                folds[dealt % k].append(i)
                dealt += 1
    return [sorted(fold) for fold in folds]


def rules_codes(row: LabelledListing, ruleset: RuleSet) -> tuple[str, ...]:
    draft = ListingDraft(
        title=row.title,
        description=row.description,
        category_code=row.category,
        prices_fen=row.prices_fen,
    )
    return tuple(screen(draft, ruleset).codes)


def scored_with(
    model: TextModel, rows: Sequence[LabelledListing], ruleset: RuleSet
) -> list[Scored]:
    out = []
    for row in rows:
        code, score = model.top_violation(row.text)
        out.append(Scored(row, rules_codes(row, ruleset), code, score))
    return out


def cross_validated(
    rows: Sequence[LabelledListing],
    ruleset: RuleSet,
    *,
    folds: int = 5,
    repeats: int = 3,
    seed: int = 0,
    C: float = 1.0,
) -> list[Scored]:
    """Every row scored by a model trained on the other folds, once per repeat (each repeat with
    its own shuffle, seeds `seed`, `seed + 1`, …): `repeats * len(rows)` scores, repeat by repeat
    in the rows' order. Repeating steadies the estimate of a rate as small as the one targeted."""
    labels = [r.labels[0] for r in rows]
    rules = [rules_codes(r, ruleset) for r in rows]
    out: list[Scored] = []
    for repeat in range(repeats):
        by_row: dict[int, Scored] = {}
        for fold in stratified_folds(labels, folds, seed + repeat):
            held = set(fold)
            model = ListingClassifier(
                train([r for i, r in enumerate(rows) if i not in held], C=C), "cv"
            )
            for i in fold:
                code, score = model.top_violation(rows[i].text)
                by_row[i] = Scored(rows[i], rules[i], code, score)
        out += [by_row[i] for i in range(len(rows))]
    return out


def added(scored: Sequence[Scored], threshold: float) -> Added:
    clean = clean_flagged = caught = wrong = missed = 0
    for s in scored:
        gold = s.row.codes
        clean += not gold
        if s.rules:
            continue
        flagged = s.code != CLEAN and s.score >= threshold
        if not gold:
            clean_flagged += flagged
        elif not flagged:
            missed += 1
        elif s.code in gold:
            caught += 1
        else:
            wrong += 1
    return Added(threshold, clean, clean_flagged, caught, wrong, missed)


def rate_upper_bound(flagged: int, total: int, confidence: float = CONFIDENCE) -> float:
    """The one-sided Clopper–Pearson upper confidence bound on a rate seen as flagged / total."""
    if total <= 0 or flagged >= total:
        return 1.0
    return float(beta.ppf(confidence, flagged + 1, total - flagged))


def added_rate_bound(a: Added, repeats: int = 1, confidence: float = CONFIDENCE) -> float:
    """The upper bound on the classifier's added false-positive rate, counting each clean
    listing once: flagged listings per repeat (rounded up) out of the clean listings."""
    return rate_upper_bound(math.ceil(a.clean_flagged / repeats), a.clean // repeats, confidence)


def choose_threshold(
    scored: Sequence[Scored],
    *,
    repeats: int = 1,
    target: float = TARGET_ADDED_FPR,
    confidence: float = CONFIDENCE,
    grid: Sequence[float] = GRID,
) -> float | None:
    """The smallest grid threshold at which the upper confidence bound on the classifier's added
    false-positive rate is at most `target`; None if no threshold on the grid does."""
    for threshold in sorted(grid):
        if added_rate_bound(added(scored, threshold), repeats, confidence) <= target:
            return threshold
    return None
