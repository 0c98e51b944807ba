"""Open data of the public portal (/api/v1/public/...): aggregated, delayed, protected."""

from ninja import Router

router = Router(tags=["public"])
