"""Proxies of every Mesos message: satyr's "magical protobuf wrapper".

Every message of the ``mesos.v1`` package has a class here under its own name (``TaskInfo``,
``CommandInfo``, ``AgentID``, ...); nested messages are attributes of their parent
(``ContainerInfo.DockerInfo``) and, where the name is unambiguous, module names too
(``DockerInfo``, ``URI``, ``Variable``, ``Scalar``). ``SlaveID``/``SlaveInfo`` are
``AgentID``/``AgentInfo``; scheduler and executor API messages are ``SchedulerCall``,
``SchedulerEvent``, ``ExecutorCall``, ``ExecutorEvent`` (with nested classes, e.g.
``SchedulerEvent.Offers``). See :class:`~satyr.proxies._base.Message` for the behaviour they share.

``Resource``, ``Offer``, ``TaskInfo``, ``ExecutorInfo``, ``TaskStatus`` and ``FrameworkInfo`` are
written out so that mixins can be added to them. Resources and their algebra (``Cpus``, ``Mem``,
``Disk``, ``Gpus``, ``Ports``, ``ScalarResource``, ``RangesResource``, ``SetResource``; ``task <=
offer``, ``offer - task``, ``sum(offers)``) are described in :mod:`satyr.proxies.resources`.
``Ports`` is the ports resource; the ``mesos.v1.Ports`` message (DiscoveryInfo's named ports) is
``DiscoveryPorts``.

Subclass any of them to customise received messages::

    class CustomTask(TaskInfo):
        proto = TaskInfo(labels=Labels(labels=[Label(key='custom')]))

Any ``TaskInfo`` decoded with a ``custom`` label is then a ``CustomTask``, and ``CustomTask()``
carries the label.
"""

from __future__ import annotations

import uuid
from typing import Any

from satyr.proxies._base import Message
from satyr.proxies._classes import *  # noqa: F403  (one class per message type)
from satyr.proxies._classes import (
    ExecutorInfoBase,
    FrameworkInfoBase,
    OfferBase,
    TaskInfoBase,
    TaskStatusBase,
)
from satyr.proxies._classes import __all__ as _generated
from satyr.proxies._registry import from_plain
from satyr.proxies.resources import (
    Cpus,
    Disk,
    Gpus,
    Mem,
    Ports,
    RangesResource,
    Resource,
    ResourcesMixin,
    ScalarResource,
    SetResource,
)


class Offer(ResourcesMixin, OfferBase):
    """``mesos.v1.Offer``: resources of one agent offered to the framework (with the resource
    algebra: ``task <= offer``, ``offer - task``, ``offer.cpus``, ...; see ``ResourcesMixin``)."""

    __slots__ = ()


class FrameworkInfo(FrameworkInfoBase):
    """``mesos.v1.FrameworkInfo``: who the framework is (user, name, id, roles, ...)."""

    __slots__ = ()


class ExecutorInfo(ResourcesMixin, ExecutorInfoBase):
    """``mesos.v1.ExecutorInfo``. ``id`` is short for ``executor_id``; one constructed without an
    executor id gets a fresh uuid4 (decoded ones never do). Has the resource algebra
    (``ResourcesMixin``)."""

    __slots__ = ()

    def __init__(self, _plain: Any = None, /, **fields: Any) -> None:
        super().__init__(_plain, **fields)
        if not self.has_field("executor_id"):
            self.executor_id = str(uuid.uuid4())
            self._mark_auto("executor_id")

    @property
    def id(self) -> ExecutorID:  # noqa: F405
        """The ``executor_id`` (assign an ``ExecutorID`` or a str)."""
        return self.executor_id

    @id.setter
    def id(self, value: ExecutorID | str) -> None:  # noqa: F405
        self.executor_id = value


# Task states by how a task stands; see TaskStatus. UNREACHABLE and UNKNOWN are not terminal:
# with PARTITION_AWARE the task may come back, or its fate is simply not known yet.
_FAILED_STATES = frozenset(
    {
        "TASK_FAILED",
        "TASK_KILLED",
        "TASK_ERROR",
        "TASK_LOST",
        "TASK_DROPPED",
        "TASK_GONE",
        "TASK_GONE_BY_OPERATOR",
    }
)


