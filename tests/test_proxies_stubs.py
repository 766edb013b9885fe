"""The type stub of the generated classes is current, and type checkers see the README's
spellings."""

import textwrap

import pytest
from satyr.proxies import _stubgen


def test_stub_matches_the_schema():
    assert _stubgen.STUB.read_text() == _stubgen.render(), (
        "python/satyr/proxies/_classes.pyi is out of date: run python -m satyr.proxies._stubgen"
    )


def test_mypy_sees_the_message_classes(tmp_path):
    api = pytest.importorskip("mypy.api")
    good = tmp_path / "good.py"
    good.write_text(
        textwrap.dedent(
            """
            from satyr.proxies.messages import (
                CommandInfo, DockerInfo, Offer, Resource, SlaveID, TaskInfo, TaskStatus,
            )

            task = TaskInfo(name="command-task", command=CommandInfo(value="echo 100"))
            task.container.type = "DOCKER"
            task.container.docker.image = "lensacom/satyr:latest"
            docker: DockerInfo = task.container.docker
            offer = Offer.from_bytes(b"")
            task.slave_id = offer.slave_id
            agent: SlaveID = offer.agent_id
            task.task_id = "t1"
            first: Resource = offer.resources[0]
            cpus: float = first.scalar.value
            status: TaskStatus = task.status("TASK_RUNNING")
            done: bool = status.has_terminated()
            """
        )
    )
    bad = tmp_path / "bad.py"
    bad.write_text(
        textwrap.dedent(
            """
            from satyr.proxies.messages import TaskInfo

            task = TaskInfo()
            task.name = 3
            count: int = task.resources[0].name
            """
        )
    )
    out, err, status = api.run(["--no-incremental", "--cache-dir=/dev/null", str(good)])
    assert status == 0, out + err
    out, _, status = api.run(["--no-incremental", "--cache-dir=/dev/null", str(bad)])
    assert status == 1
    assert 'Incompatible types in assignment (expression has type "int"' in out
    assert out.count("error:") == 2, out
