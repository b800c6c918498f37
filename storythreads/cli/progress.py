"""What a long command shows while it works: a bar on a terminal, nothing on a pipe (cron
mail gets the summary lines only)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from spacy.language import Language

    from ..analysis.compare.readings import Reading
    from ..embeddings.base import Embedder
    from ..pipeline.backlog import Progress
    from ..types import Run


def parse_posts(
    run_: Run, nlp: Language | None, embedder: Embedder | None = None
) -> dict[str, Reading]:
    """The posts' parses for voices and figures, with a progress bar on stderr when a
    person is watching and the work is long (cron mail gets none)."""
    from ..analysis.compare.readings import parse_posts as parse

    n = sum(1 for a in run_.assignments if a.role == "primary")
    if n < 200 or not sys.stderr.isatty():
        return parse(run_, nlp, embedder=embedder)
    with click.progressbar(
        length=n, label="Parsing posts (voices, figures)", file=sys.stderr
    ) as bar:
        done = [0]

        def advance(count: int) -> None:
            bar.update(count - done[0])
            done[0] = count

        return parse(run_, nlp, progress=advance, embedder=embedder)


class BacklogProgress:
    """``pipeline.backlog``'s progress on stderr: one line when a backlog starts (how many
    new posts, in how many windows, and whether it resumes one), then, on a terminal, a
    bar over the posts committed (click's bar gives the time left)."""

    def __init__(self, window_posts: int):
        self.window_posts = window_posts
        self.bar: Any = None  # click.progressbar, on a terminal

    def __call__(self, p: Progress) -> None:
        if p.window == 0:
            resumed = (f"; resuming: {p.resumed} posts of the input are stored already"
                       if p.resumed else "")  # fmt: skip
            click.echo(f"storythreads: a backlog of {p.posts} new posts, in {p.windows} "
                       f"windows of up to {self.window_posts} (each committed){resumed}",
                       err=True)  # fmt: skip
            if sys.stderr.isatty():
                self.bar = click.progressbar(length=p.posts, label="Threading the backlog",
                                             file=sys.stderr, show_pos=True)  # fmt: skip
            return
        if self.bar is not None:
            self.bar.update(p.posts_done - self.bar.pos)
            if p.window == p.windows:
                self.bar.render_finish()
