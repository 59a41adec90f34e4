"""The multi-task ranker's contract, on synthetic impressions with a known answer."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from xingqu.discovery.evaluation.metrics import auc
from xingqu.discovery.ranking import FEATURES, Labels, MultiTaskRanker, NotFittedError
from xingqu.discovery.ranking.ranker import HEADS

AFFINITY = FEATURES.index("user_category_affinity")
LIVE = FEATURES.index("item_kind_live")
PRICE = FEATURES.index("item_price_log")
DURATION = FEATURES.index("item_duration_s")
EXPENSIVE = 5.0  # refunds happen only above this item_price_log
N_ROWS = 12_000


def known_answer(n: int, seed: int) -> tuple[np.ndarray, Labels, np.ndarray]:
    """Clicks depend on the category affinity only, buys (after a click) happen only on live
    items, refunds (after a buy) only above a price, watch time is half the duration of clicked
    items. Returns X, the labels and the true p(click)."""
    rng = np.random.default_rng(seed)
    X = rng.random((n, len(FEATURES))).astype(np.float32)
    X[:, LIVE] = rng.random(n) < 0.5
    X[:, PRICE] = rng.uniform(3.0, 7.0, n)
    X[:, DURATION] = rng.uniform(0.0, 60.0, n)
    p_click = 0.05 + 0.6 * X[:, AFFINITY]
    click = rng.random(n) < p_click
    buy = click & (X[:, LIVE] == 1) & (rng.random(n) < 0.6)
    refund = buy & (X[:, PRICE] > EXPENSIVE) & (rng.random(n) < 0.7)
    watch = np.where(click, 0.5 * X[:, DURATION], 0.0)
    labels = Labels(click.astype(np.int8), buy.astype(np.int8), refund.astype(np.int8), watch)
    return X, labels, p_click


@pytest.fixture(scope="module")
def fitted() -> MultiTaskRanker:
    X, labels, _ = known_answer(N_ROWS, seed=1)
    return MultiTaskRanker(n_estimators=60, num_leaves=15, seed=3).fit(X, labels)


def test_every_head_learns_what_its_outcome_depends_on(fitted: MultiTaskRanker) -> None:
    # given fresh impressions from the same world
    X, labels, p_true = known_answer(4_000, seed=2)
    # when
    heads = fitted.predict(X)
    # then all four heads were trained
    assert fitted.fallbacks_ == {}
    assert sorted(fitted.boosters_) == sorted(HEADS)
    # p(click) orders by the affinity: close to the oracle's AUC, rising across quintiles
    oracle = auc(labels.click, p_true)
    assert auc(labels.click, heads.p_click) > oracle - 0.02
    quintile = np.minimum((X[:, AFFINITY] * 5).astype(int), 4)
    means = [float(heads.p_click[quintile == q].mean()) for q in range(5)]
    assert means == sorted(means)
    assert means[4] - means[0] > 0.35
    # p(buy | click) is high on live items only; p(refund | buy) above the price only
    live = X[:, LIVE] == 1
    assert heads.p_buy_given_click[live].mean() > 0.5
    assert heads.p_buy_given_click[~live].mean() < 0.05
    dear = X[:, PRICE] > EXPENSIVE + 0.3
    cheap = X[:, PRICE] < EXPENSIVE - 0.3
    assert heads.p_refund_given_buy[dear].mean() > 0.5
    assert heads.p_refund_given_buy[cheap].mean() < 0.1
    # watch seconds follow the duration, never negative
    assert np.corrcoef(heads.watch_s, X[:, DURATION])[0, 1] > 0.6
    assert heads.watch_s.min() >= 0.0
    # and each head's most important columns are its causes
    importances = fitted.feature_importances_
    top = {head: FEATURES[int(np.argmax(importances[head]))] for head in ("click", "buy", "refund")}
    assert top == {
        "click": "user_category_affinity",
        "buy": "item_kind_live",
        "refund": "item_price_log",
    }
    watch_top_two = {FEATURES[int(i)] for i in np.argsort(-importances["watch"])[:2]}
    assert watch_top_two == {
        "user_category_affinity",
        "item_duration_s",
    }  # watch = click × duration
    assert all(v.dtype == np.float32 and len(v) == len(FEATURES) for v in importances.values())
    assert all(float(v.sum()) == pytest.approx(1.0, abs=1e-5) for v in importances.values())


def test_heads_are_float32_aligned_with_rows(fitted: MultiTaskRanker) -> None:
    # given
    X, _, _ = known_answer(7, seed=4)
    # when
    heads = fitted.predict(X)
    # then
    for values in (heads.p_click, heads.p_buy_given_click, heads.p_refund_given_buy):
        assert values.dtype == np.float32 and values.shape == (7,)
        assert ((values >= 0) & (values <= 1)).all()
    assert heads.watch_s.dtype == np.float32 and len(heads) == 7
    assert len(fitted.predict(np.zeros((0, len(FEATURES)), dtype=np.float32))) == 0


def test_same_data_and_seed_give_the_same_model() -> None:
    # given
    X, labels, _ = known_answer(3_000, seed=5)
    # when
    first = MultiTaskRanker(n_estimators=20, seed=7).fit(X, labels).predict(X)
    second = MultiTaskRanker(n_estimators=20, seed=7).fit(X, labels).predict(X)
    # then
    for name in ("p_click", "p_buy_given_click", "p_refund_given_buy", "watch_s"):
        assert np.array_equal(getattr(first, name), getattr(second, name))


def test_save_and_load_give_identical_predictions(fitted: MultiTaskRanker, tmp_path: Path) -> None:
    # given
    X, _, _ = known_answer(500, seed=6)
    before = fitted.predict(X)
    # when
    fitted.save(tmp_path / "ranker")
    loaded = MultiTaskRanker.load(tmp_path / "ranker")
    after = loaded.predict(X)
    # then
    for name in ("p_click", "p_buy_given_click", "p_refund_given_buy", "watch_s"):
        assert np.array_equal(getattr(before, name), getattr(after, name))
    assert loaded.get_params() == fitted.get_params()
    assert loaded.priors_ == fitted.priors_
    assert loaded.fallbacks_ == fitted.fallbacks_
    for head in HEADS:
        assert np.array_equal(loaded.feature_importances_[head], fitted.feature_importances_[head])
    files = sorted(p.name for p in (tmp_path / "ranker").iterdir())
    assert files == ["head_buy.txt", "head_click.txt", "head_refund.txt", "head_watch.txt",
                     "params.json"]  # fmt: skip


def test_a_head_without_enough_positives_falls_back_to_a_smoothed_prior(tmp_path: Path) -> None:
    # given 400 impressions, 100 clicks, 3 buys and no refunds
    rng = np.random.default_rng(8)
    X = rng.random((400, len(FEATURES))).astype(np.float32)
    click = np.zeros(400, dtype=np.int8)
    click[:100] = 1
    buy = np.zeros(400, dtype=np.int8)
    buy[:3] = 1
    labels = Labels(click, buy, np.zeros(400, dtype=np.int8), np.zeros(400))
    # when
    ranker = MultiTaskRanker(n_estimators=5, min_child_samples=5, seed=0).fit(X, labels)
    heads = ranker.predict(X[:4])
    # then click is learned; buy, refund and watch are constants, and say why
    assert sorted(ranker.boosters_) == ["click"]
    assert ranker.fallbacks_ == {
        "buy": "buy: 3 positives and 97 negatives in 100 rows (need 5 of each): constant prior",
        "refund": "refund: 0 positives and 3 negatives in 3 rows (need 5 of each): constant prior",
        "watch": "watch: 0 non-zero targets (need 5): constant mean",
    }
    assert heads.p_buy_given_click.tolist() == [np.float32(4 / 102)] * 4
    assert heads.p_refund_given_buy.tolist() == [np.float32(1 / 5)] * 4
    assert heads.watch_s.tolist() == [0.0] * 4
    assert ranker.feature_importances_["buy"].tolist() == [0.0] * len(FEATURES)
    # and the fallback survives a round trip
    ranker.save(tmp_path / "r")
    loaded = MultiTaskRanker.load(tmp_path / "r")
    assert loaded.fallbacks_ == ranker.fallbacks_
    assert loaded.predict(X[:4]).p_buy_given_click.tolist() == heads.p_buy_given_click.tolist()


def test_dataset_specific_columns_go_through_the_same_api(tmp_path: Path) -> None:
    # given two columns of a dataset's own, the first deciding the clicks
    rng = np.random.default_rng(9)
    X = rng.random((2_000, 2)).astype(np.float32)
    click = (rng.random(2_000) < X[:, 0]).astype(np.int8)
    zeros = np.zeros(2_000, dtype=np.int8)
    # when
    ranker = MultiTaskRanker(n_estimators=20, feature_names=("signal", "noise"), seed=1)
    ranker.fit(X, Labels(click, zeros, zeros, np.zeros(2_000)))
    ranker.save(tmp_path / "r")
    loaded = MultiTaskRanker.load(tmp_path / "r")
    # then
    assert loaded.columns == ("signal", "noise")
    assert auc(click, loaded.predict(X).p_click) > 0.7
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        loaded.predict(np.zeros((1, len(FEATURES))))


def test_invalid_input_is_refused() -> None:
    # given
    X = np.zeros((4, len(FEATURES)), dtype=np.float32)
    ones = np.ones(4, dtype=np.int8)
    zeros = np.zeros(4, dtype=np.int8)
    ranker = MultiTaskRanker()
    # when / then
    with pytest.raises(NotFittedError):
        ranker.predict(X)
    with pytest.raises(ValueError, match="a buy without a click"):
        ranker.fit(X, Labels(zeros, ones, zeros, np.zeros(4)))
    with pytest.raises(ValueError, match="a refund without a buy"):
        ranker.fit(X, Labels(ones, zeros, ones, np.zeros(4)))
    with pytest.raises(ValueError, match=r"labels\.click must hold only 0 and 1"):
        ranker.fit(X, Labels(ones * 2, zeros, zeros, np.zeros(4)))
    with pytest.raises(ValueError, match=r"labels\.watch_s has shape \(3,\)"):
        ranker.fit(X, Labels(ones, zeros, zeros, np.zeros(3)))
    with pytest.raises(ValueError, match="non-finite"):
        ranker.fit(np.full_like(X, np.nan), Labels(ones, zeros, zeros, np.zeros(4)))
    assert not hasattr(ranker, "n_features_")


def test_load_refuses_another_format(fitted: MultiTaskRanker, tmp_path: Path) -> None:
    # given a saved ranker whose format number was changed
    fitted.save(tmp_path / "r")
    meta = json.loads((tmp_path / "r" / "params.json").read_text())
    meta["format"] = 99
    (tmp_path / "r" / "params.json").write_text(json.dumps(meta))
    # when / then
    with pytest.raises(ValueError, match="unsupported ranker format 99"):
        MultiTaskRanker.load(tmp_path / "r")
