from datetime import timedelta

import pytest

from tests import factories
from xingqu.bootstrap import Platform
from xingqu.identity import rules, services
from xingqu.identity.errors import IdentityError
from xingqu.identity.models import ApiToken
from xingqu.shared.access import Role
from xingqu.shared.clock import ManualClock
from xingqu.shared.errors import DomainError, ErrorKind, SharedError


def test_password_hash_round_trip_and_salting() -> None:
    first, second = rules.hash_password("correct horse 1"), rules.hash_password("correct horse 1")
    assert first != second  # salted
    assert rules.verify_password("correct horse 1", first)
    assert not rules.verify_password("correct horse 2", first)
    assert not rules.verify_password("x", None)
    assert not rules.verify_password("x", "garbage")


def test_tokens_are_stored_hashed(platform: Platform) -> None:
    factories.user(platform, "consumer", password="long-enough-1")
    issued = services.login(
        platform.uow(), _last_username(platform), "long-enough-1", ttl=timedelta(hours=1)
    )
    with platform.uow(readonly=True) as uow:
        stored = uow.session.get(ApiToken, issued.token_id)
    assert stored is not None
    assert stored.token_hash == rules.token_digest(issued.token)
    assert issued.token not in stored.token_hash


def _last_username(platform: Platform) -> str:
    from sqlalchemy import select

    from xingqu.identity.models import User

    with platform.uow(readonly=True) as uow:
        return uow.session.scalars(select(User.username).order_by(User.id.desc())).first() or ""


def test_login_authenticate_expire(platform: Platform, clock: ManualClock) -> None:
    actor = factories.user(platform, "merchant", "creator", password="long-enough-1")
    issued = services.login(
        platform.uow(), _last_username(platform), "long-enough-1", ttl=timedelta(hours=1)
    )
    assert services.authenticate(platform.uow(readonly=True), issued.token) == actor
    assert actor.roles == frozenset({Role.MERCHANT, Role.CREATOR})
    clock.advance(timedelta(hours=1))
    with pytest.raises(DomainError) as err:
        services.authenticate(platform.uow(readonly=True), issued.token)
    assert (
        err.value.code == IdentityError.INVALID_TOKEN
        and err.value.kind == ErrorKind.UNAUTHENTICATED
    )


def test_wrong_password_is_refused_without_saying_which_part(platform: Platform) -> None:
    factories.user(platform, "consumer", password="long-enough-1")
    before = factories.snapshot(platform)
    for username, password in (
        (_last_username(platform), "wrong-password-1"),
        ("nobody", "long-enough-1"),
    ):
        with pytest.raises(DomainError) as err:
            services.login(platform.uow(), username, password, ttl=timedelta(hours=1))
        assert (err.value.code, err.value.message) == (
            IdentityError.BAD_CREDENTIALS,
            "wrong user name or password",
        )
    assert factories.snapshot(platform) == before


def test_revoked_token_stops_working(platform: Platform) -> None:
    actor = factories.user(platform, "consumer")
    issued = services.create_api_token(platform.uow(), actor, "script")
    services.revoke_token(platform.uow(), actor, issued.token_id)
    with pytest.raises(DomainError):
        services.authenticate(platform.uow(readonly=True), issued.token)


def test_only_operators_create_operators(platform: Platform) -> None:
    before = factories.snapshot(platform)
    with pytest.raises(DomainError) as err:
        services.register_user(
            platform.uow(),
            services.RegisterUser("mallory", "M", frozenset({"operator"}), "long-enough-1"),
        )
    assert err.value.code == SharedError.FORBIDDEN
    assert factories.snapshot(platform) == before


@pytest.mark.parametrize(
    ("username", "password", "roles", "code"),
    [
        ("ab", "long-enough-1", {"consumer"}, IdentityError.INVALID_USERNAME),
        ("Bad Name", "long-enough-1", {"consumer"}, IdentityError.INVALID_USERNAME),
        ("good", "short1", {"consumer"}, IdentityError.WEAK_PASSWORD),
        ("good", "onlyletterslong", {"consumer"}, IdentityError.WEAK_PASSWORD),
        ("good", "long-enough-1", {"king"}, IdentityError.INVALID_ROLES),
        ("good", "long-enough-1", set(), IdentityError.INVALID_ROLES),
    ],
)
def test_bad_sign_ups(
    platform: Platform, username: str, password: str, roles: set[str], code: IdentityError
) -> None:
    before = factories.snapshot(platform)
    with pytest.raises(DomainError) as err:
        services.register_user(
            platform.uow(), services.RegisterUser(username, "Name", frozenset(roles), password)
        )
    assert err.value.code == code
    assert factories.snapshot(platform) == before


def test_duplicate_username(platform: Platform) -> None:
    services.register_user(
        platform.uow(), services.RegisterUser("alice", "A", frozenset({"consumer"}), None)
    )
    before = factories.snapshot(platform)
    with pytest.raises(DomainError) as err:
        services.register_user(
            platform.uow(), services.RegisterUser("ALICE", "A", frozenset({"consumer"}), None)
        )
    assert err.value.code == IdentityError.USERNAME_TAKEN
    assert factories.snapshot(platform) == before
