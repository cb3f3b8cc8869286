"""Subprocesses the suite runs beside itself: a pytest run keeps one core busy, and CI's machine has two.

A test module whose test only waits for subprocesses (the CuPy stand-in's run of the GPU cases, a notebook in
a kernel of its own, an example) defines ``background_jobs(item)``, the :class:`Job` list of a collected test.
conftest.py queues each as soon as the suite is collected; the queue runs them one after another on the second
core, and a test asks for its job's result: it waits for what is left of it, or runs it at once where the queue
has not reached it yet. Nothing is run that a test does not ask for, and every test asserts on its job's result
exactly as it would on a subprocess it ran itself.
"""

from __future__ import annotations

import os
import pathlib
import subprocess
import sys
import tempfile
import threading

OUTPUTS = tempfile.TemporaryDirectory(prefix="tinygrad_rnn-tests-")  # what jobs write for their tests to read


def folder(name: str) -> pathlib.Path:
    """A new, empty folder of OUTPUTS for one job's files (a test's tmp_path is made only when it runs)."""
    path = pathlib.Path(OUTPUTS.name) / name
    path.mkdir()
    return path


def cli_job(*args: str, **options) -> Job:
    """``python -m tinygrad_rnn ARGS`` as a job, with the environment the suite was collected in (a test that runs
    while it starts may have taken Graphviz off the PATH): its test reads ``.result()``."""
    return Job([sys.executable, "-m", "tinygrad_rnn", *args], **{"env": dict(os.environ), **options})


class Job:
    """A command to run once, what it prints kept in files (a pipe nobody reads would stall a long report)."""

    def __init__(self, command: list[str], **options) -> None:
        self.command, self.options = command, options
        self.process: subprocess.Popen | None = None
        self.stdout, self.stderr = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
        self.finished = threading.Event()
        self.error: OSError | None = None

    def run(self) -> None:
        try:
            for _attempt in range(3):  # (starting a process from a thread once failed with EFAULT, Errno 14, on a
                try:               # loaded machine: a failed start is tried again, and its error kept for the test)
                    self.process = subprocess.Popen(self.command, stdout=self.stdout, stderr=self.stderr, text=True,
                                                    **self.options)
                    break
                except OSError as error:
                    self.error = error
            if self.process is not None:
                self.process.wait()
        finally:
            self.finished.set()

    def result(self, timeout: float = 600) -> subprocess.CompletedProcess:
        """What ``subprocess.run`` returns (exit status, standard output and error as text): run now if the
        queue has not started it, else waited for."""
        if QUEUE.take(self):
            self.run()
        assert self.finished.wait(timeout), f"{self.command} still running after {timeout} s"
        assert self.process is not None, f"{self.command} could not be started: {self.error!r}"
        printed = []
        for file in (self.stdout, self.stderr):
            file.seek(0)
            printed.append(file.read())
        return subprocess.CompletedProcess(self.command, self.process.returncode, *printed)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Queue:
    """Jobs run one at a time, in the order queued, on a thread of their own (it waits; the work is the
    subprocess's)."""

    def __init__(self) -> None:
        self.waiting: list[Job] = []
        self.started: list[Job] = []
        self.lock = threading.Lock()
        self.stopped = False
        self.thread: threading.Thread | None = None

    def add(self, jobs: list[Job]) -> None:
        with self.lock:
            self.waiting += jobs
        if self.thread is None:  # (a job the thread has not reached by its test's turn, its test runs: take)
            self.thread = threading.Thread(target=self._run, daemon=True)
            self.thread.start()

    def take(self, job: Job) -> bool:
        """Takes ``job`` off the queue if it has not started (its test runs it): whether it was waiting."""
        with self.lock:
            if job in self.waiting:
                self.waiting.remove(job)
                self.started.append(job)
                return True
            if job not in self.started:  # never queued (the test was run on its own): its test runs it
                self.started.append(job)
                return True
            return False

    def _run(self) -> None:
        while True:
            with self.lock:
                if self.stopped or not self.waiting:
                    return
                job = self.waiting.pop(0)
                self.started.append(job)
            job.run()

    def stop(self) -> None:
        """Ends what is running and drops what waits: the suite stopped early (-x) and no test will ask."""
        with self.lock:
            self.stopped, self.waiting = True, []
            running = list(self.started)
        for job in running:
            job.stop()


QUEUE = Queue()
