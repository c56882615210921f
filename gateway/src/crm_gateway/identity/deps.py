"""Dependencies of the identity routes: settings, and who may administer what."""

from __future__ import annotations

from typing import Annotated

from crm_chassis.auth import Actor, ActorDep
from crm_chassis.errors import Forbidden
from fastapi import Depends, Request

from crm_gateway.identity.roles import ADMIN, OPERATOR
from crm_gateway.identity.signing import Signer
from crm_gateway.settings import GatewaySettings


def _settings(request: Request) -> GatewaySettings:
    settings: GatewaySettings = request.app.state.settings
    return settings


def _signer(request: Request) -> Signer:
    signer: Signer = request.app.state.signer
    return signer


def _admin(actor: ActorDep) -> Actor:
    if ADMIN not in actor.roles:
        raise Forbidden("This needs the admin role")
    return actor


def _operator(actor: ActorDep) -> Actor:
    if OPERATOR not in actor.roles:
        raise Forbidden("Only the platform operator can do this")
    return actor


SettingsDep = Annotated[GatewaySettings, Depends(_settings)]
SignerDep = Annotated[Signer, Depends(_signer)]
AdminDep = Annotated[Actor, Depends(_admin)]
OperatorDep = Annotated[Actor, Depends(_operator)]
