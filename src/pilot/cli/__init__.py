"""The `pilot` command line. Errors the user can fix print one line and exit with status 2."""

from __future__ import annotations

import inspect
import os
import sys

import typer

from pilot import __version__
from pilot.cli import addresses, lab, platforms, render, rollout
from pilot.errors import PilotError

app = typer.Typer(
    name="pilot",
    help=(
        "Take an agency network from IPv4 to IPv6-only in stages (ipv4 -> dual-stack -> ipv6-mostly -> "
        "ipv6-only), rehearsing every stage first on a real lab copy of the network."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(lab.app, name="lab")
app.command("addresses")(addresses.addresses)
app.command("render")(render.render)
app.command("platforms")(platforms.platforms)
for _name in ("diff", "apply", "rollback", "verify", "status", "history", "show"):
    app.command(_name)(getattr(rollout, _name))


def _reflow(app: typer.Typer) -> None:
    """Docstrings are wrapped for the source; --help wraps for the terminal. Join each paragraph's
    lines so rich does not keep the source's line breaks."""
    for info in app.registered_commands:
        doc = info.help or (info.callback.__doc__ if info.callback else None)
        if doc:
            info.help = "\n\n".join(" ".join(p.split()) for p in inspect.cleandoc(doc).split("\n\n"))
    for group in app.registered_groups:
        if group.typer_instance is not None:
            _reflow(group.typer_instance)


_reflow(app)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pilot {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """pilot: staged IPv6-only migration, rehearsed on a lab."""


def main() -> None:
    from pilot import stop

    handlers = stop.install()
    try:
        app()
    except PilotError as exc:
        if "--json" in sys.argv:
            from pilot.cli.common import print_json

            print_json(exc.to_dict())
        sys.stderr.write(f"pilot: error: {exc}\n")
        sys.exit(exc.exit_code)
    except SystemExit as exc:
        # Typer turns Ctrl-C (and SIGTERM, raised as one) into a silent exit 130: say where things are.
        if exc.code == 130 and _interrupted(exc):
            stop.ignore()  # a second Ctrl-C must not cut the line short with a traceback
            sys.stderr.write(stop.summary() + "\n")
            sys.exit(stop.exit_code())
        raise
    except KeyboardInterrupt:
        stop.ignore()
        sys.stderr.write(stop.summary() + "\n")
        sys.exit(stop.exit_code())
    except Exception as exc:
        # The last resort: every error a user can act on is a PilotError raised where it happens. This
        # is a bug in pilot; say so in one line, and keep the traceback for whoever debugs it.
        if os.environ.get("PILOT_DEBUG"):
            raise
        sys.stderr.write(
            f"pilot: internal error: {' '.join(f'{type(exc).__name__}: {exc}'.split())}; "
            "fix: run again with PILOT_DEBUG=1 for the traceback, and report it\n"
        )
        sys.exit(70)
    finally:
        stop.restore(handlers)


def _interrupted(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt (Ctrl-C, SIGTERM) is what led to `exc`."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False
