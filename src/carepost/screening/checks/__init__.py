"""Screening checks. Each is a plain function ``check(doc, register, policy) -> list[Finding]``."""
