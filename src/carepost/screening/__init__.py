"""carepost.screening: offline, register-aware text screening (no Django import).

from carepost.screening import screen, Register, RegisterPerson, Policy
register = Register.from_csv("register.csv")
report = screen("Happy birthday Peggy!", register=register, policy=Policy.default())
report.verdict  # "block" | "review" | "pass"
"""

from .engine import screen
from .findings import Finding, Report
from .policy import Policy, PolicyError, WatchedTerm
from .register import Register, RegisterPerson, Service

__all__ = [
    "Finding",
    "Policy",
    "PolicyError",
    "Register",
    "RegisterPerson",
    "Report",
    "Service",
    "WatchedTerm",
    "screen",
]
