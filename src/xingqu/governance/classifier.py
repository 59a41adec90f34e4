"""The learned stage of listing review: a multinomial logistic regression over character n-grams.

It reads the same normalised text as the rules: character 1–3-grams of the compact view (single
characters only when they are CJK), and the Latin view's words and word pairs. It predicts a
reason code or "clean". Review uses it only when the rules found nothing: it flags a listing when
the probability that the text is not clean reaches `classifier_threshold` (`ruleset.toml`, chosen
by cross-validation on the training set, see `governance.calibration`), and sends such a listing
to a person rather than rejecting it.

Estimator conventions: `__init__` stores hyper-parameters, `fit(texts, labels) -> self`, learned
state ends in `_`, `save`/`load` write JSON (no pickle). `packaged_classifier()` trains the model on
the labelled set shipped in `governance/data/listings_train.tsv` (about a second, once per
process), so the model and its version always match the data in the package.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import sparse
from scipy.optimize import minimize

from xingqu.governance.normalise import views

CLEAN = "clean"
TRAIN_FILE = "listings_train.tsv"
_WORD = re.compile(r"[a-z]{2,}")


def features(text: str) -> set[str]:
    """Binary features: character 1–3-grams of the compact view (no single Latin letters or
    digits), and the Latin view's words ("w:") and adjacent word pairs ("b:")."""
    v = views(text)
    compact = v.compact
    out = {c for c in compact if not c.isascii()}
    for n in (2, 3):
        for i in range(len(compact) - n + 1):
            out.add(compact[i : i + n])
    words = _WORD.findall(v.latin)
    out.update("w:" + w for w in words)
    out.update(f"b:{a}_{b}" for a, b in itertools.pairwise(words))
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


class NgramLogisticRegression:
    """Multinomial logistic regression over binary n-gram features with an L2 penalty
    (`1 / (2C)` times the squared weights; the intercepts are not penalised), fitted to
    convergence by Newton-CG (exact Hessian-vector products of the softmax loss)."""

    def __init__(self, *, C: float = 1.0, max_iter: int = 200) -> None:
        self.C = C
        self.max_iter = max_iter

    def fit(self, texts: Sequence[str], labels: Sequence[str]) -> NgramLogisticRegression:
        if len(texts) != len(labels) or not texts:
            raise ValueError("fit needs as many labels as texts, and at least one")
        rows = [features(t) for t in texts]
        vocabulary = sorted(set().union(*rows))
        index = {f: i for i, f in enumerate(vocabulary)}
        classes = sorted(set(labels))
        n, v, k = len(texts), len(vocabulary), len(classes)
        r = [i for i, feats in enumerate(rows) for _ in feats]
        c = [index[f] for feats in rows for f in feats]
        x = sparse.csr_matrix((np.ones(len(r)), (r, c)), shape=(n, v))
        xt = x.T.tocsr()
        y = np.zeros((n, k))
        y[np.arange(n), [classes.index(label) for label in labels]] = 1.0
        inverse_c = 1.0 / self.C

        def unpack(theta: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
            return theta[: v * k].reshape(v, k), theta[v * k :]

        def softmax(theta: NDArray[np.float64]) -> NDArray[np.float64]:
            w, b = unpack(theta)
            s = x @ w + b
            s -= s.max(axis=1, keepdims=True)
            p: NDArray[np.float64] = np.exp(s)
            p /= p.sum(axis=1, keepdims=True)
            return p

        def loss(theta: NDArray[np.float64]) -> tuple[float, NDArray[np.float64]]:
            w, _ = unpack(theta)
            p = softmax(theta)
            penalty = 0.5 * inverse_c * float((w * w).sum())
            value = penalty - float(np.log((p * y).sum(axis=1)).sum())
            g = p - y
            return value, np.concatenate([(xt @ g + inverse_c * w).ravel(), g.sum(axis=0)])

        def hessp(theta: NDArray[np.float64], d: NDArray[np.float64]) -> NDArray[np.float64]:
            p = softmax(theta)
            dw, db = unpack(d)
            a = x @ dw + db
            h = p * a
            h -= p * h.sum(axis=1, keepdims=True)
            return np.concatenate([(xt @ h + inverse_c * dw).ravel(), h.sum(axis=0)])

        result = minimize(
            loss,
            np.zeros(v * k + k),
            jac=True,
            hessp=hessp,
            method="Newton-CG",
            options={"maxiter": self.max_iter, "xtol": 1e-6},
        )
        w, b = unpack(result.x)
        self.classes_ = classes
        self.vocabulary_ = index
        self.coef_ = np.ascontiguousarray(w)
        self.intercept_ = b.copy()
        self.n_iter_ = int(result.nit)
        return self

    def scores(self, text: str) -> NDArray[np.float64]:
        """Class probabilities in the order of `classes_`."""
        vocabulary = self.vocabulary_
        rows = [i for f in features(text) if (i := vocabulary.get(f)) is not None]
        s = self.coef_[rows].sum(axis=0) + self.intercept_
        s -= s.max()
        p: NDArray[np.float64] = np.exp(s)
        return p / p.sum()

    def predict_proba(self, text: str) -> dict[str, float]:
        return {c: float(p) for c, p in zip(self.classes_, self.scores(text), strict=True)}

    def to_dict(self) -> dict[str, object]:
        return {
            "params": {"C": self.C, "max_iter": self.max_iter},
            "classes": self.classes_,
            "vocabulary": sorted(self.vocabulary_, key=self.vocabulary_.__getitem__),
            "coef": self.coef_.tolist(),
            "intercept": self.intercept_.tolist(),
            "n_iter": self.n_iter_,
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> NgramLogisticRegression:
        data = json.loads(path.read_text(encoding="utf-8"))
        model = cls(**data["params"])
        model.classes_ = list(data["classes"])
        model.vocabulary_ = {f: i for i, f in enumerate(data["vocabulary"])}
        model.coef_ = np.asarray(data["coef"], dtype=np.float64).reshape(
            len(model.vocabulary_), len(model.classes_)
        )
        model.intercept_ = np.asarray(data["intercept"], dtype=np.float64)
        model.n_iter_ = int(data["n_iter"])
        return model


class ListingClassifier:
    """The model stage as review uses it: the most likely violation, and the probability that
    the text is not clean."""

    def __init__(self, model: NgramLogisticRegression, version: str) -> None:
        self.model = model
        self.version = version
        classes = model.classes_
        self._violations = [i for i, c in enumerate(classes) if c != CLEAN]
        self._clean = classes.index(CLEAN) if CLEAN in classes else None

    def top_violation(self, text: str) -> tuple[str, float]:
        if not self._violations:
            return CLEAN, 0.0
        p = self.model.scores(text)
        best = max(self._violations, key=lambda i: p[i])
        not_clean = 1.0 - float(p[self._clean]) if self._clean is not None else 1.0
        return self.model.classes_[best], not_clean


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
    rows: Sequence[LabelledListing],
    *,
    with_nouns: bool = True,
    C: float = 1.0,
    max_iter: int = 200,
) -> NgramLogisticRegression:
    """Fit on rows with one label each (the first, for a row with several), plus the category
    nouns as clean texts."""
    texts = [r.text for r in rows]
    labels = [r.labels[0] for r in rows]
    if with_nouns:
        nouns = category_nouns()
        texts += nouns
        labels += [CLEAN] * len(nouns)
    return NgramLogisticRegression(C=C, max_iter=max_iter).fit(texts, labels)


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
    return ListingClassifier(model, f"lr-char3+{digest}")
