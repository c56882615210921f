"""How an account is shown to a caller: every response of every account route uses it."""

from crm_chassis.crud import View

from contacts_service.accounts.schemas import AccountRead

ACCOUNT = View("account", AccountRead, path="/v1/accounts")
