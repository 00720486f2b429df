"""``GET /api/v1/openapi.json`` describes the native API it is served beside."""

from __future__ import annotations

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from endpoints import (
    admin_agencies,
    admin_deliveries,
    admin_nodes,
    api_agencies,
    api_batch,
    api_messages,
    api_relay,
    api_stats,
    openapi,
)


async def test_the_description_covers_every_api_route() -> None:
    app = web.Application()
    for module in (
        api_messages,
        api_batch,
        api_agencies,
        admin_agencies,
        admin_deliveries,
        admin_nodes,
        api_stats,
        api_relay,
    ):
        module.add_routes(app)
    openapi.add_routes(app)
    async with TestClient(TestServer(app)) as client, client.get("/api/v1/openapi.json") as answer:
        assert answer.status == 200
        description = await answer.json()
    assert description["openapi"].startswith("3.1")
    served = {
        (route.method.lower(), route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
        and route.resource.canonical != "/api/v1/openapi.json"
    }  # fmt: skip
    described = {(method, path) for path, item in description["paths"].items() for method in item}
    assert served == described
    submit = description["paths"]["/api/v1/messages"]["post"]["responses"]
    assert {"200", "202", "400", "401", "403", "409", "413", "422"} <= set(submit)
    schemas = description["components"]["schemas"]
    tracking = schemas["RecipientTracking"]["properties"]
    for field in ("organ_id", "transport_state", "attempts", "last_error", "delivered_at",
                  "acked_at", "statuses"):  # fmt: skip
        assert field in tracking
    assert {"acts_on", "acted_on_by"} <= set(schemas["Tracking"]["properties"])


def test_every_reference_in_the_description_resolves() -> None:
    def references(node: object) -> list[str]:
        if isinstance(node, dict):
            found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
            return found + [ref for value in node.values() for ref in references(value)]
        if isinstance(node, list):
            return [ref for value in node for ref in references(value)]
        return []

    found = references(openapi.DESCRIPTION)
    assert found  # the walk saw the description's references at all
    for reference in found:
        section, kind, name = reference.removeprefix("#/").split("/")
        assert name in openapi.DESCRIPTION[section][kind], reference
