"""The GraphQL API (strawberry): types, queries, mutations, loaders, context.

Imported as ``app.graphql``; the top-level ``graphql/`` folder holds only the public contract
(``schema.graphql`` and example operations) and must never become a Python package.
"""
