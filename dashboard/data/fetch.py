"""Download the publishers' own files into the raw folder: resumable, verified, atomic and idempotent.

The build only ever reads local copies (by default ../shared/data). This module refreshes them from the
publishers without ever leaving a half-written file where the build would read it: every download goes
to ``<dest>.part`` first and is moved into place with ``os.replace`` only once complete and verified.

No network access happens at import time; nothing here imports Dash.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
import urllib3

from .. import config
from . import sources

BASE_URL_ENV = "EQUITY_ATLAS_FETCH_BASE_URL"
TIMEOUT: tuple[float, float] = (10, 60)  # (connect, read) seconds: a stalled server fails instead of hanging
CHUNK_SIZE = 1 << 16
USER_AGENT = "equity-atlas-fetch/0.1 (python-requests; refreshes open data for a public dashboard)"
OGL = sources.OGL

DOWNLOADED = "downloaded"
UP_TO_DATE = "up to date"
FAILED = "failed"

Progress = Callable[[str], object]


# --------------------------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class RemoteSource:
    """One published file and where its copy lives under the raw folder.

    ``params`` are query parameters appended to ``url`` (kept apart so API calls stay readable);
    ``sha256`` pins the exact bytes when known in advance; ``default=False`` marks a source fetched only
    when asked for by id (large, or its URL needs checking first).
    """

    id: str
    description: str
    url: str
    dest: str  # path relative to the raw folder, same layout as ../shared/data
    licence: str = OGL
    sha256: str | None = None
    params: Mapping[str, str] | None = field(default=None, hash=False)
    default: bool = True

    def __post_init__(self) -> None:
        path = PurePosixPath(self.dest)
        if not self.dest or path.is_absolute() or ".." in path.parts or "\\" in self.dest:
            raise ValueError(f"source {self.id}: dest must be a relative path inside the raw folder, got {self.dest!r}")
        if self.sha256 is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", self.sha256):
            raise ValueError(f"source {self.id}: sha256 must be 64 hex digits, got {self.sha256!r}")

    @property
    def full_url(self) -> str:
        """The URL with ``params`` appended as a query string."""
        if not self.params:
            return self.url
        separator = "&" if urlsplit(self.url).query else "?"
        return f"{self.url}{separator}{urlencode(dict(self.params))}"


def _remote(entry: sources.Source, download: sources.Download) -> RemoteSource:
    note = f" {download.note}" if download.note else ""
    return RemoteSource(
        download.id, f"{entry.title} ({entry.publisher}), read by {entry.reader} as {entry.id}.{note}",
        download.url, download.dest, licence=entry.licence, sha256=download.sha256, params=download.params,
        default=download.default,
    )


# Derived from the one catalogue (sources.py), so every file fetched lands where the build reads it.
SOURCES: list[RemoteSource] = [_remote(entry, download) for entry, download in sources.downloads()]


# ------------------------------------------------------------------------------------------------ results


class FetchError(Exception):
    """A download that failed; the message names the source and the URL so the log says what to retry."""

    def __init__(self, source_id: str, url: str, message: str):
        self.source_id = source_id
        self.url = url
        super().__init__(f"source {source_id!r}: {message} (url: {url})")


@dataclass
class FetchResult:
    """What happened to one source; ``error`` is set when ``status`` is ``failed``."""

    source_id: str
    url: str
    path: Path
    status: str
    sha256: str | None = None
    size: int | None = None
    resumed: bool = False
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status != FAILED


# ---------------------------------------------------------------------------------------------- helpers


def rebase_url(url: str, base: str | None) -> str:
    """Swap scheme and host for ``base`` (keeping path and query), so tests can serve fixtures locally."""
    if not base:
        return url
    new, old = urlsplit(base), urlsplit(url)
    if not new.scheme or not new.netloc:
        raise ValueError(f"base URL must look like http://host:port, got {base!r}")
    return urlunsplit((new.scheme, new.netloc, new.path.rstrip("/") + old.path, old.query, ""))


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sidecar_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".sha256")


def part_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def _part_meta_path(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part.json")


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json_atomic(path: Path, data: dict) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _unlink(*paths: Path) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _new_session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


# Ask for the bytes as stored: with gzip transfer, Content-Length and Range would count compressed bytes.
_IDENTITY = {"Accept-Encoding": "identity"}


def _validators(headers: Mapping[str, str]) -> dict:
    return {"etag": headers.get("ETag"), "last_modified": headers.get("Last-Modified")}


def _unchanged_on_server(record: dict, headers: Mapping[str, str]) -> bool:
    """True only if at least one validator (ETag, Content-Length, Last-Modified) was compared and all agree."""
    pairs = [
        (record.get("etag"), headers.get("ETag")),
        (record.get("size"), headers.get("Content-Length")),
        (record.get("last_modified"), headers.get("Last-Modified")),
    ]
    compared = [(str(old), new) for old, new in pairs if old is not None and new is not None]
    return bool(compared) and all(old == new for old, new in compared)


def _up_to_date_digest(source: RemoteSource, url: str, dest: Path, session: requests.Session) -> str | None:
    """The current file's sha256 if it may be skipped, else None.

    Skip only with evidence: a pinned hash that matches, or our sidecar plus an unchanged HEAD.
    """
    if not dest.is_file():
        return None
    current = sha256_file(dest)
    if source.sha256:
        return current if current == source.sha256.lower() else None
    record = _read_json(sidecar_path(dest))
    if record is None or record.get("sha256") != current or record.get("url") != url:
        return None
    try:
        head = session.head(url, headers=_IDENTITY, allow_redirects=True, timeout=TIMEOUT)
    except requests.RequestException:
        return None  # cannot confirm: try the download, which reports the failure properly
    return current if head.status_code == 200 and _unchanged_on_server(record, head.headers) else None


def _content_range(value: str | None) -> tuple[int | None, int | None]:
    """``bytes 100-199/200`` -> (100, 200); ``bytes */200`` -> (None, 200); unknown parts are None."""
    match = re.fullmatch(r"\s*bytes\s+(?:(\d+)-\d+|\*)/(\d+|\*)\s*", value or "")
    if not match:
        return None, None
    start, total = match.groups()
    return (int(start) if start else None), (int(total) if total and total != "*" else None)


def _error_page(dest: Path, part: Path) -> str | None:
    """Publishers answer some failures with 200 and an HTML or JSON error page: never keep one as data."""
    if dest.suffix.lower() not in {".csv", ".geojson", ".json"}:
        return None
    with open(part, "rb") as handle:
        head = handle.read(2048)
        handle.seek(max(0, part.stat().st_size - 512))
        tail = handle.read()
    head = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "the server sent an HTML page instead of data"
    if re.match(rb'\{\s*"error"\s*:', head):
        return "the server sent an error instead of data: " + head[:300].decode("utf-8", "replace")
    if dest.suffix.lower() == ".geojson" and re.search(rb'"exceededTransferLimit"\s*:\s*true', tail):
        return "the ArcGIS service truncated the result (exceededTransferLimit): the query needs paging"
    return None


# --------------------------------------------------------------------------------------------- download


def _raw_chunks(response: requests.Response) -> Iterable[bytes]:
    """The body exactly as sent, chunk by chunk, so byte counts match Content-Length and Range."""
    while True:
        chunk = response.raw.read(CHUNK_SIZE, decode_content=False)
        if not chunk:
            return
        yield chunk


def _download(source: RemoteSource, url: str, dest: Path, session: requests.Session,
              progress: Progress) -> tuple[dict, bool]:
    """Stream into ``<dest>.part``, resuming it when possible; returns (validators, resumed).

    Leaves a short ``.part`` in place on an interrupted transfer so the next run can resume it.
    """
    part, meta_path = part_path(dest), _part_meta_path(dest)
    for _attempt in range(3):
        offset = part.stat().st_size if part.is_file() else 0
        meta = _read_json(meta_path) if offset else None
        if offset and meta is not None and meta.get("url") != url:
            _unlink(part, meta_path)  # a part of some other URL's file: useless
            continue
        headers = dict(_IDENTITY)
        if offset:
            headers["Range"] = f"bytes={offset}-"
            # If-Range: the server sends the whole (new) file instead if it changed since the part began.
            etag = (meta or {}).get("etag")
            validator = etag if etag and not etag.startswith("W/") else (meta or {}).get("last_modified")
            if validator:
                headers["If-Range"] = validator
        with session.get(url, headers=headers, stream=True, timeout=TIMEOUT) as response:
            status = response.status_code
            if offset and status == 416:
                _, total = _content_range(response.headers.get("Content-Range"))
                if total == offset:
                    progress(f"[{source.id}] partial download was already complete")
                    return {key: (meta or {}).get(key) for key in ("etag", "last_modified")}, True
                _unlink(part, meta_path)  # the part does not fit the file any more: start over
                continue
            if offset and status == 206:
                start, total = _content_range(response.headers.get("Content-Range"))
                if start != offset:
                    _unlink(part, meta_path)
                    continue
                length = response.headers.get("Content-Length")
                expected = total if total is not None else (offset + int(length) if length else None)
                mode, resumed = "ab", True
                progress(f"[{source.id}] resuming at {offset:,} bytes")
            elif status == 200:
                length = response.headers.get("Content-Length")
                expected = int(length) if length and length.isdigit() else None
                mode, resumed, offset = "wb", False, 0
                _write_json_atomic(meta_path, {"url": url, **_validators(response.headers)})
            else:
                raise FetchError(source.id, url, f"HTTP {status} {response.reason or ''}".rstrip())
            validators = _validators(response.headers)
            encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
            encoded = encoding not in ("", "identity")
            if encoded and mode == "ab":
                _unlink(part, meta_path)  # a range of compressed bytes cannot be appended to decoded ones
                continue
            # Raw reads keep every byte received before a drop (the decoding reader can discard up to a
            # chunk); a server that compresses despite Accept-Encoding: identity gets decoded, unresumably.
            chunks = response.iter_content(CHUNK_SIZE) if encoded else _raw_chunks(response)
            if encoded:
                expected = None  # Content-Length counts compressed bytes
            try:
                with open(part, mode) as handle:
                    for chunk in chunks:
                        handle.write(chunk)
                    handle.flush()
                    os.fsync(handle.fileno())
            except (requests.RequestException, urllib3.exceptions.HTTPError) as exc:
                if encoded:
                    _unlink(part, meta_path)
                got = part.stat().st_size if part.is_file() else 0
                kept = (f"the partial file {part.name} is kept and the next run resumes it" if part.is_file()
                        else "the partial download was discarded")
                raise FetchError(source.id, url, f"transfer interrupted after {got:,} of "
                                 f"{expected if expected is not None else '?'} bytes ({type(exc).__name__}); "
                                 f"{kept}") from exc
        size = part.stat().st_size
        if expected is not None and size < expected:
            raise FetchError(source.id, url, f"transfer interrupted: got {size:,} of {expected:,} bytes; "
                             f"the partial file {part.name} is kept and the next run resumes it")
        if expected is not None and size > expected:
            _unlink(part, meta_path)
            raise FetchError(source.id, url, f"received {size:,} bytes but the server announced {expected:,}")
        return validators, resumed
    raise FetchError(source.id, url, "the server kept rejecting the resumed download; delete "
                     f"{part.name} and retry")


def fetch_source(source: RemoteSource, raw_dir: Path | str, *, session: requests.Session,
                 base_url: str | None = None, progress: Progress = print) -> FetchResult:
    """Fetch one source into ``<raw_dir>/<dest>``; raises FetchError, never leaves ``dest`` half-written."""
    url = rebase_url(source.full_url, base_url)
    dest = Path(raw_dir) / source.dest
    try:
        current = _up_to_date_digest(source, url, dest, session)
        if current is not None:
            progress(f"[{source.id}] up to date: {dest}")
            return FetchResult(source.id, url, dest, UP_TO_DATE, sha256=current, size=dest.stat().st_size)
        dest.parent.mkdir(parents=True, exist_ok=True)
        progress(f"[{source.id}] downloading {url}")
        validators, resumed = _download(source, url, dest, session, progress)
        part = part_path(dest)
        if part.stat().st_size == 0:
            _unlink(part, _part_meta_path(dest))
            raise FetchError(source.id, url, "the server sent an empty file")
        problem = _error_page(dest, part)
        if problem:
            _unlink(part, _part_meta_path(dest))
            raise FetchError(source.id, url, problem)
        digest = sha256_file(part)
        if source.sha256 and digest != source.sha256.lower():
            _unlink(part, _part_meta_path(dest))
            raise FetchError(source.id, url, f"sha256 mismatch: expected {source.sha256.lower()}, got {digest}; "
                             "the download was deleted and the existing file (if any) left untouched")
        size = part.stat().st_size
        os.replace(part, dest)
        _write_json_atomic(sidecar_path(dest), {
            "source_id": source.id, "sha256": digest, "url": url, "size": size,
            "downloaded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), **validators,
        })
        _unlink(_part_meta_path(dest))
    except requests.RequestException as exc:
        raise FetchError(source.id, url, f"network error: {exc}") from exc
    except OSError as exc:
        raise FetchError(source.id, url, f"file error: {exc}") from exc
    progress(f"[{source.id}] saved {dest} ({size:,} bytes, sha256 {digest[:12]}…)")
    return FetchResult(source.id, url, dest, DOWNLOADED, sha256=digest, size=size, resumed=resumed)


def fetch(sources: Iterable[RemoteSource], raw_dir: Path | str, *, base_url_override: str | None = None,
          session: requests.Session | None = None, progress: Progress = print) -> list[FetchResult]:
    """Fetch every source, carrying on past failures; each failure is recorded in its FetchResult.

    ``base_url_override`` (or $EQUITY_ATLAS_FETCH_BASE_URL) replaces every URL's scheme and host.
    """
    base = base_url_override or os.environ.get(BASE_URL_ENV) or None
    rebase_url("https://example.org/", base)  # a malformed base is a configuration error: fail before any work
    own_session = session is None
    session = session or _new_session()
    results: list[FetchResult] = []
    try:
        for source in sources:
            try:
                results.append(fetch_source(source, raw_dir, session=session, base_url=base, progress=progress))
            except FetchError as exc:
                progress(f"[{source.id}] FAILED: {exc}")
                results.append(FetchResult(source.id, exc.url, Path(raw_dir) / source.dest, FAILED, error=str(exc)))
    finally:
        if own_session:
            session.close()
    return results


# -------------------------------------------------------------------------------------------------- CLI


def select_sources(ids: Iterable[str] | None, catalogue: list[RemoteSource] | None = None) -> list[RemoteSource]:
    """The sources named by id (in catalogue order), or every default one; unknown ids raise KeyError."""
    catalogue = SOURCES if catalogue is None else catalogue
    if not ids:
        return [source for source in catalogue if source.default]
    wanted = set(ids)
    unknown = wanted - {source.id for source in catalogue}
    if unknown:
        raise KeyError(f"unknown source id(s): {', '.join(sorted(unknown))}; "
                       f"known: {', '.join(source.id for source in catalogue)}")
    return [source for source in catalogue if source.id in wanted]


def format_catalogue(catalogue: list[RemoteSource] | None = None) -> str:
    lines = []
    for source in SOURCES if catalogue is None else catalogue:
        flag = "" if source.default else "  (on demand: --only " + source.id + ")"
        lines += [f"{source.id}{flag}", f"    {source.description}", f"    url:     {source.full_url}",
                  f"    dest:    {source.dest}", f"    licence: {source.licence}",
                  f"    sha256:  {source.sha256 or 'not pinned (checked against the last download)'}", ""]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options for ``python -m dashboard.data fetch``."""
    parser.add_argument("--raw-dir", type=Path, default=None,
                        help="where the raw files live (default: ../shared/data or $EQUITY_ATLAS_RAW_DIR)")
    parser.add_argument("--only", nargs="+", action="extend", metavar="ID", default=None,
                        help="fetch only these source ids (see --list)")
    parser.add_argument("--list", action="store_true", help="print the catalogue of sources and exit")


def main_from_args(args: argparse.Namespace) -> int:
    """Run the parsed command; 0 when every source is downloaded or up to date, 1 if any failed."""
    if args.list:
        print(format_catalogue())
        return 0
    try:
        selected = select_sources(args.only)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    raw = args.raw_dir if args.raw_dir is not None else config.raw_dir()
    results = fetch(selected, raw)
    failed = [result for result in results if not result.ok]
    counts = {status: sum(result.status == status for result in results) for status in (DOWNLOADED, UP_TO_DATE)}
    print(f"fetch: {counts[DOWNLOADED]} downloaded, {counts[UP_TO_DATE]} up to date, {len(failed)} failed")
    for result in failed:
        print(f"  FAILED {result.error}", file=sys.stderr)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dashboard.data fetch", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return main_from_args(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
