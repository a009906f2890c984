"""The person key of each logged op, on both engines (SPEC R40): stored with the op,
read back by ``ops`` and used by ``load``'s replay, so two people of one name keep two
dot budgets across a reload; an op logged before keys existed reads back as ``""``."""

from __future__ import annotations

from pathlib import Path

from board import ops as o
from server.storage import Storage
from tests.storage.conftest import Open
from tests.storage.plays import Play

ANA_1 = "pAAAAAAAAAAAAAAAA"
ANA_2 = "pBBBBBBBBBBBBBBBB"


def two_anas_voting() -> Play:
    """A retrospective where two people called Ana each put two dots (limit 2)."""
    play = Play(kind="retro", name="Retro")
    play.do(o.StartSession())
    play.do(o.AddCard(column="to-improve", title="Pairing"))
    play.do(o.SetPhase(phase="write"))
    play.do(o.ConfigureRetro(dots=2))
    for phase in ("reveal", "group", "vote"):
        play.do(o.SetPhase(phase=phase))
    for key in (ANA_1, ANA_2):
        for _ in range(2):
            play.do(o.CastVote(target="c2"), actor="Ana", by=key)
    return play


async def test_the_person_key_is_stored_and_read_back(
    storage: Storage, engine: Open, tmp_path: Path
) -> None:  # SPEC R40
    play = two_anas_voting()
    await storage.forums.create(play.first, play.at)
    await storage.log.append(play.forum_id, play.accepted, play.at)
    stored = await storage.log.ops(play.forum_id, 1, play.board.seq)
    assert [op.by for op in stored] == [a.item.by for a in play.accepted]
    assert {op.by for op in stored if isinstance(op.op, o.CastVote)} == {ANA_1, ANA_2}
    assert stored[0].by == "" and stored[0].who == "Ann"  # no key: the name is the key
    await storage.close()
    again = await engine(tmp_path)
    try:
        loaded = await again.log.load(play.forum_id)
        assert loaded is not None and loaded.board == play.board
        retro = loaded.board.retro
        assert retro is not None and retro.votes == {ANA_1: {"c2": 2}, ANA_2: {"c2": 2}}
    finally:
        await again.close()
