"""Facebook Page connector: publish to, delete from and check a Page via the Graph API.

- Text only: `POST /{page-id}/feed` with `message` (and `link`, the first web address in
  the text, so Facebook shows a preview).
- One photo: `POST /{page-id}/photos` with the image as `source` and the text as `caption`;
  the answer's `post_id` is the post.
- Several photos: each is staged with `published=false`, then one `POST /{page-id}/feed`
  attaches them (`attached_media[i]={"media_fbid": id}`). If anything fails after staging,
  the staged photos are deleted so no unpublished copies of people's photos are left on
  Facebook; if that clean-up fails too, the error says so.

Alt text: the Graph API has no alt-text field for Page photos (Facebook generates its own
"automatic alt text"), so the alt text written in Carepost cannot be sent. It stays with
the post in Carepost and on the website channel.

Photos are sent exactly as the post's clean copies; only an image over Facebook's 4 MB
limit is re-encoded (highest JPEG quality that fits, shrinking only if it must).

The Page token lives in `channel.credentials["page_access_token"]`; it is sent in the
Authorization header and never appears in a message.
"""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.utils import timezone

from carepost.publishing.connectors.base import (
    ConnectorError,
    DeleteResult,
    ErrorKind,
    Limits,
    PublishResult,
    RemoteState,
)
from carepost.publishing.connectors.facebook.graph import (
    Graph,
    error_from_response,
    is_not_found,
)
from carepost.publishing.models import Channel, Publication

IMAGE_MAX_BYTES = 4 * 1024 * 1024
# How long after the send was claimed a post may take to show in the Page's feed before
# Carepost concludes that it never went out.
FIND_GRACE = timedelta(minutes=2)
FIND_MAX_PAGES = 20
URL_PATTERN = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)


def first_link(text: str) -> str:
    """The first web address in the text, without trailing punctuation."""
    match = URL_PATTERN.search(text)
    return match.group(0).rstrip(".,;:!?)]}") if match else ""


def fit_image(
    data: bytes, content_type: str, max_bytes: int = IMAGE_MAX_BYTES
) -> tuple[bytes, str]:
    """The image unchanged if it fits; otherwise the best-quality JPEG that does."""
    if len(data) <= max_bytes:
        return data, content_type
    from PIL import Image

    with Image.open(io.BytesIO(data)) as opened:
        opened.load()
        image: Image.Image = opened
        if image.mode in ("RGBA", "LA", "P"):
            rgba = image.convert("RGBA")
            image = Image.new("RGB", rgba.size, (255, 255, 255))
            image.paste(rgba, mask=rgba.getchannel("A"))
        elif image.mode != "RGB":
            image = image.convert("RGB")
    width, height = image.size
    for scale in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3):
        candidate = (
            image
            if scale == 1.0
            else image.resize(
                (max(1, round(width * scale)), max(1, round(height * scale))),
                Image.Resampling.LANCZOS,
            )
        )
        best: bytes | None = None
        low, high = 70, 95
        while low <= high:  # the highest quality that fits
            quality = (low + high) // 2
            out = io.BytesIO()
            candidate.save(out, format="JPEG", quality=quality, optimize=True)
            if out.tell() <= max_bytes:
                best, low = out.getvalue(), quality + 1
            else:
                high = quality - 1
        if best is not None:
            return best, "image/jpeg"
    raise ConnectorError(
        ErrorKind.PERMANENT,
        "A photo is too large for Facebook (over 4 MB) even after compressing it. "
        "Use a smaller photo.",
    )


