"""A page's structured data, JSON-LD and microdata, read by extruct, as plain objects.

News sites describe their pages for search engines in JSON-LD (a script block) or in
microdata (``itemscope``/``itemprop`` attributes on the page's own elements). extruct reads
both; this module gives every object of either in one shape, JSON-LD's: ``@type`` and the
properties by name, every string with its HTML entities decoded ("It&#39;s" -> "It's",
which JSON-LD writers often leave in). A microdata object keeps the element it was read
from, so the reader can look at the update's own markup.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ..cleaning import decode_entities


@dataclass(frozen=True)
class Item:
    """One object of the page's structured data; ``node``: the element of a microdata
    object (None for JSON-LD); ``line``: where it starts in the page."""

    data: dict[str, Any]
    line: int | None
    node: Any = field(default=None, compare=False)  # an lxml element

    def is_a(self, *names: str) -> bool:
        """Whether @type (a name or a list, maybe "schema:X" or a schema.org URL) ends in
        one of the names."""
        types = self.data.get("@type")
        types = types if isinstance(types, list) else [types]
        return any(isinstance(t, str) and t.endswith(names) for t in types)


def page_items(tree: Any, base_url: str | None) -> tuple[list[Item], list[tuple[int | None, str]]]:
    """Every object of the page's JSON-LD and microdata, nested ones too (outermost first),
    and the JSON-LD blocks that could not be read, with their lines."""
    # imported here: extruct brings BeautifulSoup and mf2py (0.2 s), which only pages need
    from extruct.jsonld import JsonLdExtractor
    from extruct.w3cmicrodata import MicrodataExtractor

    items: list[Item] = []
    bad: list[tuple[int | None, str]] = []
    json_ld = JsonLdExtractor()
    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            found = json_ld.extract_items(script)  # this block only
        except (ValueError, RecursionError) as exc:
            bad.append((script.sourceline, f"JSON-LD block is not valid JSON ({exc}); skipped"))
            continue
        for value in found:
            items.extend(Item(obj, script.sourceline) for obj in _objects(_decoded(value)))
    microdata = MicrodataExtractor(add_html_node=True)
    try:
        found = microdata.extract_items(tree, base_url)
    except (ValueError, etree.LxmlError) as exc:  # a page's markup is not ours to trust
        bad.append((None, f"microdata could not be read ({exc}); skipped"))
        found = []
    for value in found:
        items.extend(Item(obj, _line(obj.get("htmlNode")), obj.get("htmlNode"))
                     for obj in _objects(_from_microdata(value)))  # fmt: skip
    return items, bad


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        return decode_entities(value)
    if isinstance(value, list):
        return [_decoded(v) for v in value]
    if isinstance(value, dict):
        return {k: _decoded(v) for k, v in value.items()}
    return value


def _from_microdata(item: dict[str, Any]) -> dict[str, Any]:
    """An extruct microdata item in JSON-LD's shape: {"@type", properties..., "htmlNode"}."""
    obj: dict[str, Any] = {"@type": item.get("type"), "htmlNode": item.get("htmlNode")}
    if item.get("id"):
        obj["@id"] = item["id"]
    for name, value in (item.get("properties") or {}).items():
        obj[name] = _microdata_value(value)
    return obj


def _microdata_value(value: Any) -> Any:
    if isinstance(value, list):
        return [_microdata_value(v) for v in value]
    if isinstance(value, dict) and ("properties" in value or "type" in value):
        return _from_microdata(value)
    if isinstance(value, str):
        return decode_entities(value)
    return value


def _objects(data: object) -> Iterator[dict[str, Any]]:
    """Every object nested in a JSON value, outermost first."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            yield value
            stack.extend(reversed([v for k, v in value.items() if k != "htmlNode"]))
        elif isinstance(value, list):
            stack.extend(reversed(value))


def _line(node: Any) -> int | None:
    return node.sourceline if node is not None else None
