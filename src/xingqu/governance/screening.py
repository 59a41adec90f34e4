"""Listing screening: the pure part of listing review (no I/O).

`screen(draft, ruleset, ...)` runs the rules stage (terms, phrases, pinyin, patterns; price
against the category's band; category mismatch) and, when given a classifier, the model stage,
and returns every finding with its reason code, severity, action and evidence span, plus the
decision: reject if any finding says reject; review (held off sale until a person decides) if any
says review; watch (live, and queued for a person) if any says watch; approve otherwise.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from xingqu.governance.normalise import Views, views
from xingqu.governance.ruleset import (
    ALLOW,
    SEVERITY_RANK,
    Action,
    RuleSet,
    Severity,
)

PRICE_CODE = "price.anomaly"
CATEGORY_CODE = "category.mismatch"
GOODS_CODES = frozenset({"goods.prohibited", "goods.counterfeit"})
TEXT_FIELDS = ("title", "description", "sku")
_LATIN_TOKEN = re.compile(r"[a-z]+")
_LATIN_CHAR = re.compile(r"[a-z0-9]")
MAX_PINYIN_WINDOW = 4
WEAK_EN = frozenset(
    {"cream", "case", "watch", "bands", "dates", "formula", "lotion", "doll", "plush", "toy"}
    | {"storage", "cable", "mask", "essence", "foundation", "pants", "oil", "blocks", "puzzle"}
)


class Decision(StrEnum):
    APPROVE = "approve"  # goes live
    REJECT = "reject"  # refused, with the reasons
    REVIEW = "review"  # held off sale until an operator decides
    WATCH = "watch"  # goes live, and an operator looks at it


@dataclass(frozen=True, slots=True)
class ListingDraft:
    """What review looks at: the texts, the category and the SKU prices (fen per unit)."""

    title: str
    description: str = ""
    category_code: str = ""
    title_en: str = ""  # a second title (the catalog's English one when there is a Chinese one)
    prices_fen: tuple[int, ...] = ()
    sku_names: tuple[str, ...] = ()

    def fields(self) -> list[tuple[str, str]]:
        out = [("title", self.title), ("title_en", self.title_en)]
        out += [("description", self.description)]
        out += [("sku", name) for name in self.sku_names]
        return [(name, text) for name, text in out if text]


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    severity: Severity
    action: Action
    source: str  # the rule id, "price", "category" or "classifier"
    field: str  # title, description, sku, prices
    start: int  # evidence span in the field's original text (end exclusive)
    end: int
    excerpt: str
    detail: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "action": str(self.action),
            "source": self.source,
            "field": self.field,
            "start": self.start,
            "end": self.end,
            "excerpt": self.excerpt,
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Screening:
    decision: Decision
    findings: list[Finding] = field(default_factory=list)
    ruleset_version: str = ""
    model_version: str | None = None

    @property
    def codes(self) -> list[str]:
        return sorted({f.code for f in self.findings})

    @property
    def severity(self) -> Severity | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=lambda s: SEVERITY_RANK[s])


@dataclass(frozen=True, slots=True)
class PriceBand:
    low_fen: int
    high_fen: int
    source: str  # "reference" or "live:<n>"


class TextModel(Protocol):
    """The learned stage: the most likely violation code for a text, and the probability that
    the text violates something (review flags it at `classifier_threshold` and above)."""

    version: str

    def top_violation(self, text: str) -> tuple[str, float]: ...


def screen(
    draft: ListingDraft,
    ruleset: RuleSet,
    *,
    band: PriceBand | None = None,
    model: TextModel | None = None,
) -> Screening:
    findings: list[Finding] = []
    for name, text in draft.fields():
        findings += text_findings(name, text, ruleset)
    # Price and category judge the product as an item of its category; a prohibited or fake item
    # is not one, and a product listed in the wrong category is not priced against that one.
    if not any(f.code in GOODS_CODES for f in findings):
        mismatch = category_findings(draft, ruleset)
        findings += mismatch
        if not mismatch:
            findings += price_findings(
                draft, ruleset, band or reference_band(ruleset, draft.category_code)
            )
    model_version = None
    if model is not None:
        model_version = model.version
        if not findings:
            findings += model_findings(draft, ruleset, model)
    return Screening(decide(findings), _dedupe(findings), ruleset.version, model_version)


def decide(findings: Sequence[Finding]) -> Decision:
    actions = {f.action for f in findings}
    if Action.REJECT in actions:
        return Decision.REJECT
    if Action.REVIEW in actions:
        return Decision.REVIEW
    if Action.WATCH in actions:
        return Decision.WATCH
    return Decision.APPROVE


def text_findings(field_name: str, text: str, ruleset: RuleSet) -> list[Finding]:
    v = views(text)
    out: list[Finding] = []
    out += _cjk_findings(field_name, v, ruleset)
    out += _english_findings(field_name, v, ruleset)
    out += _pinyin_findings(field_name, v, ruleset)
    for pattern in ruleset.patterns:
        haystack = getattr(v, pattern.view)
        for match in pattern.regex.finditer(haystack):
            out.append(_finding(ruleset, pattern.rule, field_name, v, match.start(), match.end()))
    return out


def _cjk_findings(field_name: str, v: Views, ruleset: RuleSet) -> list[Finding]:
    out = []
    compact = v.compact
    for match in ruleset.cjk_regex.finditer(compact):
        term = match.group()
        rule = ruleset.cjk_terms.get(term, ALLOW)
        if rule == ALLOW:
            continue
        start, end = match.start(), match.end()
        # A term that begins or ends with a Latin letter or digit must not run into another
        # (超a must not fire inside 超amoled).
        if _LATIN_CHAR.match(term[0]) and start > 0 and _LATIN_CHAR.match(compact[start - 1]):
            continue
        if _LATIN_CHAR.match(term[-1]) and end < len(compact) and _LATIN_CHAR.match(compact[end]):
            continue
        o_start, o_end = v.compact_span(start, end)
        out.append(_finding(ruleset, rule, field_name, v, o_start, o_end, term))
    return out


def _english_findings(field_name: str, v: Views, ruleset: RuleSet) -> list[Finding]:
    out = []
    for match in ruleset.en_regex.finditer(v.latin):
        key = " ".join(match.group().split())
        rule = ruleset.en_phrases.get(key, ALLOW)
        if rule != ALLOW:
            out.append(_finding(ruleset, rule, field_name, v, match.start(), match.end(), key))
    return out


def _pinyin_findings(field_name: str, v: Views, ruleset: RuleSet) -> list[Finding]:
    if not ruleset.pinyin:
        return []
    tokens = list(_LATIN_TOKEN.finditer(v.latin))
    out = []
    i = 0
    while i < len(tokens):
        hit = None
        for width in range(min(MAX_PINYIN_WINDOW, len(tokens) - i), 0, -1):
            window = tokens[i : i + width]
            if any(v.latin[a.end() : b.start()].strip() for a, b in itertools.pairwise(window)):
                continue
            spelling = "".join(t.group() for t in window)
            if spelling in ruleset.pinyin:
                hit = (width, spelling)
                break
        if hit is None:
            i += 1
            continue
        width, spelling = hit
        rule, term = ruleset.pinyin[spelling]
        start, end = tokens[i].start(), tokens[i + width - 1].end()
        out.append(_finding(ruleset, rule, field_name, v, start, end, f"{spelling} → {term}"))
        i += width
    return out


def _finding(
    ruleset: RuleSet,
    rule_index: int,
    field_name: str,
    v: Views,
    start: int,
    end: int,
    detail: str = "",
) -> Finding:
    rule = ruleset.rules[rule_index]
    return Finding(
        code=rule.code,
        severity=rule.severity,
        action=rule.action,
        source=rule.id,
        field=field_name,
        start=start,
        end=end,
        excerpt=v.original[start:end],
        detail=detail,
    )


# --- structure: price and category -------------------------------------------------------------


def reference_band(ruleset: RuleSet, category_code: str) -> PriceBand | None:
    info = ruleset.categories.get(category_code)
    if info is None:
        return None
    return PriceBand(info.band[0], info.band[1], "reference")


def price_findings(draft: ListingDraft, ruleset: RuleSet, band: PriceBand | None) -> list[Finding]:
    if band is None or not draft.prices_fen:
        return []
    factor = ruleset.policy.price_factor
    low, high = band.low_fen / factor, band.high_fen * factor
    out = []
    for i, price in enumerate(draft.prices_fen):
        if low <= price <= high:
            continue
        where = "below" if price < low else "above"
        out.append(
            Finding(
                code=PRICE_CODE,
                severity=ruleset.policy.price_severity,
                action=ruleset.policy.price_action,
                source="price",
                field="prices",
                start=i,
                end=i + 1,
                excerpt=str(price),
                detail=(
                    f"{price} fen is {where} the band {band.low_fen}–{band.high_fen} fen "
                    f"÷/× {factor:g} ({band.source})"
                ),
            )
        )
    return out


def category_findings(draft: ListingDraft, ruleset: RuleSet) -> list[Finding]:
    own = ruleset.categories.get(draft.category_code)
    if own is None:
        return []
    hits: list[tuple[str, str, int, int, frozenset[str], bool]] = []
    for field_name, title in (("title", draft.title), ("title_en", draft.title_en)):
        if title:
            hits += _keyword_hits(field_name, title, ruleset)
    if not hits or any(own.code in owners for *_, owners, _ in hits):
        return []
    foreign = [
        hit
        for hit in hits
        if hit[5] and all(ruleset.categories[c].family != own.family for c in hit[4])
    ]
    if not foreign:
        return []
    field_name, word, start, end, owners, _ = foreign[0]
    title = draft.title if field_name == "title" else draft.title_en
    return [
        Finding(
            code=CATEGORY_CODE,
            severity=ruleset.policy.category_severity,
            action=ruleset.policy.category_action,
            source="category",
            field=field_name,
            start=start,
            end=end,
            excerpt=title[start:end],
            detail=f"names {word!r} ({', '.join(sorted(owners))}), listed in {own.code}",
        )
    ]


def _keyword_hits(
    field_name: str, title: str, ruleset: RuleSet
) -> list[tuple[str, str, int, int, frozenset[str], bool]]:
    """(field, keyword, start, end, categories it names, strong enough to show a mismatch)."""
    v = views(title)
    hits = []
    for match in ruleset.keyword_zh_regex.finditer(v.compact):
        word = match.group()
        start, end = v.compact_span(match.start(), match.end())
        hits.append((field_name, word, start, end, ruleset.keyword_owners[word], len(word) >= 2))
    for match in ruleset.keyword_en_regex.finditer(v.latin):
        word = " ".join(match.group().split())
        strong = " " in word or (len(word) > 4 and word not in WEAK_EN)
        owners = ruleset.keyword_owners[word]
        hits.append((field_name, word, match.start(), match.end(), owners, strong))
    return hits


def model_findings(draft: ListingDraft, ruleset: RuleSet, model: TextModel) -> list[Finding]:
    code, probability = model.top_violation(
        "\n".join(t for t in (draft.title, draft.title_en, draft.description) if t)
    )
    if probability < ruleset.policy.classifier_threshold:
        return []
    return [
        Finding(
            code=code,
            severity=ruleset.policy.classifier_severity,
            action=ruleset.policy.classifier_action,
            source="classifier",
            field="title",
            start=0,
            end=len(draft.title),
            excerpt=draft.title,
            detail=f"p={probability:.3f}",
        )
    ]


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int, int]] = set()
    out = []
    for f in findings:
        key = (f.code, f.field, f.start, f.end)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
