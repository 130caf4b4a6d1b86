"""Roles as data: each tenant's roles (permission strings from the catalog plus a data scope),
edited in the admin, seeded from templates, and never leaving the tenant without someone who can
manage roles."""
