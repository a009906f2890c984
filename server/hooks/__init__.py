"""Outgoing webhooks (SPEC R60–R64, docs/integrations.md): subscriptions and their pages
and API (``api.py``, ``pages.py``), the signature (``signing.py``), the chat formats
(``formats.py``) and the background deliverer (``deliverer.py``). What an op emits is
``board/outgoing.py``; the outbox is ``Storage.hooks``."""
