from __future__ import annotations

import io
import json

from carepost.screening import Finding, Report
from carepost.screening.cli import main

REGISTER = (
    "id,full_name,preferred_name,aliases,service\n"
    "P03,Margaret Anne Docherty,Peggy,Mrs D|Maggie,Braeview House\n"
)


def run(argv: list[str]) -> str:
    out = io.StringIO()
    assert main(argv, out) == 0
    return out.getvalue()


def test_screen_json_prints_one_object_with_the_contract_keys(tmp_path):
    reg = tmp_path / "register.csv"
    reg.write_text(REGISTER)
    data = json.loads(run(["screen", "--register", str(reg), "--json", "Peggy rang 0141 496 0123"]))
    assert data["verdict"] == "review"
    person, phone = data["findings"]
    assert set(person) == {
        "check",
        "code",
        "action",
        "start",
        "end",
        "text",
        "message",
        "person_id",
    }
    assert set(phone) == {"check", "code", "action", "start", "end", "text", "message", "kind"}


def test_screen_jsonl_writes_one_line_per_post(tmp_path):
    reg = tmp_path / "register.csv"
    reg.write_text(REGISTER)
    posts = tmp_path / "posts.jsonl"
    posts.write_text(
        json.dumps({"id": "a", "text": "Maggie baked"})
        + "\n"
        + json.dumps({"id": "b", "text": "hi"})
        + "\n"
    )
    lines = [
        json.loads(x)
        for x in run(["screen", "--register", str(reg), "--jsonl", str(posts)]).splitlines()
    ]
    assert [x["id"] for x in lines] == ["a", "b"]
    assert lines[0]["findings"][0]["person_id"] == "P03"
    assert lines[1] == {"id": "b", "verdict": "pass", "findings": []}


def test_screen_prints_a_readable_report():
    assert run(["screen", "all fine here"]).startswith("verdict: pass")


def test_a_finding_adds_source_only_when_it_is_not_text():
    finding = Finding("offensive", "offensive.profanity", "block", 0, 4, "shit", "m", source="ocr")
    assert finding.to_dict()["source"] == "ocr"
    assert "source" not in Finding("voice", "voice.x", "warn", 0, 1, "I", "m").to_dict()
    assert Report([finding]).to_dict()["verdict"] == "block"
