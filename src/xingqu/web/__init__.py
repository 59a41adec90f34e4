"""The platform in a browser: server-rendered pages over the same services the API uses."""

from __future__ import annotations

from fastapi import FastAPI


def install_web(app: FastAPI) -> None:
    """Mount every page router and the pages' error handling on `app`."""
    from xingqu.web import (
        account,
        consumer,
        creator,
        merchant,
        merchant_service,
        operator,
        operator_service,
        pages,
        shopping,
        tickets,
    )
    from xingqu.web.errors import install_web_error_pages

    install_web_error_pages(app)
    for module in (
        account,
        pages,
        consumer,
        shopping,
        tickets,
        creator,
        merchant,
        merchant_service,
        operator,
        operator_service,
    ):
        app.include_router(module.router)
