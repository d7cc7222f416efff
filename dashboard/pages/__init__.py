"""Our own small router: pages re-render on a change of path only, never of the query string.

(Dash's built-in pages re-render a whole page whenever the query string changes, which would
throw away the map each time the explorer writes its state into the URL.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Route:
    pattern: re.Pattern
    render: Callable
    title: str


ROUTES: list[Route] = []


def route(path: str, title: str):
    """Register a page: `path` may hold one `<name>` part, passed to the layout as a keyword."""
    regex = re.compile("^" + re.sub(r"<(\w+)>", r"(?P<\1>[^/]+)", path.rstrip("/") or "/") + "/?$")

    def register(render: Callable) -> Callable:
        ROUTES.append(Route(regex, render, title))
        return render

    return register


def resolve(pathname: str | None) -> tuple[Route | None, dict]:
    path = pathname or "/"
    for candidate in ROUTES:
        match = candidate.pattern.match(path)
        if match:
            return candidate, match.groupdict()
    return None, {}
