from crm_chassis.settings import ServiceSettings
from crm_chassis.storage import StorageSettings
from pydantic_settings import SettingsConfigDict

from contacts_service.attachments.sniff import DEFAULT_TYPES

# Multipart framing around the file (boundaries, part headers) on top of its own size.
UPLOAD_SLACK_BYTES = 64 * 1024


class ContactsSettings(ServiceSettings, StorageSettings):
    """contacts-service settings, from ``CRM_CONTACTS_*`` (and the shared ``CRM_*``)."""

    model_config = SettingsConfigDict(env_prefix="CRM_CONTACTS_", extra="ignore")

    database_url: str = "postgresql+asyncpg://postgres@127.0.0.1:55432/crm_contacts"
    default_phone_region: str = "US"
    """Region used to read phone numbers written without a country code."""
    merge_undo_hours: int = 72
    """How long a merge of contacts or accounts can be undone (C6)."""

    # -- attachments ----------------------------------------------------------------------
    attachment_max_bytes: int = 25 * 1024 * 1024
    """Largest accepted file (413 above it); the upload routes' body limit, with framing."""
    attachment_types: list[str] = list(DEFAULT_TYPES)
    """Accepted content types (415 otherwise); the content must also look like its type."""

    # -- imports (C7) ---------------------------------------------------------------------
    imports_path: str = ".data/imports"
    """Folder where uploaded import files wait for the job runner; every replica that runs
    jobs must see the same folder (a shared volume)."""
    import_max_bytes: int = 10 * 1024**3
    """Largest accepted import file (413 above it); files are streamed to disk, never held."""
