"""DealerCRM: the domain, the app factory and the GraphQL layer."""
