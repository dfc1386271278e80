"""``python -m tickets [--db FILE] [--host H] [--port N]``: serve the API.

Prints ``listening on http://HOST:PORT`` once bound (port 0 picks a free one).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tickets.api import make_server
from tickets.repository import Repository


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tickets", description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("tickets.db"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    server = make_server(Repository(args.db), args.host, args.port)
    host, port = server.server_address[:2]
    print(f"listening on http://{host!s}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
