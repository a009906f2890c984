"""The API documentation pages under ``/schema``, served from this server alone.

Litestar's own pages load Redoc, Swagger UI and fonts from CDNs, which the app's CSP
blocks (and a meeting room may be offline). ``LocalSwaggerUI`` renders
``templates/api_docs.html`` instead: Swagger UI vendored in ``static/vendor/``, started
by ``static/js/api_docs.js`` (no inline script). The schema stays at
``/schema/openapi.json`` (and ``.yaml``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jinja2
from litestar import Request
from litestar.openapi.plugins import OpenAPIRenderPlugin, YamlRenderPlugin

from server.config import TEMPLATES_DIR

# Where the page answers under ``/schema``: its root, and the addresses Litestar's own
# pages had (so an old bookmark shows the docs, not a blank page).
PATHS: tuple[str, ...] = ("/", "/swagger", "/redoc", "/elements", "/rapidoc", "/scalar")

_env = jinja2.Environment(
    loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


class LocalSwaggerUI(OpenAPIRenderPlugin):
    """Swagger UI from ``/static/vendor/swagger-ui``, pointed at the JSON schema."""

    def __init__(self, *, path: str | Sequence[str] = PATHS, **kwargs: Any) -> None:
        super().__init__(path=path, **kwargs)

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        page = _env.get_template("api_docs.html").render(
            title=openapi_schema["info"]["title"],
            schema_url=self.get_openapi_json_route(request),
        )
        return page.encode()


def render_plugins() -> list[OpenAPIRenderPlugin]:
    """What ``OpenAPIConfig(render_plugins=…)`` gets: the docs page and the YAML schema
    (Litestar adds the JSON schema itself)."""
    return [LocalSwaggerUI(), YamlRenderPlugin()]
