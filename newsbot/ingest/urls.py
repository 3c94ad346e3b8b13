"""Canonical article URLs: one article, one URL, however the link was decorated.

Feeds and shares add tracking parameters (``utm_*``, ``fbclid``…), vary the case of scheme and
host, add default ports and fragments. All of that is removed so the URL can be a unique key.
Parameters that select the article (``idxno=1001``) are kept, in their original order.
"""

from __future__ import annotations

import contextlib
from urllib.parse import parse_qsl, quote, unquote, urlencode, urljoin, urlsplit, urlunsplit

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
# Characters a path or query may keep literally; everything else is percent-encoded once.
_PATH_SAFE = "/:@!$&'()*+,;=-._~"


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


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
    path = quote(unquote(parts.path), safe=_PATH_SAFE) or "/"
    query_pairs = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(key)
    ]
    query = urlencode(query_pairs, quote_via=quote, safe="/:@!$'()*+,;-._~")
    return urlunsplit((scheme, netloc, path, query, ""))


def site_of(url: str) -> str:
    """The host a URL belongs to; used as the source of feed items."""
    return (urlsplit(url).hostname or "").lower()
