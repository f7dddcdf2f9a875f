"""The machine check behind `make test`: silent when all is there, exact about what is not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.console.provision import Requirement, missing_requirements, plan
from orchestration.settings import REPO_ROOT

CHROMIUM = Requirement("chromium", Path("/nonexistent/usr/bin/chromium"))
GXX = Requirement("g++", Path("/nonexistent/usr/bin/g++"))


def test_nothing_missing_means_nothing_to_do_or_say() -> None:
    decision = plan([], is_root=False, is_debian=False)
    assert decision.install == ()
    assert decision.message == ""
    assert not decision.stops


def test_root_on_debian_installs_every_missing_package_at_once() -> None:
    decision = plan([CHROMIUM, GXX], is_root=True, is_debian=True)
    assert decision.install == ("chromium", "g++")
    assert not decision.stops


def test_without_root_it_stops_with_the_exact_command() -> None:
    decision = plan([CHROMIUM], is_root=False, is_debian=True)
    assert decision.stops
    assert decision.install == ()
    assert (
        "sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium"
        in decision.message
    )
    assert "/nonexistent/usr/bin/chromium" in decision.message


def test_off_debian_it_stops_and_names_what_to_install() -> None:
    decision = plan([CHROMIUM, GXX], is_root=True, is_debian=False)
    assert decision.stops
    assert "not Debian" in decision.message
    assert "chromium and g++" in decision.message


def test_requirement_parsing_rejects_a_missing_path() -> None:
    assert Requirement.parse("chromium=/usr/bin/chromium") == Requirement(
        "chromium", Path("/usr/bin/chromium")
    )
    with pytest.raises(ValueError, match="PACKAGE=/path"):
        Requirement.parse("chromium")


def test_only_absent_files_count_as_missing(tmp_path: Path) -> None:
    present = tmp_path / "tool"
    present.touch()
    found = Requirement("tool", present)
    assert missing_requirements([found, CHROMIUM]) == [CHROMIUM]


def test_the_command_is_silent_when_everything_is_present() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "orchestration.console.provision", f"python={sys.executable}"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")


def test_make_test_checks_the_browser_before_pytest() -> None:
    # A dry run lists the recipes in order without running them.
    dry = subprocess.run(
        ["make", "--dry-run", "--always-make", "test"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    provision = next(i for i, line in enumerate(lines) if "console.provision" in line)
    pytest_line = next(i for i, line in enumerate(lines) if line.endswith("bin/pytest"))
    assert "chromium=/usr/bin/chromium" in lines[provision]
    assert provision < pytest_line
