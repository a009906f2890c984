"""A forum's pages and API: the live board, cards and ops, backlog, retrospective,
projector."""
