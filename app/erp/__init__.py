"""ERP sync: outbound signed webhooks from the outbox, inbound idempotent upserts by external id."""
