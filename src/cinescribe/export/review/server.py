"""``cinescribe serve``: the review page and its JSON API, on 127.0.0.1 only.

Routes (all same-origin; the page is plain HTML/CSS/JS from ``web/``, nothing from a CDN):

=======================  ==================================================================
``GET  /``               the page
``GET  /static/<file>``  its script and style sheet
``GET  /api/script``     the AD-script JSON, its ``revision``, the export report if any
``POST /api/validate``   ``{index, text, start, end}`` -> ``{errors, words, budget}``
``POST /api/save``       ``{revision, edits: [...]}`` -> saved (backup + atomic replace), or errors
``POST /api/export``     re-export vtt, srt, ttml, wav (and mp4 when ``--formats`` asks)
``POST /api/rename``     ``{revision, character, name}`` -> every AD naming it rewritten, saved, re-exported
``GET  /media/character/<id>.jpg``  the character's face thumbnail
``GET  /media/video``    the video (byte ranges, for seeking)
``GET  /media/ad.vtt``   WebVTT made from the JSON as saved now (the page's descriptions track)
``GET  /media/ad.wav``   the exported AD-only track, if there is one
=======================  ==================================================================

Requests whose ``Host`` is not this server's loopback address are refused (DNS
rebinding), and POSTs must be ``application/json`` from this origin.  The video is
checked to be the one the JSON describes before the server starts; a port in use is a
one-line :class:`InputError`.

Every request gets an HTTP status with a JSON ``{"error": ...}`` body when it fails: a POST
needs a ``Content-Length`` (411) that is a whole number (400) of at most :data:`MAX_BODY`
bytes (413); the body must arrive within :data:`TIMEOUT` seconds (408) and be strict JSON
(400: not JSON, NaN/Infinity, nested deeper than Python can parse); fields of the wrong type
or edits that break a rule are 422, a stale revision 409, a full disk 507, anything else 500.
Connections idle for :data:`TIMEOUT` seconds are closed, and at most :data:`MAX_THREADS`
are served at once (more get 503 at once).
"""

from __future__ import annotations

import errno
import json
import logging
import mimetypes
import re
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any, Callable, Sequence

from ...errors import CinescribeError, InputError, WriteError
from ...describe.document import find_video, json_path, read_document, script_from_dict, stem_of
from ..formats import FORMATS, parse_formats
from ..pipeline import ExportConfig, export_script
from ..webvtt import to_webvtt
from .characters import rename, thumbnail
from .desk import edit_findings, frame_jpeg, restyle
from .edits import Edit, StaleRevision, apply_edits, check_edit, revision, save_edits, word_budget, words_per_second

log = logging.getLogger("cinescribe.export")
HOST = "127.0.0.1"
MAX_BODY = 1 << 20
TIMEOUT = 10.0  # seconds: an idle connection is closed, a request body must arrive within it
MAX_THREADS = 32
FULL_DISK = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
STATIC = {"review.js": "text/javascript", "review.css": "text/css", "characters.js": "text/javascript",
          "desk.js": "text/javascript"}


