"""`python -m dashboard.data build | summary | years | fetch`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .. import config
from .errors import SourceDataError
from .plausibility import ImplausibleChangeError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.data", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="build data/processed from the raw published files")
    build.add_argument("--raw-dir", type=Path, default=None, help="raw files (default: ../shared/data or "
                       "$EQUITY_ATLAS_RAW_DIR)")
    build.add_argument("--out-dir", type=Path, default=None, help="processed output (default: data/processed)")
    build.add_argument("--accept-changes", action="store_true",
                       help="swap in a build that fails a plausibility check (a real change, e.g. a revised "
                       "publication); the manifest records what was accepted")
    summary = commands.add_parser("summary", help="national figures for a year")
    summary.add_argument("--year", default=None)
    summary.add_argument("--json", action="store_true")
    commands.add_parser("years", help="list the years available")
    fetch = commands.add_parser("fetch", help="download newer publications into the raw folder")
    from . import fetch as fetch_module

    fetch_module.add_arguments(fetch)
    args = parser.parse_args(argv)

    if args.command == "build":
        from .build import build as run_build

        try:
            run_build(raw_dir=args.raw_dir, out_dir=args.out_dir, accept_changes=args.accept_changes)
        except ImplausibleChangeError as exc:
            print(f"build refused, previous data left untouched: {exc}", file=sys.stderr)
            return 3
        except SourceDataError as exc:
            print(f"build stopped, previous data left untouched: {exc}", file=sys.stderr)
            return 2
        except ValueError as exc:  # an output failed its schema
            print(f"build stopped, previous data left untouched: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.command == "fetch":
        return fetch_module.main_from_args(args)

    from .query import ProcessedDataError, load_atlas

    try:
        atlas = load_atlas(str(config.processed_dir()))
    except ProcessedDataError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "years":
        print("\n".join(atlas.years))
        return 0
    try:
        figures = atlas.national_summary(args.year)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        from ..metrics import format_money

        print(f"{figures['year']}: {figures['practices']:,} practices, {figures['registered_patients']:,} patients, "
              f"{format_money(figures['total_payments'])} total, "
              f"{format_money(figures['total_payments_incl_covid_pcn'])} with COVID and PCN, "
              f"{format_money(figures['prescribing_dispensing_payments'])} prescribing and dispensing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
