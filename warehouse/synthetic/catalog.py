"""The synthetic shop: its products, its pages and its customers' names.

A fixed catalogue (the same for every seed) of ~120 products in 10 categories, with
slugs, SKUs and prices in cents, so product pages, product events and order items all
agree. Pages are the paths a small fashion shop has. Everything here is a vocabulary:
the simulation draws integer indices into these tables and turns them into strings
with one Arrow `take` per column, which is what keeps 10M events fast.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa

SHOP_HOST = "shop.example.com"
SHOP_ORIGIN = f"https://{SHOP_HOST}"
CURRENCY = "EUR"

# fmt: off
# category slug -> (SKU prefix, [(product base name, price in cents)])
_CATEGORIES: dict[str, tuple[str, list[tuple[str, int]]]] = {
    "shirts": ("SHI", [("Linen Shirt", 5990), ("Oxford Shirt", 6490), ("Flannel Overshirt", 7990),
                       ("Poplin Shirt", 5490), ("Denim Shirt", 6990), ("Camp Collar Shirt", 5990)]),
    "t-shirts": ("TEE", [("Organic Cotton Tee", 2490), ("Heavyweight Tee", 3490),
                         ("Long Sleeve Tee", 2990), ("Pocket Tee", 2790), ("Henley", 3990),
                         ("Merino Tee", 5990)]),
    "trousers": ("TRO", [("Chino", 7990), ("Wide Leg Trouser", 8990), ("Selvedge Jeans", 11990),
                         ("Cargo Pant", 8490), ("Linen Trouser", 7490), ("Jogger", 5990)]),
    "knitwear": ("KNI", [("Merino Crewneck", 8990), ("Lambswool Cardigan", 10990),
                         ("Cotton Hoodie", 6990), ("Fisherman Sweater", 12990),
                         ("Half Zip", 9490), ("Cashmere Beanie", 4990)]),
    "jackets": ("JAC", [("Waxed Jacket", 22990), ("Chore Coat", 14990),
                        ("Down Puffer", 24990), ("Rain Shell", 13990), ("Wool Overcoat", 29990),
                        ("Denim Jacket", 11990)]),
    "dresses": ("DRE", [("Linen Dress", 8990), ("Wrap Dress", 9490), ("Shirt Dress", 8490),
                        ("Knit Dress", 10990), ("Slip Dress", 7990), ("Midi Skirt", 6990)]),
    "shoes": ("SHO", [("Leather Sneaker", 12990), ("Canvas Sneaker", 6990),
                      ("Chelsea Boot", 17990), ("Loafer", 14990), ("Running Shoe", 11990),
                      ("Sandal", 5990)]),
    "bags": ("BAG", [("Canvas Tote", 3990), ("Leather Backpack", 18990), ("Weekender", 15990),
                     ("Crossbody Bag", 8990), ("Laptop Sleeve", 4990), ("Belt Bag", 4490)]),
    "accessories": ("ACC", [("Wool Scarf", 4990), ("Leather Belt", 4490), ("Baseball Cap", 2990),
                            ("Socks 3-Pack", 1990), ("Sunglasses", 8990),
                            ("Leather Wallet", 5990)]),
    "home": ("HOM", [("Linen Bedding Set", 15990), ("Waffle Towel", 2990), ("Wool Throw", 9990),
                     ("Ceramic Mug", 1890), ("Scented Candle", 2490), ("Cushion Cover", 3490)]),
}
_COLOURS = ("black", "navy", "sand", "olive")
_COLOURS_PER_PRODUCT = 2

BLOG_POSTS = (
    "how-to-care-for-linen", "capsule-wardrobe-guide", "our-factories", "spring-lookbook-2025",
    "what-is-merino", "sneaker-cleaning-tips", "sustainable-packaging", "size-guide-explained",
    "meet-the-makers", "gift-guide",
)
# fmt: on
STATIC_PAGES = (
    "/about",
    "/contact",
    "/shipping",
    "/returns",
    "/faq",
    "/account",
    "/login",
    "/wishlist",
)
SEARCH_QUERIES = (
    "linen shirt",
    "sneakers",
    "black jeans",
    "merino",
    "gift card",
    "sale",
    "jacket",
    "tote bag",
    "dress",
    "socks",
    "wool",
    "boots",
    "hoodie",
    "belt",
    "size guide",
)


@dataclass(frozen=True)
class Product:
    product_id: str
    sku: str
    name: str
    slug: str
    category: str
    price_cents: int


def _build_products() -> tuple[Product, ...]:
    products = []
    number = 1000
    for category, (prefix, items) in _CATEGORIES.items():
        for item_no, (base, price) in enumerate(items):
            for k in range(_COLOURS_PER_PRODUCT):
                colour = _COLOURS[(item_no + k) % len(_COLOURS)]
                number += 1
                name = f"{base}, {colour.capitalize()}"
                slug = f"{base.lower().replace(' ', '-')}-{colour}"
                sku = f"{prefix}-{number}-{colour[:3].upper()}"
                products.append(Product(f"prod_{number}", sku, name, slug, category, price))
    return tuple(products)


PRODUCTS: tuple[Product, ...] = _build_products()
CATEGORIES: tuple[str, ...] = tuple(_CATEGORIES)


def _money_text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class Vocabulary:
    """Every page path, referrer and metadata text an event can have, indexed by integers.

    Page indices: 0 = home, then categories, product pages, blog posts, static pages,
    cart, checkout, checkout success, search.
    """

    def __init__(self) -> None:
        self.n_products = len(PRODUCTS)
        pages = ["/"]
        self.category_page0 = len(pages)
        pages += [f"/category/{c}" for c in CATEGORIES]
        self.product_page0 = len(pages)
        pages += [f"/products/{p.slug}" for p in PRODUCTS]
        self.blog_page0 = len(pages)
        pages += [f"/blog/{post}" for post in BLOG_POSTS]
        self.static_page0 = len(pages)
        pages += list(STATIC_PAGES)
        self.cart_page = len(pages)
        self.checkout_page = self.cart_page + 1
        self.success_page = self.cart_page + 2
        self.search_page = self.cart_page + 3
        pages += ["/cart", "/checkout", "/checkout/success", "/search"]
        self.page_list = pages
        self.pages = pa.array(pages, type=pa.string())
        # The internal referrer of an event is the previous page's full URL.
        self.internal_referrers = pa.array([SHOP_ORIGIN + p for p in pages], type=pa.string())

        meta: list[str] = []
        self.meta_product_view0 = 0
        for p in PRODUCTS:
            meta.append(
                json.dumps(
                    {
                        "price": _money_text(p.price_cents),
                        "currency": CURRENCY,
                        "category": p.category,
                    }
                )
            )
        self.meta_add_to_cart0 = len(meta)  # + product * 3 + (quantity - 1)
        for p in PRODUCTS:
            for quantity in (1, 2, 3):
                meta.append(
                    json.dumps(
                        {
                            "quantity": quantity,
                            "price": _money_text(p.price_cents),
                            "currency": CURRENCY,
                        }
                    )
                )
        self.meta_checkout0 = len(meta)  # + (items - 1)
        for items in range(1, 4):
            meta.append(json.dumps({"items": items, "currency": CURRENCY}))
        self.meta_search0 = len(meta)
        meta += [json.dumps({"query": q}) for q in SEARCH_QUERIES]
        self.n_search_queries = len(SEARCH_QUERIES)
        self.metadata = pa.array(meta, type=pa.string())

    @cached_property
    def product_ids(self) -> pa.Array:
        return pa.array([p.product_id for p in PRODUCTS], type=pa.string())

    @cached_property
    def product_skus(self) -> pa.Array:
        return pa.array([p.sku for p in PRODUCTS], type=pa.string())

    @cached_property
    def product_names(self) -> pa.Array:
        return pa.array([p.name for p in PRODUCTS], type=pa.string())

    @cached_property
    def product_prices(self) -> np.ndarray:
        return np.array([p.price_cents for p in PRODUCTS], dtype=np.int64)

    @cached_property
    def product_popularity(self) -> np.ndarray:
        """Zipf-like demand over a fixed shuffle of the catalogue (a few best sellers)."""
        order = np.random.default_rng(20250101).permutation(self.n_products)
        weights = np.empty(self.n_products)
        weights[order] = 1.0 / np.arange(1, self.n_products + 1) ** 0.9
        return weights / weights.sum()

    @cached_property
    def browse_pages(self) -> tuple[np.ndarray, np.ndarray]:
        """Pages a human opens between products (home, categories, blog, static) and shares."""
        pages = [0] + list(range(self.category_page0, self.product_page0))
        weights = [6.0] + [3.0] * len(CATEGORIES)
        pages += list(range(self.blog_page0, self.static_page0))
        weights += [0.6] * len(BLOG_POSTS)
        pages += list(range(self.static_page0, self.cart_page))
        weights += [0.5, 0.3, 0.8, 0.6, 0.5, 0.9, 0.7, 0.4]
        w = np.array(weights)
        return np.array(pages, dtype=np.int32), w / w.sum()


# fmt: off
FIRST_NAMES = (
    "anna", "lukas", "marie", "jonas", "sophie", "leon", "emma", "paul", "mia", "felix",
    "lea", "noah", "julia", "elias", "clara", "louis", "chloe", "hugo", "olivia", "james",
    "amelia", "oliver", "isla", "jack", "sara", "marco", "giulia", "lucas", "eva", "daan",
)
LAST_NAMES = (
    "mueller", "schmidt", "schneider", "fischer", "weber", "meyer", "wagner", "becker",
    "martin", "bernard", "dubois", "smith", "jones", "taylor", "brown", "wilson", "rossi",
    "russo", "garcia", "lopez", "dejong", "jansen", "novak", "nielsen", "berg", "murphy",
)
EMAIL_DOMAINS = (
    "gmail.com", "gmail.com", "gmail.com", "web.de", "gmx.de", "outlook.com", "yahoo.com",
    "icloud.com", "hotmail.com", "orange.fr", "t-online.de", "proton.me",
)
# fmt: on


def customer_emails(rng: np.random.Generator, numbers: range) -> list[str]:
    """Plausible, unique email addresses for the customers with these numbers."""
    n = len(numbers)
    first = rng.integers(0, len(FIRST_NAMES), n).tolist()
    last = rng.integers(0, len(LAST_NAMES), n).tolist()
    domain = rng.integers(0, len(EMAIL_DOMAINS), n).tolist()
    return [
        f"{FIRST_NAMES[f]}.{LAST_NAMES[la]}{number}@{EMAIL_DOMAINS[d]}"
        for f, la, d, number in zip(first, last, domain, numbers, strict=True)
    ]
