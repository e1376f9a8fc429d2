"""Pure domain rules of the clinic pharmacy (domain.md): barcodes, volumes, expiry, BUD, FEFO.

Nothing here imports Flask, SQLAlchemy or the rest of the app: every function works on plain
values (dates, aware datetimes, integer microlitres, dataclasses, enums), so each rule of
domain.md is a table-driven unit test in ``tests/rules``. Rule violations raise
:class:`inventory.rules.errors.RuleError`, which carries a machine ``code`` and an English ``message``.
"""
