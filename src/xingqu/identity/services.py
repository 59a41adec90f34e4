"""Identity use cases."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from xingqu.identity import events
from xingqu.identity.errors import IdentityError
from xingqu.identity.models import ApiToken, User
from xingqu.identity.rules import (
    encode_roles,
    hash_password,
    new_token,
    parse_roles,
    token_digest,
    validate_password,
    validate_username,
    verify_password,
)
from xingqu.shared.access import Actor, Role
from xingqu.shared.errors import DomainError, ErrorKind, conflict, forbidden, invalid, not_found
from xingqu.store.paging import count_rows
from xingqu.store.uow import UnitOfWork

SELF_SERVICE_ROLES = frozenset({Role.CONSUMER, Role.CREATOR, Role.MERCHANT})


@dataclass(frozen=True, slots=True)
class RegisterUser:
    username: str
    display_name: str
    roles: frozenset[str]
    password: str | None = None  # None: the account cannot log in with a password (demo users)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str  # shown once; only its hash is stored
    token_id: int
    user_id: int


def register_user(uow: UnitOfWork, cmd: RegisterUser, *, by: Actor | None = None) -> User:
    """Anyone may sign up as consumer, creator or merchant; only an operator creates operators."""
    username = validate_username(cmd.username)
    roles = parse_roles(cmd.roles)
    if Role.OPERATOR in roles and (by is None or not by.is_operator):
        raise forbidden("only an operator can create an operator account")
    if cmd.password is not None:
        validate_password(cmd.password)
    if not cmd.display_name.strip() or len(cmd.display_name) > 80:
        raise invalid(IdentityError.INVALID_USERNAME, "display names are 1–80 characters")
    password_hash = hash_password(cmd.password) if cmd.password is not None else None
    with uow:
        s = uow.session
        if s.scalar(select(User.id).where(User.username == username)) is not None:
            raise conflict(IdentityError.USERNAME_TAKEN, f"the user name {username!r} is taken")
        user = User(
            username=username,
            display_name=cmd.display_name.strip(),
            password_hash=password_hash,
            roles=encode_roles(roles),
            created_at=uow.clock.now(),
        )
        s.add(user)
        s.flush()
        uow.emit(events.UserRegistered(user_id=user.id, roles=sorted(roles)))
        uow.commit()
        return user


def login(uow: UnitOfWork, username: str, password: str, *, ttl: timedelta) -> IssuedToken:
    """Exchange a password for a session token that expires after `ttl`."""
    with uow:
        user = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
        if user is None or not verify_password(password, user.password_hash):
            raise DomainError(
                IdentityError.BAD_CREDENTIALS,
                "wrong user name or password",
                ErrorKind.UNAUTHENTICATED,
            )
        issued = _issue(uow, user.id, "session", "log-in", ttl)
        uow.commit()
        return issued


def create_api_token(
    uow: UnitOfWork, actor: Actor, name: str, *, ttl: timedelta | None = None
) -> IssuedToken:
    if not name.strip() or len(name) > 80:
        raise invalid(IdentityError.INVALID_TOKEN, "token names are 1–80 characters")
    with uow:
        issued = _issue(uow, actor.user_id, "api", name.strip(), ttl)
        uow.commit()
        return issued


def issue_session_for(uow: UnitOfWork, user_id: int, *, ttl: timedelta) -> IssuedToken:
    """A session for a known user without a password: demo log-in and the simulator only."""
    with uow:
        if uow.session.get(User, user_id) is None:
            raise not_found(IdentityError.USER_NOT_FOUND, "user", user_id)
        issued = _issue(uow, user_id, "session", "demo", ttl)
        uow.commit()
        return issued


def revoke_token(uow: UnitOfWork, actor: Actor, token_id: int) -> None:
    with uow:
        token = uow.session.get(ApiToken, token_id)
        if token is None or (token.user_id != actor.user_id and not actor.is_operator):
            raise not_found(IdentityError.INVALID_TOKEN, "token", token_id)
        if token.revoked_at is None:
            token.revoked_at = uow.clock.now()
        uow.commit()


def authenticate(uow: UnitOfWork, token: str) -> Actor:
    """The actor a bearer token stands for; raises `unauthenticated` otherwise."""
    with uow:
        row = uow.session.execute(
            select(ApiToken, User)
            .join(User, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == token_digest(token))
        ).first()
        now = uow.clock.now()
        if (
            row is None
            or row[0].revoked_at is not None
            or (row[0].expires_at is not None and row[0].expires_at <= now)
        ):
            raise DomainError(
                IdentityError.INVALID_TOKEN,
                "the token is missing, expired or revoked",
                ErrorKind.UNAUTHENTICATED,
            )
        return row[1].actor()


def count_users(uow: UnitOfWork) -> int:
    """All accounts (runs inside the caller's transaction)."""
    uow.require_active()
    return count_rows(uow.session, User)


def get_user(uow: UnitOfWork, user_id: int) -> User:
    with uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise not_found(IdentityError.USER_NOT_FOUND, "user", user_id)
        return user


def _issue(
    uow: UnitOfWork, user_id: int, kind: str, name: str, ttl: timedelta | None
) -> IssuedToken:
    plain = new_token()
    now = uow.clock.now()
    token = ApiToken(
        user_id=user_id,
        token_hash=token_digest(plain),
        name=name,
        kind=kind,
        created_at=now,
        expires_at=now + ttl if ttl is not None else None,
    )
    uow.session.add(token)
    uow.session.flush()
    return IssuedToken(token=plain, token_id=token.id, user_id=user_id)
