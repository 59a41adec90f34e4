"""`xingqu governance …` on a real data directory."""

import json
from pathlib import Path

from typer.testing import CliRunner

from tests import factories
from xingqu.bootstrap import build_platform
from xingqu.cli.main import app
from xingqu.config import Settings
from xingqu.governance import queries
from xingqu.shared.paging import PageRequest

runner = CliRunner()


def _invoke(data_dir: Path, *args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env={"XINGQU_DATA_DIR": str(data_dir)})


def test_report_rescan_queue_and_audit_check_from_the_cli(tmp_path: Path) -> None:
    # given: a platform with one listing intercepted and one watched
    data_dir = tmp_path / "data"
    p = build_platform(Settings(data_dir=data_dir, environment="test"))
    owner, shop = factories.merchant(p)
    factories.product(p, owner, shop, title_zh="高仿精华", title_en="")
    factories.product(p, owner, shop, price_fen=99)
    p.close()
    # when
    report = _invoke(data_dir, "governance", "report", "--json", "--period", "day")
    queue = _invoke(data_dir, "governance", "queue")
    rescan = _invoke(data_dir, "governance", "rescan")
    verified = _invoke(data_dir, "governance", "verify-audit")
    # then
    assert report.exit_code == 0, report.output
    assert [(r["metric"], r["reason"], r["count"]) for r in json.loads(report.output)] == [
        ("intercepted", "goods.counterfeit", 1)
    ]
    assert queue.exit_code == 0 and "price.anomaly" in queue.output
    assert rescan.exit_code == 0 and "scanned 0" in rescan.output  # all reviewed under this version
    assert verified.exit_code == 0 and "intact" in verified.output


def test_an_unknown_period_is_a_clear_error(tmp_path: Path) -> None:
    result = _invoke(tmp_path / "data", "governance", "report", "--period", "fortnight")
    assert result.exit_code == 1
    assert "governance.invalid_period" in result.output


def test_a_decision_from_the_cli_is_recorded_under_the_named_operator(tmp_path: Path) -> None:
    # given: a watched listing in the queue, an operator and a merchant
    data_dir = tmp_path / "data"
    p = build_platform(Settings(data_dir=data_dir, environment="test"))
    owner, shop = factories.merchant(p)
    factories.product(p, owner, shop, price_fen=99)
    operator = factories.operator(p)
    [queued] = queries.review_queue(p.uow(readonly=True), operator, PageRequest(limit=5)).items
    p.close()
    # when: a merchant's id is refused, the operator's is recorded
    refused = _invoke(
        data_dir, "governance", "decide-listing", str(queued.id), "--approve",
        "--note", "fine", "--operator-id", str(owner.user_id),
    )  # fmt: skip
    decided = _invoke(
        data_dir, "governance", "decide-listing", str(queued.id), "--approve",
        "--note", "fine", "--operator-id", str(operator.user_id),
    )  # fmt: skip
    # then
    assert refused.exit_code != 0
    assert decided.exit_code == 0, decided.output
    p = build_platform(Settings(data_dir=data_dir, environment="test"))
    entries = queries.audit_log(p.uow(readonly=True), operator, PageRequest(limit=50)).items
    p.close()
    assert [(e.action, e.actor_id) for e in entries if e.action == "listing.approved"] == [
        ("listing.approved", operator.user_id)
    ]
