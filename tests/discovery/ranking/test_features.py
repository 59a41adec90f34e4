"""The ranker's feature columns: one fixed order, one assembler, strict about what it gets."""

from __future__ import annotations

import numpy as np
import pytest

from xingqu.discovery.ranking.features import (
    CHANNELS,
    FEATURES,
    assemble,
    channel_columns,
    hour_columns,
    kind_columns,
    price_log,
    price_vs_user_level,
    smoothed_rate,
)


def _columns(n: int) -> dict[str, np.ndarray]:
    return {name: np.full(n, float(j), dtype=np.float64) for j, name in enumerate(FEATURES)}


def test_features_hold_the_required_columns_once_each() -> None:
    # given the columns the brief requires
    required = {
        "user_activity",
        "user_category_affinity",
        "user_follows_creator",
        "user_price_level",
        "item_price_log",
        "item_kind_video",
        "item_kind_live",
        "item_kind_post",
        "item_duration_s",
        "item_age_h",
        "item_ctr",
        "item_cvr",
        "item_refund_rate",
        "item_popularity",
        "creator_followers_log",
        "creator_rating",
        "merchant_quality",
        "merchant_new",
        "hour_sin",
        "hour_cos",
        "retrieval_score",
        "price_vs_user_level",
        "user_item_cf",
    } | {f"channel_{name}" for name in CHANNELS}
    # then every one is there, and nothing is there twice
    assert set(FEATURES) == required
    assert len(FEATURES) == len(set(FEATURES)) == 30
    assert CHANNELS == (
        "model",
        "session",
        "follow",
        "interest",
        "exploration",
        "fresh",
        "trending",
    )


def test_assemble_puts_columns_in_features_order_as_float32() -> None:
    # given columns whose values are their own position, given in reverse order
    columns = dict(reversed(list(_columns(3).items())))
    # when
    matrix = assemble(columns)
    # then
    assert matrix.dtype == np.float32
    assert matrix.shape == (3, len(FEATURES))
    assert matrix.tolist() == [[float(j) for j in range(len(FEATURES))]] * 3


def test_assemble_broadcasts_scalars_over_the_rows() -> None:
    # given a request-level hour given once for two candidates
    columns: dict[str, object] = dict(_columns(2))
    columns.update(hour_columns(6.0))
    columns["merchant_new"] = np.array([True, False])
    # when
    matrix = assemble(columns)  # type: ignore[arg-type]
    # then
    assert matrix[:, FEATURES.index("hour_sin")].tolist() == [1.0, 1.0]
    assert matrix[:, FEATURES.index("merchant_new")].tolist() == [1.0, 0.0]


def test_assemble_names_missing_and_unknown_columns() -> None:
    # given columns lacking two names and carrying a stray one
    columns = _columns(2)
    del columns["item_ctr"], columns["hour_cos"]
    columns["item_colour"] = np.zeros(2)
    # when / then
    with pytest.raises(ValueError) as error:
        assemble(columns)
    assert str(error.value) == ("missing columns: item_ctr, hour_cos; unknown columns: item_colour")


def test_assemble_names_ragged_columns() -> None:
    # given one column too short and one two-dimensional
    columns = _columns(3)
    columns["item_age_h"] = np.zeros(2)
    columns["item_ctr"] = np.zeros((3, 1))
    # when / then
    with pytest.raises(ValueError, match=r"ragged columns \(expected 3 rows\): item_ctr"):
        assemble(columns)
    with pytest.raises(ValueError, match=r"item_age_h \(2,\)"):
        assemble(columns)


def test_assemble_refuses_non_numeric_and_non_finite_values() -> None:
    # given
    text = _columns(2)
    text["creator_rating"] = np.array(["4.5", "3"])
    infinite = _columns(2)
    infinite["item_age_h"] = np.array([1.0, np.inf])
    missing = _columns(2)
    missing["item_cvr"] = np.array([np.nan, 0.1])
    # when / then
    with pytest.raises(ValueError, match="non-numeric columns: creator_rating"):
        assemble(text)
    with pytest.raises(ValueError, match="non-finite values in columns: item_age_h"):
        assemble(infinite)
    with pytest.raises(ValueError, match="non-finite values in columns: item_cvr"):
        assemble(missing)


def test_assemble_accepts_a_dataset_specific_column_list() -> None:
    # when
    matrix = assemble({"b": [1, 2], "a": [3, 4]}, names=("a", "b"))
    # then
    assert matrix.tolist() == [[3.0, 1.0], [4.0, 2.0]]


def test_encoders_of_derived_columns() -> None:
    # price: log1p of yuan; 0 without a product
    assert price_log([0, 100, 9_900]).tolist() == pytest.approx([0.0, np.log(2.0), np.log(100.0)])
    with pytest.raises(ValueError, match="negative"):
        price_log([-1])
    # smoothed rate: shrunk towards the prior by 20 pseudo-trials
    assert smoothed_rate([0, 30], [0, 100], prior=0.1).tolist() == pytest.approx([0.1, 32 / 120])
    with pytest.raises(ValueError, match="successes <= trials"):
        smoothed_rate([3], [2], prior=0.1)
    # hour on the unit circle
    hours = hour_columns(np.array([0.0, 6.0, 12.0]))
    assert hours["hour_sin"].tolist() == pytest.approx([0.0, 1.0, 0.0], abs=1e-6)
    assert hours["hour_cos"].tolist() == pytest.approx([1.0, 0.0, -1.0], abs=1e-6)
    # one-hots
    kinds = kind_columns(["video", None, "post"])
    assert kinds["item_kind_video"].tolist() == [1.0, 0.0, 0.0]
    assert kinds["item_kind_live"].tolist() == [0.0, 0.0, 0.0]
    assert kinds["item_kind_post"].tolist() == [0.0, 0.0, 1.0]
    with pytest.raises(ValueError, match="unknown content kinds: shorts"):
        kind_columns(["shorts"])
    channels = channel_columns(["follow", ("model", "trending")])
    assert channels["channel_follow"].tolist() == [1.0, 0.0]
    assert channels["channel_model"].tolist() == [0.0, 1.0]
    assert channels["channel_trending"].tolist() == [0.0, 1.0]
    assert channels["channel_session"].tolist() == [0.0, 0.0]
    with pytest.raises(ValueError, match="unknown channels: ads"):
        channel_columns(["ads"])
    # cross feature: only where both sides are known
    assert price_vs_user_level([2.0, 2.0, 0.0], [1.5, 0.0, 1.0]).tolist() == [0.5, 0.0, 0.0]
