"""Tokens of an external OpenID Connect issuer, verified through its JWKS and exchanged
for a platform token of the mapped tenant and roles."""

from __future__ import annotations

import json
import secrets
import time
from typing import Any

import httpx
import jwt
from crm_chassis.auth import verify_token
from crm_gateway.main import create_app
from crm_gateway.settings import GatewaySettings
from crm_testing import free_port
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from jwt.algorithms import RSAAlgorithm

ISSUER = "https://idp.example"


def issuer_app(public_jwk: dict[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/jwks")
    async def jwks() -> dict[str, Any]:
        return {"keys": [public_jwk]}

    return app


def id_token(key: Any, kid: str, **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": ISSUER, "aud": "crm", "sub": "alice", "iat": now, "exp": now + 300, **claims}
    return jwt.encode(body, key, algorithm="RS256", headers={"kid": kid})


async def test_a_trusted_issuers_token_becomes_a_platform_token(
    client: httpx.AsyncClient, auth: dict[str, str], gateway_settings: GatewaySettings,
    serve_app: Any,
) -> None:  # fmt: skip
    tenant = await client.post(
        "/v1/tenants", headers=auth, json={"name": f"oidc-{secrets.token_hex(4)}"}
    )
    tenant_id = tenant.json()["tenant"]["id"]
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    public.update({"kid": "k1", "alg": "RS256", "use": "sig"})
    async with serve_app(issuer_app(public), free_port()) as idp:
        settings = gateway_settings.model_copy(
            update={
                "bootstrap_api_key": None,
                "oidc_issuers": [
                    {
                        "issuer": ISSUER,
                        "jwks_url": f"{idp}/jwks",
                        "audience": "crm",
                        "tenant_id": tenant_id,
                        "role_map": {"sales": ["sales_rep"], "root": ["operator", "admin"]},
                    }
                ],
            }
        )
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gw") as gw,
        ):
            good = await gw.post(
                "/v1/auth/oidc", json={"id_token": id_token(key, "k1", groups=["sales"])}
            )
            assert good.status_code == 200, good.text
            actor = verify_token(good.json()["access_token"], settings)
            assert str(actor.tenant_id) == tenant_id
            assert actor.roles == {"sales_rep"} and actor.visibility == "own"
            again = await gw.post(
                "/v1/auth/oidc", json={"id_token": id_token(key, "k1", groups=["sales"])}
            )
            assert verify_token(again.json()["access_token"], settings).user_id == actor.user_id

            root = await gw.post(
                "/v1/auth/oidc", json={"id_token": id_token(key, "k1", groups=["root"])}
            )
            assert verify_token(root.json()["access_token"], settings).roles == {"admin"}

            other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            for bad in (
                id_token(other_key, "k1"),  # not the issuer's key
                id_token(key, "k1", aud="someone-else"),
                id_token(key, "k1", iss="https://evil.example"),
                id_token(key, "k1", exp=int(time.time()) - 60),
                id_token(key, "k2"),  # a key the issuer does not publish
            ):
                refused = await gw.post("/v1/auth/oidc", json={"id_token": bad})
                assert refused.status_code == 401, refused.text
