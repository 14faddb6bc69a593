"""The pages people open in a browser, served with no CDN: the dashboard (/), GraphiQL (GET /graphql), /docs.

The dashboard is static files (``graphql_api/static/dashboard``: HTML, ES modules, CSS; no build step)
served on /dashboard, its page on /; it reads everything through the public /graphql like any client.

Their scripts and styles are package data (``graphql_api/static/vendor``, copied from npm at the
versions pinned by ``graphql_api/static/package-lock.json``; ``make vendor`` refreshes them) served
under ``/static``. ReDoc is not served: it needs a CDN script and says nothing /docs does not.
"""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).resolve().parent / "static"
GRAPHIQL_HTML = (STATIC_DIR / "graphiql.html").read_text(encoding="utf-8")
DASHBOARD_DIR = STATIC_DIR / "dashboard"
DASHBOARD_HTML = (DASHBOARD_DIR / "index.html").read_text(encoding="utf-8")


def install_browser_pages(app: FastAPI) -> None:
    """Serve the vendored assets on /static, the dashboard on / and Swagger UI on /docs (``docs_url=None``)."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR / "vendor"), name="static")
    app.mount("/dashboard", StaticFiles(directory=DASHBOARD_DIR), name="dashboard")

    @app.get("/", include_in_schema=False)
    def dashboard() -> HTMLResponse:
        """The dashboard: coins, a coin page per coin (#/coin/<canonicalId>) and the runs of the last day."""
        return HTMLResponse(DASHBOARD_HTML)

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        """Swagger UI over /openapi.json, its assets from /static."""
        root = request.scope.get("root_path", "").rstrip("/")
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}/static/swagger-ui-dist/swagger-ui-bundle.js",
            swagger_css_url=f"{root}/static/swagger-ui-dist/swagger-ui.css",
            swagger_favicon_url=f"{root}/static/swagger-ui-dist/favicon-32x32.png",
        )
