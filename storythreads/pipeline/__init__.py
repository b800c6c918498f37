"""The pipeline: where the stages meet. ``analyze`` threads posts into a Run; ``update``
is one scheduled run on a store (the only place, with the CLI, that touches one).

ingest (done by the caller) -> segment -> embed (cached) -> cluster -> `also` membership
-> describe -> link -> Run; the stages are in ``stages``, their work on words (some of it
in forked children) in ``words``, the store's side in ``scheduled``.
"""

from .analysis import Continuation, analyze
from .scheduled import update

__all__ = ["Continuation", "analyze", "update"]
