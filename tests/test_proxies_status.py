"""TaskStatus predicates for every Mesos 1.x task state, and TaskInfo.status()."""

import pytest
from satyr.proxies._schema import schema
from satyr.proxies.messages import TaskID, TaskInfo, TaskStatus

# state: (staging, starting, running, killing, finished, killed, failed, terminated)
EXPECTED = {
    "TASK_STAGING": (1, 0, 0, 0, 0, 0, 0, 0),
    "TASK_STARTING": (0, 1, 0, 0, 0, 0, 0, 0),
    "TASK_RUNNING": (0, 0, 1, 0, 0, 0, 0, 0),
    "TASK_KILLING": (0, 0, 0, 1, 0, 0, 0, 0),
    "TASK_FINISHED": (0, 0, 0, 0, 1, 0, 0, 1),
    "TASK_FAILED": (0, 0, 0, 0, 0, 0, 1, 1),
    "TASK_KILLED": (0, 0, 0, 0, 0, 1, 1, 1),
    "TASK_ERROR": (0, 0, 0, 0, 0, 0, 1, 1),
    "TASK_LOST": (0, 0, 0, 0, 0, 0, 1, 1),
    "TASK_DROPPED": (0, 0, 0, 0, 0, 0, 1, 1),
    "TASK_GONE": (0, 0, 0, 0, 0, 0, 1, 1),
    "TASK_GONE_BY_OPERATOR": (0, 0, 0, 0, 0, 0, 1, 1),
    # Not terminal: the task may come back (PARTITION_AWARE) or its fate is not known yet.
    "TASK_UNREACHABLE": (0, 0, 0, 0, 0, 0, 0, 0),
    "TASK_UNKNOWN": (0, 0, 0, 0, 0, 0, 0, 0),
}


def test_every_state_of_the_protocol_is_classified():
    states = schema()["mesos.v1.TaskStatus"].fields["state"].enum_values
    assert set(states) == set(EXPECTED)


@pytest.mark.parametrize("state", sorted(EXPECTED))
def test_predicates(state):
    status = TaskStatus(task_id="t", state=state)
    got = (
        status.is_staging(),
        status.is_starting(),
        status.is_running(),
        status.is_killing(),
        status.has_finished(),
        status.has_killed(),
        status.has_failed(),
        status.has_terminated(),
    )
    assert got == tuple(bool(x) for x in EXPECTED[state])
    assert status.has_succeeded() == status.has_finished()
    assert status.is_terminal() == status.has_terminated()
    assert status.is_unreachable() == (state == "TASK_UNREACHABLE")
    assert status.is_unknown() == (state == "TASK_UNKNOWN")


def test_decoded_statuses_are_task_statuses():
    data = TaskStatus(task_id="t", state="TASK_LOST", message="gone").to_bytes()
    status = TaskStatus.from_bytes(data)
    assert type(status) is TaskStatus
    assert status.has_failed() and status.message == "gone"


def test_task_status_helper():
    task = TaskInfo(name="x", task_id="t1")
    running = task.status("TASK_RUNNING")
    assert isinstance(running, TaskStatus)
    assert running.task_id == TaskID(value="t1")
    assert running.task_id is not task.task_id
    assert running.is_running()
    finished = task.status("TASK_FINISHED", data=b"result", message="done")
    assert finished.data == b"result" and finished.message == "done"
    assert finished.has_succeeded()
    with pytest.raises(ValueError, match="TASK_DONE"):
        task.status("TASK_DONE")
