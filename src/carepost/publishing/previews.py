"""How a post will look on each of its channels: a pure function, no database.

`build_previews` takes the text, the photos (their size and description) and the
channels, and returns one `ChannelPreview` per channel: the text as the platform will
show it, its length counted the platform's way against the platform's limit, how the
photos are framed (cropped or whole), whether a link card appears, and warnings in
plain English. `platform_problems` is the part that blocks: text over a platform's
limit, or more photos than it takes; `posts/gates.py` adds those to the approval and
publishing checks, so a post that a platform would refuse is never approved for it.

The limits come from each connector (`Limits`, via `limits_for(kind)`); how each
platform frames photos and link cards is described in `DISPLAY` below and in
docs/decisions/0040-platform-previews.md.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from carepost.publishing.connectors.base import Limits

# The same link pattern the connectors use to find a post's first link.
URL_PATTERN = re.compile(r"https?://[^\s<>\"']+", re.IGNORECASE)
# Mastodon shows (and counts) a mention of @user@other.server as "@user".
_MENTION_DOMAIN = re.compile(r"(?<![\w@])@(\w+)@[\w.-]+\w")

Ratio = tuple[int, int]


@dataclass(frozen=True)
class PhotoInfo:
    alt_text: str
    width: int
    height: int
    size_bytes: int | None = None
    url: str = ""  # where staff can see the photo (never public)


@dataclass(frozen=True)
class ChannelInfo:
    pk: int
    name: str
    kind: str
    kind_label: str


@dataclass(frozen=True)
class Display:
    """How a platform shows a post (its web app, as most readers see it)."""

    # Frame of each photo for 1, 2, 3, 4… photos; None means shown whole.
    frames: Callable[[int], list[Ratio | None]]
    layout: Callable[[int], str]
    # A card with the link's title and picture is built from the first link…
    link_card: bool = False
    # …but only when the post has no photos.
    link_card_only_without_photos: bool = True
    link_card_note: str = ""
    # Every link counts as this many characters (Mastodon), or None: counted as typed.
    url_length: int | None = None
    mentions_count_user_only: bool = False
    text_max_bytes: int | None = None  # a second limit in UTF-8 bytes (Bluesky)
    alt_text_note: str = ""  # when the platform does not take Carepost's descriptions


def _whole(n: int) -> list[Ratio | None]:
    return [None] * n


def _mastodon_frames(n: int) -> list[Ratio | None]:
    # The web app fits one to four photos into a 16:9 box.
    if n == 2:
        return [(8, 9), (8, 9)]
    if n == 3:
        return [(8, 9), (16, 9), (16, 9)]
    return [(16, 9)] * n


def _bluesky_frames(n: int) -> list[Ratio | None]:
    # One photo keeps its shape; two sit side by side as squares; three are one square
    # and two wide halves; four make a two-by-two grid.
    if n == 1:
        return [None]
    if n == 2:
        return [(1, 1), (1, 1)]
    if n == 3:
        return [(1, 1), (2, 1), (2, 1)]
    return [(3, 2)] * n


def _facebook_frames(n: int) -> list[Ratio | None]:
    # One photo is shown whole; several make a grid of squares, five at most in view.
    return [None] if n == 1 else [(1, 1)] * n


DISPLAY: dict[str, Display] = {
    "website": Display(
        frames=_whole,
        layout=lambda n: "Every photo is shown whole, one under another, with its description.",
    ),
    "mastodon": Display(
        frames=_mastodon_frames,
        layout=lambda n: (
            "In timelines a single photo is cropped to a wide 16:9 frame; people see the "
            "whole photo when they open it."
            if n == 1
            else "In timelines the photos share one 16:9 frame, so each is cropped; people "
            "see each whole photo when they open it."
        ),
        link_card=True,
        link_card_note="Mastodon builds the card itself from the linked page.",
        url_length=23,
        mentions_count_user_only=True,
    ),
    "bluesky": Display(
        frames=_bluesky_frames,
        layout=lambda n: (
            "A single photo keeps its own shape."
            if n == 1
            else "The photos are cropped to fit a grid; people see each whole photo when "
            "they open it."
        ),
        # Carepost sends the link as a clickable link in the text, without a card.
        link_card=False,
        text_max_bytes=3000,
    ),
    "facebook": Display(
        frames=_facebook_frames,
        layout=lambda n: (
            "A single photo is shown whole."
            if n == 1
            else "The photos are shown as a grid of cropped squares"
            + (f"; only the first 5 are in view, with “+{n - 5}” on the fifth." if n > 5 else ".")
        ),
        link_card=True,
        link_card_note="Facebook builds the card itself from the linked page.",
        alt_text_note=(
            "Facebook does not accept Carepost's photo descriptions: it writes its own "
            "automatic ones. Say what matters about the photos in the text."
        ),
    ),
}
DEFAULT_DISPLAY = Display(frames=_whole, layout=lambda n: "")


@dataclass(frozen=True)
class PreviewWarning:
    code: str
    message: str
    blocking: bool = False


@dataclass(frozen=True)
class ImagePreview:
    photo: PhotoInfo
    position: int  # 1-based
    frame: Ratio | None  # None: shown whole
    included: bool  # False: over the platform's photo limit
    description: str  # the text alternative of the framing, for everyone

    @property
    def frame_css(self) -> str:
        return f"{self.frame[0]} / {self.frame[1]}" if self.frame else ""


@dataclass(frozen=True)
class LinkCard:
    url: str
    domain: str


@dataclass(frozen=True)
class ChannelPreview:
    channel: ChannelInfo
    available: bool
    text: str = ""
    count: int = 0
    limit: int | None = None
    unit: str = "characters"
    count_note: str = ""
    images: list[ImagePreview] = field(default_factory=list)
    layout: str = ""
    link_card: LinkCard | None = None
    link_note: str = ""
    warnings: list[PreviewWarning] = field(default_factory=list)
    deletion_note: str = ""

    @property
    def over_by(self) -> int:
        return max(0, self.count - self.limit) if self.limit is not None else 0

    @property
    def blocked(self) -> bool:
        return any(w.blocking for w in self.warnings)

    @property
    def percent(self) -> int:
        if not self.limit:
            return 0
        return min(100, round(100 * self.count / self.limit))


def _default_limits(kind: str) -> Limits | None:
    """The connector's limits; None when it is not installed (or, in tests, has none)."""
    from carepost.common.errors import ValidationFailed
    from carepost.publishing.connectors.registry import connector_class

    try:
        limits = getattr(connector_class(kind), "limits", None)
    except ValidationFailed:
        return None
    return limits if isinstance(limits, Limits) else None


