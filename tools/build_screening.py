"""Compile the screening engine's hot modules with mypyc, and its C scans, in place.

    .venv/bin/python tools/build_screening.py            # build (make runs this)
    .venv/bin/python tools/build_screening.py --clean    # remove the compiled modules
    .venv/bin/python tools/build_screening.py --check    # list the compiled modules, exit 1 if stale

Each module in ``MODULES`` becomes a C extension next to its ``.py`` file
(``text.cpython-311-x86_64-linux-gnu.so``); CPython's import system prefers the
extension, so ``import carepost.screening.text`` loads the compiled code. The shared
runtime goes into ``carepost/screening/_native__mypyc*.so``. The ``.py`` files stay the
source of truth and the fallback: remove the extensions (``--clean``) and the same code
runs interpreted, with the same results. See docs/decisions/0042-compiled-screening.md.
The hand-written C files in ``NATIVE_C`` (``_scan.c``, ``_slots.c``) are built in the same
step; without them the engine uses their pure-Python specification (decision 0044).

Set ``CAREPOST_SCREENING_PURE=1`` to skip compiling (the build then only removes stale
extensions). ``--root`` builds another copy of the sources (used to compare builds).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = Path("carepost") / "screening"
GROUP = "carepost.screening._native"

# The engine's per-post code. Not compiled: findings.py (Finding is public API: a plain
# frozen dataclass that other code constructs and ``dataclasses.replace``s), policy.py,
# lexicon.py (loaders), cli.py, the photos package and the tests.
MODULES = (
    "normalise.py",
    "automaton.py",
    "text.py",
    "prefilter.py",
    "register.py",
    "rules.py",
    "engine.py",
    "checks/__init__.py",
    "checks/personal_data.py",
    "checks/person.py",
    "checks/unknown_name.py",
    "checks/special_category.py",
    "checks/location.py",
    "checks/confidential.py",
    "checks/offensive.py",
    "checks/watched.py",
    "checks/voice.py",
)
# Hand-written C (docs/decisions/0044-native-scans.md): the per-post character scans
# (scan.py has their regex specification and the fallback) and the findings builder.
NATIVE_C = ("_scan.c", "_slots.c")


def _suffix() -> str:
    return str(sysconfig.get_config_var("EXT_SUFFIX"))


def compiled_files(src: Path) -> list[Path]:
    """Every compiled artefact currently in the package (extensions and the runtime)."""
    package = src / PACKAGE
    suffix = _suffix()
    found = [package / (m[: -len(".py")] + suffix) for m in MODULES]
    found += [package / (c[: -len(".c")] + suffix) for c in NATIVE_C]
    found += list(package.glob("_native__mypyc*.so"))
    found += list(src.glob("*__mypyc*.so"))  # a runtime built without a group name
    return [path for path in found if path.exists()]


def clean(src: Path) -> None:
    for path in compiled_files(src):
        path.unlink()


def stale(src: Path) -> list[str]:
    """Modules whose source is newer than their extension (or that have none)."""
    package = src / PACKAGE
    out = []
    for c in NATIVE_C:
        ext = package / (c[: -len(".c")] + _suffix())
        if not ext.exists() or ext.stat().st_mtime < (package / c).stat().st_mtime:
            out.append(c)
    for module in MODULES:
        source = package / module
        ext = package / (module[: -len(".py")] + _suffix())
        if not ext.exists() or ext.stat().st_mtime < source.stat().st_mtime:
            out.append(module)
    return out


def build(src: Path, build_dir: Path, jobs: int) -> None:
    """Run mypyc + setuptools ``build_ext --inplace`` in a child process (mypyc's
    setuptools integration expects to be the running setup script)."""
    clean(src)
    # mypy options first: no config file (the repository's pyproject.toml loads the
    # Django plugin), and the C extensions without stubs (pyahocorasick) typed as Any
    paths = ["--config-file=", "--ignore-missing-imports"] + [str(PACKAGE / m) for m in MODULES]
    script = (
        "import sys\n"
        "from setuptools import Extension, setup\n"
        "from mypyc.build import mypycify\n"
        f"exts = mypycify({paths!r}, opt_level='3', debug_level='0',\n"
        f"    group_name={GROUP!r}, target_dir={str(build_dir / 'c')!r})\n"
        f"for c in {NATIVE_C!r}:\n"
        "    exts.append(Extension('carepost.screening.' + c[:-2],\n"
        f"        [{str(PACKAGE)!r} + '/' + c], extra_compile_args=['-O2']))\n"
        "setup(name='carepost-screening-native', ext_modules=exts, script_args=[\n"
        f"    'build_ext', '--inplace', '--parallel', '{jobs}',\n"
        f"    '--build-temp', {str(build_dir / 'temp')!r}])\n"
    )
    env = {
        **os.environ,
        "MYPYPATH": str(src),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-6000:] + result.stderr[-6000:])
        clean(src)  # never leave a half-built package: the pure-Python code runs instead
        raise SystemExit(
            "Compiling the screening engine failed (see above); the pure-Python modules "
            "are in place. Set CAREPOST_SCREENING_PURE=1 to skip compiling."
        )
    # build_ext leaves an unchanged shim module with its old time stamp; mark everything
    # as built now so that the staleness checks compare against this build
    for path in compiled_files(src):
        os.utime(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO / "src", help="the src directory")
    parser.add_argument("--build-dir", type=Path, default=None)
    parser.add_argument("--clean", action="store_true", help="remove the compiled modules")
    parser.add_argument("--check", action="store_true", help="exit 1 if any module is stale")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    src = args.root.resolve()
    build_dir = (args.build_dir or REPO / "build" / "screening").resolve()
    if args.clean:
        clean(src)
        shutil.rmtree(build_dir, ignore_errors=True)
        (REPO / ".venv" / ".compiled-screening").unlink(missing_ok=True)  # make rebuilds
        print("screening: compiled modules removed (pure Python)")
        return 0
    if args.check:
        old = stale(src)
        for module in old:
            print(f"stale or missing: {module}")
        return 1 if old else 0
    if os.environ.get("CAREPOST_SCREENING_PURE") == "1":
        clean(src)
        print("screening: CAREPOST_SCREENING_PURE=1, not compiled (pure Python)")
        return 0
    start = time.perf_counter()
    build(src, build_dir, args.jobs)
    built = compiled_files(src)
    print(f"screening: {len(built)} compiled modules built in {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