class TaskStatus(TaskStatusBase):
    """``mesos.v1.TaskStatus``, with predicates for every Mesos 1.x task state.

    Terminal states are Mesos's own (``protobuf::isTerminalState``): FINISHED (succeeded) and
    FAILED, KILLED, ERROR, LOST, DROPPED, GONE, GONE_BY_OPERATOR (failed). UNREACHABLE and UNKNOWN
    are *not* terminal: a PARTITION_AWARE framework may see an unreachable task come back when its
    agent reregisters, and UNKNOWN only says the master does not know the task (yet); frameworks
    without PARTITION_AWARE get TASK_LOST instead of either. Check them with
    :meth:`is_unreachable` / :meth:`is_unknown` and decide (e.g. after a timeout).
    """

    __slots__ = ()

    def is_staging(self) -> bool:
        """TASK_STAGING: accepted, not yet started by the agent."""
        return self.state == "TASK_STAGING"

    def is_starting(self) -> bool:
        """TASK_STARTING: the executor is starting the task."""
        return self.state == "TASK_STARTING"

    def is_running(self) -> bool:
        """TASK_RUNNING."""
        return self.state == "TASK_RUNNING"

    def is_killing(self) -> bool:
        """TASK_KILLING: being killed (only with the TASK_KILLING_STATE capability)."""
        return self.state == "TASK_KILLING"

    def is_unreachable(self) -> bool:
        """TASK_UNREACHABLE: the agent is unreachable; not terminal (PARTITION_AWARE only)."""
        return self.state == "TASK_UNREACHABLE"

    def is_unknown(self) -> bool:
        """TASK_UNKNOWN: the master does not know the task; not terminal (PARTITION_AWARE only)."""
        return self.state == "TASK_UNKNOWN"

    def has_finished(self) -> bool:
        """TASK_FINISHED: ended successfully."""
        return self.state == "TASK_FINISHED"

    has_succeeded = has_finished

    def has_killed(self) -> bool:
        """TASK_KILLED."""
        return self.state == "TASK_KILLED"

    def has_failed(self) -> bool:
        """Ended without success: FAILED, KILLED, ERROR, LOST, DROPPED, GONE, GONE_BY_OPERATOR."""
        return self.state in _FAILED_STATES

    def has_terminated(self) -> bool:
        """Ended, successfully or not (the task will not run again)."""
        return self.has_finished() or self.has_failed()

    is_terminal = has_terminated


class TaskInfo(ResourcesMixin, TaskInfoBase):
    """``mesos.v1.TaskInfo``. ``id`` is short for ``task_id``; one constructed without a task id
    gets a fresh uuid4 (decoded ones never do). Has the resource algebra (``task < offer``,
    ``task.cpus``, ...; see ``ResourcesMixin``)."""

    __slots__ = ()

    def __init__(self, _plain: Any = None, /, **fields: Any) -> None:
        super().__init__(_plain, **fields)
        if not self.has_field("task_id"):
            self.task_id = str(uuid.uuid4())
            self._mark_auto("task_id")

    @property
    def id(self) -> TaskID:  # noqa: F405
        """The ``task_id`` (assign a ``TaskID`` or a str)."""
        return self.task_id

    @id.setter
    def id(self, value: TaskID | str) -> None:  # noqa: F405
        self.task_id = value

    def status(self, state: str, **fields: Any) -> TaskStatus:
        """A ``TaskStatus`` of this task in ``state`` (e.g. ``'TASK_RUNNING'``), with ``fields``
        set too (``message=...``, ``data=...``)."""
        return TaskStatus(task_id=self.task_id.copy(), state=state, **fields)


def message_class(type_name: str) -> type[Message]:
    """The class that messages of ``type_name`` (e.g. ``mesos.v1.TaskInfo``) decode to when no
    template of a subclass matches."""
    from satyr.proxies._registry import _candidates

    return next(c for c in _candidates(_base(type_name)) if c._template is None)


def _base(type_name: str) -> type[Message]:
    from satyr.proxies._registry import base_class
    from satyr.proxies._schema import schema

    info = schema().get(type_name)
    if info is None:
        raise ValueError(f"unknown message type {type_name!r}")
    return base_class(info)


def decode(type_name: str, data: bytes) -> Message:
    """Decode protobuf ``data`` of the message ``type_name`` into its proxy (of the most specific
    registered class whose template matches)."""
    return _base(type_name).from_bytes(data)


def encode(message: Message) -> bytes:
    """The protobuf encoding of a proxy."""
    return message.to_bytes()


def proxy(type_name: str, plain: dict[str, Any]) -> Message:
    """The proxy of a plain-form message of type ``type_name`` (taken as is, not copied)."""
    return from_plain(_base(type_name), plain)


__all__ = [
    *_generated,
    "Cpus",
    "Disk",
    "ExecutorInfo",
    "FrameworkInfo",
    "Gpus",
    "Mem",
    "Message",
    "Offer",
    "Ports",
    "RangesResource",
    "Resource",
    "ResourcesMixin",
    "ScalarResource",
    "SetResource",
    "TaskInfo",
    "TaskStatus",
    "decode",
    "encode",
    "message_class",
    "proxy",
]
