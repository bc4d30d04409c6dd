"""The playground's web server: a Starlette app served by Uvicorn (PROTOCOL.md).

- ``GET /`` and ``/static/...``: the page, shipped in ``static/``; ``GET
  /api/messages/{lang}``: its translations. Nothing over HTTP changes any state.
- ``/ws``: one WebSocket per page, one ``Connection`` (a Session and its training loop).
- Safety: the Host header must name the address the server listens on (a DNS-rebinding
  guard: a page from another site that resolves its own name to 127.0.0.1 sends its own
  name as Host) and a WebSocket's Origin, when there is one, must be the page's own.
- All sessions compute on ONE worker thread: chainrule's grad mode and random generator
  are process-wide, so two trainings must never interleave, and the event loop stays free
  to read messages (a pause arrives while an epoch runs).
"""
from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import signal
import socket
import sys
import threading
import traceback
import webbrowser
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from .._version import __version__
from ..i18n import LANGS, catalog
from .config import DEFAULTS
from .errors import N_, PlaygroundError, error_message
from .export import export_message
from .graph import PRESETS, graph_message
from .protocol import dumps, hello_message, parse_message
from .session import Session

__all__ = ["HostGuard", "create_app", "Connection", "worker", "run", "STATIC_DIR",
           "FRAME_SECONDS"]

STATIC_DIR = Path(__file__).resolve().parent / "static"
FRAME_SECONDS = 1 / 30          # at most 30 state messages a second while training
_WILDCARD = ("0.0.0.0", "::", "")
_LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")

_worker: ThreadPoolExecutor | None = None


def worker() -> ThreadPoolExecutor:
    """The one thread every session computes on."""
    global _worker
    if _worker is None:
        _worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chainrule-playground")
    return _worker


def shutdown_worker() -> None:
    global _worker
    if _worker is not None:
        _worker.shutdown(wait=False, cancel_futures=True)
        _worker = None


# ------------------------------------------------------------------- safety
def split_host(value: str) -> tuple:
    """("name", port or None) of a Host header; (None, None) if it is malformed."""
    value = value.strip().lower()
    if value.startswith("["):
        name, _, rest = value[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else (None if not rest else "bad")
    else:
        name, sep, port = value.rpartition(":") if value.count(":") == 1 else (value, "", "")
        port = port if sep else None
    if not name or (port is not None and not port.isdigit()):
        return None, None
    return name, None if port is None else int(port)


def is_loopback(host: str) -> bool:
    if host.strip("[]").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
        return True
    except ValueError:
        return False


class HostGuard:
    """Which Host headers the server answers: its own address (and the loopback names) on
    its port; for a wildcard bind (0.0.0.0) any IP literal, never a DNS name other than
    localhost. ``port=None`` accepts any port (tests)."""

    def __init__(self, host: str, port: int | None = None) -> None:
        self.host = host.strip("[]").lower()
        self.port = port

    def allows(self, header: str) -> bool:
        name, port = split_host(header)
        if name is None:
            return False
        if self.port is not None and (port or 80) != self.port:
            return False
        if name == self.host or name in _LOOPBACK_NAMES:
            return True
        return self.host in _WILDCARD and _is_ip(name)


class GuardMiddleware:
    """Refuse (403) a request whose Host is not ours, and a WebSocket from another origin."""

    def __init__(self, app, guard: HostGuard) -> None:
        self.app, self.guard = app, guard

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                       for k, v in scope.get("headers", [])}
            host = headers.get("host", "")
            problem = None
            if not self.guard.allows(host):
                problem = "Host header not allowed"
            elif scope["type"] == "websocket" and "origin" in headers \
                    and headers["origin"].lower() != f"http://{host}".lower():
                problem = "cross-origin WebSocket refused"
            if problem:
                if scope["type"] == "http":
                    await PlainTextResponse(problem, status_code=403)(scope, receive, send)
                else:      # closing before accepting makes the server answer HTTP 403
                    await receive()
                    await send({"type": "websocket.close", "code": 1008, "reason": problem})
                return
        await self.app(scope, receive, send)


