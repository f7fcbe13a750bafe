"""The command line: ``carepost screen --image`` and ``carepost redact``."""

from __future__ import annotations

import io
import json

from PIL import Image

from carepost.screening.cli import main
from carepost.screening.photos import read_metadata

from . import samples
from .test_photos_text import badge

REGISTER = "id,full_name,preferred_name,aliases,service\nP05,Jamal Ahmed,Jamal,,Braeview\n"


def run(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    code = main(argv, out)
    return code, out.getvalue()


def test_screen_image_adds_photo_findings_to_the_json_report(tmp_path):
    photo = tmp_path / "badge.jpg"
    photo.write_bytes(badge(["Hello, my name is", "JAMAL AHMED"]))
    gps = tmp_path / "holiday.jpg"
    gps.write_bytes(samples.jpeg_with_everything(thumbnail=False))
    reg = tmp_path / "register.csv"
    reg.write_text(REGISTER)
    code, out = run(
        ["screen", "--image", str(photo), "--image", str(gps), "--register", str(reg), "--json"]
    )
    assert code == 0
    data = json.loads(out)
    assert data["verdict"] == "block"  # GPS until stripped
    person = [f for f in data["findings"] if f["check"] == "person"]
    assert person[0]["person_id"] == "P05" and person[0]["source"] == "image"
    assert person[0]["image"] == str(photo) and set(person[0]["box"]) == {"x", "y", "w", "h"}
    metadata = [f for f in data["findings"] if f["check"] == "metadata"]
    assert {f["image"] for f in metadata} == {str(gps)}
    assert any(f["code"] == "metadata.gps" and f["action"] == "block" for f in metadata)
    assert {"check", "code", "action", "start", "end", "text", "message", "source"} <= set(
        metadata[0]
    )
    assert [i["image"] for i in data["images"]] == [str(photo), str(gps)]


def test_screen_text_and_image_together_keep_the_text_findings(tmp_path):
    photo = tmp_path / "plain.png"
    photo.write_bytes(samples.png(samples.picture((60, 40))))
    code, out = run(["screen", "--image", str(photo), "--json", "Call 0141 496 0123"])
    data = json.loads(out)
    assert code == 0 and data["verdict"] == "review"
    (phone,) = data["findings"]
    assert phone["kind"] == "phone" and "source" not in phone and "image" not in phone


def test_screen_text_only_json_contract_is_unchanged():
    code, out = run(["screen", "--json", "all fine here"])
    assert code == 0 and json.loads(out) == {"verdict": "pass", "findings": []}


def test_screen_image_readable_output(tmp_path):
    photo = tmp_path / "anim.gif"
    photo.write_bytes(samples.animated_gif(3))
    code, out = run(["screen", "--image", str(photo)])
    assert code == 0 and "only its first frame is used" in out and out.startswith("verdict: pass")


def test_screen_bad_image_gives_a_clear_message_and_exit_code_2(tmp_path, capsys):
    fake = tmp_path / "holiday.jpg"
    fake.write_bytes(b"%PDF-1.7 not a photo")
    code, _ = run(["screen", "--image", str(fake), "--json"])
    err = capsys.readouterr().err
    assert code == 2 and "looks like a PDF" in err and "Traceback" not in err
    code, _ = run(["screen", "--image", str(tmp_path / "missing.jpg")])
    assert code == 2 and "cannot read the file" in capsys.readouterr().err


def test_redact_writes_a_clean_turned_copy_and_says_what_it_did(tmp_path):
    src = tmp_path / "in.jpg"
    src.write_bytes(samples.jpeg_with_everything((400, 300), orientation=6, thumbnail=False))
    dst = tmp_path / "out.jpg"
    code, out = run(["redact", str(src), "--out", str(dst)])
    assert code == 0
    assert "GPS position (where the photo was taken)" in out and "orientation applied" in out
    assert read_metadata(dst.read_bytes()) == []
    assert Image.open(dst).size == (300, 400)


def test_redact_blur_all_faces_obscures_them(tmp_path):
    from skimage import data

    src = tmp_path / "astronaut.png"
    Image.fromarray(data.astronaut()).save(src)
    dst = tmp_path / "out.jpg"
    code, out = run(["redact", str(src), "--out", str(dst), "--blur-all-faces"])
    assert code == 0 and "obscured 1 face(s)" in out
    from carepost.screening.photos import detect_faces

    assert detect_faces(Image.open(dst)) == []


def test_redact_bad_input_exits_2_without_a_traceback(tmp_path, capsys):
    src = tmp_path / "evil.jpg"
    src.write_bytes(samples.jpeg(samples.picture((40, 30))) + b"<script>alert(1)</script>")
    code, _ = run(["redact", str(src), "--out", str(tmp_path / "o.jpg")])
    err = capsys.readouterr().err
    assert code == 2 and "hidden web page or script" in err and "Traceback" not in err
    assert not (tmp_path / "o.jpg").exists()
