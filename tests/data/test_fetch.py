"""dashboard.data.fetch against a local HTTP server on 127.0.0.1: no internet, short timeouts throughout."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from dashboard.data import fetch as fetch_module
from dashboard.data.fetch import (
    BASE_URL_ENV,
    DOWNLOADED,
    FAILED,
    SOURCES,
    UP_TO_DATE,
    RemoteSource,
    fetch,
    main,
    part_path,
    rebase_url,
    select_sources,
    sidecar_path,
)

ALPHA = b"practice,value\n" + b"".join(b"P%05d,%d\n" % (i, i * 7) for i in range(4000))
BETA = b'{"type": "FeatureCollection", "features": []}\n' + b" " * 50_000 + b"\n"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class FixtureServer:
    """Serves ``files`` by path; ``mode``: normal (Range, ETag, HEAD), truncate, ignore-range, gzip."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.mode = "normal"
        self.log: list[dict] = []
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def requests(self, method: str | None = None) -> list[dict]:
        with self._lock:
            return [entry for entry in self.log if method is None or entry["method"] == method]

    def clear(self) -> None:
        with self._lock:
            self.log.clear()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            timeout = 5  # a stuck client cannot pin a server thread for long

            def log_message(self, *args):  # keep pytest output clean
                pass

            def do_HEAD(self):
                self._serve(head=True)

            def do_GET(self):
                self._serve(head=False)

            def _serve(self, head: bool) -> None:
                entry = {"method": self.command, "path": self.path, "range": self.headers.get("Range"),
                         "if_range": self.headers.get("If-Range"), "status": None, "sent": 0}
                with server._lock:
                    server.log.append(entry)
                body = server.files.get(urlsplit(self.path).path)
                if body is None:
                    entry["status"] = 404
                    self.send_response(404)
                    self.send_header("Content-Length", "9")
                    self.end_headers()
                    if not head:
                        self.wfile.write(b"not found")
                    return
                etag = f'"{sha(body)[:16]}"'
                start, status = 0, 200
                wanted = self.headers.get("Range")
                if_range = self.headers.get("If-Range")
                if server.mode == "gzip":  # compresses even though the client asked for identity
                    payload = gzip.compress(body)
                    entry["status"] = 200
                    self.send_response(200)
                    self.send_header("Content-Encoding", "gzip")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if not head:
                        self.wfile.write(payload)
                    return
                if wanted and server.mode != "ignore-range" and if_range in (None, etag):
                    start = int(re.fullmatch(r"bytes=(\d+)-", wanted).group(1))
                    if start >= len(body):
                        entry["status"] = 416
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    status = 206
                chunk = body[start:]
                entry["status"] = status
                self.send_response(status)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(chunk)))
                self.send_header("ETag", etag)
                self.send_header("Accept-Ranges", "bytes")
                if status == 206:
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                self.end_headers()
                if head:
                    return
                if server.mode == "truncate":  # promise len(chunk) bytes, send half, hang up
                    chunk = chunk[: len(chunk) // 2]
                    self.close_connection = True
                self.wfile.write(chunk)
                self.wfile.flush()
                entry["sent"] = len(chunk)

        return Handler


@pytest.fixture()
def server():
    srv = FixtureServer()
    srv.thread.start()
    yield srv
    srv.httpd.shutdown()
    srv.httpd.server_close()
    srv.thread.join(timeout=5)


@pytest.fixture(autouse=True)
def short_timeouts(monkeypatch):
    """Nothing may hang: a stuck request fails in seconds, not the production minute."""
    monkeypatch.setattr(fetch_module, "TIMEOUT", (2, 5))
    monkeypatch.delenv(BASE_URL_ENV, raising=False)


def source(id: str, path: str, dest: str, sha256: str | None = None) -> RemoteSource:
    """A catalogue entry pointing at a real-looking host; tests rebase it onto the local server."""
    return RemoteSource(id, f"test source {id}", f"https://files.example.invalid{path}", dest, sha256=sha256)


A = source("alpha", "/7A/alpha.csv", "nhs_payments/alpha.csv")
B = source("beta", "/api/beta", "boundaries/beta.geojson")


def run(sources, raw, srv, messages=None):
    sink = messages.append if messages is not None else (lambda _msg: None)
    return fetch(sources, raw, base_url_override=srv.base_url, progress=sink)


def test_downloads_two_sources_byte_equal_with_sidecar(server, tmp_path):
    server.files = {"/7A/alpha.csv": ALPHA, "/api/beta": BETA}
    results = run([A, B], tmp_path, server)
    assert [r.status for r in results] == [DOWNLOADED, DOWNLOADED]
    for src, body in ((A, ALPHA), (B, BETA)):
        dest = tmp_path / src.dest
        assert dest.read_bytes() == body
        assert not part_path(dest).exists()
        record = json.loads(sidecar_path(dest).read_text())
        assert record["sha256"] == sha(body)
        assert record["url"] == f"{server.base_url}{urlsplit(src.url).path}"
        assert record["downloaded_at"]
    assert all(r.ok and r.sha256 == sha(b) for r, b in zip(results, (ALPHA, BETA), strict=True))


def test_second_run_is_idempotent_and_gets_no_body(server, tmp_path):
    server.files = {"/7A/alpha.csv": ALPHA, "/api/beta": BETA}
    run([A, B], tmp_path, server)
    mtimes = [os.stat(tmp_path / s.dest).st_mtime_ns for s in (A, B)]
    server.clear()
    messages: list[str] = []
    results = run([A, B], tmp_path, server, messages)
    assert [r.status for r in results] == [UP_TO_DATE, UP_TO_DATE]
    assert server.requests("GET") == []
    assert len(server.requests("HEAD")) == 2
    assert sum("up to date" in m for m in messages) == 2
    assert [os.stat(tmp_path / s.dest).st_mtime_ns for s in (A, B)] == mtimes


def test_changed_file_on_server_is_downloaded_again(server, tmp_path):
    server.files = {"/7A/alpha.csv": ALPHA}
    run([A], tmp_path, server)
    server.files["/7A/alpha.csv"] = ALPHA + b"P99999,1\n"
    [result] = run([A], tmp_path, server)
    assert result.status == DOWNLOADED
    assert (tmp_path / A.dest).read_bytes() == ALPHA + b"P99999,1\n"


def test_pinned_sha256_that_matches_needs_no_request(server, tmp_path):
    pinned = source("alpha", "/7A/alpha.csv", "nhs_payments/alpha.csv", sha256=sha(ALPHA))
    server.files = {"/7A/alpha.csv": ALPHA}
    assert run([pinned], tmp_path, server)[0].status == DOWNLOADED
    server.clear()
    assert run([pinned], tmp_path, server)[0].status == UP_TO_DATE
    assert server.requests() == []


def test_sha256_mismatch_names_source_and_leaves_no_file(server, tmp_path):
    wrong = "0" * 64
    pinned = source("alpha", "/7A/alpha.csv", "nhs_payments/alpha.csv", sha256=wrong)
    server.files = {"/7A/alpha.csv": ALPHA}
    [result] = run([pinned], tmp_path, server)
    assert result.status == FAILED
    assert "'alpha'" in result.error and wrong in result.error and sha(ALPHA) in result.error
    dest = tmp_path / pinned.dest
    assert not dest.exists() and not part_path(dest).exists() and not sidecar_path(dest).exists()


def test_interrupted_transfer_keeps_old_file_then_resumes(server, tmp_path):
    dest = tmp_path / A.dest
    dest.parent.mkdir(parents=True)
    old = b"practice,value\nOLD,1\n"
    dest.write_bytes(old)
    server.files = {"/7A/alpha.csv": ALPHA}

    server.mode = "truncate"
    [result] = run([A], tmp_path, server)
    assert result.status == FAILED
    assert "'alpha'" in result.error and "/7A/alpha.csv" in result.error
    assert dest.read_bytes() == old  # the old copy is byte-for-byte untouched
    assert not sidecar_path(dest).exists()
    half = len(ALPHA) // 2
    assert part_path(dest).stat().st_size == half

    server.mode = "normal"
    server.clear()
    [result] = run([A], tmp_path, server)
    assert result.status == DOWNLOADED and result.resumed
    [get] = server.requests("GET")
    assert get["range"] == f"bytes={half}-"
    assert get["status"] == 206 and get["sent"] == len(ALPHA) - half
    assert dest.read_bytes() == ALPHA
    assert not part_path(dest).exists()
    assert json.loads(sidecar_path(dest).read_text())["sha256"] == sha(ALPHA)


def test_server_ignoring_range_restarts_cleanly(server, tmp_path):
    dest = tmp_path / A.dest
    server.files = {"/7A/alpha.csv": ALPHA}
    server.mode = "truncate"
    run([A], tmp_path, server)
    assert part_path(dest).exists()
    server.mode = "ignore-range"
    [result] = run([A], tmp_path, server)
    assert result.status == DOWNLOADED and not result.resumed
    assert dest.read_bytes() == ALPHA


def test_complete_part_left_by_a_crash_is_finished_without_refetching(server, tmp_path):
    dest = tmp_path / A.dest
    dest.parent.mkdir(parents=True)
    part_path(dest).write_bytes(ALPHA)  # e.g. killed between the last write and os.replace
    server.files = {"/7A/alpha.csv": ALPHA}
    [result] = run([A], tmp_path, server)
    assert result.status == DOWNLOADED
    [get] = server.requests("GET")
    assert get["status"] == 416 and get["sent"] == 0
    assert dest.read_bytes() == ALPHA and not part_path(dest).exists()


def test_server_compressing_anyway_is_saved_decoded(server, tmp_path):
    server.files = {"/7A/alpha.csv": ALPHA}
    server.mode = "gzip"
    [result] = run([A], tmp_path, server)
    assert result.status == DOWNLOADED
    assert (tmp_path / A.dest).read_bytes() == ALPHA


def test_404_does_not_stop_other_sources_and_exits_1(server, tmp_path, monkeypatch, capsys):
    server.files = {"/api/beta": BETA}  # alpha is missing
    monkeypatch.setattr(fetch_module, "SOURCES", [A, B])
    monkeypatch.setenv(BASE_URL_ENV, server.base_url)  # the env var hook, as CI would use it
    code = main(["--raw-dir", str(tmp_path)])
    assert code == 1
    assert (tmp_path / B.dest).read_bytes() == BETA
    assert not (tmp_path / A.dest).exists()
    err = capsys.readouterr().err
    assert "'alpha'" in err and "HTTP 404" in err


def test_unreachable_server_is_a_clear_failure(tmp_path):
    # port 9 on localhost (discard) is closed on test machines: connection refused at once
    [result] = fetch([A], tmp_path, base_url_override="http://127.0.0.1:9", progress=lambda _m: None)
    assert result.status == FAILED and "'alpha'" in result.error and "127.0.0.1:9/7A/alpha.csv" in result.error
    assert not (tmp_path / A.dest).exists()


def test_html_error_page_is_not_saved_as_data(server, tmp_path):
    server.files = {"/7A/alpha.csv": b"<!DOCTYPE html><html><body>Service unavailable</body></html>"}
    [result] = run([A], tmp_path, server)
    assert result.status == FAILED and "HTML" in result.error
    assert not (tmp_path / A.dest).exists()


def test_list_prints_every_source_id(capsys):
    assert main(["--list"]) == 0
    out = capsys.readouterr().out
    for src in SOURCES:
        assert src.id in out


def test_unknown_only_id_is_a_usage_error(capsys):
    assert main(["--only", "no_such_source"]) == 2
    assert "no_such_source" in capsys.readouterr().err


def test_rebase_url_keeps_path_and_query():
    url = "https://fingertips.phe.org.uk/api/all_data/csv/by_indicator_id?indicator_ids=90366&child_area_type_id=501"
    assert rebase_url(url, "http://127.0.0.1:8123") == (
        "http://127.0.0.1:8123/api/all_data/csv/by_indicator_id?indicator_ids=90366&child_area_type_id=501")
    assert rebase_url(url, None) == url


def test_catalogue_is_consistent():
    """The fetch list is the catalogue's downloads: each lands on a path the build reads."""
    from dashboard.data import sources

    ids = [s.id for s in SOURCES]
    assert len(ids) == len(set(ids)) and len({s.dest for s in SOURCES}) == len(SOURCES)
    by_id = {s.id: s for s in SOURCES}
    assert by_id["nhs_payments_2023_24"].dest == "nhs_payments/nhs-payments-gp-2023-24.csv"
    assert by_id["fingertips_practice_imd_93553"].dest == "practice_deprivation/practice-imd-fingertips-93553.csv"
    le = by_id["fingertips_life_expectancy_ltla_90366"]
    assert le.dest == "area_life_expectancy/life_expectancy-fingertips-ltla.csv"
    assert "indicator_ids=90366&child_area_type_id=501&parent_area_type_id=15" in le.full_url
    for s in SOURCES:
        assert any(entry.matches(s.dest) for entry in sources.CATALOGUE if entry.root == sources.RAW), s.dest
        if s.dest.endswith(".geojson"):
            assert "outSR=4326" in s.full_url and "f=geojson" in s.full_url
    assert sources.check_catalogue() == []
    assert [s.id for s in select_sources(None)] == [s.id for s in SOURCES if s.default]
