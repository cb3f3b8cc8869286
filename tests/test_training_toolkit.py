"""Data, language model, generation, checkpoints, training loop, plots and the CLI."""

import importlib.metadata
import json
import os
import stat
import subprocess
import sys
import zipfile

import numpy
import pytest
from background import Job, folder
from conftest import checkout_first

import tinygrad_rnn as tr
from tinygrad_rnn import checkpoint, data, generation, models, training
from tinygrad_rnn.errors import CheckpointError

# --- data ---------------------------------------------------------------------------------------------


def test_vocabulary_specials_round_trip_and_words():
    vocab = data.Vocabulary.from_text(["the cat sat.", "the dog"], level="word")
    assert vocab.tokens[:5] == ["[PAD]", "[UNK]", "[BEGIN]", "[END]", "the"]
    ids = vocab.encode("the cat flew", begin=True, end=True)
    assert ids[0] == vocab.begin_id and ids[-1] == vocab.end_id and ids[3] == vocab.unk_id
    assert vocab.decode(ids, skip_specials=True) == "the cat"
    assert data.Vocabulary.from_dict(json.loads(json.dumps(vocab.to_dict()))).tokens == vocab.tokens
    assert len(data.Vocabulary.from_text("aab", max_size=1)) == 5


def test_language_model_windows_continue_each_stream():
    ids = numpy.arange(41)
    windows = list(data.language_model_batches(ids, batch_size=4, bptt=3))
    first, second = windows[0], windows[1]
    assert first[0].shape == (4, 3)
    numpy.testing.assert_array_equal(second[0].numpy()[:, 0], first[0].numpy()[:, -1] + 1)  # streams continue
    numpy.testing.assert_array_equal(first[1].numpy(), first[0].numpy() + 1)  # targets = next token
    assert sum(w[0].shape[1] for w in windows) == 10
    with pytest.raises(ValueError, match="too few"):
        next(data.language_model_batches([1, 2], batch_size=4, bptt=3))


def test_pad_batch_feeds_a_layer_with_lengths():
    padded, lengths = data.pad_batch([[4, 5, 6], [7], [8, 9]])
    embed, lstm = tr.nn.Embedding(10, 3, padding_idx=0), tr.nn.LSTM(3, 4, batch_first=True)
    output, (h_n, _) = lstm(embed(padded), lengths=lengths)
    assert output.shape == (3, 3, 4) and (output.numpy()[1, 1:] == 0).all()


def test_synthetic_tasks():
    sentences, labels = data.agreement_task(400, distractors=3, seed=0)
    plurals = {pair[1] for pair in data.synthetic.NOUNS}
    for words, label in zip(sentences, labels):
        assert len(words) == 2 + 3 * 3
        assert (words[1] in plurals) == bool(label)  # the subject decides
    last_noun_plural = numpy.array([words[-1] in plurals for words in sentences])
    assert 0.4 < (last_noun_plural == labels.astype(bool)).mean() < 0.6  # the nearest noun tells nothing
    x, y = data.adding_problem(100, 20, seed=1)
    assert (x[..., 1].sum(1) == 2).all() and ((y >= 0) & (y <= 2)).all()
    x, y = data.copy_task(5, length=4, delay=3, symbols=6)
    numpy.testing.assert_array_equal(y[:, -4:], x[:, :4])
    text, inside = data.brackets_text(200, seed=3)
    assert inside[text.index("[[")] == 1 and inside[text.index(" ")] in (0, 1)
    assert inside.sum() > 0 and (inside == 0).sum() > 0


def test_wiki_text_marks_urls_and_links_and_repeats_with_its_seed():
    text, inside = data.wiki_text(60, seed=4, url_probability=0.3)
    assert data.wiki_text(60, seed=4, url_probability=0.3)[0] == text  # same seed, same text
    urls = [piece for piece in text.split(" ") if piece.startswith("https://")]
    assert urls and inside["url"].sum() == sum(len(url) for url in urls)  # every URL character, nothing else
    assert {text[i] for i in numpy.flatnonzero(inside["url"])} >= set(":/.") and "[[" in text
    assert inside["link"][text.index("[[")] == 1 and not (inside["link"] & inside["url"]).any()
    assert data.wiki_text(200, seed=3, url_probability=0)[0] == data.brackets_text(200, seed=3)[0]