class Review:
    """The state behind the server: the JSON, its video, the export settings; one writer at a time."""

    def __init__(self, source: str | Path, video: str | Path | None = None,
                 formats: Sequence[str] = ("vtt", "srt", "ttml", "wav"), cfg: ExportConfig = ExportConfig()) -> None:
        self.path = json_path(source)
        doc = read_document(self.path)
        script = script_from_dict(doc, str(self.path))
        self.formats = parse_formats(formats)
        cfg.validate()
        self.cfg = cfg
        self.video = find_video(script, self.path, video, "the review page needs").resolve()
        self.stem = stem_of(self.path)
        self.lock = threading.Lock()
        self.frames: dict[float, bytes] = {}  # key-frame thumbnails by time

    def output(self, fmt: str) -> Path:
        return self.path.parent / FORMATS[fmt].path_name(self.stem)

    def state(self) -> dict[str, Any]:
        with self.lock:
            doc = read_document(self.path)
            rev = revision(self.path)
        report_path = self.path.parent / f"{self.stem}.ad.export.json"
        report = None
        if report_path.is_file():
            try:
                report = json.loads(report_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                report = None
        return {"doc": restyle(doc), "revision": rev, "json": self.path.name, "video": self.video.name,
                "words_per_second": words_per_second(doc), "has_ad_audio": self.output("wav").is_file(),
                "report": report}

    def validate(self, body: Any) -> dict[str, Any]:
        edit = Edit.from_json(body)
        doc = read_document(self.path)
        errors = check_edit(doc, edit)
        known = any(int(d["index"]) == edit.index for d in doc["descriptions"])
        style = edit_findings(apply_edits(doc, [edit]), edit.index) if known else []
        return {"errors": errors, "style": style, "words": len(edit.text.split()),
                "budget": word_budget(doc, edit.start, edit.end)}

    def save(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("edits"), list) or not body["edits"]:
            raise InputError("save needs {revision, edits: [{index, text, start, end}, ...]}")
        edits = [Edit.from_json(e) for e in body["edits"]]
        with self.lock:
            return save_edits(self.path, edits, body.get("revision"))

    def export(self) -> dict[str, Any]:
        with self.lock:
            paths = export_script(self.path, video=self.video, formats=self.formats, cfg=self.cfg)
        report = json.loads(paths["report"].read_text(encoding="utf-8"))
        return {"files": sorted(p.name for p in paths.values()), "fitted": report["fitted"]}

    def rename(self, body: Any) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("character"), str) or not isinstance(body.get("name"), str):
            raise InputError("rename needs {revision, character, name}")
        with self.lock:
            result = rename(self.path, body["character"], body["name"], body.get("revision"))
        return {**result, "exported": self.export()["files"]}

    def thumbnail(self, cid: str) -> bytes:
        chars = {c.get("id"): c for c in read_document(self.path).get("characters") or []}
        if cid not in chars:
            raise InputError(f"there is no character {cid!r}")
        return thumbnail(self.video, chars[cid])

    def vtt(self) -> str:
        return to_webvtt(script_from_dict(read_document(self.path), str(self.path)))


def _web(name: str) -> bytes:
    return files("cinescribe.export").joinpath("web", name).read_bytes()


class HTTPError(Exception):
    """A request refused with ``status``; ``close`` drops the connection (its body was not read)."""

    def __init__(self, status: int, message: str, close: bool = False) -> None:
        super().__init__(message)
        self.status, self.close = status, close


def _no_constant(name: str) -> Any:
    raise HTTPError(HTTPStatus.BAD_REQUEST, f"the request body is not strict JSON ({name})")


