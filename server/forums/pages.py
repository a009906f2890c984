"""Server-rendered pages: the forum list, a forum's live board, sessions, names."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from litestar import Request, Response, get, post
from litestar.enums import MediaType
from litestar.response import Redirect

from board import visibility
from board.access import LABELS
from board.apply import clean_text
from board.kinds import FORUM_KINDS
from board.model import (
    MAX_BODY,
    MAX_COLUMN_TITLE,
    MAX_FORUM_NAME,
    MAX_NAME,
    MAX_TEXT,
    MAX_TITLE,
)
from server.access.guards import admin_guard, check_form, forum_guard, session_guard, who
from server.access.identity import (
    name_cookie,
    names_cookie,
    names_used,
    safe_next,
    teams_cookie,
    valid_name,
)
from server.access.passes import over_tls
from server.cadence.calendar import calendar_now
from server.forums.backlog import session_overruns, team_choice
from server.forums.people import (
    carry_teams,
    forum_of,
    known_people,
    my_teams,
    network_pick,
    picker,
    save_teams,
    session_teams,
)
from server.forums.retro import session_phases
from server.forums.service import create_forum, teams_css, validate_forum
from server.live.frames import peer_info
from server.live.registry import Rooms
from server.network.backlog_pairs import pair_backlogs
from server.network.parents import parent_name
from server.sessions.export_formats import kept_tally
from server.sessions.sds_export import held
from server.storage import Storage
from server.web.deps import (
    HistoriesDep,
    RendererDep,
    RoomsDep,
    SecretDep,
    StorageDep,
)
from server.web.errors import html, not_found
from server.web.forms import FormData, MultiForm, current_name, current_viewer, many, single
from server.web.render import Renderer

Req = Request[Any, Any, Any]

LIMITS = {
    "title": MAX_TITLE,
    "body": MAX_BODY,
    "name": MAX_NAME,
    "text": MAX_TEXT,
    "forum_name": MAX_FORUM_NAME,
    "column_title": MAX_COLUMN_TITLE,
}


async def _home(
    request: Req,
    storage: Storage,
    rooms: Rooms,
    renderer: Renderer,
    secret: str,
    form: dict[str, str],
    errors: dict[str, str],
    status: int,
) -> Response[str]:
    person = await who(request)
    live = rooms.live()
    forums: list[dict[str, Any]] = []
    for row in await storage.forums.forums():
        role = person.role(row.id)
        if role is None:
            continue
        room = live.get(row.id)
        forums.append(
            {
                "id": row.id,
                "kind": row.kind,
                "name": room.sync.board.name if room else row.name,
                "live_cards": row.live_cards,
                "session_id": (room.sync.board.session is not None) if room else row.session_id,
                # Counted here when its room is live here, else by the process that has
                # it (recorded at its lease renewals).
                "present": room.people_here() if room else row.present,
                "role": role,
                "role_label": LABELS[role],
            }
        )
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for f in forums:
        by_kind[f["kind"]].append(f)
    groups = [{"kind": k, "forums": by_kind[k.id]} for k in FORUM_KINDS.values() if by_kind[k.id]]
    body = renderer.page(
        "home.html",
        forums=forums,
        groups=groups,
        form=form,
        errors=errors,
        name=current_name(request, secret),
        max_forum_name=MAX_FORUM_NAME,
        admin=person.admin,
        anonymous=person.anonymous,
    )
    return html(body, status=status, headers={"Cache-Control": "no-store"})


@get("/", include_in_schema=False)
async def home(
    request: Req, storage: StorageDep, rooms: RoomsDep, renderer: RendererDep, secret: SecretDep
) -> Response[str]:
    form = {"name": "", "kind": "sos"}
    return await _home(request, storage, rooms, renderer, secret, form, {}, 200)


@post("/forums", include_in_schema=False, guards=[admin_guard])
async def create_forum_form(
    request: Req,
    storage: StorageDep,
    rooms: RoomsDep,
    renderer: RendererDep,
    secret: SecretDep,
    data: FormData,
) -> Response[Any]:
    """Create a forum (the admin only); then on to its board."""
    await check_form(request, data)
    name = data.get("name", "")
    kind = data.get("kind", "")
    errors = validate_forum(name, kind)
    if errors:
        form = {"name": name[:200], "kind": kind}
        return await _home(request, storage, rooms, renderer, secret, form, errors, 400)
    board = await create_forum(storage.forums, name, kind)
    await pair_backlogs(storage, rooms)  # a MetaScrum or Scaled Backlog: one list (R57)
    return Redirect(f"/forums/{board.forum_id}", status_code=303)


@get("/forums/{forum_id:str}", include_in_schema=False, guards=[forum_guard("viewer")])
async def forum_page(
    request: Req,
    storage: StorageDep,
    rooms: RoomsDep,
    renderer: RendererDep,
    secret: SecretDep,
    forum_id: str,
    team: str | None = None,
) -> Response[Any]:
    """The live board, with the controls the person's role allows (``?team=``: only the
    cards of one team shown, see ``server/forums/backlog.py``)."""
    room = await rooms.get(forum_id)
    if room is None:
        return not_found(renderer, "There is no forum at this address. It may have been mistyped.")
    team_filter_id = team_choice(renderer, forum_id, team)
    if not isinstance(team_filter_id, str):
        return team_filter_id
    name = current_name(request, secret)
    if name is None:
        return Redirect(f"/name?next=/forums/{forum_id}", status_code=303)
    key = current_viewer(request, secret)  # SPEC R40: the person, not the name
    board = visibility.board_for(room.sync.board, key)  # what this person may see
    real, teams = room.sync.board, renderer.teams
    peers = [peer_info(p, real, teams) for p in room.peers.values()]
    present = [p.name for p in peers]
    person = await who(request)
    role = person.role(forum_id) or "viewer"
    adopting = board.kind == "eat" and role == "facilitator"  # the adopt dialog's forums
    body = renderer.page(
        "forum.html",
        network_forums=await storage.forums.forums() if adopting else [],
        view=renderer.view(board, role=role, viewer=key),
        epoch=room.sync.epoch,
        peers=peers,
        name=name,
        limits=LIMITS,
        admin=person.admin,
        team_filter_id=team_filter_id,
        my_teams=my_teams(real, key),  # SPEC R52
        people=await known_people(storage, real, present),
        served=(await storage.forums.served()).get(forum_id, ()),  # the round's teams (R54)
        escalates_up=await parent_name(storage.forums, forum_id),  # SPEC R72
    )
    return html(body, headers={"Cache-Control": "no-store"})


@get("/forums/{forum_id:str}/sessions", include_in_schema=False, guards=[forum_guard("viewer")])
async def sessions_page(
    storage: StorageDep,
    rooms: RoomsDep,
    renderer: RendererDep,
    histories: HistoriesDep,
    forum_id: str,
) -> Response[str]:
    forum = await storage.forums.forum(forum_id)
    if forum is None:
        return not_found(renderer, "There is no forum at this address.")
    room = rooms.live().get(forum_id)
    live_seq = room.sync.seq if room else forum.seq
    found = await storage.sessions.of_forum(forum_id, live_seq)
    flags = await histories.session_flags([forum_id])
    await calendar_now(storage, renderer)  # the sprints the rows are labelled with
    return html(renderer.page("sessions.html", forum=forum, sessions=found, flags=flags))


@get("/sessions/{session_id:str}", include_in_schema=False, guards=[session_guard("viewer")])
async def session_page(
    storage: StorageDep,
    rooms: RoomsDep,
    renderer: RendererDep,
    histories: HistoriesDep,
    session_id: str,
) -> Response[str]:
    detail = await storage.sessions.detail(session_id)
    if detail is None:
        return not_found(renderer, "There is no session with this id.")
    forum = await storage.forums.forum(detail.session.forum_id)
    if forum is None:
        return not_found(renderer, "The forum of this session no longer exists.")
    view = renderer.view(detail.board, readonly=True) if detail.board else None
    ref_board = detail.board
    if ref_board is None:
        ref_board = await rooms.board(forum.id)  # never takes the forum over
    if ref_board is not None:  # a running session's live board: hidden cards face down
        ref_board = visibility.board_for(ref_board, None)
    ref_view = renderer.view(ref_board, readonly=True) if ref_board else None
    s = detail.session
    phases = (
        await session_phases(storage.log, forum.id, s.start_seq, s.end_seq)
        if forum.kind == "retro"
        else []
    )
    await calendar_now(storage, renderer)  # the session's sprint (SPEC R69)
    body = renderer.page(
        "session.html",
        forum=forum,
        session=detail.session,
        view=view,
        ref_view=ref_view,
        decisions=detail.decision_list,
        steps=detail.step_list,
        phases=phases,
        wip_overruns=await session_overruns(histories, forum.id, session_id),
        member_teams=await session_teams(histories, forum.id, session_id),
        sds=held(ref_board, s.id),  # the round it held (SPEC R56)
        served=(await storage.forums.served()).get(forum.id, ()),  # representation (R56)
        tally=await kept_tally(storage, forum.id, s.end_seq) if forum.kind == "retro" else (),
    )
    return html(body)


async def name_context(request: Req, storage: Storage, target: str) -> dict[str, str]:
    """What the name prompt says it is for: the forum ``target`` goes to (when it is a
    forum's page the person may open) and their role there; empty otherwise."""
    parts = target.split("?", 1)[0].split("/")
    if len(parts) < 3 or parts[1] != "forums" or not parts[2]:
        return {}
    role = (await who(request)).role(parts[2])
    forum = await storage.forums.forum(parts[2]) if role else None
    if forum is None or role is None:
        return {}
    return {"forum_name": forum.name, "role_label": LABELS[role]}


@get("/name", include_in_schema=False)
async def name_form(
    request: Req,
    renderer: RendererDep,
    secret: SecretDep,
    storage: StorageDep,
    rooms: RoomsDep,
    next: str = "/",
) -> Response[str]:
    target = safe_next(next)
    body = renderer.page(
        "name.html",
        next=target,
        name=current_name(request, secret) or "",
        error="",
        max_name=MAX_NAME,
        **await name_context(request, storage, target),
        **await picker(request, rooms, secret, target),  # SPEC R52: teams on joining
    )
    return html(body)


@post("/name", include_in_schema=False)
async def set_name(
    request: Req,
    renderer: RendererDep,
    secret: SecretDep,
    storage: StorageDep,
    rooms: RoomsDep,
    data: MultiForm,
) -> Response[Any]:
    fields = single(data)  # the teams' boxes repeat one field
    await check_form(request, fields)
    target = safe_next(fields.get("next"))
    raw = fields.get("name", "")
    name = valid_name(raw)
    error = ""
    if name is None:
        error = (
            f"Keep your name to {MAX_NAME} characters or fewer."
            if clean_text(raw, single_line=True)  # invisible characters alone are no name
            else "Type the name others will see."
        )
    ids = many(data, "teams") if fields.get("team_forum") else []
    forum_id = forum_of(target)
    sent = False  # a pick was saved in the forum
    if not error and name is not None and fields.get("team_forum") and forum_id:
        refused, sent = await save_teams(request, rooms, secret, forum_id, name, ids)
        error = refused or ""
    if error:
        context = await picker(request, rooms, secret, target)
        if context:
            context["picked"] = tuple(ids)
            context["carry"] = bool(fields.get("carry"))
        body = renderer.page(
            "name.html",
            next=target,
            name=raw[:200],
            error=error,
            max_name=MAX_NAME,
            **await name_context(request, storage, target),
            **context,
        )
        return html(body, status=400)
    assert name is not None
    used = names_used(request, secret)
    went_by = list(dict.fromkeys([name, *used]))  # the names this browser went by
    cookies = []  # ("My next steps" matches owners by them); the name's cookie last
    if went_by != used:
        cookies.append(names_cookie(secret, went_by, secure=over_tls(request.scope)))
    if sent and fields.get("carry"):  # SPEC R74: the pick carries to other forums
        picked = network_pick(ids, frozenset(renderer.teams))  # accepted: cleaned only
        cookies.append(teams_cookie(secret, picked, secure=over_tls(request.scope)))
    cookies.append(name_cookie(secret, name, secure=over_tls(request.scope)))
    return Redirect(target, status_code=303, cookies=cookies)


@get("/teams.css", include_in_schema=False, media_type="text/css")
async def team_styles(renderer: RendererDep) -> Response[str]:
    teams = renderer.teams.values()
    css = teams_css([(t.id, t.colour) for t in teams])
    return Response(css, media_type="text/css", headers={"Cache-Control": "no-cache"})


@get("/healthz", media_type=MediaType.JSON, tags=["health"])
async def healthz(storage: StorageDep) -> Response[dict[str, str]]:
    """200 when the database answers, 503 when it does not."""
    try:
        await storage.ping()
    except Exception as e:
        return Response({"status": "error", "detail": str(e)}, status_code=503)
    return Response({"status": "ok"})


PAGES = [
    home,
    create_forum_form,
    forum_page,
    sessions_page,
    session_page,
    name_form,
    set_name,
    carry_teams,
    team_styles,
    healthz,
]
