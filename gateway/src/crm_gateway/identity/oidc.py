"""Tokens of an external OpenID Connect issuer, exchanged for the platform's own.

The operator configures each trusted issuer (``CRM_GATEWAY_OIDC_ISSUERS``, JSON): its
``issuer`` and ``jwks_url``, the ``audience`` its tokens must name, the tenant its users
belong to, and how its groups map to roles. ``POST /v1/auth/oidc`` verifies the issuer's
token against its published keys (fetched again on an unknown ``kid``) and answers a
platform token for that tenant and those roles; the services never see the issuer.
"""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import jwt
from crm_chassis.auth import KEY_SET_ALGORITHMS, Actor, RemoteKeySet
from crm_chassis.errors import Unauthorized
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from crm_gateway.identity.grants import actor_for


class OidcIssuer(BaseModel):
    """One trusted external issuer and how its users map onto the platform."""

    issuer: str
    jwks_url: str
    audience: str
    tenant_id: UUID
    roles_claim: str = "groups"
    role_map: dict[str, list[str]] = Field(default_factory=dict)
    """Issuer group -> platform roles."""
    default_roles: list[str] = Field(default_factory=list)


class OidcVerifier:
    """Verifies tokens of the configured issuers, each against its own key set."""

    def __init__(self, issuers: list[OidcIssuer]) -> None:
        self.issuers = {i.issuer: i for i in issuers}
        self.keys = {i.issuer: RemoteKeySet(i.jwks_url, min_interval=10.0) for i in issuers}

    async def verify(self, token: str) -> tuple[OidcIssuer, dict[str, Any]]:
        """The issuer and claims of a valid token of a trusted issuer; 401 otherwise."""
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise Unauthorized("The identity token is malformed") from exc
        issuer = self.issuers.get(str(unverified.get("iss")))
        if issuer is None:
            raise Unauthorized("The identity token's issuer is not trusted")
        keys = self.keys[issuer.issuer]
        if keys.get(header.get("kid")) is None:
            await keys.refresh()
        found = keys.get(header.get("kid"))
        if found is None or found[0] not in KEY_SET_ALGORITHMS:
            raise Unauthorized("The identity token is signed by an unknown key")
        try:
            claims = jwt.decode(
                token,
                found[1],
                algorithms=[found[0]],
                audience=issuer.audience,
                issuer=issuer.issuer,
                options={"require": ["exp", "sub", "iss", "aud"]},
                leeway=5,
            )
        except jwt.InvalidTokenError as exc:
            raise Unauthorized(f"The identity token is invalid: {exc}") from exc
        return issuer, claims


def roles_of(issuer: OidcIssuer, claims: dict[str, Any]) -> list[str]:
    """The platform roles of the issuer's user: its default roles and its groups' roles."""
    groups = claims.get(issuer.roles_claim) or []
    if isinstance(groups, str):
        groups = groups.split()
    roles = set(issuer.default_roles)
    for group in groups:
        roles.update(issuer.role_map.get(str(group), ()))
    roles.discard("operator")  # never from outside
    return sorted(roles)


def subject_id(issuer: OidcIssuer, subject: str) -> UUID:
    """A stable platform user id for the issuer's subject (records it owns stay its own)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{issuer.issuer}#{subject}")


async def exchange(
    session: AsyncSession, verifier: OidcVerifier, token: str
) -> tuple[Actor, dict[str, Any]]:
    issuer, claims = await verifier.verify(token)
    actor = await actor_for(
        session,
        tenant_id=issuer.tenant_id,
        subject=subject_id(issuer, str(claims["sub"])),
        roles=roles_of(issuer, claims),
    )
    return actor, claims
