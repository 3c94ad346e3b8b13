"""English messages."""

MESSAGES: dict[str, str] = {
    "search.usage": "Send a search term with the command, e.g. /search 성남시 드론",
    "search.nothing": "No articles found for ‘{query}’.",
    "search.header": "{total} results for ‘{query}’ (page {page}/{pages})",
    "search.fell_back": "No article has all the words; showing articles with some of them.",
    "search.expired": "These search results have expired. Please search again.",
    "button.previous": "◀ Previous",
    "button.next": "Next ▶",
    "top.header": "Most viewed ({window})",
    "top.fell_back": "No views recorded for {window}: showing the latest articles.",
    "top.usage": "Usage: /top [count 1-10] [day|week|month]",
    "window.day": "today",
    "window.week": "last 7 days",
    "window.month": "last 30 days",
    "latest.header": "Latest news",
    "latest.usage": "Usage: /latest [count 1-10]",
    "empty": "No articles yet.",
    "section.suffix": " · {section}",
}
