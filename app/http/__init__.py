"""HTTP plumbing shared by the admin and the GraphQL endpoint: request ids, tenancy, CSRF, auth."""
