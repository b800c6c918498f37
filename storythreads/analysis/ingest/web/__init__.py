"""Saved web pages, part by part: structured data (``structured``), post markup and the
text of HTML (``markup``), live pages with no schema (``blocks``), what the page says of
itself (``page``) and structured live-blog updates (``updates``); ``ingest.html`` decides
how a page is read."""
