"""Fake device commands for the device agent's unit tests: `ip`, `vtysh`, `nft`, `frr-reload.py`, ...

Standard library only: the same module answers in-process (the agent's `subprocess.run` replaced) and
as the executables put first on PATH for the agent run as a script (`python3 agent.py diff BUNDLE`).

A scene is a list of rules in a directory. A rule matches a command line by patterns (one per argument:
itself or `*`, and `**` for the rest; the program by its base name) and answers with recorded output;
it may also change files on the device (`writes`, `overwrite`). The last rule defined wins, so a test
states the device first and what changes afterwards: a rule with `after` answers only once a command
matching `after` has run (`frr-reload.py --test` shows a delta until `frr-reload.py --reload` has run).
Every command is logged with the contents of the files it names (the agent's temporary files are gone
once it returns). A command no rule answers exits 99, so an unexpected command fails the agent's
`run(check=True)` instead of passing unnoticed.
"""

from __future__ import annotations

import json
import os
import sys
import time

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing, re and fnmatch are not imported at run time: a fake program starts fast
    from typing import Any

RULES = "rules.json"
LOG = "commands.jsonl"
UNANSWERED = 99


def matches(patterns: list[str], argv: list[str]) -> bool:
    """`*` matches any one argument, a last `**` any number of them, anything else itself."""
    argv = [os.path.basename(argv[0]), *argv[1:]] if argv else []
    if patterns and patterns[-1] == "**":
        patterns, argv = patterns[:-1], argv[: len(patterns) - 1]
    return len(argv) == len(patterns) and all(p in ("*", a) for p, a in zip(patterns, argv, strict=True))


def load_rules(state: str) -> list[dict[str, Any]]:
    try:
        with open(os.path.join(state, RULES), encoding="utf-8") as fh:
            rules: list[dict[str, Any]] = json.load(fh)
            return rules
    except FileNotFoundError:
        return []


def logged(state: str) -> list[dict[str, Any]]:
    try:
        with open(os.path.join(state, LOG), encoding="utf-8") as fh:
            return [json.loads(line) for line in fh if line.strip()]
    except FileNotFoundError:
        return []


def _files_named(argv: list[str]) -> dict[str, str]:
    out = {}
    for arg in argv[1:]:
        if arg.startswith("/") and os.path.isfile(arg) and os.path.getsize(arg) < 200_000:
            with open(arg, encoding="utf-8", errors="replace") as fh:
                out[arg] = fh.read()
    return out


def respond(state: str, argv: list[str], stdin: str | None = None) -> tuple[int, str, str, dict[str, Any] | None]:
    """(exit status, stdout, stderr, the rule) for one command, logged first."""
    history = [entry["argv"] for entry in logged(state)]
    entry = {"argv": argv, "files": _files_named(argv), "stdin": stdin}
    with open(os.path.join(state, LOG), "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")
    chosen = None
    for rule in load_rules(state):
        if not matches(rule["argv"], argv):
            continue
        after = rule.get("after")
        if after is not None and not any(matches(after, earlier) for earlier in history):
            continue
        chosen = rule
    if chosen is None:
        return UNANSWERED, "", "fake: no answer recorded for: " + " ".join(argv) + "\n", None
    overwrite = chosen.get("overwrite")  # a command that rewrites the file it is given (frr-reload.py's `write`)
    if overwrite is not None:
        device = os.path.dirname(os.path.realpath(state))
        if not os.path.realpath(argv[-1]).startswith(device + "/"):  # never a file of the machine running the tests
            return UNANSWERED, "", f"fake: {argv[-1]} is not on the test device\n", chosen
        with open(argv[-1], "w", encoding="utf-8") as fh:
            fh.write(overwrite)
    for path, text in (chosen.get("writes") or {}).items():  # what the command changes on the device (/proc/sys)
        target = os.path.join(os.path.dirname(os.path.realpath(state)), "root", path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(text)
    return int(chosen.get("rc", 0)), chosen.get("stdout", ""), chosen.get("stderr", ""), chosen


def _note(state: str, argv: list[str]) -> None:
    with open(os.path.join(state, LOG), "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"argv": argv, "files": {}, "stdin": None}) + "\n")


def main(state: str) -> int:
    """An executable on PATH (see executable()): answer, or run as a daemon until killed (a service the
    agent starts)."""
    code, out, err, rule = respond(state, sys.argv[:])
    if rule is not None and rule.get("daemon"):
        import signal

        # A daemon told to read its configuration again (radvd) says so in the log, as `<argv> SIGHUP`.
        signal.signal(signal.SIGHUP, lambda *_: _note(state, [*sys.argv, "SIGHUP"]))
        while True:
            time.sleep(3600)
    sys.stdout.write(out)
    sys.stderr.write(err)
    return code


def executable(state: str) -> str:
    """The text of one fake program: this module's main() with the scene's directory."""
    here = os.path.dirname(os.path.abspath(__file__))
    return (
        f"#!{sys.executable} -S\n"
        "import sys\n"
        f"sys.path.insert(0, {here!r})\n"
        "import fake_commands\n"
        f"sys.exit(fake_commands.main({state!r}))\n"
    )
