"""Human text on its way into device files (pilot.text): each escaping function keeps its promise for
any text at all, and Vietnamese comes out right."""

from __future__ import annotations

import html
import json
import re
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from pilot.text import SLUG, comment, description, html_text, json_value, one_line, suggest_slug, to_ascii

# Every character class that ends or hides a line somewhere, the syntax of every file pilot writes,
# and Vietnamese; mixed with arbitrary text (surrogates included: YAML can spell them, "\ud800").
PIECES = [
    "\n",
    "\r\n",
    "\r",
    "\x00",
    "\x0b",
    "\x0c",
    "\x1b[31m",
    "\x1c",
    "\x85",
    "\u2028",
    "\u2029",
    "\u202e",
    "\ufeff",
    "\u200b",
    "\xa0",
    "\ud800",
    "\\",
    '"',
    "'",
    "$",
    "${host}",
    ";",
    "{",
    "}",
    "!",
    "#",
    "//",
    "<",
    ">",
    "&",
    "&amp;",
    " ip route 0.0.0.0/0 Null0",
    "Sở Khoa học và Công nghệ",
    "Đà Nẵng",
]
ANY_TEXT = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=10).map("".join)
LINE_BREAKS = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


def invisible(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


@settings(max_examples=200)
@given(ANY_TEXT)
def test_one_line_is_one_line_of_visible_text(value: str) -> None:
    line = one_line(value)
    assert len(line.splitlines()) <= 1 and not LINE_BREAKS.search(line)
    assert not any(invisible(ch) for ch in line)
    assert line == line.strip() and "  " not in line
    assert one_line(line) == line
    line.encode("utf-8")  # no lone surrogate left: it can be written to a file


@settings(max_examples=200)
@given(ANY_TEXT, st.booleans())
def test_description_and_comment_stay_on_their_line(value: str, utf8: bool) -> None:
    for escaped in (description(value, utf8), comment(value, utf8)):
        assert not LINE_BREAKS.search(escaped) and not any(invisible(ch) for ch in escaped)
        assert utf8 or escaped.isascii()
    assert not comment(value, utf8).endswith("\\"), "a trailing backslash continues the line (ifupdown)"


@settings(max_examples=200)
@given(ANY_TEXT, st.booleans())
def test_json_is_one_json_string_holding_the_text(value: str, utf8: bool) -> None:
    encoded = json_value(value, utf8)
    assert not LINE_BREAKS.search(encoded)
    assert json.loads(encoded) == one_line(value)
    assert utf8 or encoded.isascii()


def test_json_cleans_every_string_in_a_structure() -> None:
    encoded = json_value(["a\nb", {"k\r\n": "v\u2028w", "n": 1, "none": None}])
    assert not LINE_BREAKS.search(encoded)
    assert json.loads(encoded) == ["a b", {"k": "v w", "n": 1, "none": None}]


@settings(max_examples=200)
@given(ANY_TEXT)
def test_html_text_has_no_markup(value: str) -> None:
    escaped = html_text(value)
    assert not re.search(r"[<>\"']", escaped)
    assert "&" not in re.sub(r"&(amp|lt|gt|quot|#x27);", "", escaped)
    assert html.unescape(escaped) == one_line(value)


@given(ANY_TEXT)
def test_a_suggested_slug_is_a_slug(value: str) -> None:
    assert re.fullmatch(SLUG, suggest_slug(value))


def test_vietnamese_to_ascii() -> None:
    assert to_ascii("Sở Khoa học và Công nghệ") == "So Khoa hoc va Cong nghe"
    assert to_ascii("Đà Nẵng — “Trụ sở”") == 'Da Nang - "Tru so"'
    assert to_ascii("Máy in (IPv4)") == "May in (IPv4)"
    assert to_ascii("北京") == "??"


def test_vietnamese_written_with_combining_marks_is_the_same_title() -> None:
    decomposed = unicodedata.normalize("NFD", "Người dùng")
    assert decomposed != "Người dùng"
    assert one_line(decomposed) == "Người dùng"
    assert description(decomposed) == "Người dùng"


def test_suggested_slugs() -> None:
    assert suggest_slug("Sở Khoa học và Công nghệ") == "so-khoa-hoc-va-cong-nghe"
    assert suggest_slug("Máy in (IPv4)") == "may-in-ipv4"
    assert suggest_slug("***") == "name"
