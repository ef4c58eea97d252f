"""Top products: counts for a date range from `products_daily`, rates from `products`.

The view→cart and cart→purchase rates are visit-based (DESIGN "Products"), which daily
event counts cannot reproduce for an arbitrary range, so they are the all-time rates of the
`products` mart; views, add-to-carts, units and revenue are for the range asked for.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

import duckdb

from api.schemas import ProductRow


class ProductSort(StrEnum):
    revenue = "revenue"
    units_sold = "units_sold"
    views = "views"
    add_to_carts = "add_to_carts"


SORT_COLUMN = {
    ProductSort.revenue: "revenue",
    ProductSort.units_sold: "units_sold",
    ProductSort.views: "product_views",
    ProductSort.add_to_carts: "add_to_carts",
}


def read_top_products(
    cur: duckdb.DuckDBPyConnection, start: date, end: date, sort: ProductSort, limit: int
) -> list[ProductRow]:
    """The `limit` products with the highest `sort` value in start..end."""
    order = SORT_COLUMN[sort]  # from the allow-list, never from the request
    rows = cur.execute(
        f"""
        with in_range as (
            select
                product_id,
                sum(product_views) as product_views,
                sum(add_to_carts) as add_to_carts,
                sum(units_sold) as units_sold,
                sum(revenue) as revenue
            from products_daily
            where product_date between ? and ?
            group by product_id
        )
        select
            in_range.product_id,
            products.product_name,
            in_range.product_views,
            in_range.add_to_carts,
            in_range.units_sold,
            in_range.revenue,
            coalesce(products.view_to_cart_rate, 0),
            coalesce(products.cart_to_purchase_rate, 0)
        from in_range
        left join products on in_range.product_id = products.product_id
        where in_range.{order} > 0
        order by in_range.{order} desc, in_range.revenue desc, in_range.product_id
        limit ?
        """,
        [start, end, limit],
    ).fetchall()
    return [
        ProductRow(
            product_id=product_id,
            name=name,
            views=int(views),
            add_to_carts=int(carts),
            units_sold=int(units),
            revenue=round(float(revenue), 2),
            view_to_cart_rate=round(float(view_cart), 2),
            cart_to_purchase_rate=round(float(cart_purchase), 2),
        )
        for product_id, name, views, carts, units, revenue, view_cart, cart_purchase in rows
    ]
