"""Helpers of the crm-local command."""

from pathlib import Path

import pytest
from crm_local import cli
from crm_local.stack import Stack


def test_secret_is_generated_once_and_env_wins(
    scratch: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CRM_BOOTSTRAP_API_KEY", raising=False)
    path = scratch / "bootstrap-api-key"
    first = cli._secret(path, "CRM_BOOTSTRAP_API_KEY", lambda: "crm_new")
    assert first == "crm_new"
    assert cli._secret(path, "CRM_BOOTSTRAP_API_KEY", lambda: "crm_other") == "crm_new"
    assert path.stat().st_mode & 0o077 == 0
    monkeypatch.setenv("CRM_BOOTSTRAP_API_KEY", "crm_env")
    assert cli._secret(path, "CRM_BOOTSTRAP_API_KEY", lambda: "x") == "crm_env"


def test_banner_shows_urls_key_and_curl() -> None:
    stack = Stack(
        "postgresql://postgres@127.0.0.1:55432/postgres",
        "nats://127.0.0.1:54222",
        repo_root=Path.cwd(),
        bootstrap_api_key="crm_abc",
    )
    text = cli.banner(stack)
    assert "http://127.0.0.1:8000/docs" in text
    assert "http://127.0.0.1:8101" in text and "http://127.0.0.1:8105" in text
    assert "nats://127.0.0.1:54222" in text
    assert (
        "curl -s -X POST http://127.0.0.1:8000/v1/auth/token "
        "-H 'content-type: application/json' -d '{\"api_key\":\"crm_abc\"}'"
    ) in text


def test_stop_without_a_running_instance(scratch: Path) -> None:
    assert cli.stop(scratch / ".data") == 0
