"""Stream URLs without credentials: the database never holds a camera's user or password."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

SCHEMES = ("rtsp", "rtsps", "http", "https", "file")


def strip_credentials(url: str) -> str:
    """``url`` without ``user:pass@``; file paths and empty strings unchanged.

    >>> strip_credentials("rtsp://admin:s3cret@10.0.0.5:554/stream1")
    'rtsp://10.0.0.5:554/stream1'
    >>> strip_credentials("/srv/clips/a.mp4")
    '/srv/clips/a.mp4'
    """
    url = (url or "").strip()
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def is_supported(url: str) -> bool:
    """An RTSP/HTTP(S)/file URL, or a plain file path."""
    url = (url or "").strip()
    if "://" not in url:
        return url.startswith("/")
    return urlsplit(url).scheme.lower() in SCHEMES
