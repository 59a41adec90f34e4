"""The simulator's bilingual word lists and category tree, loaded from `sim/data/*.json`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class Bilingual:
    en: str
    zh: str

    def fill(self, **values: Bilingual | str | int) -> Bilingual:
        """Both templates with `{name}` slots filled from bilingual (or language-neutral) values."""
        en = {k: v.en if isinstance(v, Bilingual) else str(v) for k, v in values.items()}
        zh = {k: v.zh if isinstance(v, Bilingual) else str(v) for k, v in values.items()}
        return Bilingual(self.en.format(**en), self.zh.format(**zh))


@dataclass(frozen=True, slots=True)
class Leaf:
    """A leaf category: where products live, with its typical price range and product nouns."""

    code: str
    name: Bilingual
    sub_code: str
    top_code: str
    price_range_fen: tuple[int, int]
    items: tuple[Bilingual, ...]
    sku_names: tuple[str, ...]

    @property
    def typical_price_fen(self) -> int:
        """The geometric middle of the category's price range."""
        low, high = self.price_range_fen
        return round((low * high) ** 0.5)


@dataclass(frozen=True, slots=True)
class Node:
    """A top-level or second-level category."""

    code: str
    name: Bilingual
    parent_code: str | None
    level: int


@dataclass(frozen=True, slots=True)
class Top:
    code: str
    name: Bilingual
    colour: str
    adjectives: tuple[Bilingual, ...]


@dataclass(frozen=True, slots=True)
class Vocabulary:
    tops: tuple[Top, ...]
    nodes: tuple[Node, ...]  # level 1 and 2, parents first
    leaves: tuple[Leaf, ...]
    surnames: tuple[Bilingual, ...]
    given_names: tuple[Bilingual, ...]
    brand_first: tuple[Bilingual, ...]
    brand_second: tuple[Bilingual, ...]
    shop_suffixes: tuple[Bilingual, ...]
    counties: tuple[Bilingual, ...]
    rural_shops: tuple[Bilingual, ...]
    creator_handles: tuple[Bilingual, ...]
    creator_bios: tuple[Bilingual, ...]
    official_host: Bilingual
    titles: dict[str, tuple[Bilingual, ...]]
    captions: tuple[Bilingual, ...]

    def top(self, code: str) -> Top:
        return next(t for t in self.tops if t.code == code)

    def node(self, code: str) -> Node:
        return next(n for n in self.nodes if n.code == code)

    def leaves_of(self, top_code: str) -> list[Leaf]:
        return [leaf for leaf in self.leaves if leaf.top_code == top_code]

    def colour_of(self, code: str) -> str:
        """The display colour of any category code (leaves and sub-categories use their top's)."""
        top_code = code.split(".", 1)[0]
        return next((t.colour for t in self.tops if t.code == top_code), "#546e7a")


def _pairs(raw: list[list[str]]) -> tuple[Bilingual, ...]:
    return tuple(Bilingual(en, zh) for en, zh in raw)


def _read(name: str) -> Any:
    return json.loads(
        resources.files("xingqu.sim").joinpath("data", name).read_text(encoding="utf-8")
    )


@cache
def vocabulary() -> Vocabulary:
    tree = _read("categories.json")["categories"]
    texts = _read("texts.json")
    tops: list[Top] = []
    nodes: list[Node] = []
    leaves: list[Leaf] = []
    for top in tree:
        tops.append(
            Top(
                top["code"],
                Bilingual(top["en"], top["zh"]),
                top["colour"],
                _pairs(top["adjectives"]),
            )
        )
        nodes.append(Node(top["code"], Bilingual(top["en"], top["zh"]), None, 1))
    for top in tree:
        for sub in top["children"]:
            nodes.append(Node(sub["code"], Bilingual(sub["en"], sub["zh"]), top["code"], 2))
            for leaf in sub["children"]:
                low, high = leaf["price"]
                leaves.append(
                    Leaf(
                        code=leaf["code"],
                        name=Bilingual(leaf["en"], leaf["zh"]),
                        sub_code=sub["code"],
                        top_code=top["code"],
                        price_range_fen=(int(low), int(high)),
                        items=_pairs(leaf["items"]),
                        sku_names=tuple(leaf["skus"]),
                    )
                )
    host_en, host_zh = texts["official_host"]
    return Vocabulary(
        tops=tuple(tops),
        nodes=tuple(nodes),
        leaves=tuple(leaves),
        surnames=_pairs(texts["surnames"]),
        given_names=_pairs(texts["given_names"]),
        brand_first=_pairs(texts["brand_first"]),
        brand_second=_pairs(texts["brand_second"]),
        shop_suffixes=_pairs(texts["shop_suffix"]),
        counties=_pairs(texts["counties"]),
        rural_shops=_pairs(texts["rural_shop"]),
        creator_handles=_pairs(texts["creator_handles"]),
        creator_bios=_pairs(texts["creator_bios"]),
        official_host=Bilingual(host_en, host_zh),
        titles={kind: _pairs(pairs) for kind, pairs in texts["titles"].items()},
        captions=_pairs(texts["captions"]),
    )
