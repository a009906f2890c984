"""The dark theme rests on named colours (issue 13): every colour in static/css is a
custom property's value (``--name: #…``, light in app.css's ``:root``, dark under
``prefers-color-scheme: dark`` and the projector's switch); no rule writes a colour of
its own, so no text stays dark on a dark page (``.card-link { color: #334 }`` was)."""

from __future__ import annotations

import re

from tests.support import ROOT

CSS = ROOT / "static" / "css"
COLOUR = re.compile(r"#[0-9a-fA-F]{3,8}\b|\b(?:rgba?|hsla?)\(\s*\d")
# print.css is paper: black on white whatever the screen's theme.
PAPER = {"print.css"}


def test_colours_are_only_named_in_custom_properties() -> None:
    offenders: list[str] = []
    sheets = sorted(CSS.glob("*.css"))
    assert len(sheets) > 5
    for sheet in sheets:
        if sheet.name in PAPER:
            continue
        text = re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S)
        for n, line in enumerate(text.splitlines(), 1):
            for declaration in line.split(";"):
                if COLOUR.search(declaration) and not declaration.strip().startswith("--"):
                    offenders.append(f"{sheet.name}:{n}: {declaration.strip()}")
    assert not offenders, "colours outside custom properties:\n" + "\n".join(offenders)


def test_every_named_colour_used_is_defined_light_and_dark() -> None:
    app = (CSS / "app.css").read_text()
    light, _, dark = app.partition("@media (prefers-color-scheme: dark)")
    defined_light = set(re.findall(r"(--[\w-]+):", light))
    defined_dark = set(re.findall(r"(--[\w-]+):", dark.split("\n}\n", 1)[0]))
    used: set[str] = set()
    for sheet in CSS.glob("*.css"):
        used |= set(re.findall(r"var\((--[\w-]+)", sheet.read_text()))
    local = {"--kind", "--team", "--hue", "--label-h", "--hl", "--hl-bg"}  # set by a rule or JS
    missing_light = sorted(used - defined_light - local)
    assert not missing_light, f"used but not defined in :root: {missing_light}"
    colours = {v for v in defined_light if COLOUR.search(_value(light, v))}
    assert not sorted(colours - defined_dark - {"--qr-light", "--qr-dark"}), sorted(
        colours - defined_dark
    )


def _value(css: str, name: str) -> str:
    found = re.search(rf"{re.escape(name)}:\s*([^;]+);", css)
    return found.group(1) if found else ""
