"""A local stand-in for Facebook Login and the subset of the Graph API Carepost uses.

It follows Meta's documented requests and responses:

- the login dialog, `GET /vNN.N/dialog/oauth` (an accessible HTML page with "Allow" and
  "Cancel"; both redirect to `redirect_uri` with `code` or `error=access_denied`);
- `GET|POST /vNN.N/oauth/access_token` (code exchange, and `grant_type=fb_exchange_token`
  for a long-lived user token);
- `GET /vNN.N/me/accounts` (the user's Pages with a Page access token and `tasks`);
- `GET|POST /vNN.N/{page-id}/feed` (list posts with `since`/`until`/`limit`/`after`; create a post
  with `message`, `link` and `attached_media[i]={"media_fbid": ...}`);
- `POST /vNN.N/{page-id}/photos` (multipart `source`, `caption`, `published`);
- `GET|DELETE /vNN.N/{object-id}` (posts and photos).

Every Graph call checks its token (query/form `access_token`, or an `Authorization:
Bearer|OAuth` header): an unknown token is error 190, a Page token used on another Page
is error 200. Errors use the Graph error object
`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`, and responses
carry `X-App-Usage` / `X-Business-Use-Case-Usage` headers. The fake app's credentials
are `APP_ID` and `APP_SECRET` below.

Faults: "500" answers code 1 (unknown error), "502"/"503" code 2 (service unavailable),
"429" is Page throttling (code 80001, with `estimated_time_to_regain_access` in the
usage header), "401" is an invalidated session (code 190, subcode 460).
"""

from __future__ import annotations

import base64
import hashlib
import html
import itertools
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from fakeplatforms.base import FakePlatform, Handler, Request, Response

APP_ID = "1234567890123456"
APP_SECRET = "fake-facebook-app-secret"  # noqa: S105 - a test stand-in's fixed secret
APP_NAME = "Carepost"
USER_NAME = "Shona MacLeod"

PAGES = (
    # id, name, category, tasks
    (
        "101000000000001",
        "Thistle Care",
        "Nursing home",
        ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
    ),
    ("101000000000002", "Thistle Day Service", "Community service", ["MODERATE", "CREATE_CONTENT"]),
    ("101000000000003", "Braeburn Friends", "Community organisation", ["ANALYZE"]),
)
PHOTO_MAX_BYTES = 4 * 1024 * 1024
RATE_LIMIT_MINUTES = 1
V = r"/(?P<version>v\d+\.\d+)"


@dataclass
class Post:
    id: str
    page_id: str
    message: str
    created: float
    link: str = ""
    photos: list[str] = field(default_factory=list)


