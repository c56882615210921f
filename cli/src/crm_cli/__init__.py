"""crm: the command-line client of the CRM API."""
