"""Is this user agent a bot? Crawlers, monitors, HTTP libraries and headless browsers, by their strings.

    >>> is_bot("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
    True
    >>> is_bot("curl/8.5.0")
    True
    >>> is_bot("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0")
    True
    >>> is_bot("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0")
    False

Two tests on the lower-cased string, and either makes a bot:

1. *Shape.* Every browser that runs our script says ``Mozilla/`` and names a layout engine
   (AppleWebKit, Gecko, Trident, Presto, ...). A string without both comes from a program:
   ``curl/8.5.0``, ``python-requests/2.32.3``, ``Go-http-client/2.0``, ``WhatsApp/2.24.1 A``,
   ``Mozilla/5.0 (compatible)``, an empty header. Old phones (MIDP, BlackBerry, Opera Mini) keep
   their own prefixes and are let through to the second test.
2. *Markers.* What only programs put in a user agent: a URL or an e-mail address for the operator;
   generic words (bot, crawl, spider, scrape, fetch, monitor, preview, check, ...); HTTP libraries
   behind a Mozilla prefix; headless and automated browsers (HeadlessChrome, PhantomJS, Lighthouse,
   Cypress, ...); and crawlers, monitors and scanners whose names carry none of those words
   (facebookexternalhit, ChatGPT-User, anthropic-ai, Pingdom, ...).

Before the markers, an Android device's model and build (``; IM-A850 S/K Build/VEGAVIET.COM JELLYBEAN
V1.0)``, ``; MID Build/IMM76D test-keys)``) are set aside: vendors write what they like there, such as
a domain or a test build's keys, and a browser on such a phone is a person.

What it leaves alone, on purpose, because people use them: in-app browsers (Instagram, FBAN/FBAV,
Line, WeChat, TikTok, Snapchat, Telegram), YaBrowser and the Yandex app, SamsungBrowser, Cốc Cốc,
qutebrowser and other QtWebEngine browsers, Electron apps (Slack, Discord, VS Code), and phones
whose model names contain "bot" (Cubot, "M BOT 551"). ``tests/data/useragents/`` holds the strings
we check both ways.

Speed: two short regexes for the shape, then one pass of the marker regex. Python's ``re`` tries
every alternative at every position, so the markers run case-sensitive on a lower-cased copy, each
alternative starts on a literal character (which ``re`` rejects in one comparison), and the plain
words are folded into a prefix tree: about 11 µs for a browser's string (a flat, case-insensitive
alternation of the same words took 800 µs). ``classify`` caches it with the rest anyway.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["is_bot"]

# Plain substrings of the lower-cased user agent; any one of them makes a bot.
_WORDS: tuple[str, ...] = (
    # generic words for what a program does
    *("crawl", "spider", "slurp", "fetch", "preview", "monitor", "uptime", "synthetic", "check"),
    *("validator", "scraper", "scrapy", "scraping", "archiver", "indexer", "harvest", "extractor"),
    *("inspect", "screenshot", "linkexpand", "imgproxy", "imageproxy", "loadtest", "load-test"),
    # HTTP libraries and command-line tools (caught by their shape, unless they add "Mozilla/")
    *("curl", "wget", "python", "httpx", "aiohttp", "go-http", "java/", "okhttp", "axios", "undici"),
    *("postman", "insomnia", "httpie", "libwww", "lwp-", "httpclient", "http_client", "http-client"),
    *("http.rb", "guzzle", "faraday", "winhttp", "dart:io", "deno/", "bun/", "node/", "node.js"),
    *("reqwest", "urllib", "httplib", "mechanize", "restsharp", "unirest", "superagent", "dalvik/"),
    *("http client", "fasthttp"),
    *("powershell", "apachebench", "jmeter", "gatling", "artillery", "locust", "siege/", "k6/"),
    # headless and automated browsers, page-speed and rendering services
    *("headless", "phantomjs", "puppeteer", "playwright", "selenium", "webdriver", "cypress"),
    *("lighthouse", "pagespeed", "page speed", "gtmetrix", "ptst", "jsdom", "(unknown;"),
    *("wkhtmlto", "prerender", "rendertron", "nightmare", "slimerjs", "htmlunit", "zombie.js"),
    *("browserless", "splash version", "splash safari", "urlbox", "apify"),
    # search, social and AI crawlers whose names carry no generic word
    *("facebookexternalhit", "facebookcatalog", "meta-external", "chatgpt-user", "anthropic-ai"),
    *("claude-web", "claude-user", "perplexity-user", "cohere-ai", "mistralai-user", "manus-user"),
    *("googleother", "google-extended", "google-read-aloud", "google-pagerenderer", "googleagent"),
    *("google-agent", "google favicon", "google-site-verification", "google-safety", "-google"),
    *("googleproducer", "google-structured", "google-ads", "google-adwords", "mediapartners"),
    *("ia_archiver", "heritrix", "nutch", "seznam", "qwantify", "mojeek", "yeti/", "daumoa"),
    *("coccoc/", "embedly", "iframely", "outbrain", "vkshare", "w3c_", "w3c-", "img2dataset"),
    *("omgili", "cookiehub", "printfriendly", "pwabuilder", "criticalcss", "linktiger", "scope3"),
    *("google search console", "google-publisher", "google pp default", "google keyword"),
    *("google-searchbyimage", "google-hotelads", "google-amphtml", "google-apps-script", "googlehc"),
    *("webthumb", "websnapr", "webscreenie", "webkit2png", "snapsearch", "criteo", "crwlr"),
    # monitoring, synthetic checks and load tests
    *("pingdom", "site24x7", "statuscake", "datadog", "newrelic", "nagios", "zabbix", "icinga"),
    *("catchpoint", "ruxit", "dynatrace", "thousandeyes", "freshping", "hetrixtools", "updown.io"),
    *("ohdear", "cronitor", "nodeping", "appinsights", "blackbox exporter", "prometheus", "gatus"),
    *("montastic", "host-tracker", "websitepulse", "alertsite", "sematext", "betterstack"),
    *("gomez", "neustar", "debugbear", "analyzer", "ips-agent"),
    # security and internet-wide scanners
    *("netcraft", "censys", "shodan", "zgrab", "masscan", "nmap", "nikto", "sqlmap", "nuclei"),
    *("expanse", "paloalto", "bitsight", "nessus", "qualys", "acunetix", "openvas", "watchtowr"),
    *("leakix", "detectify", "wpscan", "dirbuster", "gobuster", "ffuf", "wfuzz"),
    # SEO and marketing tools
    *("semrush", "ahrefs", "mj12", "dataforseo", "serpstat", "sistrix", "screaming frog"),
    *("sitebulb", "dareboost", "siteimprove", "silktide", "hardenize", "securityheaders", "backlink"),
    *("hotjar", "datanyze", "bytespider", "petalbot", "amazonbot", "applebot"),
    # feed readers
    *("inoreader", "newsblur", "miniflux", "freshrss", "netnewswire", "theoldreader", "tt-rss"),
    *("tiny tiny rss", "bazqux"),
)

# Alternatives that need context; each starts on a literal character (or, once, a character set
# that letters fail), which keeps the single regex pass cheap.
_PATTERNS: tuple[str, ...] = (
    # "bot" ending a word, but not the Cubot phone brand nor phone models such as "IDbot553 Build/",
    # "M BOT 551)" or "POWER BOT Build/"
    r"bot(?<!cubot)s?(?![a-z]|\s?\d+[a-z+]*\s*(?:build/|\))|\s+build/)",
    # how to reach the operator: only programs put a URL or an e-mail address in a user agent
    r"https?://",
    r"www\.",
    r"@(?<=[a-z0-9_]@)[a-z0-9-]+\.[a-z]{2,}(?![a-z0-9])",
    r"\.(?<=[a-z0-9]\.)(?:com|net|org|io)(?![a-z0-9.])",
    # Yandex's crawlers are "Yandex<Something>/"; its app and browser say YandexSearch/, YaBrowser/
    r"yandex(?!search/|browser/)[a-z]*/",
    r"scan(?:ner|ning)?(?![a-z])",
    r"probe(?![a-z])",
    # whole words only
    # ("test-keys" names a phone's firmware signing, not a test program)
    r"[^a-z0-9](?:ruby|perl|php|test(?!-keys)|tester|testing|survey|research|audit|parser|sniff|reader)"
    r"(?![a-z])",
    r"[^a-z0-9](?:feed|rss)",
)

_BROWSER = re.compile(r"mozilla/\d")
# A layout engine (or a browser that names none): every real browser string has one.
_ENGINE = re.compile(
    r"applewebkit|gecko|trident|msie|presto|khtml|konqueror|netfront|opera|obigo|blazer|iemobile"
    r"|goanna|nintendo|playstation"
)
# Browsers of old phones that do not say Mozilla/.
_LEGACY_PHONE = re.compile(
    r"opera/\d|midp-|cldc-|up\.browser|blackberry|nokia|sonyericsson|samsung-|ucweb|ucbrowser"
    r"|docomo/|kddi-|softbank/|vodafone/|dolfin/|obigo|netfront|openwave|portalmmm"
)


_Node = dict[str, "_Node"]


def _prefix_tree(words: Iterable[str]) -> list[str]:
    """Regex alternatives, one per first letter, nested: ``crawl, curl`` -> ``c(?:rawl|url)``."""
    root: _Node = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def branches(node: _Node) -> list[str]:
        return [re.escape(char) + rest(child) for char, child in sorted(node.items())]

    def rest(node: _Node) -> str:
        if "" in node:  # a shorter word already matches: its continuations add nothing
            return ""
        found = branches(node)
        return found[0] if len(found) == 1 else "(?:" + "|".join(found) + ")"

    return branches(root)


_MARKERS = re.compile("|".join((*_prefix_tree(_WORDS), *_PATTERNS)))
# An Android device segment: after "; ", up to the next ";" or bracket, holding "build/". Each match
# starts right after "; " and stops at the segment's end, so a pass is linear in the string.
_ANDROID_DEVICE = re.compile(r"(?<=; )[^;()]*build/[^;()]*")


def _neutral(device: re.Match[str]) -> str:
    """A neutral word for a device segment, unless it holds a URL: no phone's build does."""
    return device[0] if "://" in device[0] else "device"


def _without_device(agent: str) -> str:
    """The lower-cased agent with an Android model and build string replaced by a neutral word."""
    return _ANDROID_DEVICE.sub(_neutral, agent) if "build/" in agent else agent


def is_bot(user_agent: str) -> bool:
    """True when the user agent is a crawler, monitor, HTTP library or automated browser.

    Pure, never raises on any string, and cheap; ``ingest.useragent.classify`` caches it with the
    rest of a user agent's classification.
    """
    agent = user_agent.lower()
    if _BROWSER.search(agent):
        if not _ENGINE.search(agent):
            return True
    elif not _LEGACY_PHONE.search(agent):
        return True
    return _MARKERS.search(_without_device(agent)) is not None
