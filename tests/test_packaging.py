"""The package as the index and pip see it: licence, version written once, typing marker, the
index's description, and a source distribution that holds everything its tests read."""

import fnmatch
import pathlib
import re

import tinygrad_rnn as tr

ROOT = pathlib.Path(__file__).resolve().parent.parent
PYPROJECT = (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def setting(name: str) -> str:
    found = re.search(rf"^{name} = (.+?)(\s+#.*)?$", PYPROJECT, re.MULTILINE)
    assert found, f"pyproject.toml sets no {name}"
    return found.group(1)


def test_the_licence_is_mit_as_an_spdx_expression_with_its_file():
    assert setting("license") == '"MIT"' and setting("license-files") == '["LICENSE"]'
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 the tinygrad_rnn authors\n")
    assert 'requires = ["setuptools>=77"]' in PYPROJECT  # the first setuptools that reads an SPDX licence
    assert "License ::" not in PYPROJECT  # a licence classifier beside an SPDX expression is an error


def test_the_version_is_written_once_and_read_from_the_metadata():
    assert tr.__version__ == setting("version").strip('"')
    package = [path for path in (ROOT / "tinygrad_rnn").rglob("*.py") if tr.__version__ in path.read_text("utf-8")]
    assert package == []


def test_the_package_says_it_is_typed():
    assert (ROOT / "tinygrad_rnn" / "py.typed").exists()
    assert '"tinygrad_rnn" = ["py.typed"]' in PYPROJECT


def test_the_index_page_links_nothing_relative_and_names_no_missing_extra():
    readme = setting("readme").strip('"')
    text = (ROOT / readme).read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)]+)\)", text)  # links and images: the index cannot follow relative ones
    assert all(target.startswith("https://") for target in targets), targets
    section = PYPROJECT.split("[project.optional-dependencies]")[1].split("\n[")[0]
    extras = set(re.findall(r"^(\w+) = \[", section, re.MULTILINE))
    assert set(re.findall(r"tinygrad_rnn\[(\w+)\]", text)) <= extras


def test_the_source_distribution_ships_every_file_the_tests_read():
    """Every file under tests/, docs/, examples/ and benchmarks/ matches a MANIFEST.in rule."""
    rules = {}
    for line in (ROOT / "MANIFEST.in").read_text(encoding="utf-8").splitlines():
        if line.startswith("recursive-include "):
            folder, *patterns = line.split()[1:]
            rules[folder] = patterns
    assert set(rules) == {"tests", "docs", "examples", "benchmarks"}
    for folder, patterns in rules.items():
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert any(fnmatch.fnmatch(path.name, p) for p in patterns), f"MANIFEST.in leaves out {path}"
