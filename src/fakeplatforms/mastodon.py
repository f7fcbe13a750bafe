"""A local stand-in for a Mastodon server: the subset of its API Carepost uses.

It follows the documented requests and responses (docs.joinmastodon.org):

- `GET /api/v1/instance`, `GET /api/v2/instance` and
  `GET /.well-known/oauth-authorization-server` (server metadata);
- `POST /api/v1/apps` (app registration: `client_name`, `redirect_uris`, `scopes`);
- `GET /oauth/authorize`: an accessible HTML page naming the app and the scopes it
  asks for, with "Authorise" and "Deny" buttons in a form. `POST /oauth/authorize`
  redirects (302) to `redirect_uri?code=...&state=...`, or with `error=access_denied`
  when the form says `decision=deny`. There is one signed-in user (`USERNAME`);
- `POST /oauth/token` (the authorization code grant), `POST /oauth/revoke`;
- `GET /api/v1/accounts/verify_credentials`, `GET /api/v1/accounts/:id/statuses`
  (`max_id`, `since_id`, `min_id`, `limit` up to 40, `Link` header);
- `POST /api/v2/media` (and the older `POST /api/v1/media`), `GET /api/v1/media/:id`.
  Images are processed at once (200 with `url`). GIFs (which Mastodon turns into
  video), and every upload after `POST /__config {"media_in_background": true}`, are
  processed in the background as a real server does for large media: 202 with
  `url: null`;
  `GET /api/v1/media/:id` answers 206 once, then 200 with the `url`. A status that
  attaches unprocessed media is refused with 422, as Mastodon does;
- `POST /api/v1/statuses` honouring `Idempotency-Key` (the same key from the same
  account within an hour returns the first status, never a second one), 422 for text
  over 500 characters (links count as 23), `GET` and `DELETE /api/v1/statuses/:id`.

Every `/api/v1` and `/api/v2` call except the instance and app endpoints needs a valid
bearer token with the right scope: an unknown token is 401 `{"error": "The access
token is invalid"}`, a missing scope 403. Errors are `{"error": "..."}`; responses
carry `X-RateLimit-Limit`, `-Remaining` and `-Reset` (ISO 8601); the "429" fault uses
them with a reset two seconds away. Status ids are Mastodon-style snowflakes
(milliseconds << 16), so `min_id` can be a time. `state()` lists the live posts with
their plain text and media, and counts deletions and requests.

`authorise(base_url)` runs the whole OAuth flow over HTTP and returns a token, for
benchmarks and tests that need a connected account without a browser.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from fakeplatforms.base import FakePlatform, Handler, Request, Response

VERSION = "4.3.2"
TITLE = "Fake Mastodon"
USERNAME = "thistlecare"
DISPLAY_NAME = "Thistle Care"
ACCOUNT_ID = "109000000000000001"
MAX_CHARACTERS = 500
MAX_MEDIA = 4
URL_LENGTH = 23
IMAGE_MAX_BYTES = 16 * 1024 * 1024
DESCRIPTION_MAX = 1500
IDEMPOTENCY_SECONDS = 3600
CODE_SECONDS = 600
RATE_LIMIT = 300
RATE_RESET_SECONDS = 2
SCOPES = {
    "read",
    "write",
    "follow",
    "push",
    "profile",
    "read:accounts",
    "read:statuses",
    "read:notifications",
    "write:statuses",
    "write:media",
    "write:accounts",
}
SCOPE_LABELS = {
    "read": "Read all your account's data",
    "write": "Modify all your account's data",
    "profile": "Read only your account's profile information",
    "read:accounts": "See accounts information",
    "read:statuses": "See all posts",
    "write:statuses": "Publish posts",
    "write:media": "Upload media files",
}
INVALID_TOKEN = "The access token is invalid"  # noqa: S105 - an error message
OUTSIDE_SCOPES = "This action is outside the authorized scopes"
NOT_FOUND = "Record not found"
INVALID_GRANT = (
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client."
)
INVALID_CLIENT = (
    "Client authentication failed due to unknown client, no client authentication "
    "included, or unsupported authentication method."
)
URL_RE = re.compile(r"https?://[^\s<>\"]+", re.IGNORECASE)
TAG_RE = re.compile(r"(?<![\w/])#(\w+)")
MENTION_RE = re.compile(r"(?<![\w@])@(\w+)@[\w.-]+\w")


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{int(ts * 1000) % 1000:03d}Z"
    )


def _sniff(data: bytes) -> tuple[str, str] | None:
    """(mime type, media type) from the file's first bytes, as Mastodon's processing does."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "image"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "image"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif", "gifv"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "image"
    return None


