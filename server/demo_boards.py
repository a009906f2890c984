"""The demo's forums other than the Scrum of Scrums: each one's cards, as (actor, column,
title, fields), added in order by ``server/demo.py``. The EAT's cards escalated from the
Scrum of Scrums are not here: ``server/demo.py`` escalates them for real (linked pairs)."""

from __future__ import annotations

from typing import Final

Cards = list[tuple[str, str, str, dict[str, str]]]

FORUMS: Final[list[tuple[str, str, str, Cards]]] = [
    (
        "eat",
        "eat",
        "Executive Action Team",
        [
            (
                "Dana Weiss",
                "accepted",
                "Security review capacity is one person",
                {"owner": "Dana Weiss"},
            ),
            (
                "Dana Weiss",
                "in-progress",
                "Test devices take six weeks to procure",
                {"team": "mobile", "owner": "Tom Reyes"},
            ),
            ("Tom Reyes", "removed", "Travel approval for joint planning took two weeks", {}),
            (
                "Dana Weiss",
                "escalated",
                "Standardise trunk-based development across teams",
                {
                    "kind": "experiment",
                    "body": "Proven by Checkout and Payments in the last retrospective.",
                },
            ),
        ],
    ),
    (
        "metascrum-commerce",
        "metascrum",
        "MetaScrum — Commerce",
        [
            (
                "Jonas Berg",
                "proposed",
                "One-click reorder",
                {"kind": "backlog_item", "team": "checkout"},
            ),
            (
                "Jonas Berg",
                "proposed",
                "Saved payment methods on mobile",
                {"kind": "backlog_item", "team": "mobile"},
            ),
            (
                "Jonas Berg",
                "ordered",
                "PSD2 strong customer authentication",
                {
                    "kind": "backlog_item",
                    "team": "payments",
                    "body": "Regulatory deadline: 1 March.",
                },
            ),
            (
                "Jonas Berg",
                "ordered",
                "Guest checkout",
                {"kind": "backlog_item", "team": "checkout"},
            ),
            (
                "Jonas Berg",
                "ordered",
                "Search typo tolerance",
                {"kind": "backlog_item", "team": "search"},
            ),
            (
                "Priya Nair",
                "committed",
                "Apple Pay",
                {"kind": "backlog_item", "team": "payments"},
            ),
            ("Jonas Berg", "parked", "Loyalty points", {"kind": "backlog_item"}),
            (
                "Leo Martin",
                "ordered",
                "Guest checkout needs the payment-intent API",
                {"kind": "dependency", "team": "checkout", "to_team": "payments"},
            ),
        ],
    ),
    (
        "ems",
        "ems",
        "Executive MetaScrum",
        [
            (
                "Jonas Berg",
                "raised",
                "Fund a second Payments team, or delay the marketplace launch?",
                {"kind": "backlog_item"},
            ),
            (
                "Jonas Berg",
                "raised",
                "Move the Mobile team to the checkout redesign for Q1?",
                {"kind": "backlog_item", "team": "mobile"},
            ),
            (
                "Rita Olsen",
                "decided",
                "Marketplace launch moves to Q3 to protect the PSD2 deadline",
                {"kind": "backlog_item"},
            ),
            (
                "Rita Olsen",
                "deferred",
                "Replace the search vendor",
                {"kind": "risk", "team": "search"},
            ),
        ],
    ),
    (
        "retro-q4",
        "retro",
        "Scaled Retrospective — Q4",
        [
            (
                "Ana Souza",
                "went-well",
                "Cross-team pairing on the payment-intent API",
                {"kind": "observation"},
            ),
            (
                "Sam Okafor",
                "went-well",
                "Shared Definition of Done now includes integration tests",
                {"kind": "observation"},
            ),
            (
                "Leo Martin",
                "to-improve",
                "Dependencies are found at the sprint review: too late",
                {"kind": "observation"},
            ),
            (
                "Priya Nair",
                "to-improve",
                "The Scaled Daily Scrum runs 30 minutes",
                {"kind": "observation"},
            ),
            (
                "Maya Chen",
                "ideas",
                "Review the dependency board at every refinement",
                {"kind": "observation"},
            ),
            (
                "Maya Chen",
                "experiments",
                "Time-box the Scaled Daily Scrum to 15 minutes with a visible timer",
                {
                    "kind": "experiment",
                    "body": "Hypothesis: impediments get owners faster. Measure: time-to-removal over two sprints.",
                },
            ),
        ],
    ),
    (
        "backlog-commerce",
        "backlog",
        "Scaled Backlog — Commerce",
        [
            # The MetaScrum's ordered items join these when the two are paired (R57).
            ("Jonas Berg", "ordered", "Offline basket on mobile", {"team": "mobile"}),
            (
                "Jonas Berg",
                "ordered",
                "Observability for the checkout funnel",
                {"team": "platform"},
            ),
        ],
    ),
]
