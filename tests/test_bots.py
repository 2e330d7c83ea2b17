"""Bot filtering (ingest.bots.is_bot) against the corpus in tests/data/useragents, and the user agent
classification (ingest.useragent.classify) that uses it on the hot path."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import user_agents
from hypothesis import given
from hypothesis import strategies as st

from ingest.bots import is_bot
from ingest.useragent import classify

CORPUS = Path(__file__).parent / "data" / "useragents"
CATEGORIES = ("crawler", "monitoring", "http-library", "headless")
MIN_SHARE = 0.95


def load(name: str) -> list[tuple[str, str]]:
    """(category, user agent) pairs; ``## <category>: ...`` starts a category, other ``#`` lines comment."""
    category = ""
    found: list[tuple[str, str]] = []
    for line in (CORPUS / name).read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            category = line[3:].split(":")[0].strip()
        elif line.strip() and not line.startswith("#"):
            found.append((category, line.strip()))
    return found


BOTS = load("bots.txt")
BROWSERS = [agent for _, agent in load("browsers.txt")]


def missed(agents: list[str]) -> str:
    return "\n".join(agent for agent in agents if not is_bot(agent))


def test_the_corpus_is_broad() -> None:
    assert len({agent for _, agent in BOTS}) == len(BOTS) >= 300
    assert len(set(BROWSERS)) == len(BROWSERS) >= 300
    counts = Counter(category for category, _ in BOTS)
    assert set(counts) == set(CATEGORIES)
    assert min(counts.values()) >= 40


def test_it_flags_at_least_95_percent_of_the_bots() -> None:
    agents = [agent for _, agent in BOTS]
    flagged = sum(map(is_bot, agents))
    assert flagged / len(agents) >= MIN_SHARE, f"{flagged}/{len(agents)} flagged; missed:\n{missed(agents)}"


@pytest.mark.parametrize("category", CATEGORIES)
def test_it_flags_at_least_95_percent_of_each_kind_of_bot(category: str) -> None:
    agents = [agent for kind, agent in BOTS if kind == category]
    flagged = sum(map(is_bot, agents))
    assert flagged / len(agents) >= MIN_SHARE, f"{flagged}/{len(agents)} flagged; missed:\n{missed(agents)}"


def test_it_flags_no_real_browser() -> None:
    flagged = [agent for agent in BROWSERS if is_bot(agent)]
    assert flagged == [], "real browsers flagged as bots:\n" + "\n".join(flagged)


@pytest.mark.parametrize(
    "agent",
    [
        "",
        "   ",
        "-",
        "Mozilla/5.0",
        "Mozilla/5.0 (compatible)",
        "curl/8.5.0",
        "python-requests/2.32.3",
        "Go-http-client/2.0",
        "WhatsApp/2.24.6.77 i",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 "
        "Safari/537.36",
        "Mozilla/5.0 (Linux; Android 11; moto g power (2022)) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.0.0 Mobile Safari/537.36 Chrome-Lighthouse",
        "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; ClaudeBot/1.0; "
        "+claudebot@anthropic.com)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
        "kube-probe/1.29",
    ],
)
def test_it_flags(agent: str) -> None:
    assert is_bot(agent)


@pytest.mark.parametrize(
    "agent",
    [
        # phones whose model names end in "bot"
        "Mozilla/5.0 (Linux; Android 6.0; CUBOT DINOSAUR Build/MRA58K) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/61.0.3163.98 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 7.0; M bot 60 Build/NRD90M; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/67.0.3396.87 Mobile Safari/537.36",
        # Chrome on iOS, Yandex's browser and app, Samsung Internet
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 "
        "YaBrowser/24.10.0.0 Safari/537.36",
        "Mozilla/5.0 (Linux; Android 6.0.1; LG-K100 Build/MXB48T; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Version/4.0 Chrome/50.0.2661.86 Mobile Safari/537.36 YandexSearch/5.75",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 "
        "Chrome/122.0.0.0 Mobile Safari/537.36",
        # in-app browsers: people
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 Instagram 356.0.0.22.90 (iPhone15,2; iOS 18_1; en_US; en; scale=3.00; 1179x2556; "
        "657032713; IABMV/1)",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 MicroMessenger/8.0.49(0x18003137) NetType/WIFI Language/zh_CN",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Mobile/15E148 musical_ly_35.1.0 JsSdk/2.0 NetType/WIFI Channel/App Store ByteLocale/en Region/US "
        "ByteFullLocale/en isDarkMode/0 WKWebView/1 RevealType/Dialog BytedanceWebview/d8a21c6",
        # an Electron app and a QtWebEngine browser
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) discord/1.0.9171 "
        "Chrome/128.0.6613.186 Electron/32.2.2 Safari/537.36",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) QtWebEngine/6.6.1 "
        "Chrome/112.0.5615.213 Safari/537.36",
        # an old phone without Mozilla/
        "Opera/9.80 (J2ME/MIDP; Opera Mini/4.2.14912/870; U; en) Presto/2.4.15",
    ],
)
def test_it_leaves_people_alone(agent: str) -> None:
    assert not is_bot(agent)


