"""Search over Chinese text without PostgreSQL extensions: grams stored per row, GIN-indexed.

See ``app.search.grams`` for what a row stores and how a query is turned into the same grams.
"""
