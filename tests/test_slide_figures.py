"""Every figure shaped for a 16:9 slide: fitted into 1,920 × 1,080, its smallest text ≥ 24 px, its node
labels ≥ 28 px, its width : height in [1.2, 2.4] — the documentation's figures and the CLI's grid, drawn
by default (``slide=True``). A figure that does not yet fit is a strict xfail carrying its measured
numbers, so that a fix shows and the threshold never moves. Then what slide mode promises: the middle
of a long sequence left out and said so, the colour scale of every step, the Σ of every step, and the
options that turn each part off (``time_steps``, ``slide=False``, ``--all-steps``, ``--no-shapes``,
``--width``)."""

import importlib.util
import pathlib
import shutil

import pytest
from drawing_cases import last_step_loss
from test_cli_grid import GRID, arguments

import tinygrad_rnn as tr
from tinygrad_rnn import viz
from tinygrad_rnn.cli import main
from tinygrad_rnn.viz.graph import build_picture
from tinygrad_rnn.viz.layout import labelled_layout
from tinygrad_rnn.viz.legibility import SlideFit, slide_fit
from tinygrad_rnn.viz.svg import picture_to_svg

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("lecture_figures", ROOT / "examples" / "lecture_figures.py")
lecture_figures = importlib.util.module_from_spec(spec)
spec.loader.exec_module(lecture_figures)
DOCS = lecture_figures.figures()


def drawn(picture) -> str:
    labels, placed = labelled_layout(picture)
    return picture_to_svg(picture, placed, labels, "f", figure=True)


def fit_of(loss, **options) -> SlideFit:
    return slide_fit(drawn(build_picture((loss,), slide=True, **options)))


# Measured with this commit's layout; each must fail to fit, so that one that starts to fit says so.
DOCS_TOO_SMALL: dict[str, str] = {}
GRID_TOO_SMALL: dict[str, str] = {}


def grid_case(case) -> dict:
    return case if isinstance(case, dict) else case.values[0]  # (a pytest.param of test_cli_grid's xfails)


def case_id(case) -> str:
    return "-".join(str(v) for v in grid_case(case).values())


def expect(table: dict[str, str], name: str):
    return pytest.param(name, marks=pytest.mark.xfail(strict=True, reason=f"measured {table[name]}")) \
        if name in table else name


@pytest.mark.parametrize("name", [expect(DOCS_TOO_SMALL, name) for name, _, _ in DOCS])
def test_each_documentation_figure_fits_a_slide(name):
    _, make_loss, options = next(figure for figure in DOCS if figure[0] == name)
    found = fit_of(make_loss(), **options)
    assert found.fits, f"{name}: {found}"


@pytest.fixture
def library_svg(tmp_path, monkeypatch):
    """No Graphviz on the PATH: the CLI writes the library's own SVG (the same layout Graphviz is given)."""
    monkeypatch.setenv("PATH", str(tmp_path / "no-programs"))


@pytest.mark.parametrize("name", [expect(DOCS_TOO_SMALL, f"vanishing_{cell}") for cell in ("rnn", "lstm", "gru")])
def test_the_vanishing_comparison_fits_a_slide(name, tmp_path, library_svg, capsys):
    assert main(lecture_figures.vanishing_command(12, str(tmp_path / "vanishing.svg"))) == 0, capsys.readouterr()
    found = slide_fit((tmp_path / f"{name}.svg").read_text())
    assert found.fits, f"{name}: {found}"


@pytest.mark.parametrize("name", [expect(GRID_TOO_SMALL, case_id(case)) for case in GRID])
def test_each_figure_of_the_cli_grid_fits_a_slide(name, tmp_path, library_svg, capsys):
    case = next(grid_case(c) for c in GRID if case_id(c) == name)
    path = tmp_path / "figure.svg"
    assert main(arguments(case, path)) == 0, capsys.readouterr().err
    found = slide_fit(path.read_text())
    assert found.fits, f"{name}: {found}"
