"""How templates print text they did not write: safe to show, and isolated from the text around it.

Every Jinja2 environment that renders for a person (the messages here, the pages in `recovery.web.pages`)
uses `printed` as its `finalize`, so every value a template prints goes through
`recovery.domain.text.shown` first: bidi overrides, zero width and other format characters never reach a
reader, whatever the template and whoever wrote it. Two kinds of value are printed as they are:

- a `Phrase`: our wording with values filled in. As text it is the plain sentence; in autoescaped HTML
  each value is inside its own `<bdi>`, so a right-to-left name cannot pull the digits or punctuation
  after it into its own direction (`agent אבי: 25.3%` stays in that order). Its values were made safe
  when it was built.
- a `Verbatim` value (the `verbatim` filter): what a form sends back exactly as it came (a comment shown
  again in its text area after a mistake, a hidden field), since the next submission stores it.

Markup (a macro's output, `caller()`) is already printed through `printed`; it is passed through
`shown` again, which changes nothing in it.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from recovery.domain.text import shown

_ISOLATED = Markup("<bdi>{}</bdi>")


class Phrase(str):
    """A sentence of our wording with values filled in (see `phrase`)."""

    _template: str
    _values: dict[str, Any]

    def __html__(self) -> str:
        isolated = {
            name: escape(value) if isinstance(value, Phrase) else _ISOLATED.format(value)
            for name, value in self._values.items()
        }
        return str(escape(self._template).format(**isolated))


def phrase(template: str, **values: Any) -> Phrase:
    """`template.format(**values)` with each value made safe to show; isolated in HTML.

    A value that is itself a Phrase keeps its own isolation instead of getting another one.
    """
    clean: dict[str, Any] = {
        name: value if isinstance(value, Phrase) else shown(str(value)) for name, value in values.items()
    }
    wording = shown(template)
    made = Phrase(wording.format(**clean))
    made._template = wording
    made._values = clean
    return made


class Verbatim(str):
    """A value printed exactly as it is (autoescaped in HTML all the same)."""


def verbatim(value: Any) -> Any:
    """The `verbatim` filter: a string printed as it is; anything else as before."""
    return Verbatim(value) if isinstance(value, str) else value


def printed(value: Any) -> Any:
    """The templates' `finalize`: every printed string made safe to show (see the module docstring)."""
    if not isinstance(value, str) or isinstance(value, Phrase | Verbatim):
        return value
    clean = shown(value)
    if clean is value or not isinstance(value, Markup):
        return clean
    # Markup already: every `<` from outside in it is escaped, so taking characters out (or putting a
    # marker in) cannot make a tag.
    return Markup(clean)  # noqa: S704
