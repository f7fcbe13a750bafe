"""Run 1EdTech's Open Badges validator offline. Executed in the validator's own venv.

    python run.py URL_OR_PNG_PATH [RECIPIENT_EMAIL]

Prints JSON: the validator's report, every URL it asked for, and any it was refused.
Network access is limited to loopback: the Open Badges v2 JSON-LD context is answered
from the copy the validator package ships (OPENBADGES_CONTEXT_V2_DICT), and any other
host raises before a connection is attempted.
"""

import json
import sys
from typing import Any
from urllib.parse import urlparse

import requests
from openbadges.verifier.openbadges_context import (
    OPENBADGES_CONTEXT_V2_DICT,
    OPENBADGES_CONTEXT_V2_URI,
)
from requests.adapters import HTTPAdapter
from requests.models import Response

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
requested: list[str] = []
refused: list[str] = []
served_locally: list[str] = []
_send = HTTPAdapter.send


def _offline_send(self: HTTPAdapter, request: Any, **kwargs: Any) -> Response:
    url = request.url
    requested.append(url)
    if url.rstrip("/") == OPENBADGES_CONTEXT_V2_URI:
        served_locally.append(url)
        response = Response()
        response.status_code = 200
        response._content = json.dumps(OPENBADGES_CONTEXT_V2_DICT).encode()
        response.headers["Content-Type"] = "application/ld+json"
        response.url = url
        response.request = request
        response.encoding = "utf-8"
        return response
    if urlparse(url).hostname not in LOOPBACK:
        refused.append(url)
        raise requests.ConnectionError(f"offline validator: refused to fetch {url}")
    return _send(self, request, **kwargs)


HTTPAdapter.send = _offline_send  # type: ignore[method-assign,assignment]

from openbadges import verify  # noqa: E402  (after the network guard is in place)


def main() -> None:
    target = sys.argv[1]
    email = sys.argv[2] if len(sys.argv) > 2 else None
    profile = {"email": email} if email else None
    if target.startswith("http"):
        result = verify(target, recipient_profile=profile, use_cache=False)
    else:
        with open(target, "rb") as fh:
            result = verify(fh, recipient_profile=profile, use_cache=False)
    print(
        json.dumps(
            {
                "report": result["report"],
                "graph_types": sorted({str(n.get("type")) for n in result.get("graph", [])}),
                "requested": requested,
                "refused": refused,
                "served_locally": served_locally,
            },
            default=str,
        )
    )


if __name__ == "__main__":
    main()
