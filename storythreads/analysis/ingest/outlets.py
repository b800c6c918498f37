"""From a URL to the name of the outlet that published it.

Threads are compared across outlets, so posts from "edition.cnn.com" and "www.cnn.com" must
carry the same source, and reports read better with "The Guardian" than with a host name.
Well-known domains get their name from a small table; any other host is kept (without
"www."), which still tells outlets apart. Subdomains match by suffix, so
"articles.latimes.com" is the Los Angeles Times.
"""

from __future__ import annotations

from urllib.parse import urlsplit

OUTLETS = {
    "abcnews.go.com": "ABC News",
    "afp.com": "AFP",
    "aljazeera.com": "Al Jazeera",
    "ap.org": "AP",
    "apnews.com": "AP",
    "bbc.co.uk": "BBC",
    "bbc.com": "BBC",
    "bloomberg.com": "Bloomberg",
    "cbc.ca": "CBC",
    "cbsnews.com": "CBS News",
    "cnn.com": "CNN",
    "dailymail.co.uk": "Daily Mail",
    "dw.com": "DW",
    "espn.com": "ESPN",
    "espn.go.com": "ESPN",
    "euronews.com": "Euronews",
    "foxnews.com": "Fox News",
    "france24.com": "France 24",
    "guardian.co.uk": "The Guardian",
    "huffingtonpost.com": "HuffPost",
    "huffpost.com": "HuffPost",
    "independent.co.uk": "The Independent",
    "latimes.com": "Los Angeles Times",
    "nbcnews.com": "NBC News",
    "news.sky.com": "Sky News",
    "npr.org": "NPR",
    "nydailynews.com": "New York Daily News",
    "nypost.com": "New York Post",
    "nytimes.com": "The New York Times",
    "politico.com": "Politico",
    "reuters.com": "Reuters",
    "telegraph.co.uk": "The Telegraph",
    "theguardian.com": "The Guardian",
    "usatoday.com": "USA Today",
    "washingtonpost.com": "The Washington Post",
    "wsj.com": "The Wall Street Journal",
}


def url_host(url: str | None) -> str | None:
    """The lower-case host of a web URL, without "www." and port; None when there is none.

    A URL without a scheme ("www.cnn.com/live") is read as a host and path.
    """
    url = (url or "").strip()
    if not url:
        return None
    if "://" not in url and not url.startswith("//"):
        scheme, colon, rest = url.partition(":")
        if colon and "." not in scheme and not rest[:1].isdigit():
            return None  # mailto:, javascript:, tel: (but "localhost:8000" is a host)
        url = "//" + url
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. "http://[broken"
        return None
    if parts.scheme not in ("", "http", "https") or not host:
        return None
    host = host.rstrip(".")
    return host.removeprefix("www.") or None


def outlet_from_url(url: str | None, *, known_only: bool = False) -> str | None:
    """The outlet's name for a URL: a table name, else the host; None for no web URL.

    `known_only` returns None instead of the host for domains not in the table, for callers
    that have a better name to fall back on (a page's publisher).
    """
    host = url_host(url)
    if host is None:
        return None
    labels = host.split(".")
    for start in range(len(labels) - 1):  # longest suffix first: news.sky.com before sky.com
        name = OUTLETS.get(".".join(labels[start:]))
        if name:
            return name
    return None if known_only else host
