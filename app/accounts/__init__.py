"""Staff users, roles and teams, sessions and personal access tokens."""