def test_default_corpus_is_python_source():
    text = data.standard_library_text(5000)
    assert len(text) == 5000 and "def " in text


# --- generation ---------------------------------------------------------------------------------------


def test_next_token_rules():
    logits = numpy.array([1.0, 5.0, 2.0, 0.0])
    assert generation.next_token(logits, greedy=True) == 1
    rng = numpy.random.default_rng(0)
    picks = {generation.next_token(logits, top_k=2, rng=rng) for _ in range(200)}
    assert picks == {1, 2}
    cold = [generation.next_token(logits, temperature=0.05, rng=rng) for _ in range(50)]
    assert set(cold) == {1}
    with pytest.raises(ValueError, match="temperature"):
        generation.next_token(logits, temperature=0)


class AlwaysEnd(tr.nn.Module):
    """A stand-in model that predicts 'a' twice, then [END]."""

    def __init__(self, vocab):
        super().__init__()
        self.vocab, self.weight = vocab, tr.nn.Parameter(tr.zeros(1))

    def forward(self, ids, state=None):
        count = (state or 0) + ids.shape[1]
        logits = numpy.full((1, ids.shape[1], len(self.vocab)), -10.0)
        logits[0, -1, self.vocab.end_id if count > 2 else self.vocab.index["a"]] = 10.0
        return tr.tensor(logits), count


def test_generation_stops_at_end_and_records_nothing():
    vocab = data.Vocabulary.from_text("ab")
    assert generation.generate(AlwaysEnd(vocab), vocab, max_length=50, greedy=True, begin=True) == "aa"
    model = models.LanguageModel(len(vocab), 4, 8)
    text = generation.generate(model, vocab, max_length=10, prompt="ab", temperature=1.0)
    assert text.startswith("ab") and "[PAD]" not in text and "[BEGIN]" not in text and model.training


# --- checkpoints --------------------------------------------------------------------------------------


def trained_model(tmp_path, steps=3):
    tr.manual_seed(0)
    vocab = data.Vocabulary.from_text("hello world, hello there")
    model = models.LanguageModel(len(vocab), 4, 8, cell="gru")
    optimizer = tr.optim.Adam(model.parameters(), lr=0.01)
    ids = numpy.array(vocab.encode("hello world, hello there" * 4))
    training.train_language_model(model, optimizer, ids, steps=steps, batch_size=2, bptt=5, progress=False)
    return model, optimizer, vocab


def test_checkpoint_round_trip_restores_model_optimizer_vocabulary_and_step(tmp_path):
    model, optimizer, vocab = trained_model(tmp_path)
    path = checkpoint.save_checkpoint(tmp_path / "lm.npz", model, optimizer, vocab, step=3, extra={"note": "x"})
    twin = models.LanguageModel(**model.config())
    twin_optimizer = tr.optim.Adam(twin.parameters(), lr=0.5)
    found = checkpoint.load_checkpoint(path, twin, twin_optimizer)
    assert found.step == 3 and found.vocabulary.tokens == vocab.tokens and found.extra == {"note": "x"}
    for name, value in model.state_dict().items():
        numpy.testing.assert_array_equal(twin.state_dict()[name], value)
    assert twin_optimizer.param_groups[0]["lr"] == 0.01
    saved, restored = optimizer.state_dict()["state"], twin_optimizer.state_dict()["state"]
    assert saved.keys() == restored.keys() and all(
        numpy.array_equal(saved[i]["exp_avg"], restored[i]["exp_avg"]) and saved[i]["step"] == restored[i]["step"]
        for i in saved)


def test_checkpoint_never_pickles(tmp_path):
    model, optimizer, vocab = trained_model(tmp_path)
    path = checkpoint.save_checkpoint(tmp_path / "lm.npz", model, optimizer, vocab)
    with zipfile.ZipFile(path) as archive:
        for name in archive.namelist():
            header = archive.read(name)[:128]
            assert b"'descr': '|O'" not in header, f"{name} is an object array, which would need pickle"
    numpy.load(path, allow_pickle=False)["metadata"]  # loads without pickle


