"""The merged OpenAPI document of the whole platform (G1)."""