def text_length(text: str) -> int:
    """Mastodon's count: characters, every link as 23, a mention without its domain."""
    return len(MENTION_RE.sub(r"@\1", URL_RE.sub("x" * URL_LENGTH, text)))


def to_html(text: str, base: str) -> str:
    """A plain-text status rendered the way Mastodon's formatter does (the parts we use)."""

    def inline(chunk: str) -> str:
        out: list[str] = []
        pos = 0
        for m in URL_RE.finditer(chunk):
            out.append(_tags(html.escape(chunk[pos : m.start()], quote=False), base))
            url = m.group(0)
            scheme, _, rest = url.partition("://")
            shown, hidden = rest[:30], rest[30:]
            out.append(
                f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener '
                f'noreferrer" translate="no"><span class="invisible">{scheme}://</span>'
                f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
                f'<span class="invisible">{html.escape(hidden)}</span></a>'
            )
            pos = m.end()
        out.append(_tags(html.escape(chunk[pos:], quote=False), base))
        return "".join(out)

    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(
        "<p>" + "<br />".join(inline(line) for line in p.split("\n")) + "</p>" for p in paragraphs
    )


def _tags(escaped: str, base: str) -> str:
    return TAG_RE.sub(
        lambda m: (
            f'<a href="{base}/tags/{m.group(1).lower()}" class="mention hashtag" rel="tag">'
            f"#<span>{m.group(1)}</span></a>"
        ),
        escaped,
    )


@dataclass
class App:
    client_id: str
    client_secret: str
    name: str
    redirect_uris: list[str]
    scopes: list[str]
    website: str | None


@dataclass
class Media:
    id: str
    account_id: str
    kind: str
    mime: str
    size: int
    sha256: str
    description: str | None
    polls_left: int  # 0 once processed
    status_id: str | None = None


@dataclass
class Status:
    id: str
    account_id: str
    text: str
    content: str
    visibility: str
    created: float
    media_ids: list[str]
    idempotency_key: str | None
    app_name: str
    deleted: bool = False


@dataclass
class Token:
    account_id: str
    client_id: str
    scopes: set[str] = field(default_factory=set)


