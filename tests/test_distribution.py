"""What a user installs: the version, the metadata, and an sdist whose tests can run."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import kavalai
from kavalai.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


def test_version_is_exported() -> None:
    assert kavalai.__version__ == "0.1.0"
    assert "__version__" in kavalai.__all__


def test_version_option_prints_the_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])

    assert exited.value.code == 0
    assert capsys.readouterr().out == f"kavalai {kavalai.__version__}\n"


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> tarfile.TarFile:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "--target", "sdist", "--directory", out],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (archive,) = out.glob("kavalai-*.tar.gz")
    return tarfile.open(archive)


def _tracked(*paths: str) -> set[str]:
    listed = subprocess.run(
        ["git", "ls-files", "--", *paths], cwd=ROOT, check=True, capture_output=True, text=True
    )
    return {line for line in listed.stdout.splitlines() if (ROOT / line).is_file()}


def test_sdist_ships_everything_its_tests_read(sdist: tarfile.TarFile) -> None:
    shipped = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    needed = _tracked(
        "kavalai", "tests", "notebooks", "benchmarks", "requirements", ".ci", "docs"
    ) | {
        "README.md",
        "ARCHITECTURE.md",
        "LICENSE",
        "Makefile",
        "pyproject.toml",
    }
    assert needed - shipped == set()


def test_sdist_metadata_names_the_license(sdist: tarfile.TarFile) -> None:
    (info,) = [member for member in sdist.getmembers() if member.name.endswith("/PKG-INFO")]
    extracted = sdist.extractfile(info)
    assert extracted is not None
    metadata = extracted.read().decode()

    assert "License-Expression: Apache-2.0\n" in metadata
    assert "License-File: LICENSE\n" in metadata
    assert "Name: kavalai\n" in metadata
    assert f"Version: {kavalai.__version__}\n" in metadata


def test_license_file_is_the_apache_license() -> None:
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")

    assert "Apache License" in text
    assert "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
