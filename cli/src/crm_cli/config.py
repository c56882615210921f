"""Where ``crm`` keeps its settings: ``~/.config/crm/config.json`` (mode 0600).

The folder is ``$CRM_CONFIG_DIR``, else ``$XDG_CONFIG_HOME/crm``, else ``~/.config/crm``.
Environment variables (``CRM_URL``, ``CRM_API_KEY``, ``CRM_TOKEN``) and command-line
options win over the file.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

DEFAULT_URL = "http://127.0.0.1:8000"


@dataclass
class Config:
    url: str = DEFAULT_URL
    api_key: str | None = None
    token: str | None = None
    token_expires_at: float | None = None


def config_dir() -> Path:
    if explicit := os.environ.get("CRM_CONFIG_DIR"):
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "crm"


def config_path() -> Path:
    return config_dir() / "config.json"


def load() -> Config:
    try:
        data = json.loads(config_path().read_text())
    except (OSError, ValueError):
        return Config()
    known = {k: v for k, v in data.items() if k in Config.__dataclass_fields__}
    return Config(**known)


def save(config: Config) -> Path:
    """Write the config readable by its owner only (it holds an API key or a token)."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(asdict(config), f, indent=2)
    path.chmod(0o600)
    return path
