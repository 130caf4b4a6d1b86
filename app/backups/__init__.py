"""Per-tenant backups: encrypted pg_dump files, verified restores, retention, tenant export.

- ``crypto``: the file format (AES-256-GCM frames under a per-backup key wrapped by the master key)
- ``pgtools``: which pg_dump/pg_restore/psql to run and how they connect; the schema renamer
- ``dumps``: the dump and restore pipelines around those programs
- ``service``: taking a backup; ``verify``: reading and verifying one; ``restore``: restoring it
- ``retention`` and ``schedule``: what to keep, and the hourly worker job
- ``export``: a whole tenant as a ZIP of JSON and CSV
- ``cli``: the ``dealercrm backup ...`` and ``dealercrm tenant export`` commands
"""