# Real Android browsers whose vendor put a domain or a test build's keys in the model or build string
ANDROID_VENDOR_STRINGS = [
    "Mozilla/5.0 (Linux; Android 4.1.2; IM-A850 S/K Build/VEGAVIET.COM JELLYBEAN V1.0) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/30.0.1599.82 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; U; Android 4.0.4; en-us; MID Build/IMM76D test-keys) AppleWebKit/534.30 "
    "(KHTML, like Gecko) Version/4.0 Safari/534.30",
    "Mozilla/5.0 (Linux; Android 4.4.2; full_x86 Build/KK test-keys) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/33.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 5.1; Tab7 Build/XYZ.com) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/45.0.2454.94 Safari/537.36",
    "Mozilla/5.0 (Linux; U; Android 4.2.2; ru-ru; Mini Build/JDQ39.FLYONE.NET) AppleWebKit/534.30 "
    "(KHTML, like Gecko) Version/4.0 Mobile Safari/534.30",
    "Mozilla/5.0 (Linux; Android 7.0; Phone.io Build/NRD90M.test-keys; wv) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Version/4.0 Chrome/64.0.3282.137 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 6.0; ROM.ORG Edition Build/MRA58K) AppleWebKit/537.36 (KHTML, like Gecko) "
    "SamsungBrowser/4.0 Chrome/44.0.2403.133 Mobile Safari/537.36",
]


@pytest.mark.parametrize("agent", ANDROID_VENDOR_STRINGS)
def test_a_domain_or_test_keys_in_an_android_build_is_a_person(agent: str) -> None:
    assert not is_bot(agent)
    assert not classify.__wrapped__(agent).is_bot


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; FooBot/1.0; +https://foo.com/bot)",
        "Mozilla/5.0 (compatible; Fetcher/2.0; +http://fetch.example.net/about)",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36 (+http://example.org/crawler.html)",
        "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile "
        "Safari/537.36 contact admin@example.com",
        # a URL or a bot outside the device segment of an Android string
        "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "Mozilla/5.0 (Linux; Android 8.0; Pixel 2 Build/OPD3.170816.012; Storebot-Google/1.0) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/81.0.4044.138 Mobile Safari/537.36",
        "Mozilla/5.0 (Linux; Android 4.1.2; IM-A850 Build/VEGAVIET.COM) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/30.0.1599.82 Mobile Safari/537.36 example.com",
        # a URL hidden in the build segment is still a URL
        "Mozilla/5.0 (Linux; Android 10; X Build/+https://crawler.example.com/) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
        # "test" as a word elsewhere still marks a program
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
        "Safari/537.36 test-runner/1.2",
    ],
)
def test_urls_and_test_programs_outside_a_device_build_are_still_bots(agent: str) -> None:
    assert is_bot(agent)


@given(st.text(max_size=400))
def test_it_never_raises(agent: str) -> None:
    assert isinstance(is_bot(agent), bool)


@given(
    browser=st.sampled_from(BROWSERS),
    suffix=st.sampled_from(
        [
            " (compatible; ExampleBot/1.0)",
            " +https://example.org/crawler",
            " HeadlessChrome",
            " python-requests/2.32.3",
            " UptimeRobot/2.0",
            " Chrome-Lighthouse",
        ]
    ),
)
def test_a_browser_that_names_a_program_is_a_bot(browser: str, suffix: str) -> None:
    assert is_bot(browser + suffix)


def test_classify_flags_exactly_what_is_bot_flags() -> None:
    for _, agent in BOTS:
        assert classify.__wrapped__(agent).is_bot == is_bot(agent), agent
    for agent in BROWSERS:
        assert not classify.__wrapped__(agent).is_bot, agent


def test_classify_reads_browsers_as_user_agents_parse_does() -> None:
    """The Rust-backed parse keeps ``user-agents``' browser, OS and device class on every real browser."""
    different = []
    for agent in BROWSERS:
        ours = classify.__wrapped__(agent)
        stock = user_agents.parse(agent)
        device = "Mobile" if stock.is_mobile else "Tablet" if stock.is_tablet else "Desktop"
        theirs = (
            stock.browser.family,
            stock.browser.version[:2],
            stock.os.family,
            stock.os.version[:2],
            device,
        )
        mine = (
            ours.browser or "Other",
            tuple(int(p) if p.isdigit() else p for p in ours.browser_version.split(".") if p),
            ours.os or "Other",
            tuple(int(p) if p.isdigit() else p for p in ours.os_version.split(".") if p),
            ours.device,
        )
        if mine != theirs:
            different.append(f"{agent}\n  ours  {mine}\n  stock {theirs}")
    assert different == [], "\n".join(different)
