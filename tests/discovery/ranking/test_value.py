"""The quality-GMV value formula, checked on hand-computed examples, one of them the worked
example of docs/discovery.md."""

from __future__ import annotations

import numpy as np
import pytest

from xingqu.discovery.ranking import Heads, QualityGmvValue


def _heads(
    p_click: list[float], p_buy: list[float], p_refund: list[float], watch: list[float]
) -> Heads:
    return Heads(
        p_click=np.asarray(p_click, dtype=np.float32),
        p_buy_given_click=np.asarray(p_buy, dtype=np.float32),
        p_refund_given_buy=np.asarray(p_refund, dtype=np.float32),
        watch_s=np.asarray(watch, dtype=np.float32),
    )


def test_the_worked_example_of_docs_discovery() -> None:
    # given a ¥99 serum, p(click) 0.08, p(buy | click) 0.05, p(refund | buy) 0.1, service
    # quality 0.8 and 12 expected seconds
    value = QualityGmvValue(watch_fen_per_s=0.5, merchant_quality_floor=0.5)
    heads = _heads(p_click=[0.08], p_buy=[0.05], p_refund=[0.1], watch=[12.0])
    # when
    totals = value.value(np.array([9_900]), heads, np.array([0.8]))
    # then 9,900 × 0.08 × 0.05 × 0.9 × 0.9 = 32.076 fen, plus 0.5 × 12 = 6 fen
    assert value.merchant_factor(np.array([0.8])).tolist() == pytest.approx([0.9])
    assert totals.tolist() == pytest.approx([38.076])


def test_three_hand_computed_items() -> None:
    # given A, a 199-yuan product from a good merchant;
    # B, a video without a product; C, A's product from a poorly rated merchant
    value = QualityGmvValue(watch_fen_per_s=0.5, merchant_quality_floor=0.5)
    heads = _heads(
        p_click=[0.0625, 0.0625, 0.0625],
        p_buy=[0.125, 0.0, 0.125],
        p_refund=[0.25, 0.0, 0.25],
        watch=[12.0, 40.0, 12.0],
    )
    price_fen = np.array([19_900, 0, 19_900])
    merchant_quality = np.array([0.75, 0.0, 0.25])
    # when
    terms = value.terms(price_fen, heads, merchant_quality)
    totals = value.value(price_fen, heads, merchant_quality)
    # then
    assert value.merchant_factor(merchant_quality).tolist() == [0.875, 0.5, 0.625]
    assert terms.commerce.tolist() == [102.0263671875, 0.0, 72.8759765625]
    assert terms.content.tolist() == [6.0, 20.0, 6.0]
    assert totals.tolist() == [108.0263671875, 20.0, 78.8759765625]
    assert totals.dtype == np.float64


def test_a_merchant_of_quality_zero_keeps_the_floor_share() -> None:
    # given
    value = QualityGmvValue(watch_fen_per_s=0.0, merchant_quality_floor=0.2)
    heads = _heads([0.5, 0.5], [0.5, 0.5], [0.0, 0.0], [0.0, 0.0])
    # when
    worst, best = value.value(np.array([1_000, 1_000]), heads, np.array([0.0, 1.0])).tolist()
    # then
    assert (worst, best) == (50.0, 250.0)


def test_invalid_inputs_are_refused() -> None:
    # given
    value = QualityGmvValue()
    heads = _heads([0.1], [0.1], [0.1], [1.0])
    # when / then
    with pytest.raises(ValueError, match=r"merchant_quality must be in 0\.\.1"):
        value.value(np.array([100]), heads, np.array([1.5]))
    with pytest.raises(ValueError, match=r"price_fen must be integers \(fen\)"):
        value.value(np.array([1.5]), heads, np.array([0.5]))
    with pytest.raises(ValueError, match="price_fen must not be negative"):
        value.value(np.array([-100]), heads, np.array([0.5]))
    with pytest.raises(ValueError, match=r"price_fen has shape \(2,\), expected \(1,\)"):
        value.value(np.array([1, 2]), heads, np.array([0.5]))
    with pytest.raises(ValueError, match=r"merchant_quality_floor must be in 0\.\.1"):
        QualityGmvValue(merchant_quality_floor=1.5)
    with pytest.raises(ValueError, match="watch_fen_per_s"):
        QualityGmvValue(watch_fen_per_s=-1.0)
