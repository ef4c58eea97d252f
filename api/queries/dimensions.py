"""The visit dimensions a client may name, and the `sessions` column behind each.

Column names never come from a request: a request names a `Dimension` member (checked by
FastAPI against this enum) and the SQL uses the column this module maps it to.
"""

from __future__ import annotations

from enum import StrEnum


class Dimension(StrEnum):
    channel = "channel"
    device = "device"
    browser = "browser"
    os = "os"
    country = "country"
    city = "city"
    landing_page = "landing_page"
    referrer = "referrer"
    campaign = "campaign"


SESSION_COLUMN: dict[Dimension, str] = {
    Dimension.channel: "channel",
    Dimension.device: "device_type",
    Dimension.browser: "browser",
    Dimension.os: "os",
    Dimension.country: "country",
    Dimension.city: "city",
    Dimension.landing_page: "landing_page",
    Dimension.referrer: "referrer",
    Dimension.campaign: "utm_campaign",
}

# The marts' label for visits without a value (direct visits have no referrer, …).
NONE_LABEL = "(not set)"