class Platform(FakePlatform):
    name = "mastodon"

    def reset(self) -> None:
        super().reset()
        self.apps: dict[str, App] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, Token] = {}
        self.media: dict[str, Media] = {}
        self.statuses: dict[str, Status] = {}
        self.status_order: list[int] = []  # ids ascending (snowflakes grow with time)
        self.idempotency: dict[tuple[str, str], tuple[str, float]] = {}
        self.deleted = 0
        self.media_uploads = 0
        self.last_id = 0
        self.media_in_background = False

    # -- the FakePlatform hooks ---------------------------------------------------------
    def setup(self) -> None:
        self.route("POST", "/__config", self.configure)
        self.route("GET", "/api/v1/instance/?", self.instance_v1)
        self.route("GET", "/api/v2/instance/?", self.instance_v2)
        self.route("GET", "/.well-known/oauth-authorization-server", self.oauth_metadata)
        self.route("POST", "/api/v1/apps", self.apps_create)
        self.route("GET", "/oauth/authorize", self.authorize_page)
        self.route("POST", "/oauth/authorize", self.authorize_decide)
        self.route("POST", "/oauth/token", self.token)
        self.route("POST", "/oauth/revoke", self.revoke)
        self.route(
            "GET",
            "/api/v1/accounts/verify_credentials",
            self.api(self.verify_credentials, "read:accounts"),
        )
        self.route(
            "GET",
            r"/api/v1/accounts/(?P<id>[^/]+)/statuses",
            self.api(self.account_statuses, "read:statuses"),
        )
        self.route("POST", "/api/v2/media", self.api(self.media_create, "write:media"))
        self.route("POST", "/api/v1/media", self.api(self.media_create_v1, "write:media"))
        self.route("GET", r"/api/v1/media/(?P<id>\d+)", self.api(self.media_show, "write:media"))
        self.route("POST", "/api/v1/statuses", self.api(self.status_create, "write:statuses"))
        self.route(
            "GET", r"/api/v1/statuses/(?P<id>\d+)", self.api(self.status_show, "read:statuses")
        )
        self.route(
            "DELETE",
            r"/api/v1/statuses/(?P<id>\d+)",
            self.api(self.status_delete, "write:statuses"),
        )

    def state(self) -> dict[str, Any]:
        posts = []
        for sid in self.status_order:
            s = self.statuses[str(sid)]
            if s.deleted:
                continue
            media = [self.media[m] for m in s.media_ids]
            posts.append(
                {
                    "id": s.id,
                    "text": s.text,
                    "media": len(media),
                    "alt": [m.description for m in media],
                    "media_sha256": [m.sha256 for m in media],
                    "visibility": s.visibility,
                    "idempotency_key": s.idempotency_key,
                }
            )
        return {
            "posts": posts,
            "deleted": self.deleted,
            "requests": self.requests,
            "media_uploads": self.media_uploads,
            "apps": len(self.apps),
        }

    def rate_headers(self, remaining: int = RATE_LIMIT - 1) -> dict[str, str]:
        reset = time.time() + RATE_RESET_SECONDS
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": datetime.fromtimestamp(reset, UTC).isoformat(
                timespec="microseconds"
            ),
        }

    def rate_limited(self) -> Response:
        return Response(429, {"error": "Too many requests"}, self.rate_headers(remaining=0))

    def unauthorised(self) -> Response:
        return Response(
            401,
            {"error": INVALID_TOKEN},
            {
                "WWW-Authenticate": 'Bearer realm="Doorkeeper", error="invalid_token", '
                f'error_description="{INVALID_TOKEN}"'
            },
        )

    # -- helpers ----------------------------------------------------------------------
    def api(self, handler: Handler, scope: str) -> Handler:
        """Token and scope checks, and rate-limit headers, around an API handler."""

        def wrapped(req: Request) -> Response:
            with self.lock:
                token = self.tokens.get(req.bearer())
                if token is None:
                    return self.unauthorised()
                top = scope.split(":")[0]
                if scope not in token.scopes and top not in token.scopes:
                    return Response(403, {"error": OUTSIDE_SCOPES})
                req.headers["x-fake-account"] = token.account_id
                req.headers["x-fake-app"] = self.apps[token.client_id].name
                resp = handler(req)
            resp.headers.update(self.rate_headers())
            return resp

        return wrapped

    @staticmethod
    def base(req: Request) -> str:
        return "http://" + req.headers.get("host", "127.0.0.1")

    @staticmethod
    def fields(req: Request) -> dict[str, list[str]]:
        """Form fields with repeated names kept (media_ids[]), from a form or JSON body."""
        ctype = req.headers.get("content-type", "")
        if ctype.startswith("application/json"):
            data = req.json()
            return {
                k.removesuffix("[]"): [str(x) for x in v] if isinstance(v, list) else [str(v)]
                for k, v in data.items()
                if v is not None
            }
        if ctype.startswith("multipart/form-data"):
            return {k: [v] for k, v in req.form().items() if isinstance(v, str)}
        parsed = parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True)
        return {k.removesuffix("[]"): v for k, v in parsed.items()}

    def next_id(self) -> str:
        snowflake = int(time.time() * 1000) << 16
        self.last_id = max(self.last_id + 1, snowflake)
        return str(self.last_id)

    def account(self, base: str) -> dict[str, Any]:
        return {
            "id": ACCOUNT_ID,
            "username": USERNAME,
            "acct": USERNAME,
            "display_name": DISPLAY_NAME,
            "locked": False,
            "bot": False,
            "discoverable": True,
            "group": False,
            "created_at": "2023-01-10T00:00:00.000Z",
            "note": "<p>News from Thistle Care.</p>",
            "url": f"{base}/@{USERNAME}",
            "uri": f"{base}/users/{USERNAME}",
            "avatar": f"{base}/avatars/original/missing.png",
            "avatar_static": f"{base}/avatars/original/missing.png",
            "header": f"{base}/headers/original/missing.png",
            "header_static": f"{base}/headers/original/missing.png",
            "followers_count": 12,
            "following_count": 3,
            "statuses_count": len(self.statuses) - self.deleted,
            "last_status_at": None,
            "emojis": [],
            "fields": [],
        }

    def media_json(self, m: Media, base: str) -> dict[str, Any]:
        url = None if m.polls_left else f"{base}/system/media_attachments/files/{m.id}/original"
        return {
            "id": m.id,
            "type": m.kind,
            "url": url,
            "preview_url": f"{base}/system/media_attachments/files/{m.id}/small",
            "remote_url": None,
            "preview_remote_url": None,
            "text_url": None,
            "meta": {},
            "description": m.description,
            "blurhash": None,
        }

    def status_json(self, s: Status, base: str, *, with_source: bool = False) -> dict[str, Any]:
        account = self.account(base)
        data: dict[str, Any] = {
            "id": s.id,
            "created_at": _iso(s.created),
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": s.visibility,
            "language": "en",
            "uri": f"{base}/users/{USERNAME}/statuses/{s.id}",
            "url": f"{base}/@{USERNAME}/{s.id}",
            "replies_count": 0,
            "reblogs_count": 0,
            "favourites_count": 0,
            "edited_at": None,
            "content": s.content,
            "reblog": None,
            "application": {"name": s.app_name, "website": None},
            "account": account,
            "media_attachments": [self.media_json(self.media[m], base) for m in s.media_ids],
            "mentions": [],
            "tags": [],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        if with_source:
            data["text"] = s.text
        return data

    def configure(self, req: Request) -> Response:
        """Test switches that are not faults: `media_in_background` (bool)."""
        data = req.json()
        with self.lock:
            if "media_in_background" in data:
                self.media_in_background = bool(data["media_in_background"])
            return Response(200, {"media_in_background": self.media_in_background})

    # -- server metadata --------------------------------------------------------------
    def instance_v1(self, req: Request) -> Response:
        base = self.base(req)
        return Response(
            200,
            {
                "uri": urlsplit(base).netloc,
                "title": TITLE,
                "short_description": "A local stand-in for a Mastodon server.",
                "description": "A local stand-in for a Mastodon server.",
                "email": "admin@example.org",
                "version": VERSION,
                "urls": {"streaming_api": base.replace("http", "ws", 1)},
                "stats": {"user_count": 1, "status_count": len(self.statuses), "domain_count": 1},
                "thumbnail": None,
                "languages": ["en"],
                "registrations": False,
                "approval_required": False,
                "invites_enabled": False,
                "configuration": self.configuration(),
                "contact_account": None,
                "rules": [],
            },
        )

    def configuration(self) -> dict[str, Any]:
        return {
            "statuses": {
                "max_characters": MAX_CHARACTERS,
                "max_media_attachments": MAX_MEDIA,
                "characters_reserved_per_url": URL_LENGTH,
            },
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "image/gif", "image/webp"],
                "image_size_limit": IMAGE_MAX_BYTES,
                "image_matrix_limit": 33177600,
                "description_limit": DESCRIPTION_MAX,
            },
        }

    def instance_v2(self, req: Request) -> Response:
        base = self.base(req)
        config = self.configuration()
        config["urls"] = {"streaming": base.replace("http", "ws", 1)}
        config["accounts"] = {"max_featured_tags": 10, "max_pinned_statuses": 5}
        return Response(
            200,
            {
                "domain": urlsplit(base).netloc,
                "title": TITLE,
                "version": VERSION,
                "source_url": "https://github.com/mastodon/mastodon",
                "description": "A local stand-in for a Mastodon server.",
                "usage": {"users": {"active_month": 1}},
                "thumbnail": {"url": f"{base}/thumbnail.png"},
                "languages": ["en"],
                "configuration": config,
                "registrations": {"enabled": False, "approval_required": False, "message": None},
                "contact": {"email": "admin@example.org", "account": None},
                "rules": [],
                "api_versions": {"mastodon": 2},
            },
        )

    def oauth_metadata(self, req: Request) -> Response:
        base = self.base(req)
        return Response(
            200,
            {
                "issuer": base + "/",
                "service_documentation": "https://docs.joinmastodon.org/",
                "authorization_endpoint": f"{base}/oauth/authorize",
                "token_endpoint": f"{base}/oauth/token",
                "revocation_endpoint": f"{base}/oauth/revoke",
                "userinfo_endpoint": f"{base}/oauth/userinfo",
                "scopes_supported": sorted(SCOPES),
                "response_types_supported": ["code"],
                "response_modes_supported": ["query", "fragment", "form_post"],
                "code_challenge_methods_supported": ["S256"],
                "grant_types_supported": ["authorization_code", "client_credentials"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                ],
                "app_registration_endpoint": f"{base}/api/v1/apps",
            },
        )

    # -- apps and OAuth ---------------------------------------------------------------
    def apps_create(self, req: Request) -> Response:
        f = self.fields(req)
        name = (f.get("client_name") or [""])[-1].strip()
        if not name:
            return self.error(422, "Validation failed: Application name can't be blank")
        raw_uris = (f.get("redirect_uris") or [""])[-1]
        uris = [u.strip() for u in re.split(r"[\n\s]+", raw_uris) if u.strip()]
        if not uris:
            return self.error(422, "Validation failed: Redirect URI can't be blank")
        for uri in uris:
            parts = urlsplit(uri)
            if uri != "urn:ietf:wg:oauth:2.0:oob" and (not parts.scheme or parts.fragment):
                return self.error(422, "Validation failed: Redirect URI must be an absolute URI.")
        scopes = ((f.get("scopes") or ["read"])[-1]).split() or ["read"]
        if any(s not in SCOPES for s in scopes):
            return self.error(422, "Validation failed: Scopes are invalid")
        website = f["website"][-1] if f.get("website") else None
        with self.lock:
            app = App(
                client_id=secrets.token_urlsafe(32),
                client_secret=secrets.token_urlsafe(32),
                name=name,
                redirect_uris=uris,
                scopes=scopes,
                website=website,
            )
            self.apps[app.client_id] = app
        return Response(
            200,
            {
                "id": str(len(self.apps)),
                "name": app.name,
                "website": app.website,
                "scopes": app.scopes,
                "redirect_uri": "\n".join(app.redirect_uris),
                "redirect_uris": app.redirect_uris,
                "client_id": app.client_id,
                "client_secret": app.client_secret,
                "client_secret_expires_at": 0,
                "vapid_key": "BFakeVapidKeyForTestsOnly",
            },
        )

    def _authorisation(self, params: dict[str, str]) -> tuple[App, list[str]] | str:
        """The app and scopes of a valid authorisation request, or what is wrong with it."""
        app = self.apps.get(params.get("client_id", ""))
        if app is None:
            return INVALID_CLIENT
        if params.get("redirect_uri", "") not in app.redirect_uris:
            return "The requested redirect uri is malformed or doesn't match client redirect URI."
        if params.get("response_type", "code") != "code":
            return "The authorization server does not support this response type."
        scopes = params.get("scope", "read").split() or ["read"]
        if any(s not in app.scopes for s in scopes):
            return "The requested scope is invalid, unknown, or malformed."
        return app, scopes

    def _page(self, status: int, title: str, body: str) -> Response:
        page = (
            '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{html.escape(title)} - {TITLE}</title>\n"
            "<style>body{font-family:sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;"
            "color:#1b1b1b;background:#fff;line-height:1.5}"
            "button{font-size:1rem;padding:.6rem 1.2rem;margin-right:.5rem;border-radius:4px;"
            "border:2px solid #1b1b1b;cursor:pointer}"
            ".approve{background:#4b3fbf;color:#fff;border-color:#4b3fbf}"
            ".deny{background:#fff;color:#1b1b1b}"
            "button:focus-visible{outline:3px solid #d4351c;outline-offset:2px}</style>\n"
            f"</head>\n<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
        )
        return Response(status, page, {"Content-Type": "text/html; charset=utf-8"})

    def authorize_page(self, req: Request) -> Response:
        params = {k: v[-1] for k, v in req.query.items()}
        with self.lock:
            found = self._authorisation(params)
        if isinstance(found, str):
            return self._page(
                400,
                "An error has occurred",
                f"<h1>An error has occurred</h1>\n<p>{html.escape(found)}</p>",
            )
        app, scopes = found
        host = urlsplit(self.base(req)).netloc
        hidden = "".join(
            f'<input type="hidden" name="{name}" value="{html.escape(params.get(name, ""))}">\n'
            for name in ("client_id", "redirect_uri", "state", "response_type", "scope")
        )
        items = "".join(
            f"<li><strong>{html.escape(s)}</strong>: {html.escape(SCOPE_LABELS.get(s, s))}</li>\n"
            for s in scopes
        )
        body = (
            "<h1>Authorisation required</h1>\n"
            f"<p><strong>{html.escape(app.name)}</strong> would like permission to access "
            f"your account <strong>@{USERNAME}@{html.escape(host)}</strong>. "
            "It is a third-party application. If you do not trust it, then you should not "
            "authorise it.</p>\n"
            f"<h2>Review permissions</h2>\n<ul>\n{items}</ul>\n"
            f'<form method="post" action="/oauth/authorize">\n{hidden}'
            '<button type="submit" class="approve" name="decision" value="approve">'
            "Authorise</button>\n"
            '<button type="submit" class="deny" name="decision" value="deny">Deny</button>\n'
            "</form>"
        )
        return self._page(200, "Authorisation required", body)

    def authorize_decide(self, req: Request) -> Response:
        params = {k: v[-1] for k, v in self.fields(req).items()}
        with self.lock:
            found = self._authorisation(params)
            if isinstance(found, str):
                return self._page(
                    400,
                    "An error has occurred",
                    f"<h1>An error has occurred</h1>\n<p>{html.escape(found)}</p>",
                )
            app, scopes = found
            redirect_uri = params["redirect_uri"]
            answer: dict[str, str]
            if params.get("decision", "approve") == "deny":
                answer = {
                    "error": "access_denied",
                    "error_description": "The resource owner or authorization server denied "
                    "the request.",
                }
            else:
                code = secrets.token_urlsafe(32)
                self.codes[code] = {
                    "client_id": app.client_id,
                    "redirect_uri": redirect_uri,
                    "scopes": scopes,
                    "expires": time.monotonic() + CODE_SECONDS,
                }
                answer = {"code": code}
        if params.get("state"):
            answer["state"] = params["state"]
        if redirect_uri == "urn:ietf:wg:oauth:2.0:oob":
            shown = answer.get("code", answer.get("error", ""))
            return self._page(
                200,
                "Authorisation code",
                "<h1>Authorisation code</h1>\n<p>Copy this code and paste it into the "
                f"application.</p>\n<p><code>{html.escape(shown)}</code></p>",
            )
        sep = "&" if "?" in redirect_uri else "?"
        return Response(302, b"", {"Location": redirect_uri + sep + urlencode(answer)})

    def token(self, req: Request) -> Response:
        f = {k: v[-1] for k, v in self.fields(req).items()}
        with self.lock:
            app = self.apps.get(f.get("client_id", ""))
            if app is None or not secrets.compare_digest(
                app.client_secret, f.get("client_secret", "")
            ):
                return Response(
                    401, {"error": "invalid_client", "error_description": INVALID_CLIENT}
                )
            if f.get("grant_type") != "authorization_code":
                return Response(
                    400,
                    {
                        "error": "unsupported_grant_type",
                        "error_description": "The authorization grant type is not supported "
                        "by the authorization server.",
                    },
                )
            grant = self.codes.pop(f.get("code", ""), None)
            if (
                grant is None
                or grant["client_id"] != app.client_id
                or grant["redirect_uri"] != f.get("redirect_uri")
                or grant["expires"] < time.monotonic()
            ):
                return Response(400, {"error": "invalid_grant", "error_description": INVALID_GRANT})
            access_token = secrets.token_urlsafe(32)
            self.tokens[access_token] = Token(
                account_id=ACCOUNT_ID, client_id=app.client_id, scopes=set(grant["scopes"])
            )
        return Response(
            200,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "scope": " ".join(grant["scopes"]),
                "created_at": int(time.time()),
            },
        )

    def revoke(self, req: Request) -> Response:
        f = {k: v[-1] for k, v in self.fields(req).items()}
        with self.lock:
            token = self.tokens.get(f.get("token", ""))
            if token is not None and token.client_id == f.get("client_id"):
                del self.tokens[f["token"]]
        return Response(200, {})

    # -- accounts ---------------------------------------------------------------------
    def verify_credentials(self, req: Request) -> Response:
        account = self.account(self.base(req))
        account["source"] = {
            "privacy": "public",
            "sensitive": False,
            "language": "en",
            "note": "News from Thistle Care.",
            "fields": [],
        }
        return Response(200, account)

    def account_statuses(self, req: Request) -> Response:
        account_id = req.match.group("id") if req.match else ""
        if account_id != ACCOUNT_ID:
            return self.error(404, NOT_FOUND)
        q = {k: v[-1] for k, v in req.query.items()}
        try:
            limit = max(1, min(40, int(q.get("limit", "20"))))
            max_id = int(q["max_id"]) if q.get("max_id") else None
            since_id = int(q["since_id"]) if q.get("since_id") else None
            min_id = int(q["min_id"]) if q.get("min_id") else None
        except ValueError:
            return self.error(422, "Validation failed: invalid pagination parameter")
        picked: list[Status] = []
        if min_id is not None:
            # The page immediately newer than min_id, returned newest first.
            for sid in self.status_order[_bisect_right(self.status_order, min_id) :]:
                if max_id is not None and sid >= max_id:
                    break
                s = self.statuses[str(sid)]
                if not s.deleted and s.account_id == account_id:
                    picked.append(s)
                    if len(picked) == limit:
                        break
            picked.reverse()
        else:
            end = (
                _bisect_left(self.status_order, max_id)
                if max_id is not None
                else len(self.status_order)
            )
            for sid in reversed(self.status_order[:end]):
                if since_id is not None and sid <= since_id:
                    break
                s = self.statuses[str(sid)]
                if not s.deleted and s.account_id == account_id:
                    picked.append(s)
                    if len(picked) == limit:
                        break
        base = self.base(req)
        headers = {}
        if picked:
            path = f"{base}/api/v1/accounts/{account_id}/statuses"
            headers["Link"] = (
                f'<{path}?limit={limit}&max_id={picked[-1].id}>; rel="next", '
                f'<{path}?limit={limit}&min_id={picked[0].id}>; rel="prev"'
            )
        return Response(200, [self.status_json(s, base) for s in picked], headers)

    # -- media ------------------------------------------------------------------------
    def media_create(self, req: Request, *, synchronous: bool = False) -> Response:
        form = req.form()
        data = form.get("file")
        if not isinstance(data, bytes) or not data:
            return self.error(422, "Validation failed: File can't be blank")
        sniffed = _sniff(data)
        if sniffed is None:
            return self.error(
                422, "Validation failed: File content type is invalid, File is invalid"
            )
        if len(data) > IMAGE_MAX_BYTES:
            return self.error(422, "Validation failed: File file size must be less than 16 MB")
        description = form.get("description")
        if isinstance(description, str) and len(description) > DESCRIPTION_MAX:
            return self.error(
                422,
                f"Validation failed: Description is too long (maximum is {DESCRIPTION_MAX} "
                "characters)",
            )
        mime, kind = sniffed
        background = not synchronous and (self.media_in_background or kind == "gifv")
        m = Media(
            id=self.next_id(),
            account_id=req.headers["x-fake-account"],
            kind=kind,
            mime=mime,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            description=description if isinstance(description, str) else None,
            polls_left=1 if background else 0,
        )
        self.media[m.id] = m
        self.media_uploads += 1
        return Response(202 if background else 200, self.media_json(m, self.base(req)))

    def media_create_v1(self, req: Request) -> Response:
        return self.media_create(req, synchronous=True)

    def media_show(self, req: Request) -> Response:
        m = self.media.get(req.match.group("id") if req.match else "")
        if m is None or m.account_id != req.headers["x-fake-account"]:
            return self.error(404, NOT_FOUND)
        if m.polls_left:
            answer = self.media_json(m, self.base(req))
            m.polls_left -= 1
            return Response(206, answer)
        return Response(200, self.media_json(m, self.base(req)))

    # -- statuses ---------------------------------------------------------------------
    def status_create(self, req: Request) -> Response:
        account_id = req.headers["x-fake-account"]
        key = req.headers.get("idempotency-key")
        now = time.time()
        base = self.base(req)
        if key:
            seen = self.idempotency.get((account_id, key))
            if seen is not None and now - seen[1] < IDEMPOTENCY_SECONDS:
                first = self.statuses[seen[0]]
                if first.deleted:
                    return self.error(404, NOT_FOUND)
                return Response(200, self.status_json(first, base))
        f = self.fields(req)
        text = (f.get("status") or [""])[-1]
        visibility = (f.get("visibility") or ["public"])[-1]
        if visibility not in ("public", "unlisted", "private", "direct"):
            return self.error(422, "Validation failed: Visibility is not included in the list")
        media_ids = [m for m in f.get("media_ids", []) if m]
        if len(media_ids) > MAX_MEDIA:
            return self.error(422, f"Cannot attach more than {MAX_MEDIA} files")
        attached = [
            self.media[m]
            for m in media_ids
            if m in self.media
            and self.media[m].account_id == account_id
            and self.media[m].status_id is None
        ]
        if any(m.polls_left for m in attached):
            return self.error(
                422, "Cannot attach files that have not finished processing. Try again in a moment!"
            )
        if not text.strip() and not attached:
            return self.error(422, "Validation failed: Text can't be blank")
        if text_length(text) > MAX_CHARACTERS:
            return self.error(
                422, f"Validation failed: Text character limit of {MAX_CHARACTERS} exceeded"
            )
        s = Status(
            id=self.next_id(),
            account_id=account_id,
            text=text,
            content=to_html(text, base),
            visibility=visibility,
            created=now,
            media_ids=[m.id for m in attached],
            idempotency_key=key,
            app_name=req.headers.get("x-fake-app", ""),
        )
        for m in attached:
            m.status_id = s.id
        self.statuses[s.id] = s
        self.status_order.append(int(s.id))
        if key:
            self.idempotency[(account_id, key)] = (s.id, now)
        return Response(200, self.status_json(s, base))

    def _own_status(self, req: Request) -> Status | None:
        s = self.statuses.get(req.match.group("id") if req.match else "")
        if s is None or s.deleted:
            return None
        return s

    def status_show(self, req: Request) -> Response:
        s = self._own_status(req)
        if s is None:
            return self.error(404, NOT_FOUND)
        return Response(200, self.status_json(s, self.base(req)))

    def status_delete(self, req: Request) -> Response:
        s = self._own_status(req)
        if s is None:
            return self.error(404, NOT_FOUND)
        if s.account_id != req.headers["x-fake-account"]:
            return self.error(403, "This action is not allowed")
        s.deleted = True
        self.deleted += 1
        return Response(200, self.status_json(s, self.base(req), with_source=True))


