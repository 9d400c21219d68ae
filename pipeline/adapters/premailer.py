"""premailer, with the stylesheet's rules parsed once per process and without loading requests.

Two internals, each worth a share of what a user waits for (measured on the example archive):
- premailer re-reads its stylesheets on every transform (the rule list, the @media text). The
  Inliner below overrides the private `_process_css_text` to hand over rules parsed once, by
  premailer's own private `_parse_style_rules` and `_css_rules_to_string`, and keeps the answers
  of the private `_style_to_basic_html_attributes` per style: a cold build takes 14% less time.
- premailer imports requests, for stylesheets it would fetch over the network, which we never
  let it do (allow_network=False); loading requests costs 14% of `make` after a one-digest edit.
  It is imported here while a stand-in holds the name `requests` in sys.modules.

`inliner(css)` checks that these internals are there with the parameters it passes them, and that
the parsed rules have the shape it keeps; where they do not, it returns premailer used only through
its public API. PROBE is a message the contract test inlines both ways.
"""
from __future__ import annotations

import importlib
import inspect
import logging
import sys
import types
from typing import Any

import cssutils
from lxml import etree

from . import fall_back


class _OnFirstUse(types.ModuleType):
    """A stand-in for a module, importing the real one when one of its names is first used."""

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get(self.__name__) is self:  # asked while it stands in: there is no real one yet
            raise AttributeError(name)
        return getattr(importlib.import_module(self.__name__), name)


def _import_without(module: str, name: str) -> types.ModuleType:
    """Return `module`, imported while `name` (which it imports but may never use) is a stand-in.

    The stand-in is gone from sys.modules afterwards, so any other import gets the real module.
    (importlib's LazyLoader does not help here: `import` itself reads the module's __spec__.)
    """
    if name in sys.modules or module in sys.modules:
        return importlib.import_module(module)
    sys.modules[name] = _OnFirstUse(name)
    try:
        return importlib.import_module(module)
    finally:
        del sys.modules[name]


premailer = _import_without("premailer", "requests")

# premailer's options for an email: nothing fetched, links and classes left alone, !important dropped.
OPTIONS: dict[str, Any] = dict(
    allow_network=False, allow_loading_external_files=False, disable_link_rewrites=True, keep_style_tags=False,
    remove_classes=False, strip_important=True, cache_css_parsing=True, disable_validation=True,
    cssutils_logging_level=logging.CRITICAL)
# The private methods the Inliner uses or overrides, with the parameters it passes them.
_INTERNALS = {
    "_parse_style_rules": ("self", "css_body", "ruleset_index"),
    "_css_rules_to_string": ("self", "rules"),
    "_process_css_text": ("self", "css_text", "index", "rules", "head"),
    "_style_to_basic_html_attributes": ("self", "element", "style_content", "force"),
}
# A message with what the stylesheet styles, and an @media rule's leftover: the probe of the contract.
PROBE = ('<html><head></head><body><div class="wrapper"><h1 style="color:red">T</h1><p class="dateline">d</p>'
         '<table><tr><td>c</td></tr></table><p>p <a href="https://a.org">a</a> <code>c</code></p></div>'
         '</body></html>')


class PublicInliner:
    """premailer through its public API alone: the stylesheet's rules are read for every message."""

    def __init__(self, css: str) -> None:
        cssutils.log.setLevel(logging.CRITICAL)  # every property it does not know (mso-hide, -webkit-…)
        self.premailer = premailer.Premailer(css_text=[css], **OPTIONS)

    def inline(self, html: str) -> str:
        """Return `html` with the stylesheet's rules in style attributes and its @media rules in <head>."""
        return str(self.premailer.transform(html, pretty_print=False)) + "\n"


class Inliner(premailer.Premailer):
    """premailer with the stylesheet's rules and its leftover @media block parsed once."""

    def __init__(self, css: str) -> None:
        cssutils.log.setLevel(logging.CRITICAL)
        super().__init__(css_text=[css], **OPTIONS)
        rules, leftover = self._parse_style_rules(css, 0)
        self.rules, self.media = tuple(rules), self._css_rules_to_string(leftover)
        self._basic: dict[str, tuple[tuple[str, str], ...]] = {}

    def _style_to_basic_html_attributes(self, element: Any, style_content: str, force: bool = False) -> None:
        """Set the HTML attributes Outlook reads (align, bgcolor, width …) from an element's style.

        premailer parses the style again for each of a message's 200-odd elements; they share a
        dozen styles, so each style's attributes are worked out once, by premailer, and kept.
        """
        attributes = self._basic.get(style_content)
        if attributes is None:
            probe = etree.Element("probe")
            super()._style_to_basic_html_attributes(probe, style_content, force=True)
            attributes = tuple(probe.attrib.items())
            if len(self._basic) < 4096:
                self._basic[style_content] = attributes
        for key, value in attributes:
            if force or key not in element.attrib:
                element.attrib[key] = value

    def _process_css_text(self, css_text: str, index: int, rules: list[Any], head: Any) -> None:
        rules.extend(self.rules)
        if head is not None and self.media:
            style = etree.SubElement(head, "style")
            style.attrib["type"] = "text/css"
            style.text = self.media

    def inline(self, html: str) -> str:
        """Return `html` with the stylesheet's rules in style attributes and its @media rules in <head>."""
        return str(self.transform(html, pretty_print=False)) + "\n"


def inliner(css: str) -> Inliner | PublicInliner:
    """Return the fast inliner of `css` where premailer's internals have the shape it expects, else the public one.

    The shape is checked, not the answers: a probe message inlined both ways cost a twentieth of a
    one-digest build. tests/adapters/test_adapters.py holds the answers against the stock library.
    """
    version = getattr(premailer, "__version__", "?")
    changed = [name for name, parameters in _INTERNALS.items() if _parameters(name) != parameters]
    if changed:
        fall_back("premailer", version, f"its {', '.join(changed)} {'is' if len(changed) == 1 else 'are'} "
                  "not what this adapter was written for")
        return PublicInliner(css)
    try:
        fast = Inliner(css)
    except Exception as exc:  # internals of another shape inside: not what the adapter expects
        fall_back("premailer", version, f"its private stylesheet methods failed ({type(exc).__name__})")
        return PublicInliner(css)
    if not all(isinstance(rule, tuple) and isinstance(rule[1], str) for rule in fast.rules) or \
            not isinstance(fast.media, str):
        fall_back("premailer", version, "its private stylesheet methods answer in another shape")
        return PublicInliner(css)
    return fast


def _parameters(name: str) -> tuple[str, ...] | None:
    """Return the parameter names of premailer's Premailer.`name`, None if it has no such method."""
    member = getattr(premailer.Premailer, name, None)
    if not callable(member):
        return None
    try:
        return tuple(inspect.signature(member).parameters)
    except (TypeError, ValueError):
        return None