@pytest.mark.parametrize("damage", ["truncate", "garbage", "flip", "not npz"])
def test_corrupt_checkpoint_is_rejected_and_the_model_untouched(tmp_path, damage):
    model, optimizer, vocab = trained_model(tmp_path)
    path = checkpoint.save_checkpoint(tmp_path / "lm.npz", model, optimizer, vocab)
    content = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(content[: len(content) // 2])
    elif damage == "garbage":
        path.write_bytes(b"\x00" * 100)
    elif damage == "flip":
        middle = len(content) // 2
        path.write_bytes(content[:middle] + bytes([content[middle] ^ 0xFF]) + content[middle + 1:])
    else:
        path.write_text("hello")
    before = model.state_dict()
    with pytest.raises(CheckpointError):
        checkpoint.load_checkpoint(path, model, optimizer)
    for name, value in model.state_dict().items():
        numpy.testing.assert_array_equal(value, before[name])


def test_mismatched_checkpoint_leaves_model_and_optimizer_untouched(tmp_path):
    model, optimizer, vocab = trained_model(tmp_path)
    path = checkpoint.save_checkpoint(tmp_path / "lm.npz", model, optimizer, vocab)
    other = models.LanguageModel(len(vocab), 4, 16, cell="gru")  # a different hidden size
    before = other.state_dict()
    with pytest.raises(CheckpointError, match="does not fit this model.*shape mismatches"):
        checkpoint.load_checkpoint(path, other)
    assert all(numpy.array_equal(other.state_dict()[k], v) for k, v in before.items())
    same_shapes = models.LanguageModel(**model.config())
    wrong_optimizer = tr.optim.Adam(list(same_shapes.parameters())[:2], lr=0.1)  # fewer parameters
    before = same_shapes.state_dict()
    with pytest.raises(CheckpointError):
        checkpoint.load_checkpoint(path, same_shapes, wrong_optimizer)
    assert all(numpy.array_equal(same_shapes.state_dict()[k], v) for k, v in before.items())


def test_a_checkpoint_of_another_model_says_what_it_holds_and_what_the_model_is(tmp_path):
    path = checkpoint.save_checkpoint(tmp_path / "lstm.npz", tr.nn.LSTM(3, 16))
    with pytest.raises(CheckpointError, match="this checkpoint holds an LSTM with 16 units; the model is a GRU "
                                              "with 32 units") as caught:
        checkpoint.load_checkpoint(path, tr.nn.GRU(3, 32))
    assert "'" not in str(caught.value)  # a KeyError's quotes around the whole text no more
    with pytest.raises(CheckpointError, match="holds an LSTM with 16 units, not a language model"):
        checkpoint.load_language_model(path)


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_checkpoint_gets_the_permissions_of_any_new_file(tmp_path, umask):
    old = os.umask(umask)
    try:
        path = checkpoint.save_checkpoint(tmp_path / "m.npz", tr.nn.Linear(2, 1))
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == 0o666 & ~umask


def test_an_interrupted_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model, optimizer, vocab = trained_model(tmp_path)
    path = checkpoint.save_checkpoint(tmp_path / "lm.npz", model, optimizer, vocab, step=1)
    original = path.read_bytes()

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(checkpoint.numpy, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        checkpoint.save_checkpoint(path, model, optimizer, vocab, step=2)
    assert path.read_bytes() == original
    assert [p.name for p in tmp_path.iterdir()] == ["lm.npz"]  # no temporary file left behind


# --- training, plots ------------------------------------------------------------------------------------


def test_training_lowers_the_loss_and_resumes(tmp_path):
    tr.manual_seed(0)
    text = "abcabcabcabd" * 30
    vocab = data.Vocabulary.from_text(text)
    ids = numpy.array(vocab.encode(text))
    model = models.LanguageModel(len(vocab), 8, 16)
    optimizer = tr.optim.Adam(model.parameters(), lr=0.02)
    history = training.train_language_model(model, optimizer, ids, ids, steps=60, batch_size=4, bptt=8,
                                            evaluate_every=30, progress=False)
    assert numpy.mean(history["loss"][-10:]) < 0.5 * numpy.mean(history["loss"][:5])
    assert history["valid_step"] == [30, 60] and history["valid_perplexity"][-1] < 3
    more = training.train_language_model(model, optimizer, ids, steps=65, start_step=60, batch_size=4, bptt=8,
                                         progress=False)
    assert more["step"] == [61, 62, 63, 64, 65]


def test_plots_write_png(tmp_path):
    pytest.importorskip("matplotlib")
    from tinygrad_rnn import plots

    history = {"step": [1, 2, 3], "loss": [3.0, 2.0, 1.5], "valid_step": [3], "valid_perplexity": [5.0]}
    for path in (plots.save_training_curves(history, tmp_path / "curves.png"),
                 plots.save_gradient_norms({"RNN": [1e-5, 1e-3, 1.0]}, tmp_path / "norms.png"),
                 plots.save_heatmap(numpy.zeros((2, 5)), "hello", tmp_path / "heat.png", slide=False)):
        assert path.read_bytes()[:4] == b"\x89PNG"


def test_heatmap_on_a_slide_has_characters_of_24_px_and_a_colour_bar(tmp_path):
    """Lecture figure 7 as pasted on a 1,920-wide slide: every text in it (characters, panel titles,
    the colour bar's scale) measured at that width; the file's format from its suffix (PNG: above)."""
    pytest.importorskip("matplotlib")
    from tinygrad_rnn import plots

    text, inside = data.wiki_text(16, seed=1, link_probability=0.3, url_probability=0.2)
    values = numpy.stack([inside["url"], -inside["link"]]) * 1.6 - 0.8
    figure = plots.heatmap_figure(values, text, ["unit 7: inside a URL?", "unit 1: inside [[…]]?"])
    px_per_point = figure.dpi / 72 * 1920 / (figure.get_figwidth() * figure.dpi)
    sizes = {t.get_text(): t.get_fontsize() * px_per_point for t in figure.findobj(lambda a: hasattr(a, "get_text"))
             if t.get_text() and t.get_visible()}
    assert min(sizes.values()) >= 24, sorted(sizes.items(), key=lambda item: item[1])[:3]
    assert figure.get_figheight() / figure.get_figwidth() == pytest.approx(9 / 16)  # this text fits one slide
    assert "h" in sizes and "[" in sizes and "unit 1: inside [[…]]?" in sizes
    bars = [axes for axes in figure.axes if "tanh(c_t)" in axes.get_xlabel()]
    assert len(bars) == 1 and bars[0].get_xlim() == (-1, 1)
    written = plots.save_heatmap(values[:, :12], text[:12], tmp_path / "neurons.svg")
    assert written.read_bytes()[:5] == b"<?xml"
    free = plots.heatmap_figure(values[:, :12], text[:12], slide=False)  # the notebook strip keeps its colour bar
    assert any("tanh(c_t)" in axes.get_ylabel() for axes in free.axes)
    with pytest.raises(ValueError, match="one column per character"):
        plots.heatmap_figure(values[:, 1:], text)


# --- command line -----------------------------------------------------------------------------------------


def cli(*args, cwd=None, env=None):
    return subprocess.run([sys.executable, "-m", "tinygrad_rnn", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=300, env=env)


def test_cli_train_then_sample_then_resume(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("to be or not to be, that is the question. " * 20)
    lm = tmp_path / "lm.npz"
    result = cli("train", "--text", str(corpus), "--steps", "4", "--hidden", "8", "--embedding", "4", "--bptt", "8",
                 "--batch-size", "2", "--checkpoint", str(lm), "--quiet", "--cell", "gru")
    assert result.returncode == 0, result.stderr
    assert "validation perplexity" in result.stdout and lm.exists()
    sampled = cli("sample", "--checkpoint", str(lm), "--length", "20", "--prompt", "to be")
    assert sampled.returncode == 0 and sampled.stdout.startswith("to be")
    resumed = cli("train", "--text", str(corpus), "--steps", "6", "--resume", str(lm), "--checkpoint", str(lm),
                  "--bptt", "8", "--batch-size", "2", "--quiet")
    assert resumed.returncode == 0 and "resuming at step 4" in resumed.stdout
    assert "GRU with" in resumed.stdout  # the checkpoint's cell, not --cell's default (lstm)
    for steps in ("6", "3"):  # at or below the checkpoint's step (6 now): nothing to train, said in one line
        again = cli("train", "--text", str(corpus), "--steps", steps, "--resume", str(lm), "--checkpoint", str(lm),
                    "--quiet")
        assert again.returncode == 1 and "Traceback" not in again.stderr, again.stderr
        assert f"at step 6 already, and --steps {steps} counts the total" in again.stderr
        assert again.stderr.strip().count("\n") == 0


def test_cli_version_is_the_package_version():
    result = cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"tinygrad-rnn {tr.__version__}"
    assert tr.__version__ == importlib.metadata.version("tinygrad_rnn") and tr.__version__[0].isdigit()


def without_matplotlib(tmp_path):
    """An environment in which ``import matplotlib`` fails, as after a plain ``pip install tinygrad_rnn``."""
    hidden = tmp_path / "hide_matplotlib" / "matplotlib"
    hidden.mkdir(parents=True)
    (hidden / "__init__.py").write_text("raise ImportError(\"No module named 'matplotlib'\")\n")
    environment = checkout_first()
    return {**environment, "PYTHONPATH": os.pathsep.join([str(hidden.parent), environment["PYTHONPATH"]])}


def test_cli_without_matplotlib_demo_writes_the_rest_and_train_plot_says_so_at_once(tmp_path):
    environment = without_matplotlib(tmp_path)
    out = tmp_path / "out"
    result = cli("demo", "--steps", "2", "--hidden", "8", "--out", str(out), "--quiet", env=environment)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    written = {p.name for p in out.iterdir()}
    assert {"unrolled_rnn.svg", "bptt_rnn.svg", "language_model.svg", "bptt.html", "char_lstm.npz"} <= written
    assert not {"training.png", "vanishing_gradients.png"} & written
    assert "pip install 'tinygrad_rnn[plot]'" in result.stdout
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("abc " * 50)
    plot = cli("train", "--text", str(corpus), "--steps", "2", "--plot", str(tmp_path / "c.png"), "--quiet",
               "--checkpoint", str(tmp_path / "lm.npz"), env=environment)
    assert plot.returncode == 1 and "tinygrad_rnn[plot]" in plot.stderr and "Traceback" not in plot.stderr
    assert not (tmp_path / "lm.npz").exists()  # said before training, not after


def cli_job(*args: str) -> Job:
    """``cli(*args)`` as a job run beside the suite (background.py): its test reads ``.result()``."""
    return Job([sys.executable, "-m", "tinygrad_rnn", *args])


ERRORS = folder("cli_errors")  # (holds broken.npz, and no none.npz, nope.txt)
DEMO = folder("cli_demo") / "out"
(ERRORS / "broken.npz").write_bytes(b"PK\x03\x04 not really")
JOBS = {  # a test's name: the runs it reads
    "test_cli_errors_are_one_line": [
        cli_job("sample", "--checkpoint", str(ERRORS / "none.npz")),
        cli_job("sample", "--checkpoint", str(ERRORS / "broken.npz")),
        cli_job("train", "--text", str(ERRORS / "nope.txt")),
        cli_job("train", "--steps", "-3"),
        *(cli_job(command, "--help") for command in ("train", "sample", "graph", "lecture", "demo"))],
    "test_cli_demo_writes_its_figures": [
        cli_job("demo", "--steps", "3", "--hidden", "8", "--out", str(DEMO), "--quiet")],
}


def background_jobs(item) -> list[Job]:
    """The CLI's runs a test reads, started beside the suite (background.py) as soon as it is collected."""
    return JOBS.get(item.name, [])


def test_cli_errors_are_one_line():
    missing, result, no_text, negative, *helps = (job.result() for job in JOBS["test_cli_errors_are_one_line"])
    assert missing.returncode == 1 and "no checkpoint at" in missing.stderr and "Traceback" not in missing.stderr
    assert result.returncode == 1 and "corrupt or truncated" in result.stderr  # broken.npz
    assert result.stderr.strip().count("\n") == 0
    assert no_text.returncode == 1 and "no such text file" in no_text.stderr
    assert negative.returncode == 2  # --steps -3
    for shown in helps:  # train, sample, graph, lecture, demo
        assert shown.returncode == 0, shown.args


def test_cli_demo_writes_its_figures():
    (job,) = JOBS["test_cli_demo_writes_its_figures"]
    result = job.result()
    assert result.returncode == 0, result.stderr
    written = sorted(p.name for p in DEMO.iterdir())
    assert "vanishing_gradients.png" in written and "char_lstm.npz" in written and "training.png" in written
    assert {"unrolled_rnn.svg", "bptt_rnn.svg", "language_model.svg", "bptt.html"} <= set(written)
    assert "validation perplexity" in result.stdout and "sample:" in result.stdout
