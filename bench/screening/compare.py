"""Compare two builds of the screening engine byte for byte (run from the repository root).

    .venv/bin/python bench/screening/compare.py OLD_SRC NEW_SRC [NEW_SRC...]

Each ``*_SRC`` is a ``src`` directory holding a ``carepost`` package (for example the
committed engine: ``git archive HEAD src/carepost | tar -x -C /tmp/old``, then
``/tmp/old/src``; the working tree's ``src``, compiled or not). Every build screens the
same texts -- the dev corpus, mutations of it (case, hashtags, leetspeak, look-alike
letters, zero-width and spaced letters, accents, punctuation, cuts and joins) and random
strings -- with four register/policy combinations, in a child process of its own; the
JSON of every report must be identical. Exit status 1 on any difference.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("CAREPOST_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "eval" / "screening" / "dev"

LOOKALIKES = {"a": "\u0430", "e": "\u0435", "o": "\u043e", "c": "\u0441", "p": "\u0440"}
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "$", "t": "7"}
EXTRAS = [
    "#HappyBirthdayPeggy",
    "#happybirthdaypeggy",
    "@RoseMcAllister",
    " DOB 12/03/1950 ",
    " NHS number 943 476 5919 ",
    " CHI 0101010000 ",
    " NI AB 12 34 56 C ",
    " call 0141 496 0000 ",
    " +44 7700 900123 ",
    " at G78 1QQ ",
    " 15 Birch Avenue, Barrhead ",
    " Rose Cottage, Mill Road ",
    " we're at Pollok Park right now ",
    " in ward 7 ",
    " Kelburn High ",
    " f*ck ",
    " sh1t ",
    " fuuuck ",
    " s h i t ",
    " Mrs Docherty ",
    " McAllister, Rose ",
    " I think ",
    " \u2014 ",
    ": ",
    "\n\n",
    " \U0001f600 ",
    " Siobh\u00e1n ",
    " caf\u00e9 ",
    " \u200b ",
    " the rose garden ",
    " May 2024 ",
    " Will has ",
    " Sandy and Iris ",
    " 'Annie' ",
    " dementia ",
    " police ",
    " refuge on Craigie Street ",
]
ALPHABET = "abcdeghilmnorstuwyABDGMPRSW0123456789 .,;:!?'\"-#@*$()/\n\u00e9\u0430\u200b\U0001f600"


def mutate(text: str, rng: random.Random) -> str:
    kind = rng.randrange(12)
    if kind == 0:
        return text.upper()
    if kind == 1:
        return text.lower()
    if kind == 2:
        return "".join(LEET.get(c, c) if rng.random() < 0.3 else c for c in text)
    if kind == 3:
        return "".join(LOOKALIKES.get(c, c) if rng.random() < 0.2 else c for c in text)
    if kind == 4:
        cut = rng.randrange(len(text) + 1)
        return text[:cut] + rng.choice(EXTRAS) + text[cut:]
    if kind == 5:
        a, b = sorted(rng.randrange(len(text) + 1) for _ in range(2))
        return text[a:b]
    if kind == 6:
        words = text.split(" ")
        rng.shuffle(words)
        return " ".join(words)
    if kind == 7:
        return text.replace(" ", rng.choice(["  ", "\n", " - ", ", ", ". "]), rng.randrange(1, 5))
    if kind == 8:
        return "".join(c + "\u200b" if rng.random() < 0.1 else c for c in text)
    if kind == 9:
        words = text.split(" ")
        k = rng.randrange(len(words))
        words[k] = " ".join(words[k])
        return " ".join(words)
    if kind == 10:
        return text.title()
    return "".join(rng.choice(EXTRAS) if rng.random() < 0.05 else c for c in text)


def texts() -> list[str]:
    rng = random.Random(42)
    with open(CORPUS / "posts.jsonl", encoding="utf-8") as handle:
        posts = [json.loads(line)["text"] for line in handle if line.strip()]
    out = list(posts)
    for _ in range(16):
        for post in posts:
            out.append(mutate(post, rng))
    for _ in range(600):
        a, b = rng.choice(posts), rng.choice(posts)
        out.append(mutate(a, rng) + rng.choice([" ", "\n", ". "]) + mutate(b, rng))
    for _ in range(800):
        out.append("".join(rng.choice(ALPHABET) for _ in range(rng.randrange(0, 80))))
    for _ in range(400):
        out.append(" ".join(rng.choice(EXTRAS).strip() for _ in range(rng.randrange(1, 8))))
    out += ["", " ", "\n", "#", "@", "a", "A", "I", "0", "\U0001f600", "\u200b"]
    return out


def child(path: str) -> None:
    """Screen every text with every combination; one line of JSON per report."""
    import carepost.screening.text

    print(f"  engine: {carepost.screening.text.__file__}")
    from synthetic import big_register

    from carepost.screening import Policy, Register, RegisterPerson, Service, screen

    people = [
        RegisterPerson(
            "P01", "Rose Catherine McAllister", "Rose", ("Mrs Mac", "Rosie"), "Braeview House"
        ),
        RegisterPerson(
            "P03", "Margaret Anne Docherty", "Peggy", ("Mrs D", "Maggie"), "Braeview House"
        ),
        RegisterPerson("P07", "May Isobel Robertson", "May", ("Wee May",), "Braeview House"),
        RegisterPerson("P11", "Siobhán Bernadette Quinn", "Siobhán", ("Shiv",), "Braeview House"),
        RegisterPerson("P24", "Ann-Marie Boyle", "Ann-Marie", ("Annie",), "Riverside Day Centre"),
        RegisterPerson("P28", "Hope Temitope Adebayo", "Hope", ("Hopey",), "Oak Lodge"),
    ]
    services = [
        Service("Oak Lodge", sensitivity="secret", address="15 Birch Avenue, Barrhead G78 1QQ")
    ]
    custom = Policy.from_dict(
        {
            "checks": {"voice": {"enabled": False}, "person": {"action": "block"}},
            "codes": {"location.live": "block"},
            "watched_terms": [
                {"term": "Mill Road", "category": "location", "action": "block"},
                {"term": "bingo", "category": "fun"},
                {"term": "bloody", "category": "offensive", "action": "warn"},
            ],
        }
    )
    combos = [
        ("empty/default", Register.empty(), Policy.default()),
        ("corpus/default", Register.from_csv(CORPUS / "register.csv"), Policy.default()),
        ("10k/default", big_register(CORPUS / "register.csv", 10_000), Policy.default()),
        ("services/custom", Register.from_people(people, services=services), custom),
    ]
    with open(path, "w", encoding="utf-8") as out:
        for name, register, policy in combos:
            for text in texts():
                report = screen(text, register=register, policy=policy)
                out.write(json.dumps([name, report.to_dict()], ensure_ascii=False) + "\n")


def run(src: Path, out: Path) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONDONTWRITEBYTECODE": "1"}
    cmd = [sys.executable, str(Path(__file__).resolve()), "--child", str(out)]
    subprocess.run(cmd, check=True, env=env, cwd="/")  # noqa: S603
    return out.read_text(encoding="utf-8").splitlines()


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        child(sys.argv[2])
        return 0
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    corpus = texts()
    old_src, *new_srcs = (Path(p).resolve() for p in sys.argv[1:])
    tmp = Path(tempfile.gettempdir())
    old = run(old_src, tmp / "carepost-compare-old.jsonl")
    status = 0
    for number, new_src in enumerate(new_srcs):
        new = run(new_src, tmp / f"carepost-compare-new{number}.jsonl")
        diffs = [k for k, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
        digest = hashlib.sha256("\n".join(new).encode()).hexdigest()[:16]
        findings = sum(len(json.loads(line)[1]["findings"]) for line in new)
        print(
            f"{new_src}: {len(corpus)} texts x 4 combinations = {len(new)} reports, "
            f"{findings} findings, {len(diffs)} different (sha256 {digest})"
        )
        for k in diffs[:5]:
            print("  text:", json.dumps(corpus[k % len(corpus)])[:200])
            print("  old: ", old[k][:300])
            print("  new: ", new[k][:300])
        status |= bool(diffs)
    print(
        f"reference {old_src}: sha256 {hashlib.sha256(chr(10).join(old).encode()).hexdigest()[:16]}"
    )
    return status


if __name__ == "__main__":
    raise SystemExit(main())
