"""The base of every operation struct: a tagged union member (``type``), frozen,
keyword-only, refusing unknown fields. ``board.ops`` and the per-feature op modules
(``ops_standards``, ``ops_backlog``, ``sds_ops``) share it without importing ``board.ops``."""

from __future__ import annotations

import msgspec


class OpStruct(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="type", forbid_unknown_fields=True
):
    pass