class Handler(BaseHTTPRequestHandler):
    """HTTP handler bound to one :class:`Review` (set by :func:`make_server`)."""

    review: Review
    server_version = "cinescribe-review"
    protocol_version = "HTTP/1.1"
    timeout = TIMEOUT  # StreamRequestHandler sets it on the socket: reads and writes cannot block forever
    _responded = False

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def send_response(self, code: int, message: str | None = None) -> None:
        self._responded = True
        super().send_response(code, message)

    def handle_one_request(self) -> None:
        self._responded = False
        super().handle_one_request()

    def _guarded(self, action: Callable[[], None], input_status: int) -> None:
        """Run ``action``; whatever it raises becomes an HTTP error response (input errors: ``input_status``)."""
        try:
            action()
            return
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            return
        except HTTPError as exc:
            status, message, close = exc.status, str(exc), exc.close
        except TimeoutError:
            status, message, close = HTTPStatus.REQUEST_TIMEOUT, f"the request did not arrive within {self.timeout:g} s", True
        except StaleRevision as exc:
            status, message, close = HTTPStatus.CONFLICT, str(exc), False
        except WriteError as exc:
            status = HTTPStatus.INSUFFICIENT_STORAGE if exc.errno in FULL_DISK else HTTPStatus.INTERNAL_SERVER_ERROR
            message, close = str(exc), False
        except CinescribeError as exc:
            status, message, close = input_status, str(exc), False
        except Exception as exc:  # a bug: the client still gets an answer, the log the details
            log.warning(f"review server: {self.command} {self.path}: {type(exc).__name__}: {exc}")
            status, message, close = HTTPStatus.INTERNAL_SERVER_ERROR, f"internal error: {type(exc).__name__}", True
        if close:
            self.close_connection = True
        if self._responded:  # headers already went out: the connection cannot carry another answer
            self.close_connection = True
            return
        try:
            self._error(status, message, close)
        except OSError:
            self.close_connection = True

    def _body(self) -> Any:
        """The request's JSON body, read within the limits of the module docstring."""
        if self.headers.get("Transfer-Encoding"):
            raise HTTPError(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length, not chunked", True)
        raw = self.headers.get("Content-Length")
        if raw is None:
            raise HTTPError(HTTPStatus.LENGTH_REQUIRED, "a Content-Length header is required", True)
        raw = raw.strip()
        if not (raw.isascii() and raw.isdigit()):
            raise HTTPError(HTTPStatus.BAD_REQUEST, "Content-Length must be a whole number of bytes", True)
        length = int(raw)
        if length > MAX_BODY:
            raise HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"request too large (at most {MAX_BODY} bytes)", True)
        data = self.rfile.read(length)
        if len(data) < length:
            raise HTTPError(HTTPStatus.BAD_REQUEST, "the body is shorter than its Content-Length", True)
        try:
            return json.loads(data or b"null", parse_constant=_no_constant)
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise HTTPError(HTTPStatus.BAD_REQUEST, "the request body is not valid JSON") from None
        except RecursionError:
            raise HTTPError(HTTPStatus.BAD_REQUEST, "the request body is nested too deeply") from None

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        return host in (HOST, "localhost")

    def _send(self, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; media-src 'self'; script-src 'self'; style-src 'self'; object-src 'none'")
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj: Any, extra: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False, allow_nan=False).encode(),
                   "application/json; charset=utf-8", extra)

    def _error(self, status: int, message: str, close: bool = False) -> None:
        self._json(status, {"error": message}, {"Connection": "close"} if close else None)

    def _file(self, path: Path, ctype: str) -> None:
        size = path.stat().st_size
        rng = self.headers.get("Range")
        m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip()) if rng else None
        if rng and (m is None or m.group(1) == m.group(2) == ""):
            self._send(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"", ctype, {"Content-Range": f"bytes */{size}"})
            return
        start, end = 0, size - 1
        if m:
            if m.group(1):
                start = int(m.group(1))
                end = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            else:
                start = max(0, size - int(m.group(2)))
            if start > end or start >= size:
                self._send(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, b"", ctype, {"Content-Range": f"bytes */{size}"})
                return
        length = end - start + 1
        self.send_response(HTTPStatus.PARTIAL_CONTENT if m else HTTPStatus.OK)
        self.send_header("Content-Type", ctype)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(length))
        if m:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.end_headers()
        if self.command == "HEAD":
            return
        with path.open("rb") as fh:
            fh.seek(start)
            left = length
            while left > 0:
                chunk = fh.read(min(1 << 16, left))
                if not chunk:
                    break
                try:
                    self.wfile.write(chunk)
                except (BrokenPipeError, ConnectionResetError):
                    return
                left -= len(chunk)

    def do_HEAD(self) -> None:
        self.do_GET()

    def do_GET(self) -> None:
        self._guarded(self._get, HTTPStatus.CONFLICT)

    def do_POST(self) -> None:
        self._guarded(self._post, HTTPStatus.UNPROCESSABLE_ENTITY)

    def _get(self) -> None:
        if not self._host_ok():
            raise HTTPError(HTTPStatus.FORBIDDEN, "this server answers only to 127.0.0.1 / localhost")
        route = self.path.split("?", 1)[0]
        if route in ("/", "/index.html"):
            self._send(HTTPStatus.OK, _web("index.html"), "text/html; charset=utf-8")
        elif route.startswith("/static/") and route[8:] in STATIC:
            self._send(HTTPStatus.OK, _web(route[8:]), f"{STATIC[route[8:]]}; charset=utf-8")
        elif route == "/favicon.ico":
            self._send(HTTPStatus.NO_CONTENT, b"", "image/x-icon")
        elif route == "/api/script":
            self._json(HTTPStatus.OK, self.review.state())
        elif route == "/media/frame":
            self._send(HTTPStatus.OK, frame_jpeg(self.review.video, self.path.partition("?")[2], self.review.frames),
                       "image/jpeg")
        elif route == "/media/video":
            self._file(self.review.video, mimetypes.guess_type(self.review.video.name)[0] or "video/mp4")
        elif route == "/media/ad.vtt":
            self._send(HTTPStatus.OK, self.review.vtt().encode(), "text/vtt; charset=utf-8")
        elif (m := re.fullmatch(r"/media/character/(c\d+)\.jpg", route)) is not None:
            self._send(HTTPStatus.OK, self.review.thumbnail(m.group(1)), "image/jpeg")
        elif route == "/media/ad.wav" and self.review.output("wav").is_file():
            self._file(self.review.output("wav"), "audio/wav")
        else:
            raise HTTPError(HTTPStatus.NOT_FOUND, f"no such page: {route}")

    def _post(self) -> None:
        if not self._host_ok():
            raise HTTPError(HTTPStatus.FORBIDDEN, "this server answers only to 127.0.0.1 / localhost", True)
        origin = self.headers.get("Origin")
        if origin is not None and origin != f"http://{self.headers.get('Host')}":
            raise HTTPError(HTTPStatus.FORBIDDEN, "cross-origin requests are refused", True)
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            raise HTTPError(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send JSON (Content-Type: application/json)", True)
        actions: dict[str, Callable[[Any], dict[str, Any]]] = {
            "/api/validate": self.review.validate,
            "/api/save": self.review.save,
            "/api/export": lambda _: self.review.export(),
            "/api/rename": self.review.rename,
        }
        action = actions.get(self.path)
        if action is None:
            raise HTTPError(HTTPStatus.NOT_FOUND, f"no such action: {self.path}", True)
        result = action(self._body())
        status = HTTPStatus.UNPROCESSABLE_ENTITY if result.get("saved") is False else HTTPStatus.OK
        self._json(status, result)


class ReviewServer(ThreadingHTTPServer):
    """A threading server that serves at most :data:`MAX_THREADS` connections at once; one more
    is answered 503 and closed at once."""

    daemon_threads = True
    request_queue_size = MAX_THREADS  # connections waiting to be accepted (socketserver's default is 5)
    BUSY_BODY = b'{"error": "busy: too many connections at once; retry"}'
    BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
            b"Connection: close\r\nContent-Length: %d\r\n\r\n%s" % (len(BUSY_BODY), BUSY_BODY))

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self.slots = threading.BoundedSemaphore(MAX_THREADS)

    def process_request(self, request, client_address) -> None:
        if not self.slots.acquire(blocking=False):
            try:
                request.settimeout(1.0)
                request.sendall(self.BUSY)
            except OSError:
                pass
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self.slots.release()
            raise

    def process_request_thread(self, request, client_address) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()


def make_server(review: Review, port: int) -> ReviewServer:
    """A server for ``review`` on 127.0.0.1:``port`` (0: any free port); InputError if the port is taken."""
    if not 0 <= port <= 65535:
        raise InputError(f"--port must be between 0 and 65535 (got {port})")
    handler = type("ReviewHandler", (Handler,), {"review": review})
    try:
        server = ReviewServer((HOST, port), handler)
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise InputError(f"port {port} on {HOST} is {'in use' if exc.errno == errno.EADDRINUSE else 'not allowed'}; "
                             "choose another with --port") from None
        raise
    return server


def serve(review: Review, port: int, ready: Callable[[str], None] = lambda url: None) -> None:
    """Serve ``review`` on 127.0.0.1:``port`` until interrupted; ``ready`` gets the page's URL."""
    server = make_server(review, port)
    try:
        ready(f"http://{HOST}:{server.server_address[1]}/")
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
