"""`python -m dashboard [--host H] [--port P]`: serve the app on the shipped data."""

from __future__ import annotations

import argparse
import os


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m dashboard", description="Serve Equity Atlas.")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8050")))
    parser.add_argument("--debug", action="store_true", help="Dash dev tools (never in production)")
    args = parser.parse_args(argv)
    from .app import CannotStart, create_app

    try:
        app = create_app()
    except CannotStart:
        raise SystemExit(2) from None
    print(f"Equity Atlas on http://{args.host}:{args.port}/")
    # Hot reload (and its /_reload-hash) and the dev tools only with --debug, whatever DASH_* variables say.
    app.run(host=args.host, port=args.port, debug=args.debug, dev_tools_hot_reload=args.debug,
            dev_tools_ui=args.debug)


if __name__ == "__main__":
    main()
