"""aftersales endpoints (being written)."""

from fastapi import APIRouter

router = APIRouter(tags=["aftersales"])