class FacebookConnector:
    limits = Limits(
        text_max=63206,
        text_unit="characters",
        max_images=10,
        image_max_bytes=IMAGE_MAX_BYTES,
        deletion_note=(
            "Facebook deletes the post from the Page. Shares and screenshots made before "
            "deletion are beyond reach."
        ),
    )

    def __init__(self, channel: Channel) -> None:
        self.channel = channel

    # -- helpers ----------------------------------------------------------------------
    @property
    def page_id(self) -> str:
        page_id = str(self.channel.config.get("page_id") or "")
        if not page_id:
            raise ConnectorError(
                ErrorKind.AUTH, "This channel has no Facebook Page set. Reconnect it."
            )
        return page_id

    def _graph(self) -> Graph:
        # The Graph version comes from settings (CAREPOST_FACEBOOK_GRAPH_VERSION), so one
        # change moves every Page to a new version before Meta retires the old one;
        # config["graph_version"] only records the version used when it was connected.
        token = self.channel.credentials.get("page_access_token", "")
        if not token:
            raise ConnectorError(
                ErrorKind.AUTH, "This channel has no Facebook access. Reconnect the Page."
            )
        return Graph(token=token)

    @staticmethod
    def _fallback_url(post_id: str) -> str:
        return f"https://www.facebook.com/{post_id}"

    def _permalink(self, graph: Graph, post_id: str) -> str:
        """The post's address; a failed look-up must not turn a success into an error."""
        try:
            response = graph.call("GET", post_id, params={"fields": "permalink_url"})
            url = graph.json(response).get("permalink_url")
        except ConnectorError:
            url = None
        return (
            str(url)
            if isinstance(url, str) and url.startswith("https://")
            else (self._fallback_url(post_id))
        )

    # -- publish ----------------------------------------------------------------------
    def publish(self, publication: Publication) -> PublishResult:
        text = publication.revision.text
        photos = sorted(publication.revision.photos.all(), key=lambda photo: photo.position)
        if len(text) > self.limits.text_max:
            raise ConnectorError(
                ErrorKind.PERMANENT,
                f"The text is longer than Facebook allows ({self.limits.text_max} characters).",
            )
        if len(photos) > self.limits.max_images:
            raise ConnectorError(
                ErrorKind.PERMANENT,
                f"Facebook takes at most {self.limits.max_images} photos in one post.",
            )
        # Read (and if need be shrink) every photo before anything is sent.
        images = []
        for position, photo in enumerate(photos, start=1):
            data, content_type = fit_image(*photo.published_image())
            extension = "png" if content_type == "image/png" else "jpg"
            images.append((f"photo-{position}.{extension}", data, content_type))
        page_id = self.page_id
        with self._graph() as graph:
            if not images:
                fields = {"message": text}
                if link := first_link(text):
                    fields["link"] = link
                response = graph.call("POST", f"{page_id}/feed", creating=True, data=fields)
                post_id = self._id_from(graph, response, "id")
            elif len(images) == 1:
                response = graph.call(
                    "POST",
                    f"{page_id}/photos",
                    creating=True,
                    data={"caption": text, "published": "true"},
                    files={"source": images[0]},
                )
                body = graph.json(response)
                post_id = str(body.get("post_id") or body.get("id") or "")
                if not post_id:
                    raise ConnectorError(
                        ErrorKind.UNKNOWN,
                        "Facebook accepted the photo but did not say which post it made. "
                        "Carepost is checking.",
                    )
            else:
                return self._publish_album(graph, publication, page_id, text, images)
            return PublishResult(external_id=post_id, url=self._permalink(graph, post_id))

    def _id_from(self, graph: Graph, response: httpx.Response, key: str) -> str:
        value = graph.json(response).get(key)
        if not value:
            raise ConnectorError(
                ErrorKind.UNKNOWN,
                "Facebook answered without the new post's id, so Carepost is checking "
                "whether it went out.",
            )
        return str(value)

    def _publish_album(
        self,
        graph: Graph,
        publication: Publication,
        page_id: str,
        text: str,
        images: list[tuple[str, bytes, str]],
    ) -> PublishResult:
        staged: list[str] = []
        final_sent = False
        try:
            for image in images:
                # Staging is not publishing: an unpublished photo is not on the Page, so
                # a failure here is safe to retry (after the clean-up below).
                response = graph.call(
                    "POST",
                    f"{page_id}/photos",
                    data={"published": "false"},
                    files={"source": image},
                )
                staged.append(self._id_from(graph, response, "id"))
            fields = {"message": text}
            for i, media_id in enumerate(staged):
                fields[f"attached_media[{i}]"] = json.dumps({"media_fbid": media_id})
            final_sent = True
            response = graph.call("POST", f"{page_id}/feed", creating=True, data=fields)
            post_id = self._id_from(graph, response, "id")
        except ConnectorError as exc:
            if not staged:
                raise
            if final_sent and exc.kind == ErrorKind.UNKNOWN:
                # The post may exist and use the staged photos: look before removing them.
                try:
                    found = self._search_feed(graph, publication, page_id, text)
                except ConnectorError:
                    raise ConnectorError(
                        ErrorKind.UNKNOWN,
                        f"{exc.message} The {len(staged)} photos uploaded for it are left on "
                        "Facebook, unpublished, until Carepost knows whether the post went "
                        f"out (photo ids {', '.join(staged)}).",
                    ) from exc
                if found is not None:
                    return found
            raise ConnectorError(
                exc.kind, f"{exc.message} {self._remove_staged(graph, staged)}", exc.retry_after
            ) from exc
        return PublishResult(external_id=post_id, url=self._permalink(graph, post_id))

    def _remove_staged(self, graph: Graph, staged: list[str]) -> str:
        """Delete staged photos; say in plain words what happened to them."""
        left = []
        for media_id in staged:
            try:
                response = graph.raw("DELETE", media_id)
            except ConnectorError:
                left.append(media_id)
                continue
            if not response.is_success and not is_not_found(response):
                left.append(media_id)
        if not left:
            return f"The {len(staged)} photos uploaded for it were removed from Facebook."
        return (
            f"Carepost could not remove {len(left)} of the photos it had uploaded for this "
            "post; they are on Facebook but not published on the Page. A Page administrator "
            f"should delete them (photo ids {', '.join(left)})."
        )

    # -- reconcile --------------------------------------------------------------------
    def find_published(self, publication: Publication) -> PublishResult | None:
        """After an unknown outcome: find the post in the Page's feed by its exact text.

        Facebook has no idempotency key, so the only evidence is the feed. A post that
        is not there yet may still appear (Facebook can finish a create after the
        connection dropped, and the feed can lag), so "not sent" is only concluded two
        minutes after the send was claimed; until then the answer is "cannot tell yet".
        Residual risk: a create that Facebook completes later than that, or a post with
        identical text made on the Page by other means in the same window, can be
        mistaken; the outbox then shows a duplicate or a wrong link, never a silent loss.
        """
        page_id = self.page_id
        with self._graph() as graph:
            found = self._search_feed(graph, publication, page_id, publication.revision.text)
        if found is not None:
            return found
        claimed = publication.claimed_at
        if claimed is not None and timezone.now() - claimed < FIND_GRACE:
            raise ConnectorError(
                ErrorKind.UNKNOWN,
                "The post is not on the Facebook Page yet; Carepost will check again shortly.",
            )
        return None

    def _search_feed(
        self, graph: Graph, publication: Publication, page_id: str, text: str
    ) -> PublishResult | None:
        since, until = self._window(publication)
        wanted = text.strip()
        params: dict[str, str | int] = {
            "fields": "id,message,created_time,permalink_url",
            "since": int(since.timestamp()),
            "until": int(until.timestamp()) + 1,
            "limit": 100,
        }
        response = graph.call("GET", f"{page_id}/feed", params=params)
        matches = []
        for _ in range(FIND_MAX_PAGES):
            body = graph.json(response)
            for item in body.get("data") or []:
                if isinstance(item, dict) and str(item.get("message") or "").strip() == wanted:
                    matches.append(item)
            next_url = (body.get("paging") or {}).get("next")
            if not body.get("data") or not isinstance(next_url, str):
                break
            if not next_url.startswith(graph.base):
                break
            response = graph.call("GET", "", absolute_url=next_url)
        else:
            raise ConnectorError(
                ErrorKind.TRANSIENT, "The Page has too many recent posts to check at once."
            )
        if not matches:
            return None
        item = matches[-1]  # the feed is newest first: the earliest match is ours
        post_id = str(item["id"])
        url = item.get("permalink_url")
        return PublishResult(
            external_id=post_id,
            url=str(url) if isinstance(url, str) and url else self._fallback_url(post_id),
        )

    @staticmethod
    def _window(publication: Publication) -> tuple[datetime, datetime]:
        """The time window around the send whose outcome is unknown.

        Only the latest attempt can be unknown (an earlier one ended in a definite answer
        or was reconciled), so its claim bounds the search: from a minute before it (the
        two clocks may disagree), to the request timeout plus the grace period after it
        (a create Facebook finishes later is the residual risk ``find_published`` names).
        A busy Page's feed is then read a page or two, not from the publication's
        creation onwards.
        """
        claimed = publication.claimed_at or publication.created_at or timezone.now()
        after = timedelta(seconds=settings.CAREPOST_CONNECTOR_TIMEOUT) + FIND_GRACE
        return claimed - timedelta(seconds=60), claimed + after

    # -- delete and status ------------------------------------------------------------
    def delete(self, external_id: str) -> DeleteResult:
        with self._graph() as graph:
            response = graph.raw("DELETE", external_id)
        if response.is_success:
            return DeleteResult(outcome="deleted", detail="Deleted from the Facebook Page.")
        if is_not_found(response):
            return DeleteResult(
                outcome="already_gone", detail="It was no longer on the Facebook Page."
            )
        raise error_from_response(response, creating=False)

    def status(self, external_id: str) -> RemoteState:
        with self._graph() as graph:
            response = graph.raw("GET", external_id, params={"fields": "id"})
        if response.is_success:
            return RemoteState.LIVE
        if is_not_found(response):
            return RemoteState.GONE
        raise error_from_response(response, creating=False)
