"""Settings a tenant's admins change themselves, stored as data in the tenant schema."""
