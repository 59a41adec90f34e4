"""Sign-up, log-in, API tokens and the current user."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, status
from pydantic import Field

from xingqu.api.deps import CurrentActor, PlatformDep
from xingqu.api.schemas import ERRORS, Public, Strict
from xingqu.identity import services as identity

router = APIRouter(prefix="/auth", tags=["identity"], responses=ERRORS)  # type: ignore[arg-type]


class UserCreate(Strict):
    username: str = Field(min_length=3, max_length=40)
    display_name: str = Field(min_length=1, max_length=80)
    password: str = Field(min_length=1, max_length=200)
    roles: list[str] = Field(default=["consumer"], min_length=1, max_length=4)


class UserPublic(Public):
    id: int
    username: str
    display_name: str
    roles: list[str]
    created_at: datetime


class LoginRequest(Strict):
    username: str = Field(max_length=40)
    password: str = Field(max_length=200)


class TokenCreate(Strict):
    name: str = Field(min_length=1, max_length=80)
    ttl_days: int | None = Field(default=None, ge=1, le=3650)


class TokenPublic(Public):
    token: str
    token_id: int
    user_id: int
    token_type: str = "bearer"


def _user_public(user: object) -> UserPublic:
    from xingqu.identity.models import User

    assert isinstance(user, User)
    return UserPublic(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        roles=sorted(user.actor().roles),
        created_at=user.created_at,
    )


@router.post("/users", status_code=status.HTTP_201_CREATED)
def sign_up(body: UserCreate, platform: PlatformDep) -> UserPublic:
    """Create an account (consumer, creator and/or merchant; operators are made by operators)."""
    user = identity.register_user(
        platform.uow(),
        identity.RegisterUser(
            body.username, body.display_name, frozenset(body.roles), body.password
        ),
    )
    return _user_public(user)


@router.post("/login")
def log_in(body: LoginRequest, platform: PlatformDep) -> TokenPublic:
    """Exchange a user name and password for a bearer token."""
    issued = identity.login(
        platform.uow(),
        body.username,
        body.password,
        ttl=timedelta(hours=platform.settings.token_ttl_hours),
    )
    return TokenPublic.model_validate(issued)


@router.post("/tokens", status_code=status.HTTP_201_CREATED)
def create_token(body: TokenCreate, actor: CurrentActor, platform: PlatformDep) -> TokenPublic:
    """A long-lived API token for scripts; the token is shown once and stored hashed."""
    ttl = timedelta(days=body.ttl_days) if body.ttl_days else None
    return TokenPublic.model_validate(
        identity.create_api_token(platform.uow(), actor, body.name, ttl=ttl)
    )


@router.delete("/tokens/{token_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke_token(token_id: int, actor: CurrentActor, platform: PlatformDep) -> None:
    identity.revoke_token(platform.uow(), actor, token_id)


@router.get("/me")
def me(actor: CurrentActor, platform: PlatformDep) -> UserPublic:
    return _user_public(identity.get_user(platform.uow(readonly=True), actor.user_id))
