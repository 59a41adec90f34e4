"""`Annotated` dependencies shared by every router."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from xingqu.bootstrap import Platform
from xingqu.identity import services as identity
from xingqu.shared.access import Actor
from xingqu.shared.errors import DomainError, ErrorKind, SharedError
from xingqu.shared.paging import MAX_LIMIT, PageRequest

_bearer = HTTPBearer(auto_error=False)


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_actor(
    platform: PlatformDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise DomainError(
            SharedError.UNAUTHENTICATED,
            "log in first: send 'Authorization: Bearer <token>'",
            ErrorKind.UNAUTHENTICATED,
        )
    return identity.authenticate(platform.uow(readonly=True), credentials.credentials)


CurrentActor = Annotated[Actor, Depends(get_actor)]


def get_page(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="items per page")] = 20,
    offset: Annotated[int, Query(ge=0, description="items to skip")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


PageDep = Annotated[PageRequest, Depends(get_page)]


IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=64,
        pattern=r"^[A-Za-z0-9_.:-]+$",
        description="the same key on a retry returns the first result",
    ),
]
