"""Guardrails: recorded sessions that look like Scrum@Scale misuse, each with a reason.

They flag, never block: a flag is a question for the forum, not a verdict. Each rule
reads only what a forum recorded (``board.metrics_facts``) and applies to sessions
that have ended:

- ``status_meeting`` — any forum: the session ended with no decisions and no next
  steps; it was likely a status meeting.
- ``reorder_without_tradeoff`` — MetaScrum: cards were moved into or within the
  ordered column while the session ran without a trade-off note: the move carried no
  note (``board/backlog.py`` records one as a decision in the same operation) and no
  decision of the session names the card.
- ``wip_exceeded`` — any forum: a card came into a column and left it over its WIP
  limit while the session ran (``board/wip.py``); each time is listed.
- ``daily_scrum_overrun`` — Scrum of Scrums: the session (its Scaled Daily Scrum) ran
  over 15 minutes.
- ``team_unrepresented`` — Scrum of Scrums: a team the forum serves (set by the admin)
  or with cards on the board (a card's team, or either team of a dependency, on the
  board the session ended with) had nobody in the session. A team is represented when
  a participant who said they are in it (SPEC R52, R53: ``SessionFact.member_teams``;
  people, never a viewer, the projector or a token) took part. In a session where
  nobody had picked teams (older sessions), a participant counts for a team when their
  name contains the team's name or id as a word ("Maya (Checkout)", "checkout-maya");
  when no name names any team either, who represented which team cannot be told: the
  rule is not applied to that session (it is reported as unchecked).
  When the session held a Scaled Daily Scrum (``board/sds.py``), a team counts as
  represented when a speaker was recorded for it in the round (SPEC R56), whatever the
  picks or names; and ``daily_scrum_overrun`` measures the round, not the session.
- ``status_cards`` — Scrum of Scrums: the board the session ended with held more
  note (status) cards than impediments and dependencies together.
- ``decision_out_of_place`` — any forum but an Executive MetaScrum: a decision whose
  words say a priority changes, a budget moves or teams change (``TOPICS``). The
  words are chosen to catch changes, not every mention: "team" or "priority" alone do
  not count ("Team Checkout removes it", "top priority impediment"), "re-prioritise",
  "budget" and "headcount" do. A MetaScrum's ordinary trade-off note ("Apple Pay
  before guest checkout") is not flagged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Final

import msgspec

from .metrics_facts import DecisionFact, ForumHistory, SessionFact
from .model import Team
from .people import represented
from .periods import Period

DAILY_SCRUM_LIMIT: Final = 15 * 60.0  # seconds
RULES: Final = {
    "status_meeting": "Likely a status meeting",
    "reorder_without_tradeoff": "Re-ordered without a trade-off note",
    "wip_exceeded": "Went over a WIP limit",
    "daily_scrum_overrun": "Scaled Daily Scrum over 15 minutes",
    "team_unrepresented": "A team was not represented",
    "status_cards": "More status cards than impediments and dependencies",
    "decision_out_of_place": "Decision belongs in the Executive MetaScrum",
}
"""Every rule's id and its short label."""

# Word patterns (case-insensitive) that make a decision look like each kind of
# Executive MetaScrum decision. \b keeps "fund" out of "fundamental".
TOPICS: Final[dict[str, tuple[str, ...]]] = {
    "priority": (
        r"\b(?:re|de)-?prioriti[sz]\w*",
        r"\bprioriti[sz](?:e|es|ed|ing)\b",
        r"\bpriorit(?:y|ies)\s+(?:change|shift)\w*",
        r"\bchang\w*\s+(?:the\s+|our\s+|its\s+|their\s+)?priorit(?:y|ies)\b",
        r"\b(?:higher|lower)\s+priority\b",
    ),
    "budget": (
        r"\bbudgets?\b",
        r"\bfunding\b",
        r"\bfunds?\b",
        r"\bcapex\b",
        r"\bopex\b",
        r"\bcost\s+cent(?:re|er)s?\b",
        r"\binvestments?\b",
    ),
    "team": (
        r"\bheadcount\b",
        r"\bre-?align\w*",
        r"\breorgani[sz]\w*",
        r"\brestructur\w*",
        r"\bhir(?:e|es|ed|ing)\b",
        r"\bdisband\w*",
        r"\bnew\s+team\b",
        r"\bmerge\s+(?:the\s+)?teams\b",
        r"\bsplit\s+(?:the\s+)?team\b",
        r"\bmov\w*\s+(?:\w+\s+){1,3}(?:to|into)\s+(?:the\s+)?team\b",
        r"\bstaffing\b",
    ),
}
_TOPICS: Final = {
    topic: [re.compile(p, re.IGNORECASE) for p in patterns] for topic, patterns in TOPICS.items()
}


