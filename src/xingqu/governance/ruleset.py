"""The versioned rule set: term files loaded from `governance/ruleset/` and compiled for matching.

Rules are data. `ruleset.toml` lists each rule's reason code, severity, action and term files;
this module compiles them into three matchers that run on the normalised views of a text
(`normalise.Views`):

- CJK terms (and allow-listed ordinary words) as one leftmost-longest pattern over the compact
  view: a dictionary-driven word segmentation, so a term inside a longer allowed word (第一 in
  第一次, 国家 in 国家标准) is not a hit;
- English phrases as one whole-word pattern over the Latin view, with their own allow-list
  (best before, first time, national park, …);
- pinyin spellings of the CJK terms (zui jia, gaofang, weixin), looked up over runs of Latin
  tokens, and regular-expression patterns (links, contact numbers, 1:1).

The effective version is the declared `version` plus a hash of every file, so any edit changes it.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

from pypinyin import lazy_pinyin

from xingqu.governance.normalise import fold, latin_of

ALLOW = -1
MIN_PINYIN = 5
_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_EDGE = re.compile(r"[a-z0-9]")


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class Action(StrEnum):
    """What a finding does to the listing: refuse it; hold it off sale until a person decides;
    or let it go live and queue it for a person (a weak signal such as an odd price)."""

    REJECT = "reject"
    REVIEW = "review"
    WATCH = "watch"


SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    code: str
    severity: Severity
    action: Action


@dataclass(frozen=True, slots=True)
class Pattern:
    rule: int
    view: str  # "latin", "digits" or "folded"
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    code: str
    family: str
    band: tuple[int, int]
    keywords_zh: tuple[str, ...]
    keywords_en: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Policy:
    classifier_threshold: float
    classifier_action: Action
    classifier_severity: Severity
    price_factor: float
    price_min_live: int
    price_action: Action
    price_severity: Severity
    category_action: Action
    category_severity: Severity


@dataclass
class RuleSet:
    """A compiled rule set. Build with `RuleSet.load()` (the packaged one) or `load(path)`."""

    version: str
    rules: list[Rule]
    policy: Policy
    cjk_terms: dict[str, int]  # folded term → rule index, or ALLOW
    en_phrases: dict[str, int]  # folded, single-spaced phrase → rule index, or ALLOW
    pinyin: dict[str, tuple[int, str]]  # pinyin → (rule index, the CJK term)
    patterns: list[Pattern]
    categories: dict[str, CategoryInfo]
    cjk_regex: re.Pattern[str] = field(init=False)
    en_regex: re.Pattern[str] = field(init=False)
    keyword_zh_regex: re.Pattern[str] = field(init=False)
    keyword_en_regex: re.Pattern[str] = field(init=False)
    keyword_owners: dict[str, frozenset[str]] = field(init=False)

    def __post_init__(self) -> None:
        self.cjk_regex = re.compile(trie_pattern(self.cjk_terms))
        self.en_regex = re.compile(
            r"(?<![a-z0-9])" + trie_pattern(self.en_phrases, spaces=True) + r"(?![a-z0-9])"
        )
        owners: dict[str, set[str]] = {}
        for info in self.categories.values():
            for word in (*info.keywords_zh, *info.keywords_en):
                owners.setdefault(word, set()).add(info.code)
        self.keyword_owners = {k: frozenset(v) for k, v in owners.items()}
        zh = [k for k in owners if _CJK.search(k)]
        en = [k for k in owners if not _CJK.search(k)]
        self.keyword_zh_regex = re.compile(trie_pattern(zh))
        self.keyword_en_regex = re.compile(
            r"(?<![a-z0-9])" + trie_pattern(en, spaces=True) + r"(?![a-z0-9])"
        )

    @classmethod
    def load(cls, path: Path | None = None) -> RuleSet:
        root: Traversable = (
            path if path is not None else resources.files("xingqu.governance").joinpath("ruleset")
        )
        return _compile(root)

    def codes(self) -> list[str]:
        return sorted({r.code for r in self.rules})

    def term_is_latin_edged(self, term: str) -> tuple[bool, bool]:
        return bool(_LATIN_EDGE.match(term[0])), bool(_LATIN_EDGE.match(term[-1]))


@lru_cache(maxsize=1)
def packaged_ruleset() -> RuleSet:
    """The rule set shipped in the package (compiled once per process)."""
    return RuleSet.load()


def trie_pattern(words: Iterable[str], *, spaces: bool = False) -> str:
    """One regular expression that matches the longest of `words` at the leftmost position.

    The words are laid out as a trie, so the engine walks one branch per character instead of
    trying every word; an optional (greedy) tail prefers the longer word. With `spaces`, a space
    in a word matches any run of whitespace.
    """
    trie: dict[str, Any] = {}
    for word in words:
        if not word:
            continue
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = []
        for ch in sorted(k for k in node if k):
            head = r"\s+" if spaces and ch == " " else re.escape(ch)
            branches.append(head + build(node[ch]))
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    pattern = build(trie)
    return pattern or r"(?!x)x"


def _read_lines(root: Traversable, name: str | None) -> list[str]:
    if not name:
        return []
    text = root.joinpath(name).read_text(encoding="utf-8")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(line)
    return out


def _phrase_key(phrase: str) -> str:
    return " ".join(latin_of(fold(phrase)).split())


def _files(root: Traversable) -> list[Traversable]:
    found: list[Traversable] = []
    stack = [root]
    while stack:
        here = stack.pop()
        for child in here.iterdir():
            if child.is_dir():
                stack.append(child)
            elif child.name.endswith((".toml", ".txt")):
                found.append(child)
    return sorted(found, key=lambda f: str(f))


def _compile(root: Traversable) -> RuleSet:
    spec = tomllib.loads(root.joinpath("ruleset.toml").read_text(encoding="utf-8"))
    digest = hashlib.sha256()
    for f in _files(root):
        digest.update(f.name.encode())
        digest.update(f.read_bytes())
    version = f"{spec['version']}+{digest.hexdigest()[:10]}"
    rules: list[Rule] = []
    cjk: dict[str, int] = {}
    en: dict[str, int] = {}
    patterns: list[Pattern] = []
    for index, entry in enumerate(spec["rule"]):
        rules.append(
            Rule(entry["id"], entry["code"], Severity(entry["severity"]), Action(entry["action"]))
        )
        for term in _read_lines(root, entry.get("terms")):
            cjk.setdefault(fold(term), index)
        for phrase in _read_lines(root, entry.get("phrases")):
            key = _phrase_key(phrase)
            if key and not key.replace(" ", "").isdigit():
                en.setdefault(key, index)
        for line in _read_lines(root, entry.get("patterns")):
            view, _, body = line.partition(":")
            if view not in ("latin", "digits", "folded"):
                view, body = "latin", line
            patterns.append(Pattern(index, view, re.compile(body)))
    allow = spec.get("allow", {})
    for term in _read_lines(root, allow.get("terms")):
        cjk[fold(term)] = ALLOW
    for phrase in _read_lines(root, allow.get("phrases")):
        en[_phrase_key(phrase)] = ALLOW
    pinyin = _pinyin_index(cjk)
    decision, price, category = spec["decision"], spec["price"], spec["category"]
    policy = Policy(
        classifier_threshold=float(decision["classifier_threshold"]),
        classifier_action=Action(decision["classifier_action"]),
        classifier_severity=Severity(decision["classifier_severity"]),
        price_factor=float(price["factor"]),
        price_min_live=int(price["min_live_products"]),
        price_action=Action(price["action"]),
        price_severity=Severity(price["severity"]),
        category_action=Action(category["action"]),
        category_severity=Severity(category["severity"]),
    )
    return RuleSet(
        version=version,
        rules=rules,
        policy=policy,
        cjk_terms=cjk,
        en_phrases=en,
        pinyin=pinyin,
        patterns=patterns,
        categories=_categories(root, spec["categories"]["file"]),
    )


def _pinyin_index(cjk: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Pinyin spellings of the CJK terms (two or more characters, five or more letters).

    A spelling shared with an allow-listed word is dropped: it cannot tell the two apart."""
    index: dict[str, tuple[int, str]] = {}
    blocked: set[str] = set()
    for term, rule in cjk.items():
        if len(term) < 2 or not all(_CJK.match(ch) for ch in term):
            continue
        spelling = "".join(lazy_pinyin(term))
        if len(spelling) < MIN_PINYIN:
            continue
        if rule == ALLOW:
            blocked.add(spelling)
        else:
            index.setdefault(spelling, (rule, term))
    return {k: v for k, v in index.items() if k not in blocked}


def _categories(root: Traversable, name: str) -> dict[str, CategoryInfo]:
    data = tomllib.loads(root.joinpath(name).read_text(encoding="utf-8"))
    families: dict[str, str] = {}
    for family, prefixes in data.get("families", {}).items():
        for prefix in prefixes:
            families[prefix] = family
    out: dict[str, CategoryInfo] = {}
    for code, entry in data.get("category", {}).items():
        out[code] = CategoryInfo(
            code=code,
            family=family_of(code, families),
            band=(int(entry["band"][0]), int(entry["band"][1])),
            keywords_zh=tuple(fold(w) for w in entry.get("zh", [])),
            keywords_en=tuple(_phrase_key(w) for w in entry.get("en", [])),
        )
    return out


def family_of(code: str, families: dict[str, str]) -> str:
    """The family of a category code: the longest listed prefix, else its top level."""
    parts = code.split(".")
    for n in range(len(parts), 0, -1):
        prefix = ".".join(parts[:n])
        if prefix in families:
            return families[prefix]
    return parts[0]
