"""Search (C5): filter groups (OR of ANDs), full-text query, sorting and cursor
pagination over contacts and accounts, and the phone lookup behind call screen-pop."""
