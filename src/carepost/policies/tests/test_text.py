from __future__ import annotations

from carepost.policies.text import diff_lines, parse_body, render_markdown


def test_raw_html_in_a_policy_is_shown_as_text_not_run() -> None:
    html = render_markdown("Hello <script>alert(1)</script> <b>bold</b>\n\n<div>block</div>")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "<div>" not in html and "<b>" not in html


def test_unsafe_link_targets_are_neutralised() -> None:
    html = render_markdown("[click](javascript:alert(1)) and [ok](https://www.sssc.uk.com/)")
    assert "javascript:" not in html
    assert 'href="https://www.sssc.uk.com/"' in html


def test_images_from_elsewhere_become_their_description() -> None:
    html = render_markdown("![a tracking pixel](https://example.com/p.png)")
    assert "<img" not in html and "a tracking pixel" in html


def test_headings_inside_a_section_start_below_the_section_heading() -> None:
    assert "<h3>Sub</h3>" in render_markdown("# Sub")


def test_sections_collect_codes_and_references_and_hide_those_lines() -> None:
    parsed = parse_body(
        "Intro.\n\n## Photos\nCodes: 1.5; 2.3\nSee: consent#asking, data-protection\n\nBody.\n"
        "## Photos\nMore."
    )
    assert parsed.preamble == "Intro."
    first, second = parsed.sections
    assert first.codes == ["1.5", "2.3"]
    assert [(r.policy_slug, r.anchor) for r in first.references] == [
        ("consent", "asking"),
        ("data-protection", ""),
    ]
    assert "Codes:" not in first.body and "Body." in first.body
    assert second.anchor == "photos-2"


def test_a_bad_reference_is_reported() -> None:
    assert parse_body("## A\nSee: Not A Slug\n").problems


def test_the_diff_folds_unchanged_text() -> None:
    old = "\n".join(f"line {i}" for i in range(20))
    new = old.replace("line 10", "line ten")
    kinds = [d.kind for d in diff_lines(old, new)]
    assert kinds.count("removed") == 1 and kinds.count("added") == 1
    assert kinds.count("same") == 4
