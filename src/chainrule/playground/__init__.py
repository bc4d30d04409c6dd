"""The playground (``chainrule playground``): TF Playground's experiments in the browser,
trained by chainrule itself, plus gradient norms per layer, skip connections, losses,
optimizers, initialisations, multiclass data, divergence, export and a Backprop tab.

The page (``static/``) only draws; the server (``server.py``, Starlette + Uvicorn) holds
one ``Session`` per page (``session.py``) and streams its state over a WebSocket
(PROTOCOL.md). Everything but ``server.py`` is plain Python without web dependencies.

>>> from chainrule.playground import serve
>>> serve(port=0, open_browser=False)  # doctest: +SKIP
"""
from __future__ import annotations

import importlib.util
import sys

__all__ = ["serve"]



def serve(host: str = "127.0.0.1", port: int = 8000, open_browser: bool = True) -> int:
    """Run the playground's server until SIGINT/SIGTERM; returns the exit status. Prints
    one line with its URL (``http://127.0.0.1:PORT/``) once it is listening."""
    missing = _missing_web_packages()
    if missing:
        print(f"chainrule playground: error: the playground needs {missing}: "
              'pip install "chainrule[playground]"', file=sys.stderr)
        return 1
    # the server pulls in starlette and uvicorn (optional, slow): imported only to serve
    from .server import run

    return run(host=host, port=port, open_browser=open_browser)


def _missing_web_packages() -> str | None:
    for name in ("starlette", "uvicorn"):
        if importlib.util.find_spec(name) is None:
            return name
    if all(importlib.util.find_spec(name) is None for name in ("websockets", "wsproto")):
        return "websockets"
    return None
