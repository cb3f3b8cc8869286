"""The notes a figure fitted to a slide carries: what was left out to fit, and what brings it back.

Said as save's keywords (``show_shapes=True``) where the figure is drawn from Python, as the CLI's flags
(``--shapes``) while the CLI draws (:func:`said_as_flags`). Two neighbours write them: the fit ladder (:mod:`.ladder`:
the shapes and the steps it left out) and the key of a row's weights (:mod:`.weight_key`: how to draw their names in
every cell again). Kept here, apart from both, so that the key imports nothing of the ladder that draws it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

# what was left out, then what brings it back (not "left out: show_shapes=True", read as the setting that left it out)
SHAPES_LEFT_OUT = "Shapes left out (show_shapes=True writes them)"
STEPS_LEFT_OUT = "Steps left out (time_steps=slice(None) draws every step)"
WEIGHTS_KEYED = 'params="label" writes them in every cell'  # said by the key itself (weight_key.py), not a note more
SAID_AS_FLAGS = ("Shapes left out (--shapes writes them)", "Steps left out (--all-steps draws every step)")  # the CLI's
KEYED_AS_FLAG = "--params label writes them in every cell"
FLAGS: ContextVar[bool] = ContextVar("flags", default=False)  # whether the notes say the CLI's flags (it draws now)


@contextmanager
def said_as_flags() -> Iterator[None]:
    """While the CLI draws: the notes of what the ladder left out say the flags that keep it (--shapes,
    --all-steps), not save's keywords — a lecturer at the command line has no show_shapes to pass.

    >>> with said_as_flags():
    ...     left_out_notes()[:2]
    ('Shapes left out (--shapes writes them)', 'Steps left out (--all-steps draws every step)')
    >>> left_out_notes()[:2]
    ('Shapes left out (show_shapes=True writes them)', 'Steps left out (time_steps=slice(None) draws every step)')
    """
    token = FLAGS.set(True)
    try:
        yield
    finally:
        FLAGS.reset(token)


def left_out_notes() -> tuple[str, str, str]:
    """(the note for the shapes left out, the one for steps left out, what the key of the weights says brings their
    names back into every cell), as the figure is drawn: from Python, or by the CLI (:func:`said_as_flags`)."""
    return (*SAID_AS_FLAGS, KEYED_AS_FLAG) if FLAGS.get() else (SHAPES_LEFT_OUT, STEPS_LEFT_OUT, WEIGHTS_KEYED)