def _bisect_left(items: list[int], value: int) -> int:
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if items[mid] < value:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _bisect_right(items: list[int], value: int) -> int:
    lo, hi = 0, len(items)
    while lo < hi:
        mid = (lo + hi) // 2
        if value < items[mid]:
            hi = mid
        else:
            lo = mid + 1
    return lo


def authorise(
    base_url: str,
    *,
    redirect_uri: str = "http://127.0.0.1/carepost-callback",
    scopes: str = "read:accounts read:statuses write:statuses write:media",
) -> dict[str, str]:
    """Register an app and approve it on the fake: access_token, client_id, client_secret."""

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    def post(path: str, data: dict[str, str]) -> Any:
        req = urllib.request.Request(  # noqa: S310 - loopback only
            base_url + path, data=urlencode(data).encode(), method="POST"
        )
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
            return json.loads(resp.read())

    app = post(
        "/api/v1/apps",
        {"client_name": "Carepost", "redirect_uris": redirect_uri, "scopes": scopes},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    approve = urllib.request.Request(  # noqa: S310 - loopback only
        base_url + "/oauth/authorize",
        data=urlencode(
            {
                "client_id": app["client_id"],
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": scopes,
                "decision": "approve",
            }
        ).encode(),
        method="POST",
    )
    try:
        opener.open(approve, timeout=10)
        raise RuntimeError("The fake did not redirect after approval.")
    except urllib.error.HTTPError as exc:
        location = exc.headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    token = post(
        "/oauth/token",
        {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
            "redirect_uri": redirect_uri,
            "scope": scopes,
        },
    )
    return {
        "access_token": token["access_token"],
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
