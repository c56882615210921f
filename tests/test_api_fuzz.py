"""No input makes a service answer 500: schemathesis against the running processes.

Every operation of contacts-service's OpenAPI document (and the gateway's own) is called
with generated input, valid and invalid, over real HTTP, as an authenticated tenant. The
only check is the one the platform promises everywhere: a 4xx problem for bad input,
never a server error. The seed is fixed so that a run is repeatable; a failure prints
the curl command that reproduces it. (Such runs found the NUL character and the blank
external_id cases that contacts-service's test_values_the_database_refuses.py now covers
one by one; with the fix undone, this test fails on the first.)
"""

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from crm_local.stack import Stack

from .conftest import token_for

SCHEMATHESIS = Path(sys.executable).with_name("schemathesis")


def fuzz(base_url: str, token: str, workdir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(SCHEMATHESIS),
            "run",
            f"{base_url}/openapi.json",
            "--url",
            base_url,
            "--header",
            f"Authorization: Bearer {token}",
            "--checks",
            "not_a_server_error",
            "--phases",
            "examples,fuzzing",
            "--max-examples",
            "30",
            "--seed",
            "20261122",
            "--workers",
            "2",
            "--no-color",
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=workdir,  # its report folder goes there
    )


@pytest.fixture(scope="module")
async def token(gateway: httpx.AsyncClient, admin_headers: dict[str, str]) -> str:
    """An admin of a tenant of its own: what the fuzzer creates (a required custom
    field, say) must not change what other tests of the session see."""
    created = await gateway.post("/v1/tenants", headers=admin_headers, json={"name": "Fuzz"})
    assert created.status_code == 201, created.text
    return await token_for(gateway, created.json()["admin_key"]["api_key"])


@pytest.mark.parametrize(
    ("app", "extra"),
    [
        ("contacts", ()),
        ("gateway", ("--include-path-regex", "^/v1/(auth|api-keys|tenants)")),
    ],
)
def test_no_generated_request_gets_a_server_error(
    stack: Stack, token: str, tmp_path: Path, app: str, extra: tuple[str, ...]
) -> None:
    base = stack.gateway_url if app == "gateway" else stack.urls[app]
    result = fuzz(base, token, tmp_path, *extra)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert " passed" in result.stdout  # cases were generated and run
