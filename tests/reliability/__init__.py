"""Reliability and security suite: crashes, I/O faults, soak, hostile input.

See docs/RELIABILITY.md for what each test does and the latest figures.
"""
