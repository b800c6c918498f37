"""Reports: what a Run becomes for people (Markdown, HTML) and for other tools (JSON).

``render`` turns a finished Run into files; summaries and thread links are computed
earlier, in their own modules, so rendering only formats and never decides. report.json's
shape is typed (``ReportDict``, ``PostRow``, ``ThreadRow``, ``LinkRow``) for tools that read
it in Python.
"""

from .publish import publish, recent_window, select_window
from .render import RENDERERS, LinkRow, PostRow, ReportDict, ThreadRow, report_dict, write_reports

__all__ = [
    "RENDERERS",
    "LinkRow",
    "PostRow",
    "ReportDict",
    "ThreadRow",
    "publish",
    "recent_window",
    "report_dict",
    "select_window",
    "write_reports",
]
