"""Secrets never land in the journal: every text it stores goes through `redact` first.

The journal is for reading and auditing (restoring a crashed run re-renders an earlier stage from the
intent), so it can afford to lose a little: a value after a secret keyword is replaced up to the end
of its line, which over-redacts (`community public RO` keeps neither word) rather than guess where a
vendor's value ends (`password 7 0822...`, `pre-shared-key ascii-text "$9$..."`).

JSON documents (backups, bundles) are walked instead of matched as text: `json.dumps` puts a whole
configuration on one line with `\\n` escapes, where a line rule would swallow the rest of the document
and leave invalid JSON, and a `{"password": "s3cret"}` pair is only visible as a key and its value.
"""

from __future__ import annotations

import json
import re
from typing import Any

REDACTED = "<redacted>"

# Keywords whose value is a secret. `authentication-key` is the Junos and FRR spelling of `auth-key`.
KEYWORDS = (
    "password",
    "secret",
    "key-string",
    "pre-shared-key",
    "community",
    "auth-key",
    "authentication-key",
    "md5",
    "psk",
)
_KEYWORD = "|".join(re.escape(k) for k in KEYWORDS)
# Words that follow a keyword in a sentence, never as its value in a configuration or a command line:
# after them the keyword is prose (`the password is wrong`, `community of practice`, `md5 of the file`).
_PROSE = (
    "is", "was", "are", "were", "be", "been", "has", "have", "had", "and", "or", "but", "for", "of", "to",
    "in", "on", "at", "by", "from", "with", "without", "not", "no", "must", "should", "will", "would", "can",
    "cannot", "could", "may", "might", "that", "which", "when", "if", "as", "than", "then", "the", "a", "an",
    "authentication", "prompt", "expired", "denied", "required", "incorrect", "wrong", "changed",
)  # fmt: skip

# A keyword as a whole word (not `password-encryption`, not `md5sum`), or as the last part of an option
# or a variable name (`--password x`, `FOO_PASSWORD=x`, `ssh_password: x`); then a separator
# (`password x`, `password: x`, `"password": "x"`, `password=x`), then the rest of the line as the value.
_SECRET_LINE = re.compile(
    rf"(?i)(?<![\w-])((?:--?)?(?:\w+_)?(?:{_KEYWORD}))(?![\w-])"  # the keyword
    # What separates it from its value: a `:` or `=` (spaces around it, a quote before it), or spaces
    # followed by anything but a word of prose. Atomic, so that backtracking cannot shorten it and make
    # `: <redacted>` look like a fresh value. `(publickey,password)` assigns nothing.
    rf"((?>[\"']?[ \t]*[:=][ \t]*|[ \t]+(?!(?:{'|'.join(_PROSE)})(?![^ \t\r\n]))))"
    r"(?=[^ \t\r\n])"  # a value must be there: `password` alone at the end of a line is prose
    r"(?!<redacted>)"  # already redacted: keep `redact` idempotent
    r"[^\r\n]+"
)

# A PEM private key, whatever its kind (RSA, EC, OPENSSH, ENCRYPTED, ...). A block cut off before its
# END line (a truncated backup, an error message quoting part of a file) is redacted to the end.
_PEM = re.compile(
    r"-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY-----|.*\Z)",
    re.DOTALL,
)

# A keyword inside a JSON key (`password`, `snmp_community`, `auth-key`) makes the whole value secret.
_SECRET_KEY = re.compile(rf"(?i)(?:^|[^a-z0-9])(?:{_KEYWORD})(?:$|[^a-z0-9])")


def redact(text: str) -> str:
    """`text` with every secret value and PEM private key replaced by `<redacted>`."""
    stripped = text.lstrip()
    if stripped[:1] in ("{", "["):
        redacted = _redact_json(text)
        if redacted is not None:
            return redacted
    return redact_text(text)


def redact_text(text: str) -> str:
    """Line rule and PEM rule, for text that is not a JSON document."""
    text = _PEM.sub(lambda m: f"-----BEGIN {m[1]}PRIVATE KEY-----{REDACTED}-----END {m[1]}PRIVATE KEY-----", text)
    return _SECRET_LINE.sub(lambda m: f"{m[1]}{m[2]}{REDACTED}", text)


def _redact_json(text: str) -> str | None:
    """The JSON document redacted, `text` itself if nothing needed it, None if `text` is not JSON."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    redacted = _walk(document)
    if redacted == document:
        # Nothing secret: keep the caller's formatting (a bundle stays diffable against its file).
        return text
    indent = 1 if "\n" in text.strip() else None
    return json.dumps(redacted, indent=indent, ensure_ascii=False)


def _walk(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, list):
        return [_walk(item) for item in value]
    if isinstance(value, dict):
        return {redact_text(str(k)): _value_under(str(k), v) for k, v in value.items()}
    return value


def _value_under(key: str, value: Any) -> Any:
    if _SECRET_KEY.search(key):
        return _hide_all(value)
    return _walk(value)


def _hide_all(value: Any) -> Any:
    """Every scalar under a secret key replaced: `{"password": ["a", "b"]}` leaks neither."""
    if isinstance(value, list):
        return [_hide_all(item) for item in value]
    if isinstance(value, dict):
        return {k: _hide_all(v) for k, v in value.items()}
    return REDACTED if value is not None else None
