"""Identity (G2): tenants, API keys and the tokens issued for them."""
