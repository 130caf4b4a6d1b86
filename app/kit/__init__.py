"""The entity kit: what every business entity declares once and every shared module reads.

- ``enums``: ``LabeledEnum`` (a ``StrEnum`` whose members carry their label msgid), from which the
  GraphQL enum, form choices, display labels and the database check constraint derive.
- ``registry``: ``EntitySpec`` and ``register``/``entity``: an entity's labels, fields, error texts,
  audit rendering, navigation, permissions, search and customization flags, declared next to its
  model. Shared modules (audit page, labels, GraphQL errors, search, roles) read the registry and
  hold no entity's facts.
- ``permissions``: the catalog of permission strings by module and action, filled by registration.
"""
