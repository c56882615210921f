"""The environment variables every app's settings read, found in the settings classes.

The apps are the sections of the root ``alembic.ini`` (each names its settings class);
the chassis adds the settings classes it reads on its own (``InternalHttpSettings``:
``CRM_SERVICE_URLS``...): a ``BaseSettings`` in ``crm_chassis`` with an ``env_prefix`` of
its own that no app's settings class inherits. Read at test time, so a setting a colleague
adds today is checked against the manifests today.

``python tests/deploy/settings_env.py`` prints each app's variables with their defaults.
"""

from __future__ import annotations

import configparser
import importlib
import json
import pkgutil
import re
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

ROOT = Path(__file__).resolve().parents[2]
#: Values that open a door: never in a ConfigMap, always a reference to a Secret.
_SECRET_NAME = re.compile(r"(secret|password|database_url|api_key|key_id)$")


@dataclass(frozen=True)
class Setting:
    """One field of a settings class and the variable that sets it."""

    owner: str  # "contacts" (an app) or "crm_chassis.internal_http:InternalHttpSettings"
    field: str
    env: str
    default: Any
    secret: bool

    @property
    def default_text(self) -> str | None:
        """The default as a ConfigMap would hold it (None: no default worth writing)."""
        value = self.default
        if value is None:
            return None
        if isinstance(value, bool):
            return str(value).lower()
        if isinstance(value, timedelta):
            return f"PT{int(value.total_seconds())}S"
        if isinstance(value, list | tuple | dict):
            return json.dumps(list(value) if isinstance(value, tuple) else value)
        return str(value)


def app_settings_classes() -> dict[str, type[BaseSettings]]:
    """Settings class of every app, by its ``alembic.ini`` section (``contacts`` ...)."""
    ini = configparser.ConfigParser(interpolation=None)
    ini.read(ROOT / "alembic.ini")
    return {
        section: _load(ini[section]["settings"])
        for section in ini.sections()
        if "settings" in ini[section]
    }


def chassis_settings_classes(apps: dict[str, type[BaseSettings]]) -> list[type[BaseSettings]]:
    """The chassis' settings classes every process reads on its own (not mixed in)."""
    import crm_chassis

    inherited = {base for cls in apps.values() for base in cls.__mro__}
    found: dict[str, type[BaseSettings]] = {}
    for module in pkgutil.walk_packages(crm_chassis.__path__, "crm_chassis."):
        for value in vars(importlib.import_module(module.name)).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseSettings)
                and value.__module__ == module.name
                and value.model_config.get("env_prefix")
                and value not in inherited
            ):
                found[f"{value.__module__}:{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


def settings_of(owner: str, cls: type[BaseSettings]) -> list[Setting]:
    """Every field of ``cls`` with the variable pydantic-settings reads it from."""
    prefix = cls.model_config.get("env_prefix", "")
    return [
        Setting(
            owner=owner,
            field=name,
            env=_env_name(prefix, name, info),
            default=info.get_default(call_default_factory=True),
            secret=_is_secret(name, info),
        )
        for name, info in cls.model_fields.items()
    ]


def all_settings() -> dict[str, list[Setting]]:
    """Each app's settings, the chassis' own ones included (every app reads those)."""
    apps = app_settings_classes()
    shared = [
        setting
        for cls in chassis_settings_classes(apps)
        for setting in settings_of(f"{cls.__module__}:{cls.__qualname__}", cls)
    ]
    return {app: settings_of(app, cls) + shared for app, cls in apps.items()}


def _env_name(prefix: str, name: str, info: FieldInfo) -> str:
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        alias = next((c for c in alias.choices if isinstance(c, str)), None)
    if isinstance(alias, str):
        return alias.upper()
    return f"{prefix}{name}".upper()


def _is_secret(name: str, info: FieldInfo) -> bool:
    return (
        bool(_SECRET_NAME.search(name))
        or "SecretStr" in repr(info.annotation)
        or (info.annotation is SecretStr)
    )


def _load(path: str) -> type[BaseSettings]:
    module, _, attr = path.partition(":")
    cls = getattr(importlib.import_module(module), attr)
    assert issubclass(cls, BaseSettings), path
    return cls


if __name__ == "__main__":
    for app, settings in all_settings().items():
        print(f"# {app}")
        for s in settings:
            kind = "secret" if s.secret else "config"
            print(f"{kind:6} {s.env}: {s.default_text!r}")
    sys.exit(0)
