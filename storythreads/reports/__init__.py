"""Reports: what a Run becomes for people (Markdown, HTML) and for other tools (JSON).

``render`` turns a finished Run into files; summaries and thread links are computed
earlier, in their own modules, so rendering only formats and never decides.
"""

from .publish import publish, recent_window, select_window
from .render import RENDERERS, report_dict, write_reports

__all__ = [
    "RENDERERS",
    "publish",
    "recent_window",
    "report_dict",
    "select_window",
    "write_reports",
]
