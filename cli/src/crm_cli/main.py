"""``crm``: log in, import contacts from CSV or vCard with progress, export contacts, load
a demo tenant.

    crm login --url http://127.0.0.1:8000 --api-key KEY
    crm demo --size small
    crm import contacts people.csv --mapping "E-mail=email" --mapping "Tier=custom.tier"
    crm export contacts --format csv > contacts.csv

Exit codes: 0 done; 1 an error (or the import failed); 3 the import ran but some rows
were rejected (their errors are in the errors CSV).
"""

from __future__ import annotations

import json
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from crm_cli import config as cfg
from crm_cli.client import CliError, Target, checked, exchange, http, resolve

app = typer.Typer(
    help="The CRM from the command line: log in, import contacts (CSV, vCard) with "
    "progress, export contacts. Exit codes: 0 done; 1 error or failed import; 3 the import "
    "ran but some rows were rejected.",
    no_args_is_help=True,
    add_completion=False,
)
import_app = typer.Typer(help="Import records from files.", no_args_is_help=True)
export_app = typer.Typer(help="Export records.", no_args_is_help=True)
app.add_typer(import_app, name="import")
app.add_typer(export_app, name="export")

ROWS_FAILED = 3
UrlOpt = Annotated[str | None, typer.Option("--url", help="API base URL (or CRM_URL)")]
TokenOpt = Annotated[str | None, typer.Option("--token", help="bearer token (or CRM_TOKEN)")]
KeyOpt = Annotated[str | None, typer.Option("--api-key", help="API key (or CRM_API_KEY)")]


class MatchOn(StrEnum):
    EMAIL = "email"
    EXTERNAL_ID = "external_id"


class FileFormat(StrEnum):
    CSV = "csv"
    VCARD = "vcard"


class ExportFormat(StrEnum):
    CSV = "csv"
    JSON = "json"
    NDJSON = "ndjson"


def _fail(message: str, code: int = 1) -> typer.Exit:
    Console(stderr=True).print(f"[red]error:[/red] {message}")
    return typer.Exit(code)


def _target(url: str | None, token: str | None, api_key: str | None) -> Target:
    try:
        return resolve(url, token, api_key)
    except CliError as exc:
        raise _fail(str(exc)) from None


@app.command()
def login(
    url: Annotated[str, typer.Option(help="API base URL, e.g. the gateway")] = cfg.DEFAULT_URL,
    api_key: Annotated[str | None, typer.Option(help="an API key of your tenant")] = None,
    token: Annotated[str | None, typer.Option(help="a bearer token instead of a key")] = None,
) -> None:
    """Check the credentials and keep them in ~/.config/crm/config.json (mode 0600)."""
    if not api_key and not token:
        raise _fail("give --api-key (or --token)")
    conf = cfg.Config(url=url.rstrip("/"), api_key=api_key)
    try:
        if api_key:
            conf.token, conf.token_expires_at = exchange(conf.url, api_key)
        else:
            conf.token, conf.token_expires_at = token, time.time() + 3600
            with http(Target(conf.url, token or "")) as client:
                checked(client.get("/v1/imports", params={"limit": 1}))
    except CliError as exc:
        raise _fail(str(exc)) from None
    path = cfg.save(conf)
    Console().print(f"Logged in to [bold]{conf.url}[/bold]; settings in {path}")


def _mapping(pairs: list[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column.strip():
            raise _fail(f"--mapping takes COLUMN=FIELD, not {pair!r}")
        out[column.strip()] = field.strip()
    return out


def _summary(job: dict[str, Any], target: Target) -> Table:
    table = Table(title=f"Import {job['id']}" + (" (dry run)" if job["dry_run"] else ""))
    for name in ("status", "rows", "created", "updated", "unchanged", "failed"):
        table.add_column(name, justify="left" if name == "status" else "right")
    table.add_row(
        job["status"],
        str(job["total_rows"] if job["total_rows"] is not None else job["processed"]),
        str(job["created"]),
        str(job["updated"]),
        str(job["unchanged"]),
        str(job["failed"]),
    )
    return table


def _wait(client: Any, job: dict[str, Any], interval: float) -> dict[str, Any]:
    """Poll the import with a progress bar (on stderr) until it ends."""
    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=False) as progress:
        task = progress.add_task("queued", total=job["total_rows"])
        while job["status"] not in ("completed", "failed"):
            time.sleep(interval)
            job = checked(client.get(f"/v1/imports/{job['id']}")).json()
            progress.update(
                task, description=job["status"], total=job["total_rows"], completed=job["processed"]
            )
        progress.update(task, description=job["status"], completed=job["processed"])
    return job


@import_app.command("contacts")
def import_contacts(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--mapping",
            "-m",
            help="COLUMN=FIELD, repeatable: email, emails[2], tags, address.city, "
            "custom.<key>, or empty to skip a column. Columns named after a field map "
            "by themselves.",
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="validate only, write nothing")
    ] = False,
    upsert_on: Annotated[
        MatchOn | None,
        typer.Option("--upsert-on", help="update the contact with the same email/external_id"),
    ] = None,
    file_format: Annotated[
        FileFormat | None, typer.Option("--format", help="default: from the file name")
    ] = None,
    delimiter: Annotated[str, typer.Option(help="CSV delimiter")] = ",",
    errors_out: Annotated[
        Path | None, typer.Option("--errors-out", help="save the rejected rows' CSV here")
    ] = None,
    poll_interval: Annotated[float, typer.Option(hidden=True)] = 0.5,
    url: UrlOpt = None,
    token: TokenOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """Upload FILE (CSV with a header row, or vCard) and follow the import to its end."""
    target = _target(url, token, api_key)
    form: dict[str, str] = {
        "dry_run": "true" if dry_run else "false",
        "mode": "upsert" if upsert_on else "create",
        "match_on": (upsert_on or MatchOn.EMAIL).value,
        "delimiter": delimiter,
    }
    if mapping:
        form["mapping"] = json.dumps(_mapping(mapping))
    if file_format:
        form["format"] = file_format.value
    try:
        with http(target) as client, file.open("rb") as f:
            created = checked(
                client.post("/v1/imports", files={"file": (file.name, f)}, data=form), 202
            )
            job = _wait(client, created.json(), poll_interval)
            errors_url = f"{target.url}{job['errors_url']}"
            if errors_out is not None and job["failed"]:
                with errors_out.open("wb") as out, client.stream("GET", job["errors_url"]) as r:
                    checked(r)
                    for chunk in r.iter_bytes():
                        out.write(chunk)
    except CliError as exc:
        raise _fail(str(exc)) from None
    console = Console()
    console.print(_summary(job, target))
    if job["status"] == "failed":
        raise _fail(f"the import failed: {job['error']}")
    if job["failed"]:
        where = f"saved to {errors_out}" if errors_out else f"at {errors_url}"
        console.print(f"{job['failed']} row(s) rejected; their errors CSV is {where}")
        console.print(f"  (or: crm import errors {job['id']} > errors.csv)")
        raise typer.Exit(ROWS_FAILED)


