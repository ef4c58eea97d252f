"""Best-selling (or most viewed) products over a date range."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.deps import CacheDep, DateRangeDep, SnapshotDep
from api.queries.products import ProductSort, read_top_products
from api.respond import snapshot_response
from api.schemas import TopProducts

router = APIRouter(prefix="/products", tags=["products"])


@router.get("/top", response_model=TopProducts)
def read_top_products_list(
    request: Request,
    lease: SnapshotDep,
    cache: CacheDep,
    period: DateRangeDep,
    sort: Annotated[ProductSort, Query(description="What to rank products by.")] = (
        ProductSort.revenue
    ),
    limit: Annotated[int, Query(ge=1, le=100, description="Most products returned.")] = 10,
) -> Response:
    """Top products in start..end with views, add-to-carts, units sold and revenue."""
    snap = lease.snapshot

    def compute(cur) -> TopProducts:  # noqa: ANN001
        return TopProducts(
            snapshot_id=snap.snapshot_id,
            data_as_of=snap.data_as_of,
            start=period.start,
            end=period.end,
            sort=sort.value,
            products=read_top_products(cur, period.start, period.end, sort, limit),
        )

    key = ("products", period, sort.value, limit)
    return snapshot_response(request, lease, cache, key, compute)
