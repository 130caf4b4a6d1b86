"""Platform operators and their console (the base domain)."""
