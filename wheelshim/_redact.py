"""Keep credentials in index URLs out of every output and log line."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["redact_text", "redact_url"]

_URL_IN_TEXT = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")


def redact_url(url: str) -> str:
    """Replace the password of ``url`` (or a lone token user name) with ``****``.

    >>> redact_url("https://user:secret@index.test/simple/")
    'https://user:****@index.test/simple/'
    >>> redact_url("https://token@index.test/simple/")
    'https://****@index.test/simple/'
    >>> redact_url("https://index.test/simple/")
    'https://index.test/simple/'
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, _password = userinfo.partition(":")
    # pip treats a user name without a password as a token: hide it as well.
    shown = f"{user}:****" if sep else "****"
    return urlunsplit(parts._replace(netloc=f"{shown}@{hostport}"))


def redact_text(text: str) -> str:
    """Redact every URL found inside free text (error messages, log lines).

    >>> redact_text("GET https://u:p@index.test/x failed")
    'GET https://u:****@index.test/x failed'
    """
    return _URL_IN_TEXT.sub(lambda match: redact_url(match.group(0)), text)
