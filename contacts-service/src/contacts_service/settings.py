from crm_chassis.settings import ServiceSettings
from crm_chassis.storage import StorageSettings
from pydantic import model_validator
from pydantic_settings import SettingsConfigDict

from contacts_service.attachments.sniff import DEFAULT_TYPES

# Multipart framing around the file (boundaries, part headers) on top of its own size.
UPLOAD_SLACK_BYTES = 64 * 1024
UPLOAD_PATHS = r"/v1/(contacts|accounts)/[^/]+/attachments"


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
    """Largest accepted file (413 above it)."""
    attachment_types: list[str] = list(DEFAULT_TYPES)
    """Accepted content types (415 otherwise); the content must also look like its type."""

    @model_validator(mode="after")
    def _upload_body_limit(self) -> "ContactsSettings":
        # The chassis caps every body at max_body_bytes; upload routes need the file limit.
        self.body_limit_overrides = {
            UPLOAD_PATHS: self.attachment_max_bytes + UPLOAD_SLACK_BYTES,
            **self.body_limit_overrides,  # type: ignore[has-type]
        }
        return self

    # -- imports (C7) ---------------------------------------------------------------------
    imports_path: str = ".data/imports"
    """Folder where uploaded import files wait for the job runner; every replica that runs
    jobs must see the same folder (a shared volume)."""
    import_max_bytes: int = 10 * 1024**3
    """Largest accepted import file (413 above it); files are streamed to disk, never held."""

    @model_validator(mode="after")
    def _import_body_limit(self) -> "ContactsSettings":
        self.body_limit_overrides = {
            r"/v1/imports": self.import_max_bytes + UPLOAD_SLACK_BYTES,
            # 1,000 contacts with several channels each pass the JSON API's default limit.
            r"/v1/contacts/batch": 16 * 1024**2,
            **self.body_limit_overrides,
        }
        return self
