"""Where visits come from: referrer URLs and UTM tags, one row per traffic source.

Each row is something a real shop's landing events carry, so every channel rule of
DESIGN "Semantics" (email, paid search, social, organic, referral, direct, other) has
traffic to classify. Referrers are full URLs the way browsers send them (search engines
send only the origin, e.g. https://www.google.com/). `landing` gives the shares of
landing on home / category / product / blog pages for visits from that source.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa


@dataclass(frozen=True)
class Source:
    channel: str  # the channel DESIGN's rules should assign (for tests and docs)
    weight: float
    referrer: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    landing: tuple[float, float, float, float] = (0.3, 0.25, 0.4, 0.05)


_HOME = (0.75, 0.1, 0.12, 0.03)
_SEARCH = (0.3, 0.2, 0.42, 0.08)
_SOCIAL = (0.15, 0.15, 0.6, 0.1)
_EMAIL = (0.2, 0.4, 0.4, 0.0)
_BLOG = (0.1, 0.1, 0.3, 0.5)

# fmt: off
SOURCES: tuple[Source, ...] = (
    Source("Direct", 26.0, landing=_HOME),
    # Organic search: browsers send the engine's origin only.
    Source("Organic Search", 16.0, "https://www.google.com/", landing=_SEARCH),
    Source("Organic Search", 5.0, "https://www.google.de/", landing=_SEARCH),
    Source("Organic Search", 1.5, "https://www.google.fr/", landing=_SEARCH),
    Source("Organic Search", 1.5, "https://www.google.co.uk/", landing=_SEARCH),
    Source("Organic Search", 2.5, "https://www.bing.com/", landing=_SEARCH),
    Source("Organic Search", 1.2, "https://duckduckgo.com/", landing=_SEARCH),
    Source("Organic Search", 0.6, "https://www.ecosia.org/", landing=_SEARCH),
    Source("Organic Search", 0.4, "https://search.yahoo.com/", landing=_SEARCH),
    Source("Organic Search", 0.3, "https://search.brave.com/", landing=_SEARCH),
    # Social, organic and tagged
    Source("Social", 2.5, "https://l.facebook.com/", landing=_SOCIAL),
    Source("Social", 1.0, "https://m.facebook.com/", landing=_SOCIAL),
    Source("Social", 2.5, "https://l.instagram.com/", landing=_SOCIAL),
    Source("Social", 1.0, "https://t.co/", landing=_SOCIAL),
    Source("Social", 1.0, "https://www.reddit.com/", landing=_SOCIAL),
    Source("Social", 0.8, "https://www.pinterest.com/", landing=_SOCIAL),
    Source("Social", 0.8, "https://www.tiktok.com/", landing=_SOCIAL),
    Source("Social", 0.3, "https://www.linkedin.com/", landing=_SOCIAL),
    Source("Social", 0.3, "https://www.youtube.com/", landing=_SOCIAL),
    Source("Social", 1.5, "https://l.instagram.com/", "instagram", "social", "spring_drop",
           None, "story_1", _SOCIAL),
    Source("Social", 1.2, None, "facebook", "paid_social", "retargeting_q1", None,
           "carousel_a", _SOCIAL),
    # Email: mail apps usually send no referrer; webmail sometimes does.
    Source("Email", 2.5, None, "newsletter", "email", "weekly_digest", None, "hero", _EMAIL),
    Source("Email", 1.0, None, "newsletter", "email", "spring_sale", None, "cta_button",
           _EMAIL),
    Source("Email", 0.6, "https://mail.google.com/", "klaviyo", "email", "abandoned_cart",
           None, None, (0.0, 0.0, 1.0, 0.0)),
    Source("Email", 0.4, None, "newsletter", "e-mail", "welcome_series", None, None, _EMAIL),
    # Paid search
    Source("Paid Search", 4.0, "https://www.google.com/", "google", "cpc", "brand_search",
           "footfall shop", None, _HOME),
    Source("Paid Search", 3.0, "https://www.google.com/", "google", "cpc", "generic_linen",
           "linen shirt men", "ad_variant_b", (0.0, 0.3, 0.7, 0.0)),
    Source("Paid Search", 1.0, "https://www.bing.com/", "bing", "cpc", "generic_shoes",
           "leather sneakers", None, (0.0, 0.3, 0.7, 0.0)),
    Source("Paid Search", 1.0, None, "google", "ppc", "shopping_feed", None, None,
           (0.0, 0.0, 1.0, 0.0)),
    # Referral: other sites linking to the shop
    Source("Referral", 1.5, "https://www.trustpilot.com/review/shop.example.com",
           landing=_HOME),
    Source("Referral", 1.0, "https://www.idealo.de/preisvergleich/ProductCategory/2520.html",
           landing=(0.0, 0.0, 1.0, 0.0)),
    Source("Referral", 0.8, "https://www.vogue.co.uk/article/best-linen-shirts",
           landing=(0.0, 0.2, 0.8, 0.0)),
    Source("Referral", 0.6, "https://news.example-blog.net/2025/slow-fashion-brands/",
           landing=_BLOG),
    Source("Referral", 0.4, "https://www.awin1.com/", "awin", "affiliate", "partner_program",
           landing=_SOCIAL),
    Source("Referral", 0.3, None, "partner_site", "referral", "coop_2025", landing=_HOME),
    # Other: tagged traffic no rule recognises
    Source("Other", 0.8, None, "qr_code", "print", "flyer_store_opening", landing=_HOME),
    Source("Other", 0.4, None, "podcast", "audio", "sponsor_read", landing=_HOME),
)
# fmt: on

SOURCE_COLUMNS = ("referrer", "utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")


def source_probabilities() -> np.ndarray:
    weights = np.array([s.weight for s in SOURCES], dtype=np.float64)
    return weights / weights.sum()


def landing_cumulative() -> np.ndarray:
    """Per source, cumulative shares of landing on home / category / product / blog."""
    shares = np.array([s.landing for s in SOURCES], dtype=np.float64)
    shares /= shares.sum(axis=1, keepdims=True)
    return np.cumsum(shares, axis=1)


def source_column(name: str) -> pa.Array:
    """One referrer/UTM column of the source table as an Arrow string array (None = null)."""
    return pa.array([getattr(s, name) for s in SOURCES], type=pa.string())
