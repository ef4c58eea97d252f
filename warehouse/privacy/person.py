"""Who a privacy request is about: from the ids or email given to every id in the lake.

An email is only stored as its keyed hash, so it is hashed with `FOOTFALL_SECRET` and
matched against `email_hash`. Customers and email hashes are closed over each other (a
guest order and a later account share the email), then every visitor the customers were
linked to (orders, identified events) joins. A visitor id given on its own is not widened
to a customer: a cookie id proves a browser, not who the customer is; the rows of that
visitor — its events and the orders placed from it — are what it covers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from warehouse.identity import hash_email, keyed_hash, normalize_email

MAX_CLOSURE_ROUNDS = 10


@dataclass(frozen=True)
class PersonRequest:
    """The identifiers a data subject gave (any mix; at least one)."""

    visitor_ids: tuple[str, ...] = ()
    customer_ids: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("visitor_ids", "customer_ids", "emails"):
            values = tuple(sorted({v.strip() for v in getattr(self, name) if v and v.strip()}))
            object.__setattr__(self, name, values)

    @property
    def is_empty(self) -> bool:
        return not (self.visitor_ids or self.customer_ids or self.emails)

    @property
    def kinds(self) -> list[str]:
        """Which kinds of identifier were given (safe to log: no values)."""
        given = {"visitor_id": self.visitor_ids, "customer_id": self.customer_ids}
        given["email"] = self.emails
        return [kind for kind, values in given.items() if values]

    def to_json(self) -> str:
        return json.dumps(
            {
                "visitor_ids": self.visitor_ids,
                "customer_ids": self.customer_ids,
                "emails": self.emails,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> PersonRequest:
        data = json.loads(text)
        return cls(
            visitor_ids=tuple(data.get("visitor_ids", ())),
            customer_ids=tuple(data.get("customer_ids", ())),
            emails=tuple(data.get("emails", ())),
        )

    def key(self, secret: str) -> str:
        """A keyed hash of the request: the audit log can prove a request without naming anyone."""
        canonical = {
            "visitor_ids": self.visitor_ids,
            "customer_ids": self.customer_ids,
            "emails": sorted({normalize_email(email) for email in self.emails}),
        }
        return keyed_hash(secret, "privacy-request", json.dumps(canonical, sort_keys=True))


@dataclass(frozen=True)
class Person:
    """Every identifier of the person in the lake; rows matching any of them are theirs."""

    visitor_ids: frozenset[str]
    customer_ids: frozenset[str]
    email_hashes: frozenset[str]

    @property
    def is_empty(self) -> bool:
        return not (self.visitor_ids or self.customer_ids or self.email_hashes)

    def counts(self) -> dict[str, int]:
        return {
            "visitors": len(self.visitor_ids),
            "customers": len(self.customer_ids),
            "email_hashes": len(self.email_hashes),
        }


def _column(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> set[str]:
    """The distinct non-blank values a query returns (a blank id must never match everyone)."""
    return {row[0] for row in con.execute(sql, params).fetchall() if row[0] and row[0].strip()}


def resolve_person(con: duckdb.DuckDBPyConnection, request: PersonRequest, secret: str) -> Person:
    """Every id of the person in the lake views on `con` (see `lakeviews.lake_connection`)."""
    hashes = {hash_email(email, secret) for email in request.emails}
    customers = set(request.customer_ids)
    for _ in range(MAX_CLOSURE_ROUNDS):
        found_customers = customers | _column(
            con,
            "select customer_id from raw_orders where list_contains($1, email_hash) "
            "union select customer_id from raw_customers where list_contains($1, email_hash)",
            [sorted(hashes)],
        )
        found_hashes = hashes | _column(
            con,
            "select email_hash from raw_orders where list_contains($1, customer_id) "
            "union select email_hash from raw_customers where list_contains($1, customer_id)",
            [sorted(found_customers)],
        )
        if found_customers == customers and found_hashes == hashes:
            break
        customers, hashes = found_customers, found_hashes
    visitors = set(request.visitor_ids) | _column(
        con,
        "select visitor_id from raw_orders "
        "where list_contains($1, customer_id) or list_contains($2, email_hash) "
        "union select visitor_id from raw_events where list_contains($1, customer_id)",
        [sorted(customers), sorted(hashes)],
    )
    # An email nobody used matches nothing, so only hashes present in the lake are kept.
    present_hashes = _column(
        con,
        "select email_hash from raw_orders where list_contains($1, email_hash) "
        "union select email_hash from raw_customers where list_contains($1, email_hash)",
        [sorted(hashes)],
    )
    return Person(frozenset(visitors), frozenset(customers), frozenset(present_hashes))


def register_person(con: duckdb.DuckDBPyConnection, person: Person) -> None:
    """Load the person's ids into temp tables that `row_filter` refers to."""
    for table, values in (
        ("person_visitors", person.visitor_ids),
        ("person_customers", person.customer_ids),
        ("person_email_hashes", person.email_hashes),
    ):
        con.execute(f"create or replace temp table {table} (id varchar primary key)")
        if values:
            rows = [[value] for value in sorted(values)]
            con.executemany(f"insert into {table} values (?)", rows)


# Which columns tie a dataset's row to a person (the same for erasure and export).
PERSON_COLUMNS = {
    "events": ("visitor_id", "customer_id"),
    "enriched_events": ("visitor_id", "customer_id"),
    "orders": ("visitor_id", "customer_id", "email_hash"),
    "customers": ("customer_id", "email_hash"),
}
_ID_TABLES = {
    "visitor_id": "person_visitors",
    "customer_id": "person_customers",
    "email_hash": "person_email_hashes",
}


def row_filter(dataset: str) -> str:
    """SQL true for a row of `dataset` that belongs to the registered person."""
    return " or ".join(
        f"{column} in (select id from {_ID_TABLES[column]})" for column in PERSON_COLUMNS[dataset]
    )
