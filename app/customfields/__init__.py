"""Per-tenant custom fields on any customizable entity: definitions as data, values in the entity's JSONB."""
