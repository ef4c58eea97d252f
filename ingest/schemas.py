"""Request bodies the collector accepts (DESIGN "Event" and "Order"), and their errors.

Validation is pydantic-core parsing straight from the request bytes (fast, no
intermediate dicts). Errors are rewritten into `{"field", "problem"}` pairs from the
error *type* only, so a response never echoes what the client sent: the track
endpoint is public, and reflected input is how injection and log-forging start.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal, NotRequired

from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
)
from typing_extensions import TypedDict

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
MAX_PAGE_BYTES = 2048
MAX_METADATA_BYTES = 8192
MAX_ORDER_ITEMS = 1000


UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

# Limits that need Python (byte lengths, serialized size) are checked where the row is
# built (ingest/records.py): a Python validator per field would double the parse cost.
Id = Annotated[str, StringConstraints(min_length=1, max_length=256)]
ShortText = Annotated[str, StringConstraints(max_length=256)]
Url = Annotated[str, StringConstraints(max_length=MAX_PAGE_BYTES)]
EventType = Annotated[str, StringConstraints(pattern=EVENT_TYPE_PATTERN)]
EventId = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
Money = Annotated[Decimal, Field(max_digits=18, decimal_places=2)]


def _utm(name: str, camel: str) -> Any:
    return NotRequired[
        Annotated[ShortText | None, Field(validation_alias=AliasChoices(name, camel))]
    ]


class TrackEvent(TypedDict):
    """One browser event. Unknown fields are ignored so old collectors accept new trackers.

    A TypedDict, not a model: the collector only checks and forwards events, and plain
    dicts validate faster and serialise straight to the spool.
    """

    __pydantic_config__ = ConfigDict(extra="ignore")  # type: ignore[misc]

    eventId: NotRequired[EventId | None]
    sessionId: NotRequired[Annotated[str, StringConstraints(min_length=1, max_length=128)] | None]
    eventType: EventType
    page: NotRequired[Url | None]
    productId: NotRequired[Id | None]
    metadata: NotRequired[dict[str, Any] | None]
    timestamp: NotRequired[datetime | None]
    sentAt: NotRequired[datetime | None]
    referrer: NotRequired[Url | None]
    utm_source: _utm("utm_source", "utmSource")  # type: ignore[valid-type]
    utm_medium: _utm("utm_medium", "utmMedium")  # type: ignore[valid-type]
    utm_campaign: _utm("utm_campaign", "utmCampaign")  # type: ignore[valid-type]
    utm_term: _utm("utm_term", "utmTerm")  # type: ignore[valid-type]
    utm_content: _utm("utm_content", "utmContent")  # type: ignore[valid-type]
    customerId: NotRequired[Id | None]


class OrderCustomer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    customerId: Id | None = None
    email: Annotated[str, StringConstraints(min_length=3, max_length=320, pattern=r"@")] | None = (
        None
    )
    type: Literal["GUEST", "REGISTERED"] = "GUEST"


class OrderItem(BaseModel):
    model_config = ConfigDict(extra="ignore")

    productId: Id
    sku: ShortText | None = None
    name: Annotated[str, StringConstraints(max_length=1024)] | None = None
    quantity: Annotated[int, Field(ge=0, le=1_000_000)]
    unitPrice: Money


class Order(BaseModel):
    """One order state, server to server. Each status change is sent again as a new row."""

    model_config = ConfigDict(extra="ignore")

    orderId: Id
    orderNumber: ShortText | None = None
    sessionId: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    customer: OrderCustomer | None = None
    items: Annotated[list[OrderItem], Field(max_length=MAX_ORDER_ITEMS)] = []
    subtotal: Money | None = None
    tax: Money | None = None
    shipping: Money | None = None
    total: Money
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "USD"
    orderStatus: Literal["PENDING", "PROCESSING", "SHIPPED", "DELIVERED", "CANCELED"]
    paymentStatus: Literal["PENDING", "PAID", "REFUNDED"]
    createdAt: datetime
    updatedAt: datetime | None = None


class Customer(BaseModel):
    """A customer record change, e.g. a guest becoming REGISTERED."""

    model_config = ConfigDict(extra="ignore")

    customerId: Id
    email: Annotated[str, StringConstraints(min_length=3, max_length=320, pattern=r"@")] | None = (
        None
    )
    type: Literal["GUEST", "REGISTERED"]
    updatedAt: datetime | None = None


class BodyError(ValueError):
    """A request body problem, as field/problem pairs safe to send back."""

    def __init__(self, problems: list[dict[str, str]], status: int = 422) -> None:
        super().__init__("; ".join(f"{p['field']}: {p['problem']}" for p in problems))
        self.problems = problems
        self.status = status


class OneOrMany:
    """Parses a body that is one JSON object or an array of at most `max_items` of them."""

    def __init__(self, model: type[Any], max_items: int) -> None:
        self.max_items = max_items
        self.one: TypeAdapter[Any] = TypeAdapter(model)
        self.many: TypeAdapter[Any] = TypeAdapter(
            Annotated[list[model], Field(min_length=1, max_length=max_items)]  # type: ignore[valid-type]
        )

    def parse(self, body: bytes) -> tuple[list[Any], bool]:
        """(items, was_array); raises BodyError (413 for too many items, else 422)."""
        is_array = body.lstrip()[:1] == b"["
        try:
            if is_array:
                return self.many.validate_json(body), True
            return [self.one.validate_json(body)], False
        except ValidationError as exc:
            for error in exc.errors(include_input=False, include_url=False):
                if error["type"] == "too_long" and not error["loc"]:
                    problem = f"must hold at most {self.max_items} items"
                    raise BodyError([{"field": "body", "problem": problem}], 413) from None
            raise BodyError(describe_errors(exc)) from None


_MESSAGES = {
    "missing": "is required",
    "string_type": "must be a string",
    "string_too_short": "must not be empty",
    "string_too_long": "must be at most {max_length} characters",
    "string_pattern_mismatch": "must match {pattern}",
    "uuid_type": "must be a UUID",
    "uuid_parsing": "must be a UUID",
    "uuid_version": "must be a UUID",
    "datetime_type": "must be an ISO-8601 date-time",
    "datetime_parsing": "must be an ISO-8601 date-time",
    "datetime_from_date_parsing": "must be an ISO-8601 date-time",
    "datetime_object_invalid": "must be an ISO-8601 date-time",
    "dict_type": "must be an object",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "list_type": "must be an array",
    "too_long": "must have at most {max_length} items",
    "too_short": "must hold at least {min_length} item(s)",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be an integer",
    "decimal_type": "must be a number",
    "decimal_parsing": "must be a number",
    "decimal_max_digits": "must have at most {max_digits} digits",
    "decimal_max_places": "must have at most {decimal_places} decimal places",
    "decimal_whole_digits": "has too many digits",
    "greater_than_equal": "must be at least {ge}",
    "less_than_equal": "must be at most {le}",
    "literal_error": "must be one of {expected}",
    "json_invalid": "is not valid JSON",
    "json_type": "is not valid JSON",
    "recursion_loop": "is nested too deeply",
}


def describe_errors(exc: ValidationError) -> list[dict[str, str]]:
    """Field path and a fixed message per error; the client's values are never included."""
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        kind = error["type"]
        ctx = error.get("ctx") or {}
        if kind == "value_error" and "error" in ctx:
            problem = str(ctx["error"])  # our own validators' wording
        elif kind == "string_pattern_mismatch" and ctx.get("pattern") == UUID_PATTERN:
            problem = "must be a UUID"
        else:
            template = _MESSAGES.get(kind, "is invalid")
            try:
                problem = template.format(**ctx)
            except (KeyError, IndexError):
                problem = "is invalid"
        problems.append({"field": _field_path(error["loc"]) or "body", "problem": problem})
    return problems[:20]


def _field_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path
