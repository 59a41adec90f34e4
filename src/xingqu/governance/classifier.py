"""The learned stage of listing review: a character n-gram naive Bayes text classifier.

It reads the same normalised text as the rules (the compact view's character 2–3-grams and the
Latin view's words) and predicts a reason code or "clean". Review uses it only when the rules
found nothing, and only at a high posterior (`ruleset.toml`: `classifier_threshold`), and sends
such a listing to a person rather than rejecting it.

Estimator conventions: `__init__` stores hyper-parameters, `fit(texts, labels) -> self`, learned
state ends in `_`, `save`/`load` write JSON (no pickle). `packaged_classifier()` trains the model on
the labelled set shipped in `governance/data/listings_train.tsv` (well under a second), so the
model and its version always match the data in the package.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from xingqu.governance.normalise import views

CLEAN = "clean"
TRAIN_FILE = "listings_train.tsv"
_WORD = re.compile(r"[a-z]{2,}")


def features(text: str, ngram_max: int = 3, ngram_min: int = 2) -> set[str]:
    """Character n-grams of the compact view and words of the Latin view (binary)."""
    v = views(text)
    compact = v.compact
    out: set[str] = set()
    for n in range(ngram_min, ngram_max + 1):
        for i in range(len(compact) - n + 1):
            out.add(compact[i : i + n])
    out.update("w:" + w for w in _WORD.findall(v.latin))
    return out


@dataclass(frozen=True, slots=True)
class LabelledListing:
    labels: tuple[str, ...]  # ("clean",) or one or more reason codes
    category: str
    prices_fen: tuple[int, ...]
    title: str
    description: str

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.description}"

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(label for label in self.labels if label != CLEAN)


def read_labelled(lines: Iterable[str]) -> list[LabelledListing]:
    """Rows of `labels<TAB>category<TAB>prices<TAB>title<TAB>description`; '#' lines are comments."""
    out = []
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        labels, category, prices, title, description = line.split("\t")
        out.append(
            LabelledListing(
                labels=tuple(labels.split(",")),
                category=category,
                prices_fen=tuple(int(p) for p in prices.split(",")),
                title=title,
                description=description,
            )
        )
    return out


class NgramNaiveBayes:
    """Multinomial naive Bayes over binary n-gram features, with additive smoothing."""

    def __init__(
        self, *, alpha: float = 0.1, ngram_max: int = 3, ngram_min: int = 2, min_count: int = 1
    ) -> None:
        self.alpha = alpha
        self.ngram_max = ngram_max
        self.ngram_min = ngram_min
        self.min_count = min_count

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> NgramNaiveBayes:
        if len(texts) != len(labels) or not texts:
            raise ValueError("fit needs as many labels as texts, and at least one")
        counts: dict[str, Counter[str]] = {}
        docs: Counter[str] = Counter()
        total: Counter[str] = Counter()
        for text, label in zip(texts, labels, strict=True):
            docs[label] += 1
            feats = features(text, self.ngram_max, self.ngram_min)
            counts.setdefault(label, Counter()).update(feats)
            total.update(feats)
        vocabulary = sorted(f for f, n in total.items() if n >= self.min_count)
        self.classes_ = sorted(docs)
        n_docs = sum(docs.values())
        self.log_prior_ = [math.log(docs[c] / n_docs) for c in self.classes_]
        # Multinomial likelihoods of the features present (absent features say nothing).
        mass = [sum(counts[c][f] for f in vocabulary) for c in self.classes_]
        denominators = [m + self.alpha * len(vocabulary) for m in mass]
        self.present_ = {
            feat: [
                math.log((counts[c][feat] + self.alpha) / d)
                for c, d in zip(self.classes_, denominators, strict=True)
            ]
            for feat in vocabulary
        }
        self.base_ = [0.0] * len(self.classes_)
        return self

    def predict_proba(self, text: str) -> dict[str, float]:
        scores = [p + b for p, b in zip(self.log_prior_, self.base_, strict=True)]
        for feat in features(text, self.ngram_max, self.ngram_min):
            row = self.present_.get(feat)
            if row is not None:
                scores = [s + r for s, r in zip(scores, row, strict=True)]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        z = sum(exps)
        return {c: e / z for c, e in zip(self.classes_, exps, strict=True)}

    def to_dict(self) -> dict[str, object]:
        return {
            "params": {
                "alpha": self.alpha,
                "ngram_max": self.ngram_max,
                "ngram_min": self.ngram_min,
                "min_count": self.min_count,
            },
            "classes": self.classes_,
            "log_prior": self.log_prior_,
            "base": self.base_,
            "present": self.present_,
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> NgramNaiveBayes:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = cls(**data["params"])
        model.classes_ = list(data["classes"])
        model.log_prior_ = list(data["log_prior"])
        model.base_ = list(data["base"])
        model.present_ = {k: list(v) for k, v in data["present"].items()}
        return model


class ListingClassifier:
    """The model stage as review uses it: the most likely violation and its probability."""

    def __init__(self, model: NgramNaiveBayes, version: str) -> None:
        self.model = model
        self.version = version

    def top_violation(self, text: str) -> tuple[str, float]:
        proba = self.model.predict_proba(text)
        violations = [(p, c) for c, p in proba.items() if c != CLEAN]
        if not violations:
            return CLEAN, 0.0
        p, code = max(violations)
        return code, p


def training_rows() -> list[LabelledListing]:
    text = (
        resources.files("xingqu.governance")
        .joinpath("data", TRAIN_FILE)
        .read_text(encoding="utf-8")
    )
    return read_labelled(text.splitlines())


def category_nouns() -> list[str]:
    """Clean texts made of each category's product nouns (from the rule set's category data):
    what ordinary listings are about, so the model does not learn "any noun it has not seen
    in a clean row is suspicious"."""
    from xingqu.governance.ruleset import packaged_ruleset

    out = []
    for info in packaged_ruleset().categories.values():
        out.append(" ".join(info.keywords_zh))
        out.append(" ".join(info.keywords_en))
    return out


def train(
    rows: Sequence[LabelledListing], *, with_nouns: bool = True, **params: float
) -> NgramNaiveBayes:
    """Fit on rows with one label each (the first, for a row with several), plus the category
    nouns as clean texts."""
    texts = [r.text for r in rows]
    labels = [r.labels[0] for r in rows]
    if with_nouns:
        nouns = category_nouns()
        texts += nouns
        labels += [CLEAN] * len(nouns)
    return NgramNaiveBayes(**params).fit(texts, labels)  # type: ignore[arg-type]


@lru_cache(maxsize=1)
def packaged_classifier() -> ListingClassifier:
    rows = training_rows()
    model = train(rows)
    digest = hashlib.sha256(
        json.dumps(
            [model.to_dict()["params"], [(r.labels, r.text) for r in rows], category_nouns()],
            ensure_ascii=False,
        ).encode()
    ).hexdigest()[:10]
    return ListingClassifier(model, f"nb-char3+{digest}")