# --------------------------------------------------------------- connection
class Connection:
    """One page: its Session, its training loop (at most one), its language."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.session: Session | None = None
        self.lang = ws.query_params.get("lang", "en")
        if self.lang not in LANGS:
            self.lang = "en"
        self.running = False
        self.loop_task: asyncio.Task | None = None
        self._compute_lock = asyncio.Lock()    # one job of this page at a time, in order
        self._send_lock = asyncio.Lock()

    async def compute(self, fn, *args):
        async with self._compute_lock:
            return await asyncio.get_running_loop().run_in_executor(worker(), fn, *args)

    async def send(self, msg: dict) -> None:
        async with self._send_lock:
            await self.ws.send_text(dumps(msg))

    async def serve(self) -> None:
        await self.ws.accept()
        await self.send(hello_message(__version__, DEFAULTS.to_dict(), PRESETS))
        try:
            while True:
                event = await self.ws.receive()
                if event["type"] == "websocket.disconnect":
                    break
                await self.handle(event.get("text") if event.get("text") is not None
                                  else event.get("bytes"))
        except WebSocketDisconnect:
            pass
        finally:
            self.running = False
            if self.loop_task is not None:
                self.loop_task.cancel()

    async def handle(self, raw) -> None:
        try:
            msg = parse_message(raw)
            await getattr(self, "on_" + msg["type"])(msg)
        except PlaygroundError as e:
            await self.send(error_message(e, e.lang or self.lang))
        except WebSocketDisconnect:
            raise
        except Exception as e:  # a bug must not take the connection down: report it
            traceback.print_exc(file=sys.stderr)
            await self.send(error_message(PlaygroundError(
                N_("internal error: {detail}"), detail=f"{type(e).__name__}: {e}"), self.lang))

    # -- the session, created on first use
    def _session(self) -> Session:
        if self.session is None:
            self.session = Session(DEFAULTS)
        return self.session

    async def _state(self) -> dict:
        return await self.compute(lambda: self._session().state(self.running))

    # -- messages
    async def on_config(self, msg) -> None:
        cfg = msg["config"]
        was_running = self.running
        await self.stop_loop()

        def apply():
            if self.session is None:
                self.session = Session(cfg)
                return True
            return self.session.configure(cfg)

        rebuilt = await self.compute(apply)
        self.lang = cfg.lang
        keep_running = was_running and not rebuilt
        self.running = keep_running
        data = await self.compute(self.session.data)
        await self.send({"type": "config", "config": cfg.to_dict()})
        await self.send(data)
        await self.send(await self._state())
        if keep_running:
            self.start_loop()

    async def on_play(self, msg) -> None:
        session = await self.compute(self._session)
        if session.diverged:
            raise _diverged_error(session)
        if not self.running:
            self.running = True
            self.start_loop()

    async def on_pause(self, msg) -> None:
        await self.stop_loop()
        await self.send(await self._state())

    async def on_step(self, msg) -> None:
        await self.stop_loop()
        session = await self.compute(self._session)
        if session.diverged:
            raise _diverged_error(session)
        await self.send(await self.compute(session.frame, False))

    async def on_reset(self, msg) -> None:
        await self.stop_loop()
        session = await self.compute(self._session)
        await self.compute(session.reset)
        await self.send(await self.compute(session.data))
        await self.send(await self._state())

    async def on_export(self, msg) -> None:
        session = await self.compute(self._session)
        await self.send(await self.compute(export_message, session))

    async def on_graph(self, msg) -> None:
        await self.send(await self.compute(graph_message, msg["expression"], msg["at"]))

    # -- the training loop
    def start_loop(self) -> None:
        self.loop_task = asyncio.create_task(self._train())

    async def stop_loop(self) -> None:
        """Stop training and wait for the epoch in progress to end (its state is dropped:
        the caller sends a fresh one)."""
        self.running = False
        task, self.loop_task = self.loop_task, None
        if task is not None:
            await task

    async def _train(self) -> None:
        clock = asyncio.get_running_loop()
        session = self.session         # on_play made it
        try:
            while self.running:
                start = clock.time()
                state = await self.compute(session.frame, True)
                if not self.running:
                    return
                if session.diverged:
                    self.running = False
                await self.send(state)
                await asyncio.sleep(max(0.0, FRAME_SECONDS - (clock.time() - start)))
        except Exception:     # the socket went away mid-send: nothing left to train for
            self.running = False


def _diverged_error(session: Session) -> PlaygroundError:
    return PlaygroundError(N_("the network diverged at epoch {epoch} (the loss is not a "
                              "finite number); press reset or change the setup"),
                           epoch=session.divergence["epoch"])


# ---------------------------------------------------------------------- app
async def _index(request):
    page = STATIC_DIR / "index.html"
    if not page.is_file():
        return PlainTextResponse("the playground's page is not installed "
                                 f"({page} is missing)", status_code=404)
    return FileResponse(page, headers={"Cache-Control": "no-cache"})


async def _messages(request):
    lang = request.path_params["lang"]
    if lang not in LANGS:
        return JSONResponse({"error": f"unknown language {lang[:20]!r}; expected one of "
                                      f"{', '.join(LANGS)}"}, status_code=404)
    return JSONResponse(catalog(lang, "playground"))


async def _ws(ws: WebSocket):
    await Connection(ws).serve()


def create_app(guard: HostGuard):
    """The ASGI app: routes behind the Host/Origin guard."""
    app = Starlette(routes=[
        Route("/", _index),
        Route("/api/messages/{lang}", _messages),
        Mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static"),
        WebSocketRoute("/ws", _ws),
    ])
    return GuardMiddleware(app, guard)


# -------------------------------------------------------------------- serve
WS_MAX_BYTES = 1 << 20      # the WebSocket layer's own cap; 64 KiB is checked per message


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (port 0: a free one)."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_of(host: str, port: int) -> str:
    name = host.strip("[]")
    if name in _WILDCARD:
        name = "127.0.0.1"
    return f"http://[{name}]:{port}/" if ":" in name else f"http://{name}:{port}/"


def run(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True) -> int:
    """Serve until SIGINT or SIGTERM; print one line with the URL once listening."""
    # uvicorn is optional and slow to import: only running the server needs it
    import uvicorn

    try:
        sock = bind(host, port)
    except OSError as e:
        print(f"chainrule playground: error: cannot listen on {host}:{port}: "
              f"{e.strerror or e}", file=sys.stderr)
        return 1
    guard = HostGuard(host, sock.getsockname()[1])
    url = url_of(host, guard.port)
    if not is_loopback(host):
        print(f"chainrule playground: warning: listening on {host}, so other machines can "
              "reach the playground and run training here; use the default --host 127.0.0.1 "
              "to keep it to this machine", file=sys.stderr)
    server = uvicorn.Server(uvicorn.Config(
        create_app(guard), log_level="warning", access_log=False, lifespan="off",
        ws_max_size=WS_MAX_BYTES, ws_per_message_deflate=False, timeout_graceful_shutdown=2))

    def stop(signum, frame):
        # Uvicorn handles the signals while it serves and raises them again once it has
        # shut down; this handler turns that into a clean return (exit status 0).
        server.should_exit = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with _single_threaded_blas():
            asyncio.run(_serve(server, sock, url, open_browser))
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        shutdown_worker()
        sock.close()
    return 0


def _single_threaded_blas():
    """Limit NumPy's BLAS to one thread while serving. The playground's matrices are tiny
    (10 x 8, or 10000 x 16 for a heat map), and BLAS threads spinning for a core that is
    busy cost far more than they give: measured on 2 busy cores, a 10000 x 16 @ 16 x 16
    product took 12.5 ms with 2 threads and 0.33 ms with 1, a whole frame 52 vs 13 ms.
    Needs threadpoolctl (the playground extra); without it nothing changes."""
    try:
        # threadpoolctl is optional: imported only here, where it is used
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="blas")


async def _serve(server, sock: socket.socket, url: str, open_browser: bool) -> None:
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not task.done():
        await asyncio.sleep(0.01)
    if server.started:
        print(f"chainrule playground: {url}  (Ctrl-C stops it)", flush=True)
        if open_browser:
            threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
    await task
