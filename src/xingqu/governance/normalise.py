"""Text normalisation that defeats common evasion, with offsets back into the original text.

A listing's text is looked at through four views, each built from the `folded` text:

- `folded`: one character for one character of the original (offsets are the same), with
  full-width forms, stylised Latin letters and digits (𝐀, Ⓐ, ①, ⁹), Kangxi radicals and
  compatibility ideographs folded by NFKC; Cyrillic and Greek look-alike letters mapped to Latin;
  traditional characters mapped to simplified ones (OpenCC's character table); lower case; and
  digits sandwiched between letters read as the letters they imitate (r3plica → replica).
- `digits`: `folded` with Chinese numerals as digits (幺三八 → 138), for phone numbers and 1:1.
- `latin`: `folded` with every symbol and space turned into a space, for English phrases and
  pinyin (zui jia → 最佳).
- `compact`: `folded` without anything but letters, digits and CJK characters, so that spaces or
  symbols between characters (顶 级, 微*信) do not break a word; `compact_at[i]` is the offset in
  the original text of compact character `i`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

# Look-alike letters from other scripts that evaders swap into Latin words.
HOMOGLYPHS = {
    "а": "a", "в": "b", "е": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ɡ": "g", "ӏ": "l",
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "ω": "w",
    "〇": "零", "○": "零",
}  # fmt: skip

CHINESE_DIGITS = {
    "零": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6", "七": "7",
    "八": "8", "九": "9", "幺": "1", "两": "2", "壹": "1", "贰": "2", "叁": "3", "肆": "4",
    "伍": "5", "陆": "6", "柒": "7", "捌": "8", "玖": "9",
}  # fmt: skip

LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s"}
_LEET_RE = re.compile(r"(?<=[a-z])[0134578@$](?=[a-z])")
_WORD_RUN = re.compile(r"[^\W_]+")
_NOT_WORD = re.compile(r"[\W_]")

# Ranges whose characters NFKC folds to one plain character: full-width forms, enclosed and
# stylised alphanumerics, super- and subscripts, Kangxi radicals, compatibility ideographs.
_NFKC_RANGES = (
    (0x2070, 0x209F),
    (0x2150, 0x218F),
    (0x2460, 0x24FF),
    (0x2F00, 0x2FDF),
    (0x3000, 0x3000),
    (0xF900, 0xFAFF),
    (0xFF00, 0xFFEF),
    (0x1D400, 0x1D7FF),
    (0x1F100, 0x1F1FF),
    (0x2F800, 0x2FA1F),
)


@dataclass(frozen=True, slots=True)
class Views:
    original: str
    folded: str
    digits: str
    latin: str
    compact: str
    compact_at: list[int]

    def compact_span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets covered by compact characters `start:end`."""
        return self.compact_at[start], self.compact_at[end - 1] + 1


def _traditional_to_simplified() -> dict[str, str]:
    """OpenCC's character table (one simplified character per traditional one)."""
    text = (
        resources.files("opencc")
        .joinpath("dictionary", "TSCharacters.txt")
        .read_text(encoding="utf-8")
    )
    table: dict[str, str] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 2:
            continue
        source, targets = parts[0], parts[1].split(" ")
        if len(source) == 1 and targets and len(targets[0]) == 1 and targets[0] != source:
            table[source] = targets[0]
    return table


@lru_cache(maxsize=1)
def fold_table() -> dict[int, str]:
    """The one-for-one character translation behind the `folded` view."""
    table: dict[int, str] = {}
    for low, high in _NFKC_RANGES:
        for code in range(low, high + 1):
            folded = unicodedata.normalize("NFKC", chr(code))
            if len(folded) == 1 and folded != chr(code):
                table[code] = folded
    for source, target in _traditional_to_simplified().items():
        table[ord(source)] = target
    for source, target in HOMOGLYPHS.items():
        table[ord(source)] = target
    # Chain: a full-width traditional character or a stylised capital folds all the way.
    resolved: dict[int, str] = {}
    for code, target in table.items():
        seen = 0
        while len(target) == 1 and ord(target) in table and seen < 3:
            target = table[ord(target)]
            seen += 1
        resolved[code] = target.lower() if len(target.lower()) == 1 else target
    for code in range(ord("A"), ord("Z") + 1):
        resolved[code] = chr(code).lower()
    return resolved


_DIGIT_TABLE = {ord(k): v for k, v in CHINESE_DIGITS.items()}


def fold(text: str) -> str:
    """The `folded` view alone (also used on rule terms, so both sides read the same)."""
    folded = text.translate(fold_table())
    if any(c in folded for c in LEET):
        folded = _LEET_RE.sub(lambda m: LEET[m.group()], folded)
    return folded


def latin_of(folded: str) -> str:
    return _NOT_WORD.sub(" ", folded)


def views(text: str) -> Views:
    folded = fold(text)
    compact_parts: list[str] = []
    compact_at: list[int] = []
    for match in _WORD_RUN.finditer(folded):
        compact_parts.append(match.group())
        compact_at.extend(range(match.start(), match.end()))
    return Views(
        original=text,
        folded=folded,
        digits=folded.translate(_DIGIT_TABLE),
        latin=latin_of(folded),
        compact="".join(compact_parts),
        compact_at=compact_at,
    )
