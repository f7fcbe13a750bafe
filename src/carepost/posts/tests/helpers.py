"""Small builders for post tests, going through the real services."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from carepost.posts.models import AnalysisState, Photo, Post
from carepost.posts.photo_services import photo_analyse
from carepost.posts.services import DraftInput, PhotoInput, post_create, post_submit
from carepost.review.services import review_approve


def jpeg_with_gps(size: tuple[int, int] = (64, 48)) -> bytes:
    img = Image.new("RGB", size, (120, 160, 90))
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x8825] = {1: "N", 2: (55.0, 51.0, 0.0), 3: "W", 4: (4.0, 25.0, 0.0)}
    out = io.BytesIO()
    img.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def draft(
    author: Any, channel: Any, text: str = "Our garden club planted sweet peas today.", **kw: Any
) -> Post:
    photos = kw.pop("photos", ())
    post = post_create(
        membership=author,
        draft=DraftInput(text=text, channels=[channel], photos=photos, **kw),
    )
    analyse_pending(post)
    return post


def analyse_pending(post: Post) -> None:
    """What the task worker does after the commit (tests run inside one transaction)."""
    for photo in Photo.objects.filter(
        uses__revision__post=post, analysis_state=AnalysisState.PENDING
    ).distinct():
        photo_analyse(photo_id=photo.pk)


def submitted(
    author: Any, channel: Any, text: str = "Our garden club planted sweet peas today.", **kw: Any
) -> Post:
    post = draft(author, channel, text, **kw)
    return post_submit(membership=author, post=post, expected_version=post.version)


def approved(author: Any, reviewer: Any, channel: Any, **kw: Any) -> Post:
    post = submitted(author, channel, **kw)
    assert post.current_revision_id is not None
    return review_approve(
        membership=reviewer,
        post=post,
        revision_id=post.current_revision_id,
        expected_version=post.version,
    )


def photo(alt: str = "Sweet peas in a raised bed") -> PhotoInput:
    return PhotoInput(alt_text=alt, data=jpeg_with_gps(), name="peas.jpg")
