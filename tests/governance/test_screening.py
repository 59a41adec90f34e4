"""Listing screening without a database: allow-listed ordinary words, decisions, structure."""

import pytest

from xingqu.governance.ruleset import Action, packaged_ruleset
from xingqu.governance.screening import Decision, ListingDraft, PriceBand, screen


def _screen(title: str, description: str = "", **kw: object) -> list[str]:
    draft = ListingDraft(title=title, description=description, **kw)  # type: ignore[arg-type]
    return screen(draft, packaged_ruleset()).codes


@pytest.mark.parametrize(
    "clean",
    [
        "最近爱用的精华",
        "第一次买坚果礼盒",
        "国家地理标志 蜂蜜",
        "菜籽油 符合国家标准",
        "第一批明前茶",
        "心率监测仅供参考，不作医疗用途",
        "儿童电话手表",
        "QQ糖 软糖",
        "玩具水枪",
        "Night cream, best before date on the box",
        "First flush green tea",
        "Tent for national parks",
        "象牙白 粉底液",
        "第一时间发货",
    ],
)
def test_ordinary_words_that_contain_a_term_are_not_flagged(clean: str) -> None:
    assert _screen(clean) == []


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("全网销量第一T恤", "ad.absolute_term"),
        ("国家级品质 智能手表", "ad.absolute_term"),
        ("The No. 1 tent brand", "ad.absolute_term"),
        ("国宴用茶 大红袍", "ad.false_authority"),
        ("招财香水", "ad.misleading_promise"),
        ("降压茶 高血压克星", "health.medical_claim"),
        ("Honey cures sore throat", "health.medical_claim"),
        ("出售仿真枪", "goods.prohibited"),
        ("电子烟 烟油", "goods.prohibited"),
        ("莆田鞋 纯原", "goods.counterfeit"),
        ("DM me on WhatsApp for a discount", "diversion.off_platform"),
        ("详情 www.dress-outlet.cn", "diversion.off_platform"),
    ],
)
def test_each_rule_family_flags_its_reason_code(title: str, code: str) -> None:
    assert code in _screen(title)


def test_a_rejecting_finding_rejects_and_names_its_rule_severity_and_evidence() -> None:
    # when
    result = screen(ListingDraft(title="高仿爱马仕", description="一比一"), packaged_ruleset())
    # then
    assert result.decision == Decision.REJECT
    assert result.codes == ["goods.counterfeit"]
    first = result.findings[0]
    assert (first.source, first.severity, first.action) == ("goods-counterfeit", "high", "reject")
    assert (first.field, first.start, first.end, first.excerpt) == ("title", 0, 2, "高仿")
    assert result.ruleset_version == packaged_ruleset().version


def test_a_price_far_outside_the_category_band_is_watched_not_rejected() -> None:
    # given: a tablet at ¥19.90 (the band starts at ¥999)
    draft = ListingDraft(
        title="平板电脑 全新", category_code="digital.smart.tablet", prices_fen=(1990,)
    )
    # when
    result = screen(draft, packaged_ruleset())
    # then
    assert result.codes == ["price.anomaly"]
    assert result.decision == Decision.WATCH
    assert result.findings[0].action == Action.WATCH


def test_a_live_band_replaces_the_reference_band() -> None:
    # given: in this catalogue tablets sell for ¥10–¥30
    draft = ListingDraft(title="平板电脑", category_code="digital.smart.tablet", prices_fen=(1990,))
    band = PriceBand(1000, 3000, "live:40")
    # when
    result = screen(draft, packaged_ruleset(), band=band)
    # then
    assert result.codes == []


def test_a_title_about_another_family_of_goods_is_a_category_mismatch() -> None:
    # when
    result = screen(
        ListingDraft(title="智能手表 GPS", category_code="food.snacks.nuts", prices_fen=(129900,)),
        packaged_ruleset(),
    )
    # then: the mismatch, not the price (judged against the wrong category)
    assert result.codes == ["category.mismatch"]
    assert result.findings[0].excerpt == "智能手表"


def test_a_clean_listing_is_approved() -> None:
    result = screen(
        ListingDraft(
            title="补水精华", category_code="beauty.skincare.serum", prices_fen=(9900, 15900)
        ),
        packaged_ruleset(),
    )
    assert (result.decision, result.findings) == (Decision.APPROVE, [])
