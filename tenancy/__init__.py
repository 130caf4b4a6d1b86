"""Tenants: the registry in ``public``, host resolution, schema binding, provisioning, migrations.

This package imports nothing from ``app``: the tenant tables are handed to it as a ``MetaData``.
"""
