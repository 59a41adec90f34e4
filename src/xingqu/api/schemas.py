"""Schema building blocks shared by the routers."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Public(BaseModel):
    """Base of every response schema: built from ORM objects or dataclasses."""

    model_config = ConfigDict(from_attributes=True)


class Strict(BaseModel):
    """Base of every request schema: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PageOf(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class ErrorDetail(BaseModel):
    code: str
    message: str
    details: dict[str, object] = {}


class ErrorResponse(BaseModel):
    error: ErrorDetail


ERRORS = {
    401: {"model": ErrorResponse, "description": "not logged in"},
    403: {"model": ErrorResponse, "description": "not allowed"},
    404: {"model": ErrorResponse, "description": "not found"},
    409: {"model": ErrorResponse, "description": "the current state forbids it"},
    422: {"model": ErrorResponse, "description": "malformed or invalid input"},
}
