"""How well listing review does on a labelled set: precision and recall per reason code and
overall, and the false-positive rate on clean listings. Pure functions over (gold, predicted)
pairs; `evaluate` screens the rows with a rule set (and optionally the classifier).

Overall precision and recall are micro-averaged over (listing, reason code) pairs: a listing
labelled `goods.counterfeit` and flagged `goods.counterfeit` + `price.anomaly` is one true positive
and one false positive. A clean listing is a false positive if review flags it with anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xingqu.governance.classifier import LabelledListing
from xingqu.governance.ruleset import RuleSet
from xingqu.governance.screening import ListingDraft, TextModel, screen


@dataclass(frozen=True, slots=True)
class CodeScore:
    code: str
    support: int  # listings labelled with the code
    flagged: int  # listings review flagged with it
    true_positives: int

    @property
    def precision(self) -> float:
        return self.true_positives / self.flagged if self.flagged else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.support if self.support else 1.0


@dataclass(frozen=True, slots=True)
class Report:
    listings: int
    clean: int
    clean_flagged: int
    per_code: list[CodeScore]
    overall: CodeScore
    errors: list[tuple[LabelledListing, list[str]]]

    @property
    def false_positive_rate(self) -> float:
        return self.clean_flagged / self.clean if self.clean else 0.0

    def as_dict(self) -> dict[str, object]:
        def row(s: CodeScore) -> dict[str, object]:
            return {
                "code": s.code,
                "support": s.support,
                "flagged": s.flagged,
                "true_positives": s.true_positives,
                "precision": round(s.precision, 4),
                "recall": round(s.recall, 4),
            }

        return {
            "listings": self.listings,
            "clean": self.clean,
            "clean_flagged": self.clean_flagged,
            "false_positive_rate": round(self.false_positive_rate, 4),
            "overall": row(self.overall),
            "per_code": [row(s) for s in self.per_code],
        }


def score(
    rows: Sequence[LabelledListing], predicted: Sequence[Sequence[str]], codes: Sequence[str]
) -> Report:
    support = dict.fromkeys(codes, 0)
    flagged = dict.fromkeys(codes, 0)
    hits = dict.fromkeys(codes, 0)
    clean = clean_flagged = 0
    errors = []
    for row, pred in zip(rows, predicted, strict=True):
        gold, guess = set(row.codes), set(pred)
        if not gold:
            clean += 1
            clean_flagged += bool(guess)
        if gold != guess:
            errors.append((row, sorted(guess)))
        for code in gold | guess:
            support.setdefault(code, 0)
            flagged.setdefault(code, 0)
            hits.setdefault(code, 0)
            support[code] += code in gold
            flagged[code] += code in guess
            hits[code] += code in gold and code in guess
    per_code = [CodeScore(c, support[c], flagged[c], hits[c]) for c in sorted(support)]
    overall = CodeScore(
        "overall",
        sum(s.support for s in per_code),
        sum(s.flagged for s in per_code),
        sum(s.true_positives for s in per_code),
    )
    return Report(len(rows), clean, clean_flagged, per_code, overall, errors)


def evaluate(
    rows: Sequence[LabelledListing], ruleset: RuleSet, *, model: TextModel | None = None
) -> Report:
    predicted = [
        screen(
            ListingDraft(
                title=r.title,
                description=r.description,
                category_code=r.category,
                prices_fen=r.prices_fen,
            ),
            ruleset,
            model=model,
        ).codes
        for r in rows
    ]
    codes = [*ruleset.codes(), "price.anomaly", "category.mismatch"]
    return score(rows, predicted, codes)
