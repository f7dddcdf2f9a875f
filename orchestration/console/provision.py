"""Install the Debian packages a make target needs, or say exactly how to.

`make test` must pass on a fresh machine with nothing but Python and make: the browser tests drive
Debian's Chromium (Playwright's own browser download is unreachable from these machines), and the
Stan programs need a C++ compiler. As root on Debian the packages are installed with apt-get;
anywhere else the command stops at once with the command to run, instead of letting the tests fail
an hour later. It prints nothing when everything is already present, so it can guard every target.

Usage: ``python -m orchestration.console.provision chromium=/usr/bin/chromium g++=/usr/bin/g++``
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

APT_GET = Path("/usr/bin/apt-get")
DEBIAN_MARKER = Path("/etc/debian_version")


@dataclass(frozen=True)
class Requirement:
    """A Debian package and the file whose presence shows it is installed."""

    package: str
    path: Path

    @classmethod
    def parse(cls, text: str) -> Requirement:
        package, sep, path = text.partition("=")
        if not sep or not package or not path:
            raise ValueError(f"expected PACKAGE=/path/it/installs, got {text!r}")
        return cls(package, Path(path))


@dataclass(frozen=True)
class Plan:
    """What to do about the missing packages: install them, or stop with `message`."""

    install: tuple[str, ...]
    message: str

    @property
    def stops(self) -> bool:
        return bool(self.message) and not self.install


def apt_command(packages: Sequence[str], *, sudo: bool) -> str:
    prefix = "sudo " if sudo else ""
    names = " ".join(packages)
    return f"{prefix}apt-get update && {prefix}apt-get install -y --no-install-recommends {names}"


def plan(missing: Sequence[Requirement], *, is_root: bool, is_debian: bool) -> Plan:
    """Install as root on Debian; otherwise the exact command for the person to run."""
    if not missing:
        return Plan((), "")
    packages = tuple(r.package for r in missing)
    paths = ", ".join(str(r.path) for r in missing)
    if not is_debian:
        return Plan(
            (),
            f"Missing {paths}. This machine is not Debian, so the packages cannot be installed "
            f"here. Install {' and '.join(packages)} with the system's package manager so that "
            f"{paths} exist (the browser tests launch /usr/bin/chromium), then run make again; "
            "on Debian or Ubuntu the command is:\n  " + apt_command(packages, sudo=True),
        )
    if not is_root:
        return Plan(
            (),
            f"Missing {paths}. Installing needs root; run:\n  "
            + apt_command(packages, sudo=True)
            + "\nthen run make again.",
        )
    return Plan(packages, f"Installing {' '.join(packages)} with apt-get (needed by {paths})")


def missing_requirements(requirements: Sequence[Requirement]) -> list[Requirement]:
    return [r for r in requirements if not r.path.exists()]


def install(packages: Sequence[str]) -> None:
    """apt-get install; the package lists are refreshed only when the first attempt fails."""
    # Through env(1), so apt never asks a question and this module reads no environment itself.
    apt = ["env", "DEBIAN_FRONTEND=noninteractive", str(APT_GET)]
    command = [*apt, "install", "-y", "--no-install-recommends", *packages]
    first = subprocess.run(command, capture_output=True, text=True)
    if first.returncode == 0:
        return
    update = subprocess.run([*apt, "update"], capture_output=True, text=True)
    second = subprocess.run(command, capture_output=True, text=True)
    if second.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed (exit {second.returncode}):\n"
            f"{update.stderr[-2000:]}{second.stdout[-2000:]}{second.stderr[-2000:]}"
        )


def main(argv: Sequence[str]) -> int:
    requirements = [Requirement.parse(arg) for arg in argv]
    missing = missing_requirements(requirements)
    decision = plan(
        missing,
        is_root=os.geteuid() == 0,
        is_debian=DEBIAN_MARKER.exists() and APT_GET.exists(),
    )
    if not decision.message:
        return 0
    if decision.stops:
        print(decision.message, file=sys.stderr)
        return 2
    print(decision.message, flush=True)
    try:
        install(decision.install)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    still_missing = missing_requirements(missing)
    if still_missing:
        print(
            "apt-get succeeded but these are still absent: "
            + ", ".join(str(r.path) for r in still_missing),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
