"""An authenticated HTTP client for the CRM API (the gateway, or one service directly)."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import httpx

from crm_cli import config as cfg

TIMEOUT = httpx.Timeout(30.0, read=300.0)


class CliError(Exception):
    """A problem to show the user, then exit non-zero."""


@dataclass
class Target:
    url: str
    token: str


def problem_text(response: httpx.Response) -> str:
    """A one-line reading of an error response (problem+json when it is one)."""
    try:
        body = response.json()
    except ValueError:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if not isinstance(body, dict):
        return f"HTTP {response.status_code}"
    detail = body.get("detail") or body.get("title") or ""
    errors = body.get("errors") or []
    extra = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors[:10])
    return f"HTTP {response.status_code}: {detail}" + (f" ({extra})" if extra else "")


def exchange(url: str, api_key: str) -> tuple[str, float]:
    """An access token for ``api_key`` (``POST /v1/auth/token``) and when it expires."""
    try:
        response = httpx.post(
            f"{url.rstrip('/')}/v1/auth/token", json={"api_key": api_key}, timeout=TIMEOUT
        )
    except httpx.HTTPError as exc:
        raise CliError(f"cannot reach {url}: {exc}") from None
    if response.status_code != 200:
        raise CliError(f"login refused: {problem_text(response)}")
    body = response.json()
    return body["access_token"], time.time() + float(body.get("expires_in", 3600))


def resolve(url: str | None, token: str | None, api_key: str | None) -> Target:
    """Where to talk and with which token: options, then environment, then the config.

    An API key is exchanged for a token, which is kept in the config until it expires.
    """
    conf = cfg.load()
    url = (url or os.environ.get("CRM_URL") or conf.url).rstrip("/")
    token = token or os.environ.get("CRM_TOKEN")
    if token:
        return Target(url, token)
    api_key = api_key or os.environ.get("CRM_API_KEY") or None
    if api_key is None and conf.token and (conf.token_expires_at or 0) > time.time() + 60:
        return Target(url, conf.token)
    api_key = api_key or conf.api_key
    if not api_key:
        raise CliError("not logged in: run `crm login --url URL --api-key KEY` (or set CRM_TOKEN)")
    fresh, expires = exchange(url, api_key)
    if api_key == conf.api_key and url == conf.url.rstrip("/"):
        conf.token, conf.token_expires_at = fresh, expires
        cfg.save(conf)
    return Target(url, fresh)


def http(target: Target) -> httpx.Client:
    return httpx.Client(
        base_url=target.url,
        headers={"Authorization": f"Bearer {target.token}"},
        timeout=TIMEOUT,
    )


def checked(response: httpx.Response, *ok: int) -> httpx.Response:
    if response.status_code not in (ok or (200,)):
        raise CliError(problem_text(response))
    return response
