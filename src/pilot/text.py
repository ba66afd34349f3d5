"""Human text on its way into device files: titles and operator names, and the slugs beside them.

Two kinds of strings reach a device. Identifiers (node, agency, site and segment names, DNS labels)
are slugs, refused at load time unless they match SLUG; they may go anywhere as they are. Human text
(titles, operator names) may hold anything a person types, in Vietnamese, so it is escaped where it
lands, by the filter for that file's syntax (pilot.render.engine): every one starts from `one_line`,
so no human text can ever add a line, and so a directive, to a configuration file.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from typing import Any

# A slug is a DNS label (RFC 1123): lower-case ASCII letters, digits and inner hyphens, 63 at most.
# Names become parts of DNS names, record keys and configuration identifiers, so one rule fits all.
SLUG = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
SLUG_RULE = "names are ASCII slugs used in configurations (a-z, 0-9 and inner hyphens, at most 63)"
SLUG_MAX = 63

# Characters that end, or hide, a line somewhere: controls (NUL, CR, LF, ESC, NEL, ...), format
# characters (bidi overrides, BOM, zero-width joiners), lone surrogates, private and unassigned code
# points, and the Unicode line and paragraph separators.
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Vietnamese letters NFKD cannot take apart, and punctuation people paste from word processors.
_ASCII_FOR = str.maketrans(
    {"đ": "d", "Đ": "D", "—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "«": '"', "»": '"'}
)


def one_line(text: str) -> str:
    """`text` as one line of visible characters: every control, format or separator character becomes a
    space, runs of white space become one space, and the ends are trimmed (NFC, so Vietnamese written
    with combining marks looks and compares the same as precomposed Vietnamese)."""
    if not text.isprintable():  # the rare case: look at each character (isprintable is False for all of them)
        text = "".join(" " if unicodedata.category(ch) in _INVISIBLE else ch for ch in text)
    return " ".join(unicodedata.normalize("NFC", text).split())


def to_ascii(text: str) -> str:
    """Vietnamese (and other Latin text) in plain ASCII for platforms that take nothing else:
    'Sở Khoa học và Công nghệ' -> 'So Khoa hoc va Cong nghe'. What has no ASCII form becomes '?'."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_ASCII_FOR))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return "".join(ch if ch.isascii() else "?" for ch in bare.translate(_ASCII_FOR))


def suggest_slug(text: str) -> str:
    """A slug to offer when someone writes a title where a name belongs ('Sở Khoa học' -> 'so-khoa-hoc')."""
    words = re.sub(r"[^a-z0-9]+", "-", to_ascii(one_line(text)).lower()).strip("-")
    return words[:SLUG_MAX].rstrip("-") or "name"


# -- escaping, one function per target syntax (the render engine makes them Jinja filters) ------------


def description(text: str, utf8: bool = True) -> str:
    """A device description (FRR `description`, `neighbor ... description`): the rest of the line is
    the text, verbatim; so one line, white space collapsed as the device itself would (FRR stores
    'a  b' as 'a b', and a file that differs from the running configuration is a diff forever), and
    ASCII where the platform takes nothing else."""
    line = one_line(text)
    return line if utf8 else to_ascii(line)


def comment(text: str, utf8: bool = True) -> str:
    """Text inside a comment that runs to the end of the line (`#`, `!`, `;`, `//`): one line, and no
    trailing backslash, which ifupdown (and C-style lexers) read as 'the next line continues this one'."""
    return description(text, utf8).rstrip("\\")  # only the backslashes: the text around stays as written


def html_text(text: str) -> str:
    """Text in an HTML element or attribute: one line, with & < > " ' as character references."""
    return html.escape(one_line(text), quote=True)


def json_value(value: Any, utf8: bool = True) -> str:
    """A JSON value (Kea): every string in it one line; outside UTF-8 platforms, non-ASCII as \\u escapes."""
    return json.dumps(_json_ready(value), ensure_ascii=not utf8)


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {one_line(str(k)): _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return one_line(str(value))  # strings, and addresses or anything else, as their text
