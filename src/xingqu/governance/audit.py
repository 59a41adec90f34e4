"""The append-only audit log and merchant notices.

`record` is the only writer of `governance_audit_log`: it inserts, never updates or deletes. Each
row's `hash` is the SHA-256 of the previous row's hash and this row's content, so `verify_chain`
finds any row that was edited or removed afterwards.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from xingqu.governance.models import AuditEntry, MerchantNotice
from xingqu.shared.access import Actor
from xingqu.shared.clock import as_utc
from xingqu.store.uow import UnitOfWork

GENESIS = "0" * 64
_CHAIN_LOCK = 7_2024_0404  # PostgreSQL advisory lock: one writer extends the chain at a time


def record(
    uow: UnitOfWork,
    actor: Actor,
    action: str,
    subject_type: str,
    subject_id: int,
    *,
    shop_id: int | None,
    reason: str,
    evidence: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry (inside the caller's transaction)."""
    uow.take_turn(_CHAIN_LOCK)
    s = uow.session
    prev = s.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    entry = AuditEntry(
        at=uow.clock.now(),
        actor_id=actor.user_id,
        actor_roles=",".join(sorted(str(r) for r in actor.roles)),
        action=action,
        subject_type=subject_type,
        subject_id=subject_id,
        shop_id=shop_id,
        reason=reason[:500],
        evidence=evidence or {},
        prev_hash=prev,
        hash="",
    )
    entry.hash = entry_hash(entry)
    s.add(entry)
    s.flush()
    return entry


def entry_hash(entry: AuditEntry) -> str:
    body = {
        "at": as_utc(entry.at).isoformat(),
        "actor_id": entry.actor_id,
        "actor_roles": entry.actor_roles,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "shop_id": entry.shop_id,
        "reason": entry.reason,
        "evidence": entry.evidence,
    }
    payload = entry.prev_hash + json.dumps(body, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainCheck:
    entries: int
    broken_at: int | None  # the id of the first entry that does not follow from the one before


def verify_chain(uow: UnitOfWork) -> ChainCheck:
    with uow:
        prev = GENESIS
        count = 0
        for entry in uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
            count += 1
            if entry.prev_hash != prev or entry_hash(entry) != entry.hash:
                return ChainCheck(count, entry.id)
            prev = entry.hash
        return ChainCheck(count, None)


def notify(
    uow: UnitOfWork,
    shop_id: int,
    kind: str,
    subject_type: str,
    subject_id: int,
    message: str,
    *,
    at: datetime | None = None,
) -> MerchantNotice:
    """Leave a notice for the shop's merchant (inside the caller's transaction)."""
    uow.require_active()
    notice = MerchantNotice(
        shop_id=shop_id,
        kind=kind,
        subject_type=subject_type,
        subject_id=subject_id,
        message=message[:1000],
        created_at=at or uow.clock.now(),
    )
    uow.session.add(notice)
    return notice
