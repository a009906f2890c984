"""The base of every operation struct: a tagged union member (``type``), frozen,
keyword-only, refusing unknown fields. ``board.ops`` and ``board.ops_standards`` share it,
so ``CLIENT_OP_TYPES`` holds both modules' ops."""

from __future__ import annotations

import msgspec


class OpStruct(
    msgspec.Struct, frozen=True, kw_only=True, tag_field="type", forbid_unknown_fields=True
):
    pass
