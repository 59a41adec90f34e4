"""Trade commands: `xingqu ledger check` (the books' audit), `xingqu timers` (run the trade and
after-sales timers once), and the timer loop `xingqu worker` runs beside the outbox relay."""

from __future__ import annotations

import logging
import threading
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from xingqu.bootstrap import Platform, build_platform
from xingqu.config import Settings
from xingqu.ledger.audit import check_books

log = logging.getLogger(__name__)
console = Console()

ledger_app = typer.Typer(help="The double-entry ledger.", no_args_is_help=True)


@ledger_app.command("check")
def ledger_check(
    show: Annotated[int, typer.Option(min=0, help="problems to print at most")] = 50,
) -> None:
    """Prove the books balance and every account reconciles with orders, coupons, claims and
    payouts. Exits 1 when they do not."""
    platform = build_platform(Settings())
    try:
        audit = check_books(platform.uow(readonly=True))
    finally:
        platform.close()
    table = Table(title="Ledger accounts (debits − credits, fen)")
    table.add_column("account")
    table.add_column("balance", justify="right")
    for account, total in sorted(audit.totals.items()):
        table.add_row(account, f"{total:,}")
    console.print(table)
    console.print(
        f"{audit.entries:,} entries, {audit.lines:,} lines; {audit.orders:,} paid orders "
        f"reconciled ({audit.settled_orders:,} settled)."
    )
    if audit.ok:
        console.print("[green]The books balance and reconcile.[/]")
        return
    console.print(f"[red]{len(audit.problems)} problem(s):[/]")
    for problem in audit.problems[:show]:
        console.print(f"  - {problem}")
    raise typer.Exit(code=1)


def timers() -> None:
    """Run every trade and after-sales timer once (what `xingqu worker` does on a schedule);
    running it again at once changes nothing."""
    platform = build_platform(Settings())
    try:
        changed = platform.run_timers()
    finally:
        platform.close()
    table = Table(title="Timers")
    table.add_column("timer")
    table.add_column("changed", justify="right")
    for name, count in changed.items():
        table.add_row(name, str(count))
    console.print(table)


class TimerLoop:
    """Runs the timers every `interval_s` on a thread until stopped; a failure is logged and
    retried on the next tick (every timer is idempotent)."""

    def __init__(self, platform: Platform, interval_s: float) -> None:
        self.platform = platform
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="trade-timers", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=60)

    def _run(self) -> None:
        while not self._stop.is_set():
            began = time.monotonic()
            try:
                changed = {k: v for k, v in self.platform.run_timers().items() if v}
                if changed:
                    console.print(
                        "timers: " + ", ".join(f"{k} ×{v}" for k, v in sorted(changed.items()))
                    )
            except Exception:
                log.exception("a trade timer failed; it runs again on the next tick")
            self._stop.wait(max(0.0, self.interval_s - (time.monotonic() - began)))
