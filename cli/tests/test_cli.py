"""`crm` against a real contacts-service: import with progress and errors, export, login."""

import csv
import io
import json
import stat

import httpx
from crm_cli.main import app
from typer.testing import CliRunner

runner = CliRunner()
CSV = (
    "Given,Family,E-mail,Labels\r\n"
    "Ada,Lovelace,ada@example.com,vip;math\r\n"  # row 2
    "Bad,Email,not-an-email,\r\n"  # row 3
    "Grace,Hopper,grace@navy.example,navy\r\n"  # row 4
    ",,,lonely\r\n"  # row 5: no name, email or phone
)
MAPPING = ["--mapping", "Given=first_name", "-m", "Family=last_name", "-m", "E-mail=email",
           "-m", "Labels=tags"]  # fmt: skip


def crm(env, *args):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def contacts(env):
    response = httpx.get(
        f"{env['CRM_URL']}/v1/contacts",
        params={"sort": "created_at"},
        headers={"Authorization": f"Bearer {env['CRM_TOKEN']}"},
    )
    return response.json()["data"]


def test_import_shows_the_summary_and_saves_exactly_the_rejected_rows(cli_env, tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(CSV)
    errors = tmp_path / "errors.csv"
    result = crm(cli_env, "import", "contacts", str(source), *MAPPING, "--errors-out", str(errors),
                 "--poll-interval", "0.1")  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "completed" in result.stdout
    assert "2 row(s) rejected" in result.stdout and str(errors) in result.stdout
    summary = next(line for line in result.stdout.splitlines() if "completed" in line)
    cells = [cell.strip() for cell in summary.split("│")]
    assert cells[1:7] == ["completed", "4", "2", "0", "0", "2"]  # rows, created, ..., failed
    rows = list(csv.DictReader(io.StringIO(errors.read_text())))
    assert [(r["row"], r["column"], r["field"]) for r in rows] == [
        ("3", "E-mail", "email"),
        ("5", "", "item"),
    ]
    assert [(c["first_name"], c["tags"]) for c in contacts(cli_env)] == [
        ("Ada", ["vip", "math"]),
        ("Grace", ["navy"]),
    ]


def test_dry_run_writes_nothing(cli_env, tmp_path):
    source = tmp_path / "people.csv"
    source.write_text(CSV)
    result = crm(cli_env, "import", "contacts", str(source), *MAPPING, "--dry-run",
                 "--poll-interval", "0.1")  # fmt: skip
    assert result.exit_code == 3, result.output
    assert "dry run" in result.stdout
    assert contacts(cli_env) == []


def test_upsert_on_email_and_export_as_csv_and_json(cli_env, tmp_path):
    first = tmp_path / "first.csv"
    first.write_text("first_name,email\r\nAda,ada@example.com\r\n")
    assert crm(cli_env, "import", "contacts", str(first), "--poll-interval", "0.1").exit_code == 0
    second = tmp_path / "second.csv"
    second.write_text("email,title\r\nada@example.com,Countess\r\nnew@example.com,New\r\n")
    result = crm(cli_env, "import", "contacts", str(second), "--upsert-on", "email",
                 "--poll-interval", "0.1")  # fmt: skip
    assert result.exit_code == 0, result.output

    exported = crm(cli_env, "export", "contacts", "--format", "csv")
    assert exported.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))
    assert [(r["email"], r["first_name"], r["title"]) for r in rows] == [
        ("ada@example.com", "Ada", "Countess"),
        ("new@example.com", "", "New"),
    ]
    out = tmp_path / "contacts.json"
    assert crm(cli_env, "export", "contacts", "--format", "json", "-o", str(out)).exit_code == 0
    assert [c["email"] for c in json.loads(out.read_text())] == [r["email"] for r in rows]


def test_a_failed_upload_is_reported_and_exits_non_zero(cli_env, tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("email\r\na@b.example\r\n")
    result = crm(cli_env, "import", "contacts", str(source), "-m", "Nope=email")
    assert result.exit_code == 1
    assert "HTTP 422" in result.stderr and "Nope" in result.stderr


def test_login_keeps_the_settings_private_and_later_commands_use_them(cli_env, tmp_path):
    env = {**cli_env, "CRM_URL": "", "CRM_TOKEN": ""}
    result = crm(env, "login", "--url", cli_env["CRM_URL"], "--token", cli_env["CRM_TOKEN"])
    assert result.exit_code == 0, result.output
    path = tmp_path / "config" / "config.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text())["url"] == cli_env["CRM_URL"]
    exported = crm(env, "export", "contacts", "--format", "ndjson")
    assert exported.exit_code == 0 and exported.stdout == ""


def test_without_credentials_it_says_how_to_log_in(cli_env):
    env = {**cli_env, "CRM_TOKEN": ""}
    result = crm(env, "export", "contacts")
    assert result.exit_code == 1
    assert "crm login" in result.stderr
