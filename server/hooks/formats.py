"""What a delivery's body is, by the subscription's format (docs/integrations.md):
``json`` (the event itself, with its absolute ``url``), or the incoming-webhook payload
of Slack, Microsoft Teams (an Adaptive Card, as Teams workflows take) or Mattermost: a
short readable message with a link back to the card or session. User text is escaped
for each one's markup, so a card title cannot make a link or a mention of its own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import msgspec

from board.outgoing import KIND_LABELS, SESSION_ENDED, Outgoing, md_inline

FORMATS: Final[dict[str, str]] = {
    "json": "Generic JSON",
    "slack": "Slack",
    "teams": "Microsoft Teams",
    "mattermost": "Mattermost",
}
MAX_LINES: Final = 10  # decisions or next steps listed in a chat message, at most

_encoder = msgspec.json.Encoder()


def slack_escape(text: str) -> str:
    """Slack's three control characters (its docs: "Escaping text")."""
    return " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _lines(e: Outgoing, esc: Callable[[str], str], bold: Callable[[str], str]) -> list[str]:
    """The message's lines after its headline."""
    out: list[str] = []
    if e.card is not None:
        where = f" ({esc(e.card.column_title)})" if e.card.column_title else ""
        out.append(f"{bold('Card')}: {esc(e.card.title)}{where}")
    if e.other_forum is not None:
        out.append(f"{bold('With')}: {esc(e.other_forum.name or e.other_forum.id)}")
    if e.note:
        out.append(f"{bold('Note')}: {esc(e.note)}")
    if e.decision:
        out.append(f"{bold('Decision')}: {esc(e.decision)}")
    if e.standard is not None:
        out.append(f"{bold('Standard')}: {esc(e.standard.text)}")
        if e.standard.effective is not None:
            out.append(f"{bold('Effective')}: {e.standard.effective.isoformat()}")
    if e.step is not None:
        extra = [p for p in (e.step.owner, e.step.due.isoformat() if e.step.due else "") if p]
        tail = f" — {esc(', '.join(extra))}" if extra else ""
        out.append(f"{bold('Next step')}: {esc(e.step.text)}{tail}")
    s = e.session
    if e.kind == SESSION_ENDED and s is not None:
        out.append(
            f"{len(s.decisions)} decisions, {len(s.next_steps)} next steps, "
            f"{len(s.participants)} people"
        )
        if s.decisions:
            out.append(bold("Decisions"))
            out.extend(f"• {esc(d)}" for d in s.decisions[:MAX_LINES])
        if s.next_steps:
            out.append(bold("Next steps"))
            for n in s.next_steps[:MAX_LINES]:
                owner = f" — {esc(n.owner)}" if n.owner else ""
                due = f", due {n.due.isoformat()}" if n.due else ""
                out.append(f"• {esc(n.text)}{owner}{due}")
    return out


def headline(e: Outgoing) -> str:
    """The event in a few plain words: "Decision recorded in Scrum of Scrums A"."""
    label = KIND_LABELS.get(e.kind, e.kind)
    return f"{label} in {e.forum.name}" if e.forum.name else label


def _json(e: Outgoing, url: str) -> dict[str, Any]:
    body: dict[str, Any] = msgspec.to_builtins(e)
    body["url"] = url
    return body


def _slack(e: Outgoing, url: str) -> dict[str, Any]:
    def bold(s: str) -> str:
        return f"*{s}*"

    head = f"{bold(slack_escape(headline(e)))} · <{url}|Open in Scaleboard>"
    return {"text": "\n".join([head, *_lines(e, slack_escape, bold)])}


def _mattermost(e: Outgoing, url: str) -> dict[str, Any]:
    def bold(s: str) -> str:
        return f"**{s}**"

    head = f"{bold(md_inline(headline(e)))} · [Open in Scaleboard]({url})"
    return {"username": "Scaleboard", "text": "\n".join([head, *_lines(e, md_inline, bold)])}


def _teams(e: Outgoing, url: str) -> dict[str, Any]:
    def bold(s: str) -> str:
        return f"**{s}**"

    facts = [
        {"type": "TextBlock", "text": line, "wrap": True} for line in _lines(e, md_inline, bold)
    ]
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": md_inline(headline(e)),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            *facts,
        ],
        "actions": [{"type": "Action.OpenUrl", "title": "Open in Scaleboard", "url": url}],
    }
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "content": card}
        ],
    }


_BUILDERS: Final[dict[str, Callable[[Outgoing, str], dict[str, Any]]]] = {
    "json": _json,
    "slack": _slack,
    "teams": _teams,
    "mattermost": _mattermost,
}


def render(fmt: str, event: Outgoing, base_url: str) -> bytes:
    """The body to POST for ``event`` in ``fmt`` (an unknown format: generic JSON)."""
    url = base_url.rstrip("/") + event.path
    return _encoder.encode(_BUILDERS.get(fmt, _json)(event, url))
