"""How a settings field is named in the environment, and which fields are secret."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from .settings_env import app_settings_classes, chassis_settings_classes, settings_of


class Example(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_EXAMPLE_")

    pool_size: int = 20
    shared: str = Field("x", validation_alias=AliasChoices("CRM_SHARED", "shared"))
    database_url: str = "postgresql+asyncpg://db/app"
    signing_secret: SecretStr = SecretStr("s")
    token: SecretStr | None = None
    rate_limit_per_key: int = 10
    password_reset_ttl_seconds: int = 3600


def test_names_follow_the_prefix_or_the_alias():
    by_field = {s.field: s for s in settings_of("example", Example)}
    assert by_field["pool_size"].env == "CRM_EXAMPLE_POOL_SIZE"
    assert by_field["shared"].env == "CRM_SHARED"
    assert by_field["pool_size"].default_text == "20"


def test_keys_and_urls_with_credentials_are_secret_and_nothing_else():
    secret = {s.field for s in settings_of("example", Example) if s.secret}
    assert secret == {"database_url", "signing_secret", "token"}


def test_every_app_and_the_chassis_own_settings_are_found():
    apps = app_settings_classes()
    assert {"gateway", "contacts", "sales", "marketing", "support", "analytics"} <= set(apps)
    names = {c.__qualname__ for c in chassis_settings_classes(apps)}
    assert "InternalHttpSettings" in names
    # Mixins read under each app's prefix are not read on their own.
    assert "StorageSettings" not in names and "ServiceSettings" not in names
