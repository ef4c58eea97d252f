"""Real User-Agent strings, weighted the way a European web shop sees them.

Enrichment parses these with ua-parser and flags bots with `seeds/bot_markers.csv`, so
the strings are copied from real browsers and crawlers (late-2024/2025 versions), not
made up: a made-up string would test nothing. Weights are rough shares of visitors
(mobile ~55 %, desktop ~40 %, tablet ~5 %); bots have their own table and weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Agent:
    """One User-Agent string, the device class it stands for and its share of traffic."""

    ua: str
    device: str  # desktop | mobile | tablet | bot
    weight: float
    network: str = ""  # bots only: the CIDR their crawler runs from


_WIN = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
_MAC = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7)"
_LINUX = "Mozilla/5.0 (X11; Linux x86_64)"
_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
_SAFARI_WEBKIT = "AppleWebKit/605.1.15 (KHTML, like Gecko)"

# fmt: off
HUMAN_AGENTS: tuple[Agent, ...] = (
    # Desktop: Chrome / Edge / Firefox / Opera on Windows
    Agent(f"{_WIN} {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", "desktop", 8.0),
    Agent(f"{_WIN} {_WEBKIT} Chrome/132.0.0.0 Safari/537.36", "desktop", 6.0),
    Agent(f"{_WIN} {_WEBKIT} Chrome/130.0.0.0 Safari/537.36", "desktop", 2.0),
    Agent(f"{_WIN} {_WEBKIT} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "desktop", 3.5),
    Agent(f"{_WIN} {_WEBKIT} Chrome/132.0.0.0 Safari/537.36 Edg/132.0.0.0", "desktop", 2.0),
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0",
          "desktop", 2.0),
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:134.0) Gecko/20100101 Firefox/134.0",
          "desktop", 1.2),
    Agent(f"{_WIN} {_WEBKIT} Chrome/130.0.0.0 Safari/537.36 OPR/115.0.0.0", "desktop", 0.6),
    Agent("Mozilla/5.0 (Windows NT 6.1; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/109.0.0.0 Safari/537.36", "desktop", 0.3),
    # Desktop: macOS
    Agent(f"{_MAC} {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", "desktop", 4.0),
    Agent(f"{_MAC} {_WEBKIT} Chrome/132.0.0.0 Safari/537.36", "desktop", 2.0),
    Agent(f"{_MAC} {_SAFARI_WEBKIT} Version/18.2 Safari/605.1.15", "desktop", 3.0),
    Agent(f"{_MAC} {_SAFARI_WEBKIT} Version/18.1.1 Safari/605.1.15", "desktop", 1.2),
    Agent(f"{_MAC} {_SAFARI_WEBKIT} Version/17.6 Safari/605.1.15", "desktop", 0.8),
    Agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0",
          "desktop", 0.8),
    Agent(f"{_MAC} {_WEBKIT} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "desktop", 0.4),
    # Desktop: Linux and ChromeOS
    Agent(f"{_LINUX} {_WEBKIT} Chrome/131.0.0.0 Safari/537.36", "desktop", 1.0),
    Agent("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
          "desktop", 0.6),
    Agent("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
          "desktop", 0.3),
    Agent(f"Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36",
          "desktop", 0.5),
    # Mobile: iPhone
    Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) "
          f"{_SAFARI_WEBKIT} Version/18.2 Mobile/15E148 Safari/604.1", "mobile", 9.0),
    Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) "
          f"{_SAFARI_WEBKIT} Version/18.1.1 Mobile/15E148 Safari/604.1", "mobile", 5.0),
    Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) "
          f"{_SAFARI_WEBKIT} Version/17.6 Mobile/15E148 Safari/604.1", "mobile", 3.0),
    Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 16_7_10 like Mac OS X) "
          f"{_SAFARI_WEBKIT} Version/16.6 Mobile/15E148 Safari/604.1", "mobile", 0.8),
    Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 18_2 like Mac OS X) "
          f"{_SAFARI_WEBKIT} CriOS/131.0.6778.134 Mobile/15E148 Safari/604.1", "mobile", 1.5),
    Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Mobile/22B83 Instagram 361.0.0.35.82 (iPhone15,3; iOS 18_1; "
          "en_US; en; scale=3.00; 1290x2796; 674117118)", "mobile", 1.5),
    Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Mobile/22B83 [FBAN/FBIOS;FBAV/491.0.0.47.109;FBBV/672544936;"
          "FBDV/iPhone14,5;FBMD/iPhone;FBSN/iOS;FBSV/18.1;FBSS/3;FBID/phone;FBLC/de_DE;FBOP/5]",
          "mobile", 1.0),
    # Mobile: Android
    Agent(f"Mozilla/5.0 (Linux; Android 10; K) {_WEBKIT} Chrome/131.0.0.0 Mobile Safari/537.36",
          "mobile", 9.0),
    Agent(f"Mozilla/5.0 (Linux; Android 10; K) {_WEBKIT} Chrome/132.0.0.0 Mobile Safari/537.36",
          "mobile", 4.0),
    Agent(f"Mozilla/5.0 (Linux; Android 10; K) {_WEBKIT} Chrome/130.0.0.0 Mobile Safari/537.36",
          "mobile", 2.0),
    Agent(f"Mozilla/5.0 (Linux; Android 14; SM-S928B) {_WEBKIT} SamsungBrowser/27.0 "
          "Chrome/125.0.0.0 Mobile Safari/537.36", "mobile", 2.5),
    Agent(f"Mozilla/5.0 (Linux; Android 13; SM-A536B) {_WEBKIT} SamsungBrowser/26.0 "
          "Chrome/122.0.0.0 Mobile Safari/537.36", "mobile", 1.5),
    Agent("Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0", "mobile", 0.7),
    Agent(f"Mozilla/5.0 (Linux; Android 14; Pixel 8) {_WEBKIT} Chrome/131.0.6778.135 "
          "Mobile Safari/537.36", "mobile", 1.0),
    Agent(f"Mozilla/5.0 (Linux; Android 13; 2201117TG) {_WEBKIT} Chrome/131.0.6778.104 "
          "Mobile Safari/537.36", "mobile", 0.8),
    Agent(f"Mozilla/5.0 (Linux; Android 10; K) {_WEBKIT} Chrome/131.0.0.0 Mobile Safari/537.36 "
          "EdgA/131.0.0.0", "mobile", 0.3),
    Agent(f"Mozilla/5.0 (Linux; Android 14; SM-G991B Build/UP1A.231005.007; wv) {_WEBKIT} "
          "Version/4.0 Chrome/131.0.6778.135 Mobile Safari/537.36 Instagram 360.0.0.52.192 "
          "Android (34/14; 420dpi; 1080x2176; samsung; SM-G991B; o1s; exynos2100; de_DE; "
          "672535977)", "mobile", 0.9),
    # Tablets: iPad (older iPadOS still says iPad) and Android tablets
    Agent("Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) "
          f"{_SAFARI_WEBKIT} Version/17.7 Mobile/15E148 Safari/604.1", "tablet", 1.6),
    Agent("Mozilla/5.0 (iPad; CPU OS 16_7_10 like Mac OS X) "
          f"{_SAFARI_WEBKIT} Version/16.6 Mobile/15E148 Safari/604.1", "tablet", 0.6),
    Agent("Mozilla/5.0 (iPad; CPU OS 18_2 like Mac OS X) "
          f"{_SAFARI_WEBKIT} CriOS/131.0.6778.134 Mobile/15E148 Safari/604.1", "tablet", 0.3),
    Agent(f"Mozilla/5.0 (Linux; Android 13; SM-X710) {_WEBKIT} Chrome/131.0.0.0 Safari/537.36",
          "tablet", 0.8),
    Agent(f"Mozilla/5.0 (Linux; Android 14; SM-X510) {_WEBKIT} SamsungBrowser/26.0 "
          "Chrome/122.0.0.0 Safari/537.36", "tablet", 0.4),
    Agent(f"Mozilla/5.0 (Linux; Android 9; KFTRWI) {_WEBKIT} Silk/131.2.1 "
          "like Chrome/131.0.6778.135 Safari/537.36", "tablet", 0.3),
    Agent(f"Mozilla/5.0 (Linux; Android 12; Lenovo TB-X606F) {_WEBKIT} Chrome/130.0.0.0 "
          "Safari/537.36", "tablet", 0.2),
)
# fmt: on

# fmt: off
BOT_AGENTS: tuple[Agent, ...] = (
    Agent("Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 "
          "(KHTML, like Gecko) Chrome/131.0.6778.204 Mobile Safari/537.36 (compatible; "
          "Googlebot/2.1; +http://www.google.com/bot.html)", "bot", 14.0, "66.249.66.0/24"),
    Agent("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; Googlebot/2.1; "
          "+http://www.google.com/bot.html) Chrome/131.0.6778.204 Safari/537.36",
          "bot", 8.0, "66.249.68.0/24"),
    Agent("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; "
          "+http://www.bing.com/bingbot.htm) Chrome/131.0.0.0 Safari/537.36",
          "bot", 10.0, "157.55.39.0/24"),
    Agent("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
          "bot", 8.0, "54.36.148.0/24"),
    Agent("Mozilla/5.0 (compatible; SemrushBot/7~bl; +http://www.semrush.com/bot.html)",
          "bot", 5.0, "185.191.171.0/24"),
    Agent("Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
          "bot", 3.0, "5.255.253.0/24"),
    Agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
          "Gecko) Version/17.4 Safari/605.1.15 (Applebot/0.1; +http://www.apple.com/go/applebot)",
          "bot", 2.5, "17.241.219.0/24"),
    Agent("Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko); compatible; GPTBot/1.2; "
          "+https://openai.com/gptbot", "bot", 4.0, "20.171.207.0/24"),
    Agent("Mozilla/5.0 (Linux; Android 7.0;) AppleWebKit/537.36 (KHTML, like Gecko) Mobile "
          "Safari/537.36 (compatible; PetalBot;+https://webmaster.petalsearch.com/site/petalbot)",
          "bot", 2.0, "114.119.128.0/19"),
    Agent("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
          "bot", 2.5, "69.171.230.0/24"),
    Agent(f"{_LINUX} {_WEBKIT} HeadlessChrome/131.0.0.0 Safari/537.36", "bot", 9.0,
          "3.80.0.0/12"),
    Agent("python-requests/2.32.3", "bot", 6.0, "159.89.0.0/16"),
    Agent("curl/8.5.0", "bot", 3.0, "88.99.0.0/16"),
    Agent("Go-http-client/2.0", "bot", 1.5, "51.15.0.0/16"),
    Agent("Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)", "bot", 1.0,
          "216.144.250.0/24"),
)
# fmt: on

AGENTS: tuple[Agent, ...] = HUMAN_AGENTS + BOT_AGENTS
N_HUMAN_AGENTS = len(HUMAN_AGENTS)


def agent_weights(agents: tuple[Agent, ...]) -> np.ndarray:
    """The agents' weights as probabilities (summing to 1)."""
    weights = np.array([agent.weight for agent in agents], dtype=np.float64)
    return weights / weights.sum()
