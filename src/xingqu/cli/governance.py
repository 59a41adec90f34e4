"""`xingqu governance …`: the operator's governance commands. They act as the platform (SYSTEM)
unless `--operator-id` names the operator deciding; every decision is in the audit log."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from xingqu.bootstrap import Platform, build_platform
from xingqu.config import Settings
from xingqu.governance import audit, cases, listing, queries, reports, risk, scores
from xingqu.governance.classifier import packaged_classifier, read_labelled
from xingqu.governance.evaluation import evaluate as evaluate_set
from xingqu.governance.ruleset import packaged_ruleset
from xingqu.identity import services as identity
from xingqu.shared.access import SYSTEM, Actor, Role
from xingqu.shared.errors import DomainError
from xingqu.shared.paging import PageRequest

app = typer.Typer(
    help="Listing review, shop risk, cases, sanctions, appeals, scores and reports.",
    no_args_is_help=True,
)
console = Console()


def _platform() -> Platform:
    return build_platform(Settings())


def _fail(message: str) -> None:
    console.print(f"[red]{message}[/]")
    raise typer.Exit(code=1)


OperatorId = Annotated[
    int | None,
    typer.Option(help="the operator's user id, recorded in the audit log (default: the platform)"),
]


def _actor(platform: Platform, operator_id: int | None) -> Actor:
    """The operator the decision is recorded under; the platform (SYSTEM) when not named."""
    if operator_id is None:
        return SYSTEM
    actor = identity.get_user(platform.uow(readonly=True), operator_id).actor()
    actor.require(Role.OPERATOR)
    return actor


def _when(text: str | None, default: datetime) -> datetime:
    if text is None:
        return default
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


@app.command()
def rescan() -> None:
    """Re-scan the live catalogue under the current rule set; take down what now violates."""
    platform = _platform()
    try:
        result = listing.rescan_catalogue(platform.uow, SYSTEM)
    finally:
        platform.close()
    console.print(
        f"Rule set {result.ruleset_version}: scanned {result.scanned}, "
        f"took down {result.taken_down}, queued {result.queued} (scan {result.scan_id})."
    )


@app.command()
def queue(limit: Annotated[int, typer.Option(min=1, max=200)] = 20) -> None:
    """Listing reviews waiting for an operator, oldest first."""
    platform = _platform()
    try:
        page = queries.review_queue(platform.uow(readonly=True), SYSTEM, PageRequest(limit=limit))
    finally:
        platform.close()
    table = Table(title=f"Review queue ({page.total} waiting)")
    for column in ("review", "product", "shop", "decision", "reasons", "evidence"):
        table.add_column(column)
    for r in page.items:
        evidence = "; ".join(f"{f['field']}: {f['excerpt']}" for f in r.findings[:3])
        table.add_row(
            str(r.id), str(r.product_id), str(r.shop_id), r.decision, ", ".join(r.codes), evidence
        )
    console.print(table)


@app.command("decide-listing")
def decide_listing(
    review_id: int,
    note: Annotated[str, typer.Option(help="why (kept in the audit log)")],
    approve: Annotated[bool, typer.Option("--approve/--reject")] = True,
    reason_code: Annotated[str | None, typer.Option(help="reason code when rejecting")] = None,
    operator_id: OperatorId = None,
) -> None:
    """Approve or reject a queued listing review."""
    platform = _platform()
    try:
        actor = _actor(platform, operator_id)
        review = listing.decide_listing(
            platform.uow(), actor, review_id, approve=approve, note=note, reason_code=reason_code
        )
    except DomainError as exc:
        _fail(f"{exc.code}: {exc.message}")
        return
    finally:
        platform.close()
    console.print(f"Review {review.id}: {review.queue_status}.")


@app.command()
def detect(
    hours: Annotated[
        int, typer.Option(min=1, help="look at orders placed this many hours back")
    ] = 24,
    detector: Annotated[list[str] | None, typer.Option(help="run only these")] = None,
) -> None:
    """Run the shop-risk detectors and open cases for what they find."""
    platform = _platform()
    try:
        until = platform.clock.now()
        opened = risk.run_detectors(
            platform.uow,
            until - timedelta(hours=hours),
            until + timedelta(seconds=1),
            detectors=detector or risk.DETECTORS,
        )
    finally:
        platform.close()
    table = Table(title=f"Cases from the detectors ({len(opened)})")
    for column in ("case", "shop", "reason", "severity", "status", "summary"):
        table.add_column(column)
    for c in opened:
        table.add_row(str(c.id), str(c.shop_id), c.reason_code, c.severity, c.status, c.summary)
    console.print(table)


@app.command("decide-case")
def decide_case(
    case_id: int,
    note: Annotated[str, typer.Option(help="why (kept in the audit log)")],
    confirm: Annotated[bool, typer.Option("--confirm/--dismiss")] = True,
    operator_id: OperatorId = None,
) -> None:
    """Confirm (and sanction) or dismiss a case."""
    platform = _platform()
    try:
        actor = _actor(platform, operator_id)
        case, sanction = cases.decide_case(
            platform.uow(), actor, case_id, confirm=confirm, note=note
        )
    except DomainError as exc:
        _fail(f"{exc.code}: {exc.message}")
        return
    finally:
        platform.close()
    what = f"; sanction {sanction.id}: {sanction.level}" if sanction is not None else ""
    console.print(f"Case {case.id}: {case.status}{what}.")


@app.command()
def expire() -> None:
    """End the sanctions whose time is up and restore what they changed."""
    platform = _platform()
    try:
        ended = cases.expire_sanctions(platform.uow())
    finally:
        platform.close()
    console.print(f"Ended {len(ended)} sanctions: {ended}")


@app.command("scores")
def recompute() -> None:
    """Recompute merchant experience scores and creator reputations."""
    platform = _platform()
    try:
        run = scores.recompute_scores(platform.uow)
    finally:
        platform.close()
    console.print(f"Scored {run.shops} shops and {run.creators} creators.")


@app.command()
def report(
    since: Annotated[
        str | None, typer.Option(help="ISO date or time (default: 30 days ago)")
    ] = None,
    until: Annotated[str | None, typer.Option(help="ISO date or time (default: now)")] = None,
    period: Annotated[str, typer.Option(help="day, week or month")] = "month",
    as_json: Annotated[bool, typer.Option("--json", help="print JSON rows")] = False,
) -> None:
    """Intercepted listings, take-downs, shop violations, upheld appeals: by reason and period."""
    platform = _platform()
    try:
        now = platform.clock.now()
        rows = reports.governance_report(
            platform.uow(readonly=True),
            SYSTEM,
            _when(since, now - timedelta(days=30)),
            _when(until, now),
            period,
        )
    except DomainError as exc:
        _fail(f"{exc.code}: {exc.message}")
        return
    finally:
        platform.close()
    if as_json:
        payload = [
            {"metric": r.metric, "period": r.period, "reason": r.reason, "count": r.count}
            for r in rows
        ]
        console.print_json(json.dumps(payload))
        return
    table = Table(title="Governance report")
    for column in ("metric", "period", "reason", "count"):
        table.add_column(column)
    for r in rows:
        table.add_row(r.metric, r.period, r.reason, str(r.count))
    console.print(table)


@app.command("verify-audit")
def verify_audit() -> None:
    """Check the audit log's hash chain."""
    platform = _platform()
    try:
        check = audit.verify_chain(platform.uow(readonly=True))
    finally:
        platform.close()
    if check.broken_at is not None:
        _fail(f"the audit log was altered at entry {check.broken_at} ({check.entries} read)")
    console.print(f"The audit log's {check.entries} entries are intact.")


@app.command()
def evaluate(
    path: Annotated[
        Path, typer.Argument(help="a labelled TSV (labels, category, prices, title, description)")
    ],
    full: Annotated[
        bool, typer.Option(help="rules and the classifier (default: rules only)")
    ] = False,
) -> None:
    """Precision and recall per reason code, and the false-positive rate, on a labelled set."""
    rows = read_labelled(path.read_text(encoding="utf-8").splitlines())
    result = evaluate_set(rows, packaged_ruleset(), model=packaged_classifier() if full else None)
    table = Table(title=f"{path.name}: {result.listings} listings ({'full' if full else 'rules'})")
    for column in ("reason code", "support", "flagged", "precision", "recall"):
        table.add_column(column)
    for s in [*result.per_code, result.overall]:
        table.add_row(
            s.code, str(s.support), str(s.flagged), f"{s.precision:.3f}", f"{s.recall:.3f}"
        )
    console.print(table)
    console.print(
        f"False positives on clean listings: {result.clean_flagged}/{result.clean} "
        f"({result.false_positive_rate:.1%})."
    )
