"""Work in a forked child (storythreads/forked.py): its value or its exception comes back,
a child that dies is an error, and one nobody waits for is stopped."""

from __future__ import annotations

import os
import sys
import time

import pytest

from storythreads import forked
from storythreads.errors import NlpModelError

pytestmark = pytest.mark.skipif(not forked.can_fork(), reason="no fork here")


def test_value_comes_back_from_another_process():
    child = forked.Forked(lambda a, b: (os.getpid(), a + b))
    child.send(2, 3)
    pid, total = child.result()
    assert total == 5 and pid != os.getpid() and pid == child.pid
    assert child.result() == (pid, 5)  # asked again: the same answer


def test_prepare_runs_before_the_arguments_come(tmp_path):
    mark = tmp_path / "prepared"

    def prepare():
        mark.write_text(str(time.monotonic()))
        return "model"

    child = forked.Forked(lambda model, x: f"{model}:{x}", prepare=prepare)
    deadline = time.monotonic() + 10
    while not mark.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert mark.exists()  # prepared while this process had not sent anything
    child.send("x")
    assert child.result() == "model:x"


def test_large_arguments_do_not_block_while_the_child_prepares():
    payload = "x" * (8 << 20)  # far beyond a pipe's buffer
    child = forked.Forked(lambda _, text: len(text), prepare=lambda: time.sleep(0.5))
    started = time.monotonic()
    child.send(payload)
    assert time.monotonic() - started < 0.4  # written from a thread meanwhile
    assert child.result() == len(payload)


def test_the_childs_exception_is_raised_here():
    def fails(_):
        raise NlpModelError("spaCy pipeline 'x' is not installed")

    child = forked.Forked(lambda _: None, prepare=lambda: fails(None))
    child.send()
    with pytest.raises(NlpModelError, match="not installed"):
        child.result()


def test_an_exception_that_cannot_be_pickled_keeps_its_message():
    class Local(Exception):  # defined here: pickle cannot find it by name
        pass

    def fails():
        raise Local("odd failure")

    child = forked.Forked(fails)
    child.send()
    with pytest.raises(RuntimeError, match="Local: odd failure"):
        child.result()


def test_a_child_that_dies_is_an_error_naming_the_work():
    child = forked.Forked(lambda: os._exit(9), what="naming threads")
    child.send()
    with pytest.raises(OSError, match="naming threads stopped"):
        child.result()


def test_close_stops_a_child_nobody_waits_for():
    child = forked.Forked(lambda: time.sleep(60))
    child.send()
    started = time.monotonic()
    child.close()
    assert time.monotonic() - started < 5
    with pytest.raises(ChildProcessError):
        os.waitpid(child.pid, os.WNOHANG)  # reaped


def test_a_child_never_sent_anything_exits_when_asked():
    child = forked.Forked(lambda: 1, prepare=lambda: None)
    with pytest.raises(OSError, match="stopped"):
        child.result()  # nothing sent: the child sees end-of-file and leaves


def test_no_fork_once_ray_runs_here_or_off_linux(monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", object())
    assert not forked.can_fork()
    monkeypatch.delitem(sys.modules, "ray")
    assert forked.can_fork()
    monkeypatch.setattr(sys, "platform", "darwin")  # its libraries are not fork-safe
    assert not forked.can_fork()


def test_a_child_left_behind_is_stopped_when_dropped():
    child = forked.Forked(lambda: time.sleep(60))
    child.send()
    pid = child.pid
    del child  # e.g. the run failed before it asked for the answer
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # stopped and reaped
