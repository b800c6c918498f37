"""Live pages with no schema markup: the repeated update blocks, found by their shape.

Many outlets publish live pages with no ``LiveBlogPosting`` data and no post classes this
tool knows. What every such page still has is a run of sibling elements of one structure,
each showing a time-like stamp ("14:05", "12.50 BST", "15 mai 2023 14h05", a match
minute "45'"). The finder, with no per-outlet rules:

1. Stamps: the innermost elements whose whole text is a stamp (``times.stamp_kind``), and
   ``<time>`` elements.
2. Stamps are grouped by their place in the page's structure: the tags and classes of the
   stamp and of its ancestors. For each group, the lowest common ancestor of its stamps is
   the stream, and the stream's child that holds a stamp is that update's block.
3. A group counts when it gives at least ``MIN_BLOCKS`` blocks of one tag, one stamp each,
   and the blocks hold the page's main text (at least half of the paragraphs trafilatura
   finds), so a list of related stories or a comment thread is not taken for a live blog.
   Of the groups that count, the one with the most blocks wins. The stream's other
   children of the same structure (tag, and the class the stamped blocks share) are
   updates too, undated: an update posted in the minute of the one above often shows no
   stamp of its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .cleaning import clean_line
from .html_markup import MarkupPost, read_block
from .times import stamp_kind

MIN_BLOCKS = 3
# the share of the main text's paragraphs that the blocks must hold
MIN_MAIN_TEXT_SHARE = 0.5
_MIN_PARAGRAPH = 40  # characters: shorter lines of the main text are not weighed
_MAX_STAMP = 40  # characters of a stamp, spaces folded
_MAX_STAMP_SOURCE = 400  # characters of its source text, before spaces are folded


def stamped_blocks(tree: Any, main_text: str) -> list[MarkupPost]:
    """The update blocks of a live page without schema markup, in page order (see module
    doc); [] when the page shows no such run of blocks."""
    groups: dict[tuple[str, ...], list[tuple[Any, str]]] = {}
    for node, text in _stamps(tree):
        groups.setdefault(_signature(node), []).append((node, text))
    paragraphs = [p for p in (clean_line(x) for x in main_text.split("\n"))
                  if len(p) >= _MIN_PARAGRAPH]  # fmt: skip
    best: list[MarkupPost] = []
    for stamps in groups.values():
        blocks = _blocks(stamps)
        if len(blocks) > len(best) and _holds_main_text(blocks, paragraphs):
            best = [read_block(block, time=_time_or_none(node), stamp=text or None)
                    for block, node, text in blocks]  # fmt: skip
    return best


def _stamps(tree: Any) -> Iterator[tuple[Any, str]]:
    """(element, stamp text) for the innermost elements whose text is a stamp."""
    body = tree.find("body")
    for node in (body if body is not None else tree).iter():
        if not isinstance(node.tag, str) or node.tag in ("script", "style", "title"):
            continue
        text = _short_text(node)
        if text is None:
            continue
        if node.tag == "time" and (node.get("datetime") or stamp_kind(text)):
            yield node, text
        elif stamp_kind(text) and not any(
            isinstance(child.tag, str) and _short_text(child) == text for child in node
        ):
            yield node, text


def _short_text(node: Any) -> str | None:
    """An element's text when it is short enough to be a stamp (read no further)."""
    parts, size = [], 0
    for piece in node.itertext():
        size += len(piece)
        if size > _MAX_STAMP_SOURCE:
            return None
        parts.append(piece)
    text = clean_line("".join(parts))
    return text if len(text) <= _MAX_STAMP else None


def _signature(node: Any) -> tuple[str, ...]:
    """A stamp's place in the page: its tag and class, and the tags of its ancestors (their
    classes vary from update to update: "coventry--highlight")."""
    own = f"{node.tag}.{'.'.join(sorted((node.get('class') or '').split()))}"
    return (own, *(n.tag for n in node.iterancestors()))


def _blocks(stamps: list[tuple[Any, str]]) -> list[tuple[Any, Any, str]]:
    """(block, stamp element, stamp text) per update, where the stamps make a run of
    sibling blocks of one tag, one stamp each; [] otherwise."""
    if len(stamps) < MIN_BLOCKS:
        return []
    stream = _common_ancestor([node for node, _ in stamps])
    if stream is None:
        return []
    blocks = []
    for node, text in stamps:
        block = node
        while block.getparent() is not stream:
            block = block.getparent()
        blocks.append((block, node, text))
    if len({id(b) for b, _, _ in blocks}) != len(blocks) or len({b.tag for b, _, _ in blocks}) > 1:
        return []
    return _with_unstamped(stream, blocks)


def _with_unstamped(stream: Any, blocks: list[tuple[Any, Any, str]]) -> list[tuple[Any, Any, str]]:
    """The stamped blocks and their unstamped siblings of the same structure (the same tag,
    and the class the stamped ones share), in page order: an update posted in the same
    minute as the one above it often shows no stamp of its own."""
    stamped = {id(block): (block, node, text) for block, node, text in blocks}
    tag = blocks[0][0].tag
    shared = set.intersection(*((set((b.get("class") or "").split())) for b, _, _ in blocks))
    found = []
    for child in stream:
        if id(child) in stamped:
            found.append(stamped[id(child)])
        elif child.tag == tag and _same_kind(child, shared) and clean_line(child.text_content()):
            found.append((child, None, ""))
    return found


def _same_kind(element: Any, shared: set[str]) -> bool:
    classes = set((element.get("class") or "").split())
    return shared <= classes if shared else not classes


def _common_ancestor(nodes: list[Any]) -> Any:
    first = [nodes[0], *nodes[0].iterancestors()]
    shared = set(map(id, first))
    for node in nodes[1:]:
        shared &= {id(n) for n in (node, *node.iterancestors())}
    common = next((n for n in first if id(n) in shared), None)
    # a stamp is never its own stream: the blocks are the stream's children
    return None if common is None or any(common is n for n in nodes) else common


def _holds_main_text(blocks: list[tuple[Any, Any, str]], paragraphs: list[str]) -> bool:
    if not paragraphs:
        return True  # nothing to weigh them against: the run of stamped blocks decides
    text = " ".join(clean_line(block.text_content()) for block, _, _ in blocks)
    held = sum(1 for p in paragraphs if p in text)
    return held >= MIN_MAIN_TEXT_SHARE * len(paragraphs)


def _time_or_none(node: Any) -> Any:
    """A `<time datetime>` stamp element (its attribute is the exact time), else None."""
    return node if node is not None and node.tag == "time" and node.get("datetime") else None
