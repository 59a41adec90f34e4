"""Choosing the classifier's threshold by cross-validation, and what the shipped threshold does on
the development set (the held-out evaluation set is not read here)."""

from collections import Counter
from pathlib import Path

import pytest

from xingqu.governance.calibration import (
    Scored,
    added,
    added_rate_bound,
    choose_threshold,
    cross_validated,
    rate_upper_bound,
    scored_with,
    stratified_folds,
)
from xingqu.governance.classifier import packaged_classifier, read_labelled, training_rows
from xingqu.governance.evaluation import evaluate
from xingqu.governance.ruleset import packaged_ruleset

DEV = Path(__file__).parent / "data" / "listings_dev.tsv"


def _scored(labels: str, score: float, code: str = "ad.absolute_term", rules: str = "") -> Scored:
    [row] = read_labelled([f"{labels}\tfood.snacks.nuts\t3990\tt\td"])
    return Scored(row, tuple(rules.split(",")) if rules else (), code, score)


def test_stratified_folds_partition_the_rows_and_spread_each_label() -> None:
    # given
    labels = ["clean"] * 11 + ["a"] * 7 + ["b"] * 3
    # when
    folds = stratified_folds(labels, 5, seed=1)
    # then
    assert sorted(i for fold in folds for i in fold) == list(range(len(labels)))
    for label, total in Counter(labels).items():
        per_fold = [sum(labels[i] == label for i in fold) for fold in folds]
        assert sum(per_fold) == total and max(per_fold) - min(per_fold) <= 1
    assert folds == stratified_folds(labels, 5, seed=1)
    assert folds != stratified_folds(labels, 5, seed=2)


def test_the_upper_bound_of_a_rate_is_clopper_pearson() -> None:
    # nothing seen in 100: the bound solves (1 - p) ** 100 = 0.05
    assert rate_upper_bound(0, 100) == pytest.approx(1 - 0.05 ** (1 / 100))
    assert rate_upper_bound(1, 559) == pytest.approx(0.008458, abs=1e-6)
    assert rate_upper_bound(5, 5) == 1.0
    assert rate_upper_bound(0, 0) == 1.0


def test_added_counts_only_what_the_rules_passed() -> None:
    # given
    scored = [
        _scored("clean", 0.9),  # flagged clean
        _scored("clean", 0.2),  # passed clean
        _scored("clean", 0.9, rules="price.anomaly"),  # the rules' false positive, not the model's
        _scored("ad.absolute_term", 0.8),  # caught
        _scored("goods.counterfeit", 0.8),  # flagged with the wrong code
        _scored("goods.counterfeit", 0.1),  # missed
        _scored("ad.absolute_term", 0.1, rules="ad.absolute_term"),  # the rules' catch
    ]
    # when
    a = added(scored, 0.5)
    # then
    assert (a.clean, a.clean_flagged, a.caught, a.wrong, a.missed) == (3, 1, 1, 1, 1)
    assert a.false_positive_rate == pytest.approx(1 / 3)


def test_the_threshold_is_the_smallest_whose_bound_meets_the_target() -> None:
    # given: 400 clean listings scored 0.0 and three scored 0.9, 0.8 and 0.7, twice (two repeats)
    once = [_scored("clean", 0.0) for _ in range(400)]
    once += [_scored("clean", s) for s in (0.9, 0.8, 0.7)]
    scored = once + once
    # when
    bounds = {t: added_rate_bound(added(scored, t), repeats=2) for t in (0.7, 0.8, 0.9, 0.95)}
    chosen = choose_threshold(scored, repeats=2, target=0.01, grid=(0.7, 0.8, 0.9, 0.95))
    # then: one flagged of 403 bounds the rate at 1.17 %, none at 0.74 %
    assert bounds[0.9] == pytest.approx(rate_upper_bound(1, 403))
    assert bounds[0.9] > 0.01 >= bounds[0.95]
    assert chosen == 0.95
    assert choose_threshold(scored, repeats=2, target=0.001, grid=(0.9, 0.95)) is None


def test_the_shipped_threshold_keeps_the_development_sets_clean_listings_clean() -> None:
    # given
    ruleset = packaged_ruleset()
    rows = read_labelled(DEV.read_text(encoding="utf-8").splitlines())
    # when
    rules = evaluate(rows, ruleset)
    full = evaluate(rows, ruleset, model=packaged_classifier())
    by_model = added(scored_with(packaged_classifier(), rows, ruleset), 0.75)
    # then: the classifier flags none of the 245 clean listings and catches what the rules missed
    assert ruleset.policy.classifier_threshold == 0.75
    assert (full.clean, full.clean_flagged) == (245, rules.clean_flagged)
    assert by_model.clean_flagged == 0 and by_model.wrong == 0
    assert by_model.caught >= 15
    assert full.overall.precision >= 0.95
    assert full.overall.recall >= rules.overall.recall + 0.07


@pytest.mark.slow
def test_calibration_on_the_training_set_gives_the_shipped_threshold() -> None:
    # when
    scored = cross_validated(training_rows(), packaged_ruleset(), folds=5, repeats=3, seed=0)
    # then
    assert choose_threshold(scored, repeats=3) == packaged_ruleset().policy.classifier_threshold
    assert packaged_classifier().model.C == 1.0
