"""The admin's entity kit: what every entity's pages share, built from its declarations.

- ``forms``: a declared ``Fields`` as form widgets (label, widget, choices, limits), record values
  as form text, field errors as messages (shared texts plus the entity's own);
- ``responses``: HTMX answers (close the drawer with a toast, with undo);
- ``children``: the controller of a child entity's section on its parent's page (contacts and
  addresses on a customer): list, drawer form, create, edit, delete with undo, restore.
Templates: ``kit/_fields.html`` (a renderer for every widget), ``kit/_section.html``,
``kit/_drawer.html``.
"""
