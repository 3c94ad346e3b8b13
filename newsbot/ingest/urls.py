"""Canonical article URLs: one article, one URL, however the link was decorated.

Feeds and shares add tracking parameters (``utm_*``, ``fbclid``…), vary the case of scheme and
host, add default ports and fragments. All of that is removed so the URL can be a unique key.
Parameters that select the article (``idxno=1001``) are kept, in their original order.
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from newsbot.errors import InputError

_TRACKING_PREFIXES = ("utm_", "hmb_", "pk_", "mtm_", "ga_")
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "ref_src",
        "spm",
        "cmpid",
        "ncid",
        "ocid",
        "s_cid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "srsltid",
        "_ga",
        "_gl",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
# Characters a component may keep literally; all else is percent-encoded (as UTF-8).
_PATH_SAFE = "/:@!$&'()*+,;="
_QUERY_SAFE = "/:@!$'()*+,;=?"  # '&' and the first '=' of a pair are split off first
_PIECES = re.compile(r"%[0-9A-Fa-f]{2}|%|[^%]+")


def _is_tracking(name: str) -> bool:
    lowered = unquote(name).lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def _normalise(component: str, safe: str) -> str:
    """RFC 3986 normalisation without changing meaning.

    Escapes of unreserved characters are decoded, other escapes kept (upper-cased), so
    ``%2F`` stays a data slash, ``%2B`` stays a plus, and EUC-KR escapes keep their bytes.
    """
    out = []
    for piece in _PIECES.findall(component):
        if piece == "%":
            out.append("%25")
        elif piece.startswith("%"):
            char = chr(int(piece[1:], 16))
            out.append(char if char in _UNRESERVED else piece.upper())
        else:
            out.append(quote(piece, safe=safe))
    return "".join(out)


def _normalise_query(query: str) -> str:
    pairs = []
    for pair in query.split("&"):
        if not pair:
            continue
        # Query strings are form-encoded: a literal '+' is a space, '%2B' a plus.
        key, sep, value = pair.replace("+", "%20").partition("=")
        if _is_tracking(key):
            continue
        pairs.append(
            _normalise(key, _QUERY_SAFE.replace("=", "")) + sep + _normalise(value, _QUERY_SAFE)
        )
    return "&".join(pairs)


def canonical_url(url: str, base: str | None = None) -> str:
    """The canonical form of an article link, resolved against ``base`` when relative.

    Raises InputError for anything that is not an absolute http(s) URL after resolving.
    """
    raw = (url or "").strip()
    if base:
        raw = urljoin(base, raw)
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:
        raise InputError(f"not a usable URL: {url!r} ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise InputError(f"not an absolute http(s) URL: {url!r}")
    host = parts.hostname.lower().rstrip(".")
    # Hosts IDNA cannot express stay as they are; they still compare equal.
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _normalise(parts.path, _PATH_SAFE) or "/"
    return urlunsplit((scheme, netloc, path, _normalise_query(parts.query), ""))


def site_of(url: str) -> str:
    """The host a URL belongs to; used as the source of feed items."""
    return (urlsplit(url).hostname or "").lower()