def grapheme_count(text: str) -> int:
    """What a reader sees as one character (Bluesky counts these)."""
    try:
        from carepost.publishing.connectors.bluesky.text import grapheme_count as count
    except ImportError:  # pragma: no cover - counting code points only ever over-counts
        return len(text)
    return count(text)


def text_length(text: str, *, kind: str, limits: Limits) -> int:
    """The text's length as the platform counts it, in `limits.text_unit`."""
    display = DISPLAY.get(kind, DEFAULT_DISPLAY)
    counted = text
    if display.url_length is not None:
        counted = URL_PATTERN.sub("x" * display.url_length, counted)
    if display.mentions_count_user_only:
        counted = _MENTION_DOMAIN.sub(r"@\1", counted)
    if limits.text_unit == "graphemes":
        return grapheme_count(counted)
    return len(counted)


def first_link(text: str) -> str:
    match = URL_PATTERN.search(text)
    return match.group(0).rstrip(".,;:!?)]}") if match else ""


def _unit_name(unit: str, count: int) -> str:
    # Graphemes are what a reader calls characters, so both read as "characters".
    return "character" if count == 1 else "characters"


def _framing(photo: PhotoInfo, frame: Ratio | None) -> str:
    """Which part of the photo is hidden by the frame, in words."""
    if frame is None or photo.width <= 0 or photo.height <= 0:
        return "Shown whole."
    photo_ratio = photo.width / photo.height
    frame_ratio = frame[0] / frame[1]
    name = f"{frame[0]}:{frame[1]}"
    if abs(photo_ratio - frame_ratio) / frame_ratio < 0.03:
        return f"Fits the {name} frame: nothing is cut off."
    if photo_ratio > frame_ratio:
        hidden = round(100 * (1 - frame_ratio / photo_ratio))
        return f"Cropped to {name}: about {hidden}% is cut off at the left and right edges."
    hidden = round(100 * (1 - photo_ratio / frame_ratio))
    return f"Cropped to {name}: about {hidden}% is cut off at the top and bottom."


def _problems(
    *, text: str, n_photos: int, channel: ChannelInfo, limits: Limits
) -> tuple[int, list[PreviewWarning]]:
    """The length as counted, and what would make the platform refuse the post."""
    display = DISPLAY.get(channel.kind, DEFAULT_DISPLAY)
    count = text_length(text, kind=channel.kind, limits=limits)
    found: list[PreviewWarning] = []
    if count > limits.text_max:
        over = count - limits.text_max
        found.append(
            PreviewWarning(
                f"text_too_long_{channel.kind}",
                f"The text is too long for {channel.name}: {count} of "
                f"{limits.text_max} {_unit_name(limits.text_unit, limits.text_max)}. "
                f"Shorten it by {over} {_unit_name(limits.text_unit, over)}, or do not "
                f"publish it on {channel.name}.",
                blocking=True,
            )
        )
    elif display.text_max_bytes and len(text.encode("utf-8")) > display.text_max_bytes:
        found.append(
            PreviewWarning(
                f"text_too_long_{channel.kind}",
                f"The text is too long for {channel.name}: it has many emoji or special "
                "characters, which count extra. Shorten it, or do not publish it on "
                f"{channel.name}.",
                blocking=True,
            )
        )
    if n_photos > limits.max_images:
        found.append(
            PreviewWarning(
                f"too_many_photos_{channel.kind}",
                f"{channel.name} takes at most {limits.max_images} photos in one post and "
                f"this post has {n_photos}. Remove {n_photos - limits.max_images}, or do not "
                f"publish it on {channel.name}.",
                blocking=True,
            )
        )
    return count, found


