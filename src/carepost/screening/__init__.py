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


def _warn_if_stale() -> None:
    """The compiled modules (tools/build_screening.py) shadow the .py files: say so when
    a source is newer than its extension (``make`` rebuilds them)."""
    import sysconfig
    import warnings
    from pathlib import Path

    here = Path(__file__).parent
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for ext in (*here.glob(f"*{suffix}"), *here.glob(f"checks/*{suffix}")):
        source = ext.with_name(ext.name[: -len(suffix)] + ".py")
        if source.exists() and source.stat().st_mtime > ext.stat().st_mtime:
            warnings.warn(
                f"{ext.name} is older than {source.name}: the compiled screening engine is "
                "stale; run `make .venv/.compiled-screening` (or tools/build_screening.py)",
                stacklevel=2,
            )
            return


_warn_if_stale()
