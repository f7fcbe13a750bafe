"""Policy bodies: Markdown split into sections, with their Code and cross-reference lines.

A section starts at a `#` or `##` heading. Directly under the heading, two optional
lines map it (they are not shown as text):

    ## Photos of people we support
    Codes: 1.5, 2.3
    See: photo-consent#asking-for-consent, data-protection

Markdown is rendered with raw HTML escaped and only safe link targets kept, so a policy
can never inject markup into the page.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element

import markdown
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

HEADING = re.compile(r"^(#{1,2})\s+(.+?)\s*#*\s*$")
CODES_LINE = re.compile(r"^codes?:\s*(.*)$", re.IGNORECASE)
SEE_LINE = re.compile(r"^see(?: also)?:\s*(.*)$", re.IGNORECASE)
CODE_NUMBER = re.compile(r"^\d{1,2}\.\d{1,2}$")
SAFE_SCHEMES = ("http://", "https://", "mailto:", "/", "#")


@dataclass(frozen=True)
class Reference:
    policy_slug: str
    anchor: str = ""


@dataclass
class Section:
    heading: str
    anchor: str
    body: str
    codes: list[str] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)


@dataclass
class ParsedBody:
    preamble: str
    sections: list[Section]
    problems: list[str]


def _split_list(value: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,;]", value) if part.strip()]


def parse_body(body: str) -> ParsedBody:
    """Split a policy body into its preamble and sections; collect mapping problems."""
    lines = body.replace("\r\n", "\n").split("\n")
    preamble: list[str] = []
    sections: list[Section] = []
    problems: list[str] = []
    anchors: set[str] = set()
    current: Section | None = None
    in_meta = False
    for line in lines:
        heading = HEADING.match(line)
        if heading:
            text = heading.group(2)
            base = slugify(text) or "section"
            anchor, n = base, 2
            while anchor in anchors:
                anchor, n = f"{base}-{n}", n + 1
            anchors.add(anchor)
            current = Section(heading=text, anchor=anchor, body="")
            sections.append(current)
            in_meta = True
            continue
        if current is None:
            preamble.append(line)
            continue
        if in_meta and (m := CODES_LINE.match(line.strip())):
            for number in _split_list(m.group(1)):
                if CODE_NUMBER.match(number):
                    current.codes.append(number)
                else:
                    problems.append(f"“{number}” under “{current.heading}” is not a Code number.")
            continue
        if in_meta and (m := SEE_LINE.match(line.strip())):
            for target in _split_list(m.group(1)):
                slug, _, anchor = target.partition("#")
                if not re.fullmatch(r"[-a-z0-9]+", slug):
                    problems.append(
                        f"“{target}” under “{current.heading}” is not a policy reference: "
                        "use the policy's short name, like data-protection#sharing."
                    )
                    continue
                current.references.append(Reference(slug, slugify(anchor)))
            continue
        if in_meta and not line.strip():
            continue
        in_meta = False
        current.body += line + "\n"
    return ParsedBody(preamble="\n".join(preamble).strip(), sections=sections, problems=problems)


class _SafeLinks(Treeprocessor):
    def run(self, root: Element) -> None:
        for el in root.iter():
            for attr in ("href", "src"):
                value = el.get(attr)
                if value is not None and not value.strip().lower().startswith(SAFE_SCHEMES):
                    el.set(attr, "#")
            if el.tag == "img":
                # No images from elsewhere in a policy: keep the description as text.
                el.tag = "span"
                el.text = el.get("alt", "")
                for attr in list(el.attrib):
                    del el.attrib[attr]


class _Escape(Extension):
    def extendMarkdown(self, md: Any) -> None:
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.treeprocessors.register(_SafeLinks(md), "carepost_safe_links", 0)


def render_markdown(text: str, *, shift_headings: int = 2) -> SafeString:
    """Markdown to HTML with raw HTML escaped; headings start at h3 inside a section."""
    md = markdown.Markdown(
        extensions=[_Escape(), "sane_lists"],
        output_format="html",
    )
    html = md.convert(text)
    if shift_headings:

        def shift(m: re.Match[str]) -> str:
            level = min(6, int(m.group(2)) + shift_headings)
            return f"<{m.group(1)}h{level}"

        html = re.sub(r"<(/?)h([1-6])", shift, html)
    return mark_safe(html)  # noqa: S308 (raw HTML escaped, links filtered above)


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "same" | "added" | "removed" | "gap"
    text: str


def diff_lines(old: str, new: str, *, context: int = 2) -> list[DiffLine]:
    """A line diff, with unchanged stretches folded to `context` lines either side."""
    a, b = old.replace("\r\n", "\n").split("\n"), new.replace("\r\n", "\n").split("\n")
    out: list[DiffLine] = []
    for group in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_grouped_opcodes(context):
        if out:
            out.append(DiffLine("gap", ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                out.extend(DiffLine("same", line) for line in a[i1:i2])
                continue
            if tag in ("replace", "delete"):
                out.extend(DiffLine("removed", line) for line in a[i1:i2])
            if tag in ("replace", "insert"):
                out.extend(DiffLine("added", line) for line in b[j1:j2])
    return out
