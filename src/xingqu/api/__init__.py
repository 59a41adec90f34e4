"""The HTTP API: FastAPI routers per context, one error mapper, bearer-token auth."""
