"""`python -m fakeplatforms mastodon|bluesky|facebook [--port N] [--port-file F]`."""

from __future__ import annotations

import argparse
import importlib

PLATFORMS = ("mastodon", "bluesky", "facebook")


def main() -> None:
    parser = argparse.ArgumentParser(prog="fakeplatforms")
    parser.add_argument("platform", choices=PLATFORMS)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--port-file", help="write the chosen port here once listening")
    args = parser.parse_args()
    module = importlib.import_module(f"fakeplatforms.{args.platform}")
    module.Platform().serve(port=args.port, port_file=args.port_file)


if __name__ == "__main__":
    main()
