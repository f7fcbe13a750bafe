"""A stand-in for a Bluesky PDS: the XRPC subset Carepost's connector uses.

Follows the reference PDS (@atproto/pds) in what it answers, including its error
shapes: `{"error": "InvalidRequest", "message": ...}` with HTTP 400 for bad input,
`{"error": "ExpiredToken"}` (400) for an expired access token,
`{"error": "AuthenticationRequired"}` (401) for a wrong password or a missing token,
`{"error": "RecordNotFound"}` (400) from getRecord, `BlobTooLarge` (400) when a post
references an image over 1,000,000 bytes, and the `ratelimit-*` headers on 429.

Endpoints: com.atproto.server.createSession / refreshSession,
com.atproto.identity.resolveHandle, com.atproto.repo.uploadBlob / createRecord /
getRecord / listRecords / deleteRecord.

Besides the common controls (`/__faults`, `/__state`, `/__reset`), tests steer it with:
- `POST /__bluesky/account` `{"handle", "password", "app_password"}`: add an account
  (or change its passwords, which ends its sessions, as the real PDS does when an
  app password is revoked);
- `POST /__bluesky/expire` `{"refresh": false}`: expire every access token (and the
  refresh tokens too when `refresh` is true).

One account exists after a reset: `carepost.test` with app password
`abcd-efgh-ijkl-mnop` (and main password `main-password`), plus `friend.test` for
mentions. Tokens are JWT-shaped (header.payload.signature, base64url JSON with `scope`,
`sub`, `iat`, `exp`) but only this server can check them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from fakeplatforms.base import FakePlatform, Request, Response

POST_COLLECTION = "app.bsky.feed.post"
IMAGE_MAX_BYTES = 1_000_000  # app.bsky.embed.images#image maxSize
UPLOAD_MAX_BYTES = 5_000_000  # the PDS's default blob upload limit
TEXT_MAX_BYTES = 3000  # app.bsky.feed.post text maxLength (the 300-grapheme limit is separate)
DEFAULT_HANDLE = "carepost.test"
DEFAULT_PASSWORD = "main-password"  # noqa: S105 - a fake account on loopback
DEFAULT_APP_PASSWORD = "abcd-efgh-ijkl-mnop"  # noqa: S105
B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
TID_RE = re.compile(r"[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}")
STATUS_ERRORS = {
    500: ("InternalServerError", "Internal Server Error"),
    502: ("UpstreamFailure", "Upstream Failure"),
    503: ("NotEnoughResources", "Service Unavailable"),
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _cid(data: bytes, codec: int) -> str:
    """A real CIDv1 (sha2-256), base32: raw (0x55) for blobs, dag-cbor (0x71) for records."""
    raw = bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode().lower().rstrip("=")


def _tid_now() -> str:
    value = (time.time_ns() // 1000) << 10 | secrets.randbelow(1024)
    return "".join(B32_SORTABLE[(value >> (5 * i)) & 31] for i in range(12, -1, -1))


@dataclass
class Account:
    handle: str
    did: str
    password: str
    app_password: str


@dataclass
class Record:
    uri: str
    cid: str
    value: dict[str, Any]


@dataclass
class Token:
    did: str
    kind: str  # "access" or "refresh"
    scope: str
    expired: bool = False


@dataclass
class Blob:
    size: int
    mime: str


@dataclass
class Repo:
    records: dict[tuple[str, str], Record] = field(default_factory=dict)


class Platform(FakePlatform):
    name = "bluesky"

    def reset(self) -> None:
        super().reset()
        self.accounts: dict[str, Account] = {}  # by handle
        self.tokens: dict[str, Token] = {}
        self.blobs: dict[str, Blob] = {}
        self.repos: dict[str, Repo] = {}  # by did
        self.deleted = 0
        self._add_account(DEFAULT_HANDLE, DEFAULT_PASSWORD, DEFAULT_APP_PASSWORD)
        self._add_account("friend.test", "friend-password", "wxyz-wxyz-wxyz-wxyz")

    def state(self) -> dict[str, Any]:
        posts = []
        for repo in self.repos.values():
            for (collection, rkey), record in repo.records.items():
                if collection != POST_COLLECTION:
                    continue
                images = record.value.get("embed", {}).get("images", [])
                posts.append(
                    {
                        "id": record.uri,
                        "rkey": rkey,
                        "text": record.value.get("text", ""),
                        "images": len(images),
                        "alt": [image.get("alt", "") for image in images],
                        "facets": record.value.get("facets", []),
                    }
                )
        return {"posts": posts, "deleted": self.deleted, "requests": self.requests}

    # -- wording ------------------------------------------------------------------------
    def xrpc_error(self, status: int, error: str, message: str) -> Response:
        return Response(status, {"error": error, "message": message})

    def error(self, status: int, message: str) -> Response:
        error, phrase = STATUS_ERRORS.get(status, ("InternalServerError", message))
        if status == 404:
            return self.xrpc_error(404, "MethodNotImplemented", "Method Not Implemented")
        return self.xrpc_error(status, error, phrase)

    def rate_limited(self) -> Response:
        reset = int(time.time()) + 3
        return Response(
            429,
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            {
                "ratelimit-limit": "5000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-policy": "5000;w=3600",
            },
        )

    def unauthorised(self) -> Response:
        return self.xrpc_error(401, "AuthenticationRequired", "Authentication Required")

    # -- routes -------------------------------------------------------------------------
    def setup(self) -> None:
        x = "/xrpc/"
        self.route("POST", x + "com.atproto.server.createSession", self.create_session)
        self.route("POST", x + "com.atproto.server.refreshSession", self.refresh_session)
        self.route("GET", x + "com.atproto.identity.resolveHandle", self.resolve_handle)
        self.route("POST", x + "com.atproto.repo.uploadBlob", self.upload_blob)
        self.route("POST", x + "com.atproto.repo.createRecord", self.create_record)
        self.route("GET", x + "com.atproto.repo.getRecord", self.get_record)
        self.route("GET", x + "com.atproto.repo.listRecords", self.list_records)
        self.route("POST", x + "com.atproto.repo.deleteRecord", self.delete_record)
        self.route("POST", "/__bluesky/account", self.control_account)
        self.route("POST", "/__bluesky/expire", self.control_expire)

    # -- controls -----------------------------------------------------------------------
    def _add_account(self, handle: str, password: str, app_password: str) -> Account:
        did = "did:plc:" + base64.b32encode(hashlib.sha256(handle.encode()).digest()).decode()
        account = Account(handle, did[:32].lower(), password, app_password)
        self.accounts[handle] = account
        self.repos.setdefault(account.did, Repo())
        return account

    def control_account(self, req: Request) -> Response:
        data = req.json()
        with self.lock:
            account = self._add_account(data["handle"], data["password"], data["app_password"])
            # New passwords end every session of the account.
            for token in self.tokens.values():
                if token.did == account.did:
                    token.expired = True
        return Response(200, {"did": account.did, "handle": account.handle})

    def control_expire(self, req: Request) -> Response:
        refresh = bool(req.json().get("refresh"))
        with self.lock:
            for token in self.tokens.values():
                if token.kind == "access" or refresh:
                    token.expired = True
        return Response(200, {"ok": True})

    # -- sessions -----------------------------------------------------------------------
    def _issue(self, did: str, kind: str, scope: str) -> str:
        now = int(time.time())
        header = _b64(
            json.dumps(
                {"typ": "at+jwt" if kind == "access" else "refresh+jwt", "alg": "HS256"}
            ).encode()
        )
        claims = {
            "scope": scope if kind == "access" else "com.atproto.refresh",
            "sub": did,
            "aud": "did:web:fake.pds",
            "iat": now,
            "exp": now + (7200 if kind == "access" else 90 * 86400),
            "jti": secrets.token_hex(8),
        }
        token = f"{header}.{_b64(json.dumps(claims).encode())}.{_b64(secrets.token_bytes(32))}"
        self.tokens[token] = Token(did=did, kind=kind, scope=scope)
        return token

    def _session(self, account: Account, scope: str) -> dict[str, Any]:
        return {
            "accessJwt": self._issue(account.did, "access", scope),
            "refreshJwt": self._issue(account.did, "refresh", scope),
            "handle": account.handle,
            "did": account.did,
            "active": True,
        }

    def _account_by_did(self, did: str) -> Account | None:
        return next((a for a in self.accounts.values() if a.did == did), None)

    def create_session(self, req: Request) -> Response:
        data = req.json()
        identifier = str(data.get("identifier", "")).lower().lstrip("@")
        password = str(data.get("password", ""))
        with self.lock:
            account = self.accounts.get(identifier) or self._account_by_did(identifier)
            if account is None or not password:
                return self.xrpc_error(
                    401, "AuthenticationRequired", "Invalid identifier or password"
                )
            if secrets.compare_digest(password, account.app_password):
                return Response(200, self._session(account, "com.atproto.appPass"))
            if secrets.compare_digest(password, account.password):
                return Response(200, self._session(account, "com.atproto.access"))
        return self.xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")

    def _check(self, req: Request, kind: str) -> Token | Response:
        raw = req.bearer()
        if not raw:
            return self.xrpc_error(401, "AuthenticationRequired", "Authentication Required")
        token = self.tokens.get(raw)
        if token is None or token.kind != kind:
            return self.xrpc_error(400, "InvalidToken", "Token could not be verified")
        if token.expired:
            return self.xrpc_error(400, "ExpiredToken", "Token has expired")
        return token

    def refresh_session(self, req: Request) -> Response:
        with self.lock:
            token = self._check(req, "refresh")
            if isinstance(token, Response):
                return token
            token.expired = True  # refresh tokens are single use
            account = self._account_by_did(token.did)
            assert account is not None
            return Response(200, self._session(account, token.scope))

    def resolve_handle(self, req: Request) -> Response:
        handle = (req.query.get("handle") or [""])[0].lower()
        with self.lock:
            account = self.accounts.get(handle)
        if account is None:
            return self.xrpc_error(400, "HandleNotFound", "Unable to resolve handle")
        return Response(200, {"did": account.did})

    # -- repository ---------------------------------------------------------------------
    def upload_blob(self, req: Request) -> Response:
        with self.lock:
            token = self._check(req, "access")
        if isinstance(token, Response):
            return token
        if len(req.body) > UPLOAD_MAX_BYTES:
            return self.xrpc_error(
                400, "BlobTooLarge", f"This file is too large. It is {len(req.body)} bytes."
            )
        mime = req.headers.get("content-type", "application/octet-stream").split(";")[0]
        cid = _cid(req.body, 0x55)
        with self.lock:
            self.blobs[cid] = Blob(size=len(req.body), mime=mime)
        return Response(
            200,
            {
                "blob": {
                    "$type": "blob",
                    "ref": {"$link": cid},
                    "mimeType": mime,
                    "size": len(req.body),
                }
            },
        )

    def _repo_for(self, token: Token, repo: str) -> Repo | Response:
        account = self._account_by_did(token.did)
        if account is None or repo not in (account.did, account.handle):
            return self.xrpc_error(401, "AuthenticationRequired", "Invalid did or handle")
        return self.repos[account.did]

    def _validate_post(self, value: dict[str, Any]) -> Response | None:
        if value.get("$type") != POST_COLLECTION:
            return self.xrpc_error(
                400, "InvalidRequest", "Invalid $type: must be app.bsky.feed.post"
            )
        text = value.get("text")
        if not isinstance(text, str):
            return self.xrpc_error(400, "InvalidRequest", 'Record must have the property "text"')
        if len(text.encode()) > TEXT_MAX_BYTES:
            return self.xrpc_error(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: Record/text must not be longer than 3000 characters",
            )
        if not isinstance(value.get("createdAt"), str):
            return self.xrpc_error(
                400, "InvalidRequest", 'Record must have the property "createdAt"'
            )
        for facet in value.get("facets") or []:
            index = facet.get("index", {})
            start, end = index.get("byteStart"), index.get("byteEnd")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start <= end):
                return self.xrpc_error(400, "InvalidRequest", "Invalid facet index")
        embed = value.get("embed")
        if embed is None:
            return None
        images = embed.get("images", [])
        if embed.get("$type") != "app.bsky.embed.images" or len(images) > 4:
            return self.xrpc_error(
                400,
                "InvalidRequest",
                "Invalid app.bsky.feed.post record: Record/embed/images must not have more than 4 elements",
            )
        for image in images:
            ref = image.get("image", {}).get("ref", {}).get("$link")
            blob = self.blobs.get(ref)
            if blob is None:
                return self.xrpc_error(400, "InvalidRequest", f"Could not find blob: {ref}")
            if not blob.mime.startswith("image/"):
                return self.xrpc_error(
                    400, "InvalidMimeType", f"Wrong type of file. It is {blob.mime}."
                )
            if blob.size > IMAGE_MAX_BYTES:
                return self.xrpc_error(
                    400,
                    "BlobTooLarge",
                    f"This file is too large. It is {blob.size} bytes but the maximum size is {IMAGE_MAX_BYTES} bytes.",
                )
            if "alt" not in image:
                return self.xrpc_error(
                    400, "InvalidRequest", 'Record/embed/images/0 must have the property "alt"'
                )
        return None

    def create_record(self, req: Request) -> Response:
        data = req.json()
        collection = data.get("collection", "")
        value = data.get("record") or {}
        with self.lock:
            token = self._check(req, "access")
            if isinstance(token, Response):
                return token
            repo = self._repo_for(token, data.get("repo", ""))
            if isinstance(repo, Response):
                return repo
            if collection == POST_COLLECTION and (problem := self._validate_post(value)):
                return problem
            rkey = data.get("rkey") or _tid_now()
            if collection == POST_COLLECTION and not TID_RE.fullmatch(rkey):
                return self.xrpc_error(
                    400,
                    "InvalidRequest",
                    f'Invalid record key for app.bsky.feed.post: Invalid TID string (got "{rkey}")',
                )
            if (collection, rkey) in repo.records:
                # What the reference PDS answers when the rkey is taken: its repository
                # code throws a plain error ("There is already a value at key"), which
                # the XRPC layer turns into a bare 500.
                return self.xrpc_error(500, "InternalServerError", "Internal Server Error")
            uri = f"at://{token.did}/{collection}/{rkey}"
            cid = _cid(json.dumps(value, sort_keys=True).encode(), 0x71)
            repo.records[(collection, rkey)] = Record(uri=uri, cid=cid, value=value)
        commit = {"cid": _cid(uri.encode(), 0x71), "rev": _tid_now()}
        return Response(
            200, {"uri": uri, "cid": cid, "commit": commit, "validationStatus": "valid"}
        )

    def _repo_param(self, req: Request) -> tuple[str, Repo] | Response:
        name = (req.query.get("repo") or [""])[0]
        account = self.accounts.get(name.lower()) or self._account_by_did(name)
        if account is None:
            return self.xrpc_error(400, "InvalidRequest", f"Could not find repo: {name}")
        return account.did, self.repos[account.did]

    def get_record(self, req: Request) -> Response:
        collection = (req.query.get("collection") or [""])[0]
        rkey = (req.query.get("rkey") or [""])[0]
        with self.lock:
            found = self._repo_param(req)
            if isinstance(found, Response):
                return found
            did, repo = found
            record = repo.records.get((collection, rkey))
        if record is None:
            return self.xrpc_error(
                400, "RecordNotFound", f"Could not locate record: at://{did}/{collection}/{rkey}"
            )
        return Response(200, {"uri": record.uri, "cid": record.cid, "value": record.value})

    def list_records(self, req: Request) -> Response:
        collection = (req.query.get("collection") or [""])[0]
        limit = max(1, min(100, int((req.query.get("limit") or ["50"])[0])))
        cursor = (req.query.get("cursor") or [""])[0]
        reverse = (req.query.get("reverse") or ["false"])[0] == "true"
        with self.lock:
            found = self._repo_param(req)
            if isinstance(found, Response):
                return found
            _did, repo = found
            keys = sorted((k for c, k in repo.records if c == collection), reverse=not reverse)
            if cursor:
                keys = [k for k in keys if (k > cursor if reverse else k < cursor)]
            page = keys[:limit]
            records = [repo.records[(collection, k)] for k in page]
        body: dict[str, Any] = {
            "records": [{"uri": r.uri, "cid": r.cid, "value": r.value} for r in records]
        }
        if len(page) == limit:
            body["cursor"] = page[-1]
        return Response(200, body)

    def delete_record(self, req: Request) -> Response:
        data = req.json()
        with self.lock:
            token = self._check(req, "access")
            if isinstance(token, Response):
                return token
            repo = self._repo_for(token, data.get("repo", ""))
            if isinstance(repo, Response):
                return repo
            # "Delete a repository record, or ensure it doesn't exist": no error when absent.
            if repo.records.pop((data.get("collection", ""), data.get("rkey", "")), None):
                self.deleted += 1
                return Response(
                    200, {"commit": {"cid": _cid(secrets.token_bytes(8), 0x71), "rev": _tid_now()}}
                )
        return Response(200, {})
