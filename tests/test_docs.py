"""Every ```python block in README.md, README.pypi.md (the package index's page) and docs/*.md
runs, in order, one namespace per file."""

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", ROOT / "README.pypi.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("document", DOCUMENTS, ids=[d.name for d in DOCUMENTS])
def test_code_blocks_run(document, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files the examples write land in a temporary folder
    blocks = BLOCK.findall(document.read_text(encoding="utf-8"))
    namespace: dict = {"__name__": "__doc_example__"}
    for number, code in enumerate(blocks, 1):
        try:
            exec(compile(code, f"{document.name} block {number}", "exec"), namespace)
        except Exception as error:  # noqa: BLE001 - report which block failed
            pytest.fail(f"{document.name}, code block {number} raised {type(error).__name__}: {error}")


def test_linked_figures_exist():
    for document in DOCUMENTS:
        for target in re.findall(r"!\[[^]]*\]\(([^)]+)\)", document.read_text(encoding="utf-8")):
            assert (document.parent / target).exists(), f"{document.name} links a missing figure {target}"


def test_documents_have_code_blocks():
    prose_only = ("benchmarks.md", "api.md")
    assert all(BLOCK.search(d.read_text(encoding="utf-8")) for d in DOCUMENTS if d.name not in prose_only)


def test_api_reference_is_current():
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_api", ROOT / "docs" / "make_api.py")
    make_api = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_api)
    assert (ROOT / "docs" / "api.md").read_text(encoding="utf-8") == make_api.render(), \
        "docs/api.md is out of date: run .venv/bin/python docs/make_api.py"


def test_the_legibility_table_in_drawing_md_is_the_figures_own():
    import importlib.util

    spec = importlib.util.spec_from_file_location("lecture_figures", ROOT / "examples" / "lecture_figures.py")
    figures = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(figures)
    text = (ROOT / "docs" / "drawing.md").read_text(encoding="utf-8")
    assert figures.legibility_table(ROOT / "docs" / "figures") in text, \
        "docs/drawing.md's legibility table is out of date: run .venv/bin/python examples/lecture_figures.py " \
        "--out docs/figures"


def test_api_reference_describes_every_tensor_method_and_attribute():
    import importlib.util

    import tinygrad_rnn as tr

    spec = importlib.util.spec_from_file_location("make_api", ROOT / "docs" / "make_api.py")
    make_api = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_api)
    rows = dict(make_api.tensor_members())
    public = {name for name in dir(tr.Tensor) if not name.startswith("_")}
    assert {written.removeprefix("x.").split("(")[0] for written in rows} == public
    assert not [written for written, text in rows.items() if not text.strip()], "a Tensor member has no description"
