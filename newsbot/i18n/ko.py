"""한국어 메시지."""

MESSAGES: dict[str, str] = {
    "search.usage": "검색어를 함께 보내 주세요. 예: /search 성남시 드론",
    "search.nothing": "‘{query}’에 대한 기사를 찾지 못했습니다.",
    "search.header": "‘{query}’ 검색 결과 {total}건 ({page}/{pages}쪽)",
    "search.fell_back": "모든 단어가 들어간 기사가 없어, 일부 단어가 들어간 기사를 보여 드립니다.",
    "search.expired": "검색 결과가 만료되었습니다. 다시 검색해 주세요.",
    "button.previous": "◀ 이전",
    "button.next": "다음 ▶",
    "top.header": "가장 많이 본 뉴스 ({window})",
    "top.fell_back": "{window} 조회 기록이 없어 최신 기사를 보여 드립니다.",
    "top.usage": "사용법: /top [개수 1~10] [day|week|month]",
    "window.day": "오늘",
    "window.week": "최근 7일",
    "window.month": "최근 30일",
    "latest.header": "최신 뉴스",
    "latest.usage": "사용법: /latest [개수 1~10]",
    "empty": "아직 기사가 없습니다.",
    "section.suffix": " · {section}",
}
