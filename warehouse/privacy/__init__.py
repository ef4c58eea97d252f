"""Privacy duties over the lake: retention of anonymous data, erasure and export of a person.

Every change goes through `rewrite` (crash-safe partition rewrites) and is recorded by
`audit` without the person's data; the flows in `flows/` add locking and the rebuild.
"""
