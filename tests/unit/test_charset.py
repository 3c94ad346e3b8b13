"""decode_feed and friends: Korean feed bytes whatever their declared charset says."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from newsbot.ingest.charset import (
    Decoded,
    as_utf8_xml,
    declared_in_document,
    declared_in_header,
    decode_feed,
)

TITLE = "성남시, WeGO 집행위원도시 선정…2023년까지 활동"
BODY = f'<rss version="2.0"><channel><title>{TITLE}</title></channel></rss>'


def prolog(encoding: str | None) -> str:
    declared = f' encoding="{encoding}"' if encoding else ""
    return f'<?xml version="1.0"{declared}?>'


def feed(encoding: str | None) -> str:
    return prolog(encoding) + BODY


# --- where the charset is declared ---------------------------------------------------------


def test_euc_kr_declared_only_in_the_prolog_decodes_to_korean() -> None:
    decoded = decode_feed(feed("euc-kr").encode("cp949"))
    assert decoded == Decoded(feed("euc-kr"), "cp949")


def test_euc_kr_declared_only_in_the_http_header_decodes_to_korean() -> None:
    decoded = decode_feed(feed(None).encode("cp949"), "application/rss+xml; charset=EUC-KR")
    assert decoded == Decoded(feed(None), "cp949")


def test_euc_kr_declared_nowhere_decodes_to_korean() -> None:
    assert decode_feed(feed(None).encode("cp949")) == Decoded(feed(None), "cp949")


def test_header_that_wrongly_says_utf8_for_euc_kr_bytes_is_overruled() -> None:
    data = feed(None).encode("cp949")
    assert decode_feed(data, "text/xml; charset=utf-8") == Decoded(feed(None), "cp949")


def test_prolog_that_wrongly_says_utf8_for_euc_kr_bytes_is_overruled() -> None:
    assert decode_feed(feed("utf-8").encode("cp949")) == Decoded(feed("utf-8"), "cp949")


def test_header_that_wrongly_says_euc_kr_for_utf8_bytes_is_overruled() -> None:
    data = feed("utf-8").encode("utf-8")
    assert decode_feed(data, "text/xml; charset=euc-kr") == Decoded(feed("utf-8"), "utf-8")


def test_utf8_bom_wins_and_is_removed() -> None:
    data = codecs.BOM_UTF8 + feed("euc-kr").encode("utf-8")
    assert decode_feed(data, "text/xml; charset=euc-kr") == Decoded(feed("euc-kr"), "utf-8")


def test_utf16_with_a_bom_decodes() -> None:
    assert decode_feed(feed("utf-16").encode("utf-16")) == Decoded(feed("utf-16"), "utf-16")


@pytest.mark.parametrize("alias", ["ks_c_5601-1987", "KS_C_5601-1987", "korean", "windows-949"])
def test_microsoft_names_for_euc_kr_are_understood(alias: str) -> None:
    assert decode_feed(feed(alias).encode("cp949")) == Decoded(feed(alias), "cp949")
    assert decode_feed(feed(None).encode("cp949"), f"text/html; charset={alias}") == Decoded(
        feed(None), "cp949"
    )


def test_cp949_only_syllables_decode_under_an_euc_kr_label() -> None:
    # 똠 and 햏 are outside EUC-KR's 2,350 syllables; servers still send them labelled EUC-KR.
    text = prolog("euc-kr") + "<title>똠방각하 햏</title>"
    assert decode_feed(text.encode("cp949")) == Decoded(text, "cp949")


def test_an_html_meta_charset_counts_as_a_declaration() -> None:
    page = '<html><head><meta charset="euc-kr"></head><body>성남시</body></html>'
    assert decode_feed(page.encode("cp949")).text == page


def test_plain_ascii_is_ascii_whatever_is_declared() -> None:
    data = b'<?xml version="1.0" encoding="euc-kr"?><rss/>'
    assert decode_feed(data).text == data.decode("ascii")


# --- declarations on their own -------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'<?xml version="1.0" encoding="EUC-KR"?><rss/>', "cp949"),
        (b"<?xml version='1.0' encoding='ks_c_5601-1987'?><rss/>", "cp949"),
        (b'  \n<?xml version="1.0" encoding="UTF-8"?><rss/>', "utf-8"),
        (codecs.BOM_UTF8 + b'<?xml version="1.0" encoding="utf-8"?><rss/>', "utf-8"),
        (b'<?xml version="1.0" encoding="latin1"?><rss/>', "iso8859-1"),
        (b'<?xml version="1.0"?><rss/>', None),
        (b'<?xml version="1.0" encoding="no-such-charset"?><rss/>', None),
        (b"<rss/>", None),
    ],
)
def test_declared_in_document_reads_the_prolog(data: bytes, expected: str | None) -> None:
    assert declared_in_document(data) == expected


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/rss+xml; charset=UTF-8", "utf-8"),
        ('text/xml; charset="euc-kr"', "cp949"),
        ("text/html;charset=ks_c_5601-1987", "cp949"),
        ("text/xml", None),
        ("text/xml; charset=bogus", None),
        (None, None),
    ],
)
def test_declared_in_header_reads_the_content_type(
    content_type: str | None, expected: str | None
) -> None:
    assert declared_in_header(content_type) == expected


# --- as_utf8_xml ---------------------------------------------------------------------------


def test_as_utf8_xml_rewrites_the_prolog_and_encodes_as_utf8() -> None:
    decoded = decode_feed(feed("euc-kr").encode("cp949"))
    assert as_utf8_xml(decoded) == feed("utf-8").encode("utf-8")


def test_as_utf8_xml_keeps_single_quotes_and_other_prolog_attributes() -> None:
    decoded = Decoded("<?xml version='1.0' encoding='EUC-KR' standalone='yes'?><a>가</a>", "cp949")
    assert as_utf8_xml(decoded) == (
        "<?xml version='1.0' encoding='utf-8' standalone='yes'?><a>가</a>".encode()
    )


def test_as_utf8_xml_without_a_prolog_only_encodes() -> None:
    assert as_utf8_xml(Decoded(BODY, "cp949")) == BODY.encode("utf-8")


def test_as_utf8_xml_leaves_encoding_words_in_the_body_alone() -> None:
    text = '<?xml version="1.0"?><a>encoding="euc-kr"</a>'
    assert as_utf8_xml(Decoded(text, "utf-8")) == text.encode("utf-8")


# --- property ------------------------------------------------------------------------------

_KOREANISH = st.text(
    alphabet=st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3)
    | st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ")
)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


@given(_KOREANISH)
@example(TITLE.replace(",", "").replace("…", "").replace("2023", ""))
@example("")
def test_korean_text_declared_euc_kr_in_the_prolog_round_trips(text: str) -> None:
    data = (prolog("euc-kr") + f"<t>{text}</t>").encode("cp949")
    # Bytes that are also valid UTF-8 are ambiguous and read as UTF-8 by design; that case
    # is pinned down by test_short_euc_kr_text_that_is_also_valid_utf8_follows_the_prolog.
    assume(data.isascii() or not _is_utf8(data))
    assert decode_feed(data).text == prolog("euc-kr") + f"<t>{text}</t>"


# EUC-KR text whose bytes are valid UTF-8 as well: 청 is C3 BB ("û"), 치 is C4 A1 ("ġ").
AMBIGUOUS = ["청", "치", "청 치"]


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_the_ambiguous_examples_really_are_valid_utf8(text: str) -> None:
    assert _is_utf8(text.encode("cp949"))
    assert text.encode("cp949").decode("utf-8") != text


@pytest.mark.parametrize("text", AMBIGUOUS)
def test_short_euc_kr_text_that_is_also_valid_utf8_follows_the_prolog(text: str) -> None:
    data = (prolog("euc-kr") + f"<t>{text}</t>").encode("cp949")
    assert decode_feed(data).text == prolog("euc-kr") + f"<t>{text}</t>"