@dataclass
class Photo:
    id: str
    page_id: str
    size: int
    sha256: str
    published: bool
    post_id: str = ""


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def _graph_error(
    status: int,
    message: str,
    code: int,
    *,
    subcode: int | None = None,
    kind: str = "OAuthException",
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        body["error_subcode"] = subcode
    body["fbtrace_id"] = secrets.token_urlsafe(8)
    return Response(status, {"error": body}, dict(headers or {}))


def _not_found(object_id: str) -> Response:
    return _graph_error(
        400,
        f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation. Please read "
        "the Graph API documentation at https://developers.facebook.com/docs/graph-api",
        100,
        subcode=33,
        kind="GraphMethodException",
    )


def _usage(page_id: str, calls: int, regain_minutes: int = 0) -> dict[str, str]:
    pct = min(100, calls // 50)
    return {
        "X-App-Usage": json.dumps({"call_count": pct, "total_cputime": pct, "total_time": pct}),
        "X-Business-Use-Case-Usage": json.dumps(
            {
                page_id: [
                    {
                        "type": "pages",
                        "call_count": 100 if regain_minutes else pct,
                        "total_cputime": pct,
                        "total_time": pct,
                        "estimated_time_to_regain_access": regain_minutes,
                    }
                ]
            }
        ),
    }


class Platform(FakePlatform):
    name = "facebook"

    def reset(self) -> None:
        super().reset()
        self.ids = itertools.count(int(time.time()) % 1_000_000 * 1000 + 1)
        self.codes: dict[str, dict[str, str]] = {}  # code -> {redirect_uri, client_id}
        self.user_tokens: set[str] = set()
        self.page_tokens: dict[str, str] = {}  # token -> page id
        self.posts: dict[str, Post] = {}  # live posts, in creation order
        self.photos: dict[str, Photo] = {}
        self.deleted = 0

    def setup(self) -> None:
        self.route("GET", V + r"/dialog/oauth", self.dialog)
        self.route("POST", V + r"/dialog/oauth", self.dialog_decision)
        self.route("GET", V + r"/oauth/access_token", self.access_token)
        self.route("POST", V + r"/oauth/access_token", self.access_token)
        self.route("GET", V + r"/me/accounts", self.graph(self.accounts))
        self.route("GET", V + r"/(?P<page>\d+)/feed", self.graph(self.feed_list))
        self.route("POST", V + r"/(?P<page>\d+)/feed", self.graph(self.feed_create))
        self.route("POST", V + r"/(?P<page>\d+)/photos", self.graph(self.photo_create))
        self.route("GET", V + r"/(?P<object>\d+(?:_\d+)?)", self.graph(self.object_get))
        self.route("DELETE", V + r"/(?P<object>\d+(?:_\d+)?)", self.graph(self.object_delete))

    # -- what tests and benchmarks read -----------------------------------------------
    def state(self) -> dict[str, Any]:
        return {
            "posts": [
                {
                    "id": p.id,
                    "page_id": p.page_id,
                    "text": p.message,
                    "link": p.link,
                    "photos": len(p.photos),
                    "photo_sha256": [self.photos[i].sha256 for i in p.photos],
                    "photo_bytes": [self.photos[i].size for i in p.photos],
                }
                for p in self.posts.values()
            ],
            "staged_photos": sum(
                1 for ph in self.photos.values() if not ph.published and not ph.post_id
            ),
            "deleted": self.deleted,
            "requests": self.requests,
        }

    # -- error wording ----------------------------------------------------------------
    def error(self, status: int, message: str) -> Response:
        if status in (502, 503):
            return _graph_error(
                status, "(#2) Service temporarily unavailable", 2, headers={"Retry-After": "1"}
            )
        if status == 404:
            return _graph_error(
                400, f"Unknown path components: {message}", 2500, kind="OAuthException"
            )
        if status >= 500:
            return _graph_error(status, "An unknown error has occurred.", 1)
        return _graph_error(status, message, 100, kind="GraphMethodException")

    def rate_limited(self) -> Response:
        # Facebook throttles with HTTP 400 and a throttling code, not 429.
        return _graph_error(
            400,
            "(#80001) There have been too many calls to this Page account. Wait a bit and "
            "try again.",
            80001,
            headers=_usage(PAGES[0][0], 10_000, RATE_LIMIT_MINUTES),
        )

    def unauthorised(self) -> Response:
        return _graph_error(
            401,
            "Error validating access token: The session has been invalidated because the "
            "user changed their password or Facebook has changed the session for security "
            "reasons.",
            190,
            subcode=460,
        )

    # -- the login dialog -------------------------------------------------------------
    def dialog(self, req: Request) -> Response:
        q = {k: v[-1] for k, v in req.query.items()}
        if q.get("client_id") != APP_ID:
            return self._dialog_page(
                "App not set up",
                "<p>Invalid App ID: the app you are logging in to is not set up "
                "correctly. Check the app ID.</p>",
                status=400,
            )
        redirect_uri = q.get("redirect_uri", "")
        if not redirect_uri.startswith(("http://", "https://")):
            return self._dialog_page(
                "Cannot log in",
                "<p>The redirect address is missing or not a web address.</p>",
                status=400,
            )
        scopes = [s for s in q.get("scope", "").split(",") if s]
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(q.get(name, ""))}">'
            for name in ("client_id", "redirect_uri", "state", "scope")
        )
        scope_items = "".join(f"<li><code>{html.escape(s)}</code></li>" for s in scopes)
        body = (
            f"<p>You are logged in as <strong>{html.escape(USER_NAME)}</strong>.</p>"
            f"<p><strong>{html.escape(APP_NAME)}</strong> would like to:</p>"
            f'<ul aria-label="Permissions requested">{scope_items or "<li>Basic profile</li>"}</ul>'
            f'<form method="post" action="{html.escape(req.path)}">{hidden}'
            '<button type="submit" name="decision" value="allow">Allow</button> '
            '<button type="submit" name="decision" value="cancel">Cancel</button>'
            "</form>"
        )
        return self._dialog_page(f"Log in to {APP_NAME} with Facebook", body)

    def dialog_decision(self, req: Request) -> Response:
        form = req.form()
        redirect_uri = form.get("redirect_uri", "")
        if form.get("client_id") != APP_ID or not redirect_uri.startswith(("http://", "https://")):
            return self._dialog_page("Cannot log in", "<p>The request was not valid.</p>", 400)
        state = form.get("state", "")
        if form.get("decision") == "allow":
            code = secrets.token_urlsafe(24)
            with self.lock:
                self.codes[code] = {"redirect_uri": redirect_uri, "client_id": APP_ID}
            params = {"code": code, "state": state}
        else:
            params = {
                "error": "access_denied",
                "error_code": "200",
                "error_description": "Permissions error",
                "error_reason": "user_denied",
                "state": state,
            }
        sep = "&" if urlsplit(redirect_uri).query else "?"
        return Response(302, b"", {"Location": redirect_uri + sep + urlencode(params)})

    def _dialog_page(self, title: str, body: str, status: int = 200) -> Response:
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(title)} | Facebook (local stand-in)</title>"
            "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;"
            "padding:0 1rem;color:#1c1e21}button{font:inherit;padding:.5rem 1.25rem;"
            "margin-right:.5rem;min-height:44px}button[value=allow]{background:#0b5fcc;"
            "color:#fff;border:0;border-radius:4px}button[value=cancel]{background:#e4e6eb;"
            "color:#1c1e21;border:0;border-radius:4px}:focus-visible{outline:3px solid #1c1e21;"
            "outline-offset:2px}</style></head><body><main>"
            f"<h1>{html.escape(title)}</h1>{body}</main></body></html>"
        )
        return Response(status, page, {"Content-Type": "text/html; charset=utf-8"})

    # -- OAuth token endpoint ---------------------------------------------------------
    def access_token(self, req: Request) -> Response:
        params = {k: v[-1] for k, v in req.query.items()}
        if req.method == "POST":
            params.update(req.form())
        if params.get("client_id") != APP_ID:
            return _graph_error(400, "Error validating application. Invalid application ID.", 101)
        if params.get("client_secret") != APP_SECRET:
            return _graph_error(400, "Error validating client secret.", 1)
        with self.lock:
            if params.get("grant_type") == "fb_exchange_token":
                if params.get("fb_exchange_token") not in self.user_tokens:
                    return _graph_error(
                        400, "Invalid OAuth access token - Cannot parse access token", 190
                    )
                token = "EAAL" + secrets.token_urlsafe(32)
                self.user_tokens.add(token)
                return Response(
                    200, {"access_token": token, "token_type": "bearer", "expires_in": 5183944}
                )
            grant = self.codes.pop(params.get("code", ""), None)
            if grant is None:
                return _graph_error(
                    400, "This authorization code has been used.", 100, subcode=36009
                )
            if grant["redirect_uri"] != params.get("redirect_uri"):
                return _graph_error(
                    400,
                    "Error validating verification code. Please make sure your redirect_uri "
                    "is identical to the one you used in the OAuth dialog request",
                    100,
                    subcode=36008,
                )
            token = "EAAS" + secrets.token_urlsafe(32)
            self.user_tokens.add(token)
        return Response(200, {"access_token": token, "token_type": "bearer", "expires_in": 5400})

    # -- Graph calls ------------------------------------------------------------------
    def graph(self, handler: Handler) -> Handler:
        """Check the token, run the handler under the lock, add usage headers."""

        def wrapped(req: Request) -> Response:
            token = self._token(req)
            with self.lock:
                page_id = self.page_tokens.get(token)
                if page_id is None and token not in self.user_tokens:
                    return _graph_error(
                        400, "Invalid OAuth access token - Cannot parse access token", 190
                    )
                req.headers["x-fake-page"] = page_id or ""
                resp = handler(req)
                resp.headers.update(_usage(page_id or APP_ID, self.requests))
                return resp

        return wrapped

    def _token(self, req: Request) -> str:
        auth = req.headers.get("authorization", "")
        for scheme in ("bearer ", "oauth "):
            if auth.lower().startswith(scheme):
                return auth[len(scheme) :].strip()
        if "access_token" in req.query:
            return req.query["access_token"][-1]
        if req.method == "POST" and req.body:
            token = req.form().get("access_token")
            if isinstance(token, str):
                return token
        return ""

    def _require_page(self, req: Request, page_id: str, action: str) -> Response | None:
        caller = req.headers.get("x-fake-page", "")
        if page_id not in {p[0] for p in PAGES}:
            return _not_found(page_id)
        if caller != page_id:
            return _graph_error(
                403,
                f"(#200) If posting to a page, requires both pages_read_engagement and "
                f"pages_manage_posts as an admin with sufficient administrative permission "
                f"({action} needs a Page access token for this Page)",
                200,
            )
        return None

    def accounts(self, req: Request) -> Response:
        if req.headers.get("x-fake-page"):
            return _graph_error(
                400, "(#100) Tried accessing nonexisting field (accounts) on node type (Page)", 100
            )
        data = []
        for page_id, name, category, tasks in PAGES:
            token = "EAAP" + secrets.token_urlsafe(32)
            self.page_tokens[token] = page_id
            data.append(
                {
                    "access_token": token,
                    "category": category,
                    "category_list": [{"id": "2500", "name": category}],
                    "name": name,
                    "id": page_id,
                    "tasks": tasks,
                }
            )
        return Response(
            200,
            {"data": data, "paging": {"cursors": {"before": "QVFIUk", "after": "QVFIUm"}}},
        )

    def feed_create(self, req: Request) -> Response:
        page_id = req.match.group("page") if req.match else ""
        if (refused := self._require_page(req, page_id, "Posting")) is not None:
            return refused
        form = req.form()
        message = str(form.get("message", ""))
        link = str(form.get("link", ""))
        media: list[str] = []
        for i in range(0, 100):
            raw = form.get(f"attached_media[{i}]")
            if raw is None:
                break
            try:
                fbid = str(json.loads(raw)["media_fbid"])
            except (ValueError, KeyError, TypeError):
                return _graph_error(400, "(#100) Invalid attached_media parameter", 100)
            photo = self.photos.get(fbid)
            if photo is None or photo.page_id != page_id or photo.published or photo.post_id:
                return _graph_error(
                    400, f"(#100) param attached_media[{i}] has an invalid media_fbid", 100
                )
            media.append(fbid)
        if not message and not link and not media:
            return _graph_error(400, "(#100) Missing message or attachment", 100)
        post = Post(self._new_id(page_id), page_id, message, time.time(), link, media)
        for fbid in media:
            self.photos[fbid].post_id = post.id
            self.photos[fbid].published = True
        self.posts[post.id] = post
        return Response(200, {"id": post.id})

    def photo_create(self, req: Request) -> Response:
        page_id = req.match.group("page") if req.match else ""
        if (refused := self._require_page(req, page_id, "Uploading photos")) is not None:
            return refused
        form = req.form()
        source = form.get("source")
        if not isinstance(source, bytes) or not source:
            return _graph_error(400, "(#324) Requires upload file", 324)
        if not source.startswith((b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF")):
            return _graph_error(400, "(#324) Missing or invalid image file", 324)
        if len(source) > PHOTO_MAX_BYTES:
            return _graph_error(400, "(#100) The photo is too large. It must be 4 MB or less.", 100)
        published = str(form.get("published", "true")).lower() not in ("false", "0")
        photo_id = str(next(self.ids))
        photo = Photo(photo_id, page_id, len(source), hashlib.sha256(source).hexdigest(), published)
        self.photos[photo_id] = photo
        if not published:
            return Response(200, {"id": photo_id})
        post = Post(
            self._new_id(page_id),
            page_id,
            str(form.get("caption", "")),
            time.time(),
            "",
            [photo_id],
        )
        photo.post_id = post.id
        self.posts[post.id] = post
        return Response(200, {"id": photo_id, "post_id": post.id})

    def feed_list(self, req: Request) -> Response:
        page_id = req.match.group("page") if req.match else ""
        if (refused := self._require_page(req, page_id, "Reading the feed")) is not None:
            return refused
        q = {k: v[-1] for k, v in req.query.items()}
        try:
            since = float(q["since"]) if q.get("since") else 0.0
            until = float(q["until"]) if q.get("until") else float("inf")
            limit = max(1, min(100, int(q.get("limit", "25"))))
            offset = int(base64.urlsafe_b64decode(q["after"]).decode()) if q.get("after") else 0
        except ValueError:
            return _graph_error(400, "(#100) Invalid parameter", 100)
        fields = set((q.get("fields") or "id,message,created_time").split(","))
        matching = []
        for post in reversed(self.posts.values()):  # newest first
            if post.created < since:
                break
            if post.page_id == page_id and post.created <= until:
                matching.append(post)
        window = matching[offset : offset + limit]
        data = []
        for post in window:
            item: dict[str, Any] = {"id": post.id}
            if "message" in fields and post.message:
                item["message"] = post.message
            if "created_time" in fields:
                item["created_time"] = _iso(post.created)
            if "permalink_url" in fields:
                item["permalink_url"] = self._permalink(post)
            data.append(item)
        body: dict[str, Any] = {"data": data}
        if data:
            cursors = {
                "before": base64.urlsafe_b64encode(str(offset).encode()).decode(),
                "after": base64.urlsafe_b64encode(str(offset + len(data)).encode()).decode(),
            }
            body["paging"] = {"cursors": cursors}
            if offset + len(data) < len(matching):
                next_q = {**q, "after": cursors["after"]}
                next_q.pop("access_token", None)
                body["paging"]["next"] = (
                    f"http://127.0.0.1:{self.port}{req.path}?{urlencode(next_q)}"
                )
        return Response(200, body)

    def object_get(self, req: Request) -> Response:
        object_id = req.match.group("object") if req.match else ""
        caller = req.headers.get("x-fake-page", "")
        post = self.posts.get(object_id)
        photo = self.photos.get(object_id)
        owner = post.page_id if post else photo.page_id if photo else None
        if owner is None or owner != caller:
            return _not_found(object_id)
        fields = set((req.query.get("fields", ["id"])[-1]).split(","))
        item: dict[str, Any] = {"id": object_id}
        if post is not None:
            if "message" in fields and post.message:
                item["message"] = post.message
            if "created_time" in fields:
                item["created_time"] = _iso(post.created)
            if "permalink_url" in fields:
                item["permalink_url"] = self._permalink(post)
        return Response(200, item)

    def object_delete(self, req: Request) -> Response:
        object_id = req.match.group("object") if req.match else ""
        caller = req.headers.get("x-fake-page", "")
        post = self.posts.get(object_id)
        photo = self.photos.get(object_id)
        owner = post.page_id if post else photo.page_id if photo else None
        if owner is None:
            return _not_found(object_id)
        if owner != caller:
            return _graph_error(
                403, "(#200) Permissions error: this object belongs to another Page", 200
            )
        if post is not None:
            del self.posts[object_id]
            for fbid in post.photos:
                self.photos.pop(fbid, None)
            self.deleted += 1
        else:
            assert photo is not None
            del self.photos[object_id]
            if photo.post_id and photo.post_id in self.posts:
                self.posts[photo.post_id].photos.remove(object_id)
        return Response(200, {"success": True})

    # -- helpers ----------------------------------------------------------------------
    def _new_id(self, page_id: str) -> str:
        return f"{page_id}_{next(self.ids)}"

    def _permalink(self, post: Post) -> str:
        page_part, _, story = post.id.partition("_")
        return f"https://www.facebook.com/{page_part}/posts/{story}"
