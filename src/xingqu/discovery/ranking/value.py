"""Quality GMV: what showing a candidate is worth, in fen, from the ranker's heads.

    value = price_fen × p_click × p_buy|click × (1 − p_refund|buy) × merchant_factor
            + watch_fen_per_s × watch_s
    merchant_factor = floor + (1 − floor) × merchant_quality        (merchant_quality in 0..1)

The first term is the expected GMV that stays sold (net of refunds) from one impression, scaled
down for merchants who serve buyers badly: a merchant of quality 0 keeps only `floor` of it, one
of quality 1 all of it. The second term is the content value of the expected watch time. Items
without a product have price 0, so only the watch term counts. See docs/discovery.md for a worked
example.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from xingqu.discovery.ranking.ranker import Heads

FloatVector = npt.NDArray[np.float64]


@dataclass(frozen=True)
class ValueTerms:
    """The two terms of the value and their sum, per candidate (fen, float64)."""

    commerce: FloatVector
    content: FloatVector
    total: FloatVector


class QualityGmvValue:
    """The quality-GMV value formula (module docstring), with its two hyper-parameters."""

    def __init__(
        self, *, watch_fen_per_s: float = 0.5, merchant_quality_floor: float = 0.5
    ) -> None:
        if not (watch_fen_per_s >= 0 and np.isfinite(watch_fen_per_s)):
            raise ValueError("watch_fen_per_s must be a finite number >= 0")
        if not 0.0 <= merchant_quality_floor <= 1.0:
            raise ValueError("merchant_quality_floor must be in 0..1")
        self.watch_fen_per_s = watch_fen_per_s
        """Content value of one expected watched second, in fen."""
        self.merchant_quality_floor = merchant_quality_floor
        """Share of the commerce term a merchant of quality 0 keeps."""

    def get_params(self) -> dict[str, Any]:
        return {
            "watch_fen_per_s": self.watch_fen_per_s,
            "merchant_quality_floor": self.merchant_quality_floor,
        }

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def merchant_factor(self, merchant_quality: npt.ArrayLike) -> FloatVector:
        quality = np.asarray(merchant_quality, dtype=np.float64)
        if not ((quality >= 0) & (quality <= 1)).all():
            raise ValueError("merchant_quality must be in 0..1")
        floor = self.merchant_quality_floor
        return floor + (1.0 - floor) * quality

    def terms(
        self, price_fen: npt.ArrayLike, heads: Heads, merchant_quality: npt.ArrayLike
    ) -> ValueTerms:
        """Both terms of the value of each candidate (for logging next to the total)."""
        n = len(heads)
        price = np.asarray(price_fen)
        if price.shape != (n,):
            raise ValueError(f"price_fen has shape {price.shape}, expected ({n},)")
        if price.size and not np.issubdtype(price.dtype, np.integer):
            raise ValueError("price_fen must be integers (fen)")
        if (price < 0).any():
            raise ValueError("price_fen must not be negative")
        quality = np.asarray(merchant_quality, dtype=np.float64)
        if quality.shape != (n,):
            raise ValueError(f"merchant_quality has shape {quality.shape}, expected ({n},)")
        p_click = np.asarray(heads.p_click, dtype=np.float64)
        p_buy = np.asarray(heads.p_buy_given_click, dtype=np.float64)
        p_refund = np.asarray(heads.p_refund_given_buy, dtype=np.float64)
        watch = np.asarray(heads.watch_s, dtype=np.float64)
        commerce = (
            price.astype(np.float64)
            * p_click
            * p_buy
            * (1.0 - p_refund)
            * self.merchant_factor(quality)
        )
        content = self.watch_fen_per_s * watch
        return ValueTerms(commerce=commerce, content=content, total=commerce + content)

    def value(
        self, price_fen: npt.ArrayLike, heads: Heads, merchant_quality: npt.ArrayLike
    ) -> FloatVector:
        """The value of each candidate in fen (float64; the module docstring's formula)."""
        return self.terms(price_fen, heads, merchant_quality).total