def platform_problems(
    *,
    text: str,
    n_photos: int,
    channels: Sequence[ChannelInfo],
    limits_of: Callable[[str], Limits | None] = _default_limits,
) -> list[PreviewWarning]:
    """Only the blocking problems, for the approval and publishing checks."""
    found: list[PreviewWarning] = []
    for channel in channels:
        limits = limits_of(channel.kind)
        if limits is None:
            continue  # no connector: the send fails with its own clear message
        found.extend(
            w
            for w in _problems(text=text, n_photos=n_photos, channel=channel, limits=limits)[1]
            if w.blocking
        )
    return found


def build_previews(
    *,
    text: str,
    photos: Sequence[PhotoInfo],
    channels: Sequence[ChannelInfo],
    limits_of: Callable[[str], Limits | None] = _default_limits,
) -> list[ChannelPreview]:
    previews = []
    for channel in channels:
        limits = limits_of(channel.kind)
        if limits is None:
            previews.append(ChannelPreview(channel=channel, available=False))
            continue
        previews.append(_preview(text=text, photos=photos, channel=channel, limits=limits))
    return previews


def _preview(
    *, text: str, photos: Sequence[PhotoInfo], channel: ChannelInfo, limits: Limits
) -> ChannelPreview:
    display = DISPLAY.get(channel.kind, DEFAULT_DISPLAY)
    count, warnings = _problems(text=text, n_photos=len(photos), channel=channel, limits=limits)
    notes = []
    if display.url_length is not None and URL_PATTERN.search(text):
        notes.append(f"Every link counts as {display.url_length} characters, however long.")
    if limits.text_unit == "graphemes":
        notes.append("Counted as readers see them: an emoji or an accented letter counts as one.")
    if not warnings and limits.text_max and count > 0.9 * limits.text_max:
        warnings.append(
            PreviewWarning(
                "text_nearly_full",
                f"Nearly at {channel.name}'s limit: {limits.text_max - count} "
                f"{_unit_name(limits.text_unit, limits.text_max - count)} left.",
            )
        )

    included = photos[: limits.max_images]
    frames = display.frames(len(included)) if included else []
    images = [
        ImagePreview(
            photo=photo,
            position=i + 1,
            frame=frames[i] if i < len(frames) else None,
            included=i < len(included),
            description=_framing(photo, frames[i] if i < len(frames) else None)
            if i < len(included)
            else f"Not sent: {channel.name} takes at most {limits.max_images} photos.",
        )
        for i, photo in enumerate(photos)
    ]
    if limits.image_max_bytes:
        big = [
            i + 1
            for i, p in enumerate(included)
            if p.size_bytes is not None and p.size_bytes > limits.image_max_bytes
        ]
        if big:
            numbers = ", ".join(str(n) for n in big)
            warnings.append(
                PreviewWarning(
                    "photo_shrunk",
                    f"Photo {numbers} {'is' if len(big) == 1 else 'are'} larger than "
                    f"{channel.name} accepts ({_size(limits.image_max_bytes)}). Carepost "
                    "will send a smaller copy of the same picture.",
                )
            )

    if included and display.alt_text_note:
        warnings.append(PreviewWarning("alt_text_not_sent", display.alt_text_note))

    link = first_link(text)
    card = None
    link_note = ""
    if link:
        if display.link_card and not (display.link_card_only_without_photos and photos):
            card = LinkCard(url=link, domain=urlsplit(link).hostname or link)
            link_note = display.link_card_note
        elif display.link_card:
            link_note = (
                f"The link stays clickable in the text; {channel.name} shows no link card "
                "on a post with photos."
            )
        else:
            link_note = f"The link is clickable in the text; {channel.name} shows no link card."

    return ChannelPreview(
        channel=channel,
        available=True,
        text=text,
        count=count,
        limit=limits.text_max,
        unit=limits.text_unit,
        count_note=" ".join(notes),
        images=images,
        layout=display.layout(len(included)) if included else "",
        link_card=card,
        link_note=link_note,
        warnings=warnings,
        deletion_note=limits.deletion_note,
    )


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):.0f} MB"
    return f"{n / 1000:.0f} KB"