class Flag(msgspec.Struct, frozen=True, kw_only=True):
    """One rule a session tripped, and why, in words."""

    rule: str
    label: str
    forum_id: str
    session_id: str
    session_number: int
    started_at: float
    reason: str
    decision_id: str | None = None


class Unchecked(msgspec.Struct, frozen=True, kw_only=True):
    """A rule that could not be applied to a session, and why."""

    rule: str
    forum_id: str
    session_id: str
    reason: str


class GuardrailReport(msgspec.Struct, frozen=True):
    flags: list[Flag] = msgspec.field(default_factory=list)
    unchecked: list[Unchecked] = msgspec.field(default_factory=list)


def decision_topics(text: str) -> list[tuple[str, str]]:
    """(topic, the words that matched) for each kind of EMS decision ``text`` looks like."""
    found: list[tuple[str, str]] = []
    for topic, patterns in _TOPICS.items():
        for pattern in patterns:
            match = pattern.search(text)
            if match:
                found.append((topic, match.group(0)))
                break
    return found


def _minutes(seconds: float) -> str:
    return f"{int(seconds // 60)} min"


def _names(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _represents(participant: str, team: Team) -> bool:
    for word in {team.name, team.id}:
        if word.strip() and re.search(
            rf"(?<!\w){re.escape(word.strip())}(?!\w)", participant, re.IGNORECASE
        ):
            return True
    return False


def check_session(
    kind: str,
    forum_id: str,
    session: SessionFact,
    decisions: Sequence[DecisionFact],
    teams: Sequence[Team] = (),
    served: Sequence[str] = (),
) -> GuardrailReport:
    """The flags of one ended session (a running one gets none) of a forum of ``kind``;
    ``served``: the ids of the teams the forum serves (a Scrum of Scrums)."""
    report = GuardrailReport()
    if session.ended_at is None:
        return report

    def flag(rule: str, reason: str, decision_id: str | None = None) -> None:
        report.flags.append(
            Flag(
                rule=rule,
                label=RULES[rule],
                forum_id=forum_id,
                session_id=session.id,
                session_number=session.number,
                started_at=session.started_at,
                reason=reason,
                decision_id=decision_id,
            )
        )

    if session.decisions == 0 and session.next_steps == 0:
        flag(
            "status_meeting",
            "It ended with no decisions and no next steps: likely a status meeting.",
        )
    if kind == "metascrum" and session.reorders:
        unnoted = _unnoted_reorders(session, decisions)
        if unnoted:
            moves = "1 move" if session.reorders == 1 else f"{session.reorders} moves"
            if unnoted == session.reorders:
                why = "but no trade-off note or decision records the trade-off."
            else:
                why = f"and {unnoted} of them came with no trade-off note or decision."
            flag("reorder_without_tradeoff", f"The ordered backlog changed ({moves}) {why}")
    if session.wip_overruns:
        over = session.wip_overruns
        times = "once" if len(over) == 1 else f"{len(over)} times"
        listed = ", ".join(o.label for o in over[:5]) + (", …" if len(over) > 5 else "")
        flag("wip_exceeded", f"Columns went over their WIP limit {times}: {listed}.")
    if kind == "sos":
        # SPEC R56: a session that held a round is judged by the round's own length.
        held = session.sds
        took = held.seconds if held is not None else session.ended_at - session.started_at
        if took > DAILY_SCRUM_LIMIT:
            what = "Its Scaled Daily Scrum" if held is not None else "It"
            flag(
                "daily_scrum_overrun",
                f"{what} ran {_minutes(took)}; a Scaled Daily Scrum takes 15 minutes or less.",
            )
        unrepresented, unknown = team_check(session, teams, served)
        if unrepresented:
            flag("team_unrepresented", unrepresented)
        if unknown:
            report.unchecked.append(
                Unchecked(
                    rule="team_unrepresented",
                    forum_id=forum_id,
                    session_id=session.id,
                    reason=unknown,
                )
            )
        kinds = session.kinds_at_end
        notes = kinds.get("note", 0)
        work = kinds.get("impediment", 0) + kinds.get("dependency", 0)
        if notes > work:
            flag(
                "status_cards",
                f"The board held {notes} note (status) cards and only {work} impediments "
                "and dependencies.",
            )
    if kind != "ems":
        for d in decisions:
            topics = decision_topics(d.text)
            if topics:
                said = ", ".join(f"{topic} (“{words}”)" for topic, words in topics)
                excerpt = d.text if len(d.text) <= 80 else d.text[:79] + "…"
                flag(
                    "decision_out_of_place",
                    f"The decision “{excerpt}” looks like a {said} decision; such decisions "
                    "belong in the Executive MetaScrum.",
                    d.id,
                )
    return report


def _unnoted_reorders(session: SessionFact, decisions: Sequence[DecisionFact]) -> int:
    """Re-orders of the session with no trade-off note: moves without one, less those
    whose card a decision of the session names."""
    named = {c for d in decisions for c in d.card_ids}
    excused = sum(1 for c in session.unnoted_cards if c in named)
    return max(0, session.reorders - session.reorders_noted - excused)


def team_check(
    session: SessionFact, teams: Sequence[Team], served: Sequence[str] = ()
) -> tuple[str | None, str | None]:
    """(why the session is flagged, why it cannot be checked): at most one is set. The
    teams expected are those the forum serves and those with cards on the board."""
    known = {t.id: t for t in teams}
    expected = dict.fromkeys((*served, *session.teams_at_end))
    on_board = [known.get(tid) or Team(tid, tid, "") for tid in expected]
    if not on_board:
        return None, None
    if session.sds is not None:  # SPEC R56: a round was held: a speaker recorded per team
        silent = [t for t in on_board if t.id not in session.sds.spoke]
        if not silent:
            return None, None
        return (
            f"{_names([t.name for t in silent])}: no speaker recorded in the Scaled Daily Scrum.",
            None,
        )
    members = represented(session.member_teams)  # R53: people's own picks
    if members:
        missing = [t for t in on_board if t.id not in members]
    elif not any(_represents(p, t) for p in session.participants for t in known.values()):
        return None, (
            "Nobody who took part had picked their teams, nor does a display name name "
            "one (e.g. “Maya (Checkout)”), so who represented which team cannot be told."
        )
    else:
        missing = [t for t in on_board if not any(_represents(p, t) for p in session.participants)]
    if not missing:
        return None, None
    serves = sum(1 for t in missing if t.id in served)
    if len(missing) == 1:
        why = "is served by this forum" if serves else "has cards on the board"
        return f"{missing[0].name} {why} but nobody from it took part.", None
    why = (
        "have cards on the board"
        if not serves
        else "are served by this forum"
        if serves == len(missing)
        else "are served by this forum or have cards on the board"
    )
    return f"{_names([t.name for t in missing])} {why} but nobody from them took part.", None


def check_forum(
    history: ForumHistory,
    period: Period | None = None,
    teams: Sequence[Team] = (),
    served: Sequence[str] = (),
) -> GuardrailReport:
    """Every flag of the forum's ended sessions that started in ``period`` (all: None);
    ``served``: the teams the forum serves."""
    by_session: dict[str, list[DecisionFact]] = {}
    for d in history.decisions:
        by_session.setdefault(d.session_id, []).append(d)
    return merge(
        check_session(history.kind, history.forum_id, s, by_session.get(s.id, []), teams, served)
        for s in history.sessions
        if period is None or s.started_at in period
    )


def merge(reports: Iterable[GuardrailReport]) -> GuardrailReport:
    """Reports as one, most recent session first."""
    flags: list[Flag] = []
    unchecked: list[Unchecked] = []
    for r in reports:
        flags.extend(r.flags)
        unchecked.extend(r.unchecked)
    flags.sort(key=lambda f: (-f.started_at, f.forum_id, f.session_number))
    return GuardrailReport(flags=flags, unchecked=unchecked)
