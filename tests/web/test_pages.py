import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from tests.sim.tiny import tiny_settings
from xingqu.api.app import create_app
from xingqu.bootstrap import Platform, build_platform
from xingqu.discovery import queries as discovery_queries
from xingqu.sim.truth import SimTruth


def _client(data_dir: Path, *, demo_mode: bool) -> Iterator[tuple[TestClient, Platform]]:
    platform = build_platform(tiny_settings(data_dir, demo_mode=demo_mode), migrate_schema=False)
    with TestClient(create_app(platform, drain_in_background=False)) as client:
        yield client, platform
    platform.close()


@pytest.fixture
def demo(tiny_world: Path) -> Iterator[tuple[TestClient, Platform]]:
    yield from _client(tiny_world, demo_mode=True)


@pytest.fixture
def plain(tiny_world: Path) -> Iterator[tuple[TestClient, Platform]]:
    yield from _client(tiny_world, demo_mode=False)


def _count(platform: Platform, sql: str) -> int:
    with platform.engine.connect() as conn:
        return int(conn.execute(text(sql)).scalar_one())


def test_the_landing_page_shows_live_figures_and_demo_consumers(
    demo: tuple[TestClient, Platform], tiny_world: Path
) -> None:
    # given
    client, platform = demo
    truth = SimTruth.load(tiny_world)
    gmv = _count(platform, "SELECT coalesce(sum(amount_fen), 0) FROM payments")
    # when
    page = client.get("/?lang=en")
    # then
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    html = page.text
    assert 'href="/docs"' in html and 'href="/redoc"' in html
    assert "<dd>64</dd>" in html  # 50 consumers, 5 merchants, 8 creators and the operator
    assert "<dd>60</dd>" in html and "<dd>100</dd>" in html
    assert f"¥{gmv // 100:,}.{gmv % 100:02d}" in html
    links = re.findall(r'href="/demo/feed/(\d+)"', html)
    assert len(links) == 30
    most_active = sorted(truth.users, key=lambda u: (-u.activity, u.user_id))[:30]
    assert [int(x) for x in links] == [u.user_id for u in most_active]
    assert "Hidden interest" in html


def test_without_demo_mode_the_landing_page_lists_nobody(
    plain: tuple[TestClient, Platform],
) -> None:
    client, _ = plain
    page = client.get("/")
    assert page.status_code == 200
    assert "/demo/feed/" not in page.text
    assert "<dd>64</dd>" in page.text


def test_the_demo_feed_renders_cards_served_and_logged_by_the_feed(
    demo: tuple[TestClient, Platform], tiny_world: Path
) -> None:
    # given
    client, platform = demo
    # the least active simulated person: the tiny world's 100 items are not all seen yet
    user = min(SimTruth.load(tiny_world).users, key=lambda u: (u.activity, u.user_id))
    before = discovery_queries.action_counts(platform.uow(readonly=True), user_id=user.user_id)
    # when
    page = client.get(f"/demo/feed/{user.user_id}?lang=en")
    # then
    assert page.status_code == 200
    cards = page.text.count('<li class="card">')
    after = discovery_queries.action_counts(platform.uow(readonly=True), user_id=user.user_id)
    assert cards == 20
    assert after.get("impression", 0) - before.get("impression", 0) == cards
    assert re.search(r'class="badge kind-(video|live|post)"', page.text)
    assert re.search(r'class="price">¥\d[\d,]*\.\d\d<', page.text)
    assert user.display_name in page.text


def test_the_demo_feed_does_not_exist_without_demo_mode(
    plain: tuple[TestClient, Platform], tiny_world: Path
) -> None:
    # given
    client, platform = plain
    user = SimTruth.load(tiny_world).users[5]
    before = _count(platform, "SELECT count(*) FROM behaviour_events")
    # when
    page = client.get(f"/demo/feed/{user.user_id}")
    # then
    assert page.status_code == 404
    assert _count(platform, "SELECT count(*) FROM behaviour_events") == before


def test_an_unknown_user_has_no_feed(demo: tuple[TestClient, Platform]) -> None:
    client, _ = demo
    assert client.get("/demo/feed/999999").status_code == 404


def test_the_language_switch_is_remembered(demo: tuple[TestClient, Platform]) -> None:
    # given
    client, _ = demo
    # when
    chinese = client.get("/?lang=zh")
    # then
    assert chinese.cookies.get("xingqu_lang") == "zh"
    assert '<html lang="zh-CN">' in chinese.text and "实时数据" in chinese.text
    again = client.get("/")
    assert '<html lang="zh-CN">' in again.text
    english = client.get("/?lang=en")
    assert '<html lang="en">' in english.text and "Live figures" in english.text


def test_a_chinese_browser_gets_chinese_first(tiny_world: Path) -> None:
    for client, _ in _client(tiny_world, demo_mode=False):
        page = client.get("/", headers={"Accept-Language": "zh-CN,zh;q=0.9"})
        assert '<html lang="zh-CN">' in page.text


def test_the_stylesheet_is_served_and_nothing_else(demo: tuple[TestClient, Platform]) -> None:
    client, _ = demo
    css = client.get("/static/style.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/static/..%2Fpages.py").status_code == 404
    assert client.get("/static/missing.css").status_code == 404
