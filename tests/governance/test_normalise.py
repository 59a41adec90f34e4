"""Evasion: each normalisation is shown to catch a disguised banned term."""

import pytest

from xingqu.governance.normalise import views
from xingqu.governance.ruleset import packaged_ruleset
from xingqu.governance.screening import text_findings


def _codes(text: str) -> list[str]:
    return sorted({f.code for f in text_findings("title", text, packaged_ruleset())})


@pytest.mark.parametrize(
    ("disguised", "code", "evasion"),
    [
        ("ＡＡＡ 高仿 包", "goods.counterfeit", "full-width letters around the term"),
        ("Ａ货 古驰", "goods.counterfeit", "a full-width letter inside the term"),
        ("最低價 堅果禮盒", "ad.absolute_term", "traditional characters"),
        ("大牌複刻香水", "goods.counterfeit", "traditional characters (複刻)"),
        ("顶 级 羽绒被", "ad.absolute_term", "spaces between the characters"),
        ("微*信 shop88", "diversion.off_platform", "a symbol between the characters"),
        ("特-供 大米", "ad.false_authority", "a hyphen between the characters"),
        ("rеplica watch", "goods.counterfeit", "a Cyrillic е in a Latin word"),
        ("r3pl1ca watch", "goods.counterfeit", "digits standing for letters"),
        ("𝐫𝐞𝐩𝐥𝐢𝐜𝐚 bag", "goods.counterfeit", "mathematical bold letters"),
        ("⼀流品质", "ad.absolute_term", "a Kangxi radical for 一"),
        (
            "手机号 幺三八 零零零零 一一一一",
            "diversion.off_platform",
            "Chinese numerals for digits",
        ),
        ("联系 ①③⑨①②③④⑤⑥⑦⑧", "diversion.off_platform", "circled digits"),
        ("私聊 1３9１２３４５６７８", "diversion.off_platform", "full-width digits"),
        ("zui jia 口红", "ad.absolute_term", "pinyin spelling (最佳)"),
        ("gaofang 香水", "goods.counterfeit", "pinyin spelling (高仿)"),
        ("加 weixin 领券", "diversion.off_platform", "pinyin spelling (微信)"),
        ("一比一 复制", "goods.counterfeit", "Chinese numerals in 1:1"),
    ],
)
def test_a_disguised_term_is_still_caught(disguised: str, code: str, evasion: str) -> None:
    # when
    found = _codes(disguised)
    # then
    assert code in found, evasion


def test_the_evidence_span_points_into_the_original_text() -> None:
    # given
    text = "冬季 顶 级 羽绒被"
    # when
    [finding] = text_findings("title", text, packaged_ruleset())
    # then
    assert (finding.start, finding.end) == (3, 6)
    assert text[finding.start : finding.end] == "顶 级"
    assert finding.excerpt == "顶 级"


def test_views_keep_one_character_per_original_character() -> None:
    # given
    text = "Ｔｏｐ１ 降噪耳機"
    # when
    v = views(text)
    # then
    assert v.folded == "top1 降噪耳机"
    assert len(v.folded) == len(v.digits) == len(v.latin) == len(text)
    assert v.compact == "top1降噪耳机"
    assert v.compact_at == [0, 1, 2, 3, 5, 6, 7, 8]
