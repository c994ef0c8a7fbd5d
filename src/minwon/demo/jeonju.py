"""전주시 (Jeonju): administrative dongs (행정동), offices and road names for demo data. Pure.

The dong list is the city's current 35 행정동 (완산구 19, 덕진구 16, after the 2023-24
reorganisations: 금암1·2동 merged into 금암동, 송천3동 and 효자5동 created). The 10-digit
codes follow the 행정기관코드 layout (5-digit 시군구 + 3-digit 읍면동 + ``00``) but were not
checked against the official table: treat them as plausible, not authoritative.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

PROVINCE = "전북특별자치도"
PROVINCE_BEFORE = "전라북도"
# 전북특별자치도 설치 및 글로벌생명경제도시 조성을 위한 특별법: in force from 2024-01-18.
PROVINCE_RENAMED_ON = date(2024, 1, 18)
CITY = "전주시"
WANSAN = "완산구"
DEOKJIN = "덕진구"

CITY_HALL_CODE = "4511000000"
GU_OFFICE_CODES = {WANSAN: "4511100000", DEOKJIN: "4511300000"}


@dataclass(frozen=True, slots=True)
class Dong:
    """행정동: an administrative dong with its 주민센터 (community service centre)."""

    code: str
    name: str
    gu: str

    @property
    def office_name(self) -> str:
        return f"{CITY} {self.gu} {self.name} 주민센터"

    @property
    def head_title(self) -> str:
        return f"{CITY} {self.gu} {self.name}장"


def _dongs(gu: str, prefix: str, names: tuple[str, ...]) -> tuple[Dong, ...]:
    return tuple(
        Dong(code=f"{prefix}{510 + 10 * i:03d}00", name=name, gu=gu) for i, name in enumerate(names)
    )


WANSAN_DONGS = _dongs(
    WANSAN,
    "45111",
    (
        "중앙동",
        "풍남동",
        "노송동",
        "완산동",
        "동서학동",
        "서서학동",
        "중화산1동",
        "중화산2동",
        "평화1동",
        "평화2동",
        "서신동",
        "삼천1동",
        "삼천2동",
        "삼천3동",
        "효자1동",
        "효자2동",
        "효자3동",
        "효자4동",
        "효자5동",
    ),
)

DEOKJIN_DONGS = _dongs(
    DEOKJIN,
    "45113",
    (
        "진북동",
        "인후1동",
        "인후2동",
        "인후3동",
        "덕진동",
        "금암동",
        "팔복동",
        "우아1동",
        "우아2동",
        "호성동",
        "송천1동",
        "송천2동",
        "송천3동",
        "조촌동",
        "여의동",
        "혁신동",
    ),
)

DONGS: tuple[Dong, ...] = WANSAN_DONGS + DEOKJIN_DONGS

# Road names (도로명) that run through each gu; the big arterials cross both.
ROADS: dict[str, tuple[str, ...]] = {
    WANSAN: (
        "기린대로",
        "팔달로",
        "백제대로",
        "충경로",
        "전라감영로",
        "홍산로",
        "서신로",
        "효자로",
        "용머리로",
        "쑥고개로",
        "천잠로",
    ),
    DEOKJIN: (
        "기린대로",
        "팔달로",
        "백제대로",
        "온고을로",
        "견훤로",
        "건산로",
        "송천중앙로",
        "아중로",
        "권삼득로",
        "가리내로",
    ),
}


def province_on(day: date) -> str:
    """Returns the province name in force on ``day`` (전라북도 before 2024-01-18)."""
    return PROVINCE if day >= PROVINCE_RENAMED_ON else PROVINCE_BEFORE


def street_address(province: str, gu: str, road: str, number: int, unit: str | None) -> str:
    """Returns a 도로명주소 such as ``전북특별자치도 전주시 완산구 팔달로 212, 101동 1203호``."""
    base = f"{province} {CITY} {gu} {road} {number}"
    return f"{base}, {unit}" if unit else base
