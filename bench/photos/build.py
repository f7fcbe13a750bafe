"""Build the photo evaluation set, deterministically, from images shipped in packages.

    .venv/bin/python bench/photos/build.py [OUT_DIR]      # default var/bench-photos

Sources (scikit-image 0.26 bundled data, BSD-3 package; astronaut is NASA public domain,
LFW is research data): astronaut and camera (people), 100 LFW face crops and 100 LFW
non-face patches, coffee, rocket, chelsea (a cat: a hard negative), motorcycle, brick,
grass, gravel, coins, horse, hubble, ihc, moon, page, text. Names come from a synthetic
register (Faker en_GB, seeded). Fonts: DejaVu from Debian if present, else Pillow's
scalable default font.

Writes OUT_DIR/*.jpg (4000x3000, 12 MP) and OUT_DIR/manifest.json with the ground truth:
face boxes in displayed (oriented) coordinates, rendered names and plates, GPS.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parents[2]
SKIMAGE = None
W, H = 4000, 3000
GROUPS = 24  # group photos with faces
NEGATIVES = 12  # scenes without faces (cat, objects, documents)
SIGNS = 16  # badges, door signs, banners, number plates

# Face boxes in the scikit-image source images (x, y, w, h), set by hand from the
# pictures (eyebrows to chin, ear to ear), and the head-and-shoulders crop to paste.
ASTRONAUT_FACE = (180, 60, 92, 118)
ASTRONAUT_CROP = (90, 0, 370, 300)
CAMERA_FACE = (200, 118, 60, 80)
CAMERA_CROP = (130, 40, 330, 330)


def skimage_data(name: str) -> np.ndarray:
    from skimage import io as skio
    from skimage.data import data_dir

    image = skio.imread(str(Path(data_dir) / name))
    if image.ndim == 2:
        image = np.stack([image] * 3, -1)
    return np.ascontiguousarray(image[:, :, :3]).astype(np.uint8)


def lfw() -> np.ndarray:
    from skimage.data import data_dir

    return np.load(Path(data_dir) / "lfw_subset.npy")


def font(size: int, bold: bool = True) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
        if bold
        else "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)  # scalable (FreeType) in Pillow >= 10.1


def background(rng: random.Random, names: list[str]) -> np.ndarray:
    name = rng.choice(names)
    src = skimage_data(name)
    h, w = src.shape[:2]
    scale = max(W / w, H / h) * rng.uniform(1.0, 1.3)
    big = cv2.resize(
        src, (math.ceil(w * scale), math.ceil(h * scale)), interpolation=cv2.INTER_CUBIC
    )
    y0 = rng.randint(0, big.shape[0] - H)
    x0 = rng.randint(0, big.shape[1] - W)
    out = big[y0 : y0 + H, x0 : x0 + W].astype(np.int16)
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, 6, out.shape)
    return np.clip(out + noise, 0, 255).astype(np.uint8)


def person_patch(
    rng: random.Random, faces: np.ndarray
) -> tuple[Image.Image, tuple[float, float, float, float], str]:
    """A head-and-shoulders patch and the face box inside it."""
    kind = rng.choices(["astronaut", "camera", "lfw"], weights=[4, 2, 4])[0]
    if kind == "astronaut":
        src = Image.fromarray(skimage_data("astronaut.png"))
        crop, face = ASTRONAUT_CROP, ASTRONAUT_FACE
    elif kind == "camera":
        src = Image.fromarray(skimage_data("camera.png"))
        crop, face = CAMERA_CROP, CAMERA_FACE
    else:
        tile = (faces[rng.randrange(100)] * 255).astype(np.uint8)
        tint = np.array([rng.uniform(0.85, 1.1), rng.uniform(0.75, 0.95), rng.uniform(0.6, 0.85)])
        rgb = np.clip(np.stack([tile] * 3, -1) * tint, 0, 255).astype(np.uint8)
        big = cv2.resize(rgb, (100, 100), interpolation=cv2.INTER_CUBIC)
        # pad with a plain "hair and clothes" frame so the face is not cut at the patch edge
        canvas = Image.new("RGB", (160, 190), tuple(rng.randint(20, 120) for _ in range(3)))
        canvas.paste(Image.fromarray(big), (30, 35))
        return canvas, (30, 35, 100, 100), kind
    patch = src.crop(crop)
    fx, fy, fw, fh = face
    return patch, (fx - crop[0], fy - crop[1], fw, fh), kind


def paste_person(
    canvas: Image.Image, rng: random.Random, faces: np.ndarray, face_h: int, at: tuple[int, int]
) -> tuple[list[float], str]:
    patch, (fx, fy, fw, fh), kind = person_patch(rng, faces)
    scale = face_h / fh
    patch = patch.resize(
        (max(1, round(patch.width * scale)), max(1, round(patch.height * scale))),
        Image.Resampling.LANCZOS,
    )
    fx, fy, fw, fh = fx * scale, fy * scale, fw * scale, fh * scale
    if rng.random() < 0.35:
        patch = patch.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        fx = patch.width - fx - fw
    angle = rng.uniform(-15, 15)
    if abs(angle) > 1:
        # rotate about the face centre; the face box grows to the rotated box's bounds
        cx, cy = fx + fw / 2, fy + fh / 2
        patch = patch.rotate(
            angle, resample=Image.Resampling.BICUBIC, center=(cx, cy), fillcolor=None
        )
        a = math.radians(abs(angle))
        nw = fw * math.cos(a) + fh * math.sin(a)
        nh = fw * math.sin(a) + fh * math.cos(a)
        fx, fy, fw, fh = cx - nw / 2, cy - nh / 2, nw, nh
    mask = Image.new("L", patch.size, 0)
    ImageDraw.Draw(mask).ellipse((0, 0, patch.width - 1, patch.height * 1.6), fill=255)
    mask = mask.filter(ImageFilter.GaussianBlur(max(1, patch.width // 30)))
    if rng.random() < 0.5:  # lighting
        gain = rng.uniform(0.7, 1.2)
        patch = Image.eval(patch, lambda v: min(255, int(v * gain)))
    x, y = at
    canvas.paste(patch, (x, y), mask)
    return [round(x + fx), round(y + fy), round(fw), round(fh)], kind


def exif_for(rng: random.Random, orientation: int, gps: bool) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Acme"
    exif[0x0110] = "Acme 12"
    exif[0x0112] = orientation
    if gps:
        lat = 55 + rng.random()
        lon = 3 + rng.random()
        exif[ExifTags.IFD.GPSInfo] = {
            1: "N",
            2: (float(int(lat)), float(int(lat % 1 * 60)), 0.0),
            3: "W",
            4: (float(int(lon)), float(int(lon % 1 * 60)), 0.0),
        }
    return exif


def save(image: Image.Image, path: Path, rng: random.Random, gps: bool, rotate: bool) -> int:
    """Save as a phone would: sometimes sideways pixels + Orientation 6."""
    orientation = 1
    stored = image
    if rotate:
        orientation = 6  # display = stored rotated 90 degrees clockwise
        stored = image.transpose(Image.Transpose.ROTATE_90)  # counter-clockwise
    out = io.BytesIO()
    stored.save(out, "JPEG", quality=90, exif=exif_for(rng, orientation, gps))
    path.write_bytes(out.getvalue())
    return orientation


def register_people(rng: random.Random) -> list[dict[str, str]]:
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(rng.randint(0, 2**31))
    people = []
    for i in range(24):
        first, last = fake.first_name(), fake.last_name()
        people.append(
            {
                "id": f"P{i + 1:02d}",
                "full_name": f"{first} {last}",
                "preferred_name": first,
                "aliases": "",
                "service": "Braeview House",
            }
        )
    return people


def plate(rng: random.Random) -> str:
    letters = "ABCDEFGHJKLMNOPRSTUVWXY"
    age = rng.choice([f"{n:02d}" for n in (*range(2, 26), *range(51, 76))])
    rand = "".join(rng.choice(letters + "Z") for _ in range(3))
    return f"{rng.choice(letters)}{rng.choice(letters)}{age} {rand}"


def sign_scene(
    rng: random.Random, people: list[dict[str, str]], index: int
) -> tuple[Image.Image, list[dict[str, Any]]]:
    bg = Image.fromarray(
        background(
            rng, ["coffee.png", "brick.png", "rocket.jpg", "motorcycle_left.png", "grass.png"]
        )
    )
    draw = ImageDraw.Draw(bg)
    truth: list[dict[str, Any]] = []
    kind = ["badge", "door", "banner", "plate"][index % 4]
    person = people[index % len(people)]
    size = rng.choice([70, 90, 120, 160])  # text height in the 12 MP photo
    if kind == "badge":
        name = person["full_name"].upper() if rng.random() < 0.5 else person["full_name"]
        lines = [("Hello, my name is", size * 0.55, (0, 0, 0)), (name, size, (20, 20, 120))]
        truth.append({"text": name, "person_id": person["id"], "kind": "name"})
        card = (255, 255, 255)
    elif kind == "door":
        room = f"Room {rng.randint(1, 40)}"
        lines = [(room, size * 0.8, (40, 40, 40)), (person["full_name"], size, (10, 10, 10))]
        truth.append({"text": person["full_name"], "person_id": person["id"], "kind": "name"})
        card = (235, 230, 210)
    elif kind == "banner":
        text = f"Happy Birthday {person['full_name']}!"
        lines = [(text, size, (200, 20, 60))]
        truth.append({"text": person["full_name"], "person_id": person["id"], "kind": "name"})
        card = (255, 250, 200)
    else:
        reg = plate(rng)
        lines = [(reg, size * 1.2, (10, 10, 10))]
        truth.append({"text": reg, "kind": "vehicle_registration"})
        card = (250, 210, 0) if rng.random() < 0.5 else (245, 245, 245)
    fonts = [font(int(s), bold=(kind != "door")) for _, s, _ in lines]
    widths = [draw.textlength(t, font=f) for (t, _, _), f in zip(lines, fonts, strict=True)]
    pad = int(size * 0.6)
    card_w = int(max(widths) + 2 * pad)
    card_h = int(sum(s * 1.35 for _, s, _ in lines) + 2 * pad)
    card_img = Image.new("RGB", (card_w, card_h), card)
    cd = ImageDraw.Draw(card_img)
    y = pad
    for (text, s, colour), f in zip(lines, fonts, strict=True):
        cd.text((pad, y), text, fill=colour, font=f)
        y += int(s * 1.35)
    angle = rng.uniform(-8, 8)
    card_img = card_img.convert("RGBA").rotate(
        angle, resample=Image.Resampling.BICUBIC, expand=True
    )
    x = rng.randint(100, max(101, W - card_img.width - 100))
    y = rng.randint(100, max(101, H - card_img.height - 100))
    bg.paste(card_img, (x, y), card_img)
    return bg, truth


def build(out: Path) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20261121)
    faces = lfw()[:100]
    non_faces = lfw()[100:]
    people = register_people(rng)
    with (out / "register.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(people[0]))
        writer.writeheader()
        writer.writerows(people)
    manifest: dict[str, Any] = {"photos": []}
    backgrounds = [
        "coffee.png",
        "rocket.jpg",
        "brick.png",
        "grass.png",
        "gravel.png",
        "motorcycle_left.png",
        "horse.png",
        "ihc.png",
    ]
    for i in range(GROUPS):
        canvas = Image.fromarray(background(rng, backgrounds))
        n = rng.randint(3, 8)
        # rows from the back (small faces) to the front (big faces), like a group photo
        boxes, kinds = [], []
        row_faces = sorted(math.exp(rng.uniform(math.log(55), math.log(420))) for _ in range(n))
        x_slots = rng.sample(range(n), n)
        for j, face_h in enumerate(row_faces):
            col_w = W // n
            x = x_slots[j] * col_w + rng.randint(0, max(1, col_w // 4))
            y = int(200 + (H - 900) * (j / max(1, n - 1)) * 0.8) + rng.randint(-80, 80)
            box, kind = paste_person(canvas, rng, faces, int(face_h), (x, max(0, y)))
            boxes.append(box)
            kinds.append(kind)
        # distractors: LFW non-face patches (upscaled) and sometimes the cat
        for _ in range(3):
            tile = (non_faces[rng.randrange(100)] * 255).astype(np.uint8)
            big = cv2.resize(np.stack([tile] * 3, -1), (150, 150), interpolation=cv2.INTER_CUBIC)
            canvas.paste(Image.fromarray(big), (rng.randint(0, W - 150), rng.randint(0, H - 150)))
        name = f"group_{i:02d}.jpg"
        gps = i % 3 == 0
        orientation = save(canvas, out / name, rng, gps=gps, rotate=i % 5 == 2)
        manifest["photos"].append(
            {
                "file": name,
                "kind": "group",
                "faces": boxes,
                "face_sources": kinds,
                "gps": gps,
                "orientation": orientation,
                "split": "tune" if i % 2 == 0 else "test",
            }
        )
    negatives = [
        "chelsea.png",
        "coffee.png",
        "rocket.jpg",
        "motorcycle_left.png",
        "coins.png",
        "horse.png",
        "page.png",
        "text.png",
        "hubble_deep_field.jpg",
        "moon.png",
        "clock_motion.png",
        "ihc.png",
    ]
    for i in range(NEGATIVES):
        canvas = Image.fromarray(background(rng, [negatives[i % len(negatives)]]))
        if i % 3 == 0:  # a big cat face in the middle
            cat = Image.fromarray(skimage_data("chelsea.png")).resize((1350, 900))
            canvas.paste(cat, (rng.randint(0, W - 1350), rng.randint(0, H - 900)))
        name = f"negative_{i:02d}.jpg"
        gps = i % 2 == 0
        orientation = save(canvas, out / name, rng, gps=gps, rotate=False)
        manifest["photos"].append(
            {
                "file": name,
                "kind": "negative",
                "faces": [],
                "gps": gps,
                "orientation": orientation,
                "split": "tune" if i % 2 == 0 else "test",
            }
        )
    for i in range(SIGNS):
        canvas, truth = sign_scene(rng, people, i)
        name = f"sign_{i:02d}.jpg"
        gps = i % 2 == 1
        orientation = save(canvas, out / name, rng, gps=gps, rotate=i % 4 == 3)
        manifest["photos"].append(
            {
                "file": name,
                "kind": "sign",
                "faces": [],
                "text": truth,
                "gps": gps,
                "orientation": orientation,
                "split": "tune" if i % 2 == 0 else "test",
            }
        )
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "var" / "bench-photos"
    result = build(target)
    print(f"built {len(result['photos'])} photos in {target}")
