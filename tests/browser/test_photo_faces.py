"""Faces in a real browser: a group photo with two faces, one consented person, one blurred."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect
from skimage import data as skimage_data

from carepost.screening.photos import PhotoLimits, inspect
from tests.browser.conftest import assert_accessible, log_in

pytestmark = pytest.mark.django_db(transaction=True)

# Where the two faces are pasted: the left one is face 1, the right one face 2.
LEFT_AT, RIGHT_AT = (150, 230), (800, 230)
CROP = (130, 0, 330, 240)  # the astronaut's head and shoulders


def group_photo_with_gps() -> tuple[bytes, Image.Image]:
    astronaut = Image.fromarray(skimage_data.astronaut())
    head = astronaut.crop(CROP)
    background = Image.new("RGB", (1200, 700), (70, 110, 150))
    background.paste(head, LEFT_AT)
    background.paste(head.transpose(Image.Transpose.FLIP_LEFT_RIGHT), RIGHT_AT)
    exif = Image.Exif()
    exif[0x010F] = "TestCam"
    exif[0x8825] = {1: "N", 2: (55.0, 51.0, 0.0), 3: "W", 4: (4.0, 25.0, 0.0)}
    out = io.BytesIO()
    background.save(out, format="JPEG", quality=92, exif=exif)
    return out.getvalue(), background


def region(img: Image.Image, at: tuple[int, int]) -> np.ndarray:
    w, h = CROP[2] - CROP[0], CROP[3] - CROP[1]
    return np.asarray(img.convert("L").crop((at[0], at[1], at[0] + w, at[1] + h)), dtype=float)


def test_worker_blurs_one_face_and_links_the_other_then_the_news_page_shows_it(
    new_page: Any, alice: Any, rita: Any, website: Any, consented: Any, tmp_path: Any
) -> None:
    photo_bytes, original = group_photo_with_gps()
    photo_file = tmp_path / "garden-group.jpg"
    photo_file.write_bytes(photo_bytes)

    # The worker uploads the group photo and tags Nessie, who has consented.
    page = new_page()
    log_in(page, "alice", "pw-alice")
    page.get_by_role("link", name="Write a new post").click()
    page.get_by_label("What do you want to say?").fill("Our garden club planted sweet peas today.")
    page.get_by_label("Add photo 1").set_input_files(str(photo_file))
    page.get_by_label("Describe photo 1 (alt text)").fill("Two friends in the garden")
    page.get_by_label("Agnes Mary Baird (Nessie), Braeburn House").check()
    page.get_by_label("Website news").check()
    page.get_by_role("button", name="Save and check").click()
    expect(page.get_by_text("Draft saved and screened")).to_be_visible()

    # The check finishes (the page polls while it runs), and each face gets a choice.
    expect(page.get_by_text("2 faces found")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("1 person tagged")).to_be_visible()
    expect(page.get_by_text("GPS position removed before publishing")).to_be_visible()
    face1 = page.get_by_role("group", name="Face 1 in photo 1")
    face2 = page.get_by_role("group", name="Face 2 in photo 1")
    expect(face1).to_contain_text("Middle left")
    expect(face2).to_contain_text("Middle right")
    expect(page.locator(".face-box")).to_have_count(2)
    assert_accessible(page, "photo review")
    blockers = page.locator(".panel-warning")
    expect(blockers).to_contain_text("faces 1 and 2 need a choice")

    face1.get_by_label("This is Nessie").check()
    face2.get_by_label("Blur this face").check()
    page.get_by_role("button", name="Save face choices").click()
    expect(page.get_by_text("Face choices saved as a new version")).to_be_visible()
    expect(page.get_by_text("faces 1 and 2 need a choice")).to_have_count(0)
    expect(face1).to_contain_text("This is Nessie")

    # The preview is exactly the image that will be published.
    preview_src = page.get_by_role("img", name="Two friends in the garden").first.get_attribute(
        "src"
    )
    assert preview_src and "/published/" in preview_src
    preview = page.request.get(preview_src).body()
    assert_accessible(page, "photo review after choosing")
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_text("Sent for review")).to_be_visible()

    # The reviewer approves.
    reviewer = new_page()
    log_in(reviewer, "rita", "pw-rita")
    reviewer.goto(page.url)
    expect(
        reviewer.get_by_role("heading", name="Photos: faces and what the check found")
    ).to_be_visible()
    expect(
        reviewer.get_by_text("Face 2 (middle right): blurred in the published photo")
    ).to_be_visible()
    assert_accessible(reviewer, "photo review (reviewer)")
    reviewer.get_by_role("button", name="Approve and publish").click()
    expect(reviewer.get_by_text("Approved.")).to_be_visible()

    # The news page shows the photo: no metadata, face 2 blurred, face 1 intact.
    public = new_page()
    public.goto("/news/thistle/")
    img = public.get_by_role("img", name="Two friends in the garden")
    expect(img).to_be_visible()
    published = public.request.get(img.get_attribute("src") or "").body()
    assert published == preview
    with Image.open(io.BytesIO(published)) as pub:
        assert not pub.getexif()
        assert set(pub.info) <= {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi"}
        assert not [m for m, _ in getattr(pub, "applist", []) if m != "APP0"]
        published_img = pub.convert("RGB")
    assert b"Exif" not in published and b"TestCam" not in published
    exiftool = shutil.which("exiftool")
    if exiftool:
        out_file = tmp_path / "published.jpg"
        out_file.write_bytes(published)
        tags = json.loads(
            subprocess.run(
                [exiftool, "-j", "-G", "-a", str(out_file)],
                capture_output=True,
                check=True,
                text=True,
            ).stdout
        )[0]
        groups = {key.split(":", 1)[0] for key in tags}
        assert not groups & {"EXIF", "GPS", "XMP", "IPTC", "ICC_Profile", "MakerNotes"}, tags
        assert not any("GPS" in key for key in tags)

    faces = inspect(published, limits=PhotoLimits(), faces=True, ocr=False).faces
    centres = [(b.x + b.w / 2, b.y + b.h / 2) for b in faces]
    assert any(cx < 600 for cx, _ in centres), f"face 1 should still be found: {faces}"
    assert not any(cx > 600 for cx, _ in centres), f"face 2 should be blurred: {faces}"
    left_change = np.abs(region(published_img, LEFT_AT) - region(original, LEFT_AT)).mean()
    right_change = np.abs(region(published_img, RIGHT_AT) - region(original, RIGHT_AT)).mean()
    assert left_change < 6, left_change
    assert right_change > 4 * left_change and right_change > 12, (left_change, right_change)