@import_app.command("status")
def import_status(import_id: str, url: UrlOpt = None, token: TokenOpt = None,
                  api_key: KeyOpt = None) -> None:  # fmt: skip
    """Show an import's progress and counts."""
    target = _target(url, token, api_key)
    try:
        with http(target) as client:
            job = checked(client.get(f"/v1/imports/{import_id}")).json()
    except CliError as exc:
        raise _fail(str(exc)) from None
    Console().print(_summary(job, target))


@import_app.command("errors")
def import_errors(import_id: str, url: UrlOpt = None, token: TokenOpt = None,
                  api_key: KeyOpt = None) -> None:  # fmt: skip
    """Write an import's rejected rows (row, column, field, message) as CSV to stdout."""
    _stream(_target(url, token, api_key), f"/v1/imports/{import_id}/errors.csv", {}, None)


def _stream(target: Target, path: str, params: dict[str, str], output: Path | None) -> None:
    out = output.open("wb") if output else typer.get_binary_stream("stdout")
    try:
        with http(target) as client, client.stream("GET", path, params=params) as response:
            if response.status_code != 200:
                response.read()
                checked(response)
            for chunk in response.iter_bytes():
                out.write(chunk)
        out.flush()
    except CliError as exc:
        raise _fail(str(exc)) from None
    finally:
        if output:
            out.close()


@export_app.command("contacts")
def export_contacts(
    export_format: Annotated[ExportFormat, typer.Option("--format")] = ExportFormat.CSV,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="default: stdout")] = None,
    tag: str | None = None,
    email: str | None = None,
    owner_id: str | None = None,
    account_id: str | None = None,
    lifecycle_stage: str | None = None,
    membership_level: str | None = None,
    url: UrlOpt = None,
    token: TokenOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """Stream every contact (optionally filtered) as CSV, a JSON array or NDJSON."""
    filters = {
        "tag": tag,
        "email": email,
        "owner_id": owner_id,
        "account_id": account_id,
        "lifecycle_stage": lifecycle_stage,
        "membership_level": membership_level,
    }
    params = {"format": export_format.value} | {k: v for k, v in filters.items() if v}
    _stream(_target(url, token, api_key), "/v1/contacts/export", params, output)


class DemoSize(StrEnum):
    SMALL = "small"
    FULL = "full"


@app.command()
def demo(
    size: Annotated[DemoSize, typer.Option(help="small: a minute; full: thousands")] = (
        DemoSize.SMALL
    ),
    seed: Annotated[int, typer.Option(help="the same seed makes the same tenant")] = 42,
    url: UrlOpt = None,
    token: TokenOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """Load a realistic demo tenant through the API (seeded), then say what was made."""
    from crm_cli.demo import load

    target = _target(url, token, api_key)
    with http(target) as client:
        made = load(client, size=size.value, seed=seed)
    console = Console()
    table = Table(title="Demo tenant")
    table.add_column("made")
    table.add_column("count", justify="right")
    for what, count in sorted(made.made.items()):
        table.add_row(what, f"{count:,}")
    console.print(table)
    for problem in made.problems:
        console.print(f"[yellow]refused:[/yellow] {problem}")
    console.print("Open:")
    for path in ("/docs", "/v1/contacts?limit=5", "/v1/deals?limit=5", "/v1/tickets?limit=5",
                 "/v1/forecast", "/v1/reports"):  # fmt: skip
        console.print(f"  {target.url}{path}")
    console.print("(with `Authorization: Bearer <token>`; mail sent is in .data/mail/)")


def main() -> None:  # pragma: no cover - the console script
    app()
