"""Python tasks: any callable run on a Mesos agent by satyr-executor.

A :class:`PythonTask` is a ``TaskInfo`` (label ``python``) whose ``data`` is
``cloudpickle.dumps((fn, args, kwargs))`` and whose ``ExecutorInfo`` starts ``satyr-executor``.
Tasks with the same executor settings share one executor id, so Mesos sends them to the same warm
executor process on an agent. The executor answers with :class:`PythonTaskStatus` updates:
TASK_FINISHED with the cloudpickled result, or TASK_FAILED with the exception and its remote
traceback, re-raised in the caller with its own type (the traceback is its ``__cause__``).

Payloads larger than :func:`payload_threshold` (1 MiB by default, ``SATYR_PAYLOAD_THRESHOLD``)
travel out of band, never through the master: arguments are served by this process over HTTP
(:func:`payload_host`, ``SATYR_PAYLOAD_HOST``) at an unguessable URL, results are written to the
executor's sandbox and fetched through the agent's ``/files/download``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sys
import traceback
import urllib.parse
import uuid as _uuid
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import cloudpickle

from satyr import _satyr
from satyr._satyr import SatyrError
from satyr.proxies.messages import (
    CommandInfo,
    ContainerInfo,
    Environment,
    ExecutorInfo,
    Label,
    Labels,
    Resource,
    TaskInfo,
    TaskStatus,
)

#: The label that marks Python tasks and their statuses.
PYTHON_LABEL = "python"
#: Label saying where the payload is: absent = inline in ``data``; ``url`` = ``data`` is a URL.
PAYLOAD_LABEL = "satyr.payload"
#: Label of a failed status saying what failed (``exception``, ``unpicklable-result``, ...).
ERROR_LABEL = "satyr.error"
#: Label the queue scheduler core reads on TASK_FAILED: ``exception`` means the task's own code
#: failed (never retried); see ``satyr._satyr.SchedulerCore.OUTCOME_LABEL``.
OUTCOME_LABEL = "satyr.outcome"
#: Environment variables of the executor that tune it (see :mod:`satyr.executor`).
IDLE_TIMEOUT_ENV = "SATYR_EXECUTOR_IDLE_TIMEOUT"
THRESHOLD_ENV = "SATYR_PAYLOAD_THRESHOLD"
HOST_ENV = "SATYR_PAYLOAD_HOST"
#: Where an executor writes results too large to travel inline (inside its sandbox).
RESULTS_DIR = "satyr-results"
#: How long fetching an out-of-band payload may take, in seconds.
FETCH_TIMEOUT = 600.0

_MAX_MESSAGE = 4000


def env_bytes(name: str, default: int) -> int:
    """The environment variable ``name`` as a number of bytes (``default`` when unset or
    empty); ValueError naming it when it is not a whole number >= 0."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{name} must be a number of bytes, not {text!r}") from None
    if value < 0:
        raise ValueError(f"{name} must be >= 0, not {value}")
    return value


def payload_threshold() -> int:
    """Largest pickled payload sent inline in ``data`` (``SATYR_PAYLOAD_THRESHOLD``, bytes)."""
    return env_bytes(THRESHOLD_ENV, 1 << 20)


def payload_host() -> str:
    """The address agents use to fetch large arguments from this process:
    ``SATYR_PAYLOAD_HOST``, else ``LIBPROCESS_IP``, else this host's address."""
    for name in (HOST_ENV, "LIBPROCESS_IP"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    try:
        return socket.gethostbyname(socket.gethostname())
    except OSError:
        return "127.0.0.1"


# -- errors ---------------------------------------------------------------------------------------


class RemoteTraceback(Exception):
    """The traceback of an exception raised inside a task, as text; re-raised exceptions carry
    it as ``__cause__`` (as ``concurrent.futures.ProcessPoolExecutor`` does)."""

    def __init__(self, tb: str) -> None:
        super().__init__(tb)
        self.tb = tb

    def __str__(self) -> str:
        return self.tb


class TaskError(SatyrError):
    """A task ended without a result: it failed, was killed or lost, or its executor died."""

    def __init__(self, message: str, status: TaskStatus | None = None) -> None:
        super().__init__(message)
        self.status = status

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), None))

    @property
    def state(self) -> str | None:
        """The task's final state (``TASK_FAILED``, ...)."""
        return self.status.state if self.status is not None else None

    @property
    def reason(self) -> str | None:
        """The status reason (``REASON_EXECUTOR_TERMINATED``, ...), if any."""
        if self.status is None or not self.status.has_field("reason"):
            return None
        return str(self.status.reason)


class TaskKilledError(TaskError):
    """The task was killed (by the scheduler, or because its executor shut down)."""


class TaskLostError(TaskError):
    """Mesos lost the task (agent gone, dropped launch, ...)."""


class ExecutorTerminatedError(TaskError):
    """The executor process running the task died: ``os._exit()``, a crash of the interpreter
    (e.g. a segfault in C code), the OOM killer, or the agent destroying it."""


class RemoteError(TaskError):
    """The task raised an exception that could not be re-created here (it could not be pickled
    in the task, or not unpickled in the caller): its type name, message and traceback."""

    def __init__(
        self, message: str, type_name: str = "", remote_traceback: str = "", status: Any = None
    ) -> None:
        super().__init__(message, status)
        self.type_name = type_name
        self.remote_traceback = remote_traceback

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (str(self), self.type_name, self.remote_traceback))


class ResultNotPicklableError(SatyrError, TypeError):
    """Raised in the executor when a task's result cannot be pickled."""


class PayloadError(SatyrError):
    """An out-of-band payload could not be stored or fetched."""


# -- labels and payload helpers -------------------------------------------------------------------


def _label(msg: TaskInfo | TaskStatus, key: str) -> str | None:
    for label in msg.labels.labels:
        if label.key == key:
            return str(label.value)
    return None


def _set_label(msg: TaskInfo | TaskStatus, key: str, value: str | None) -> None:
    if value is None and not msg.has_field("labels"):
        return  # nothing to remove (and no empty Labels to attach)
    current = list(msg.labels.labels)
    labels = [lab for lab in current if lab.key != key]
    if value is None and len(labels) == len(current):
        return
    if value is not None:
        labels.append(Label(key=key, value=value))
    msg.labels.labels = labels


def _fetch(url: str) -> bytes:
    try:
        return _satyr.http_get(url, FETCH_TIMEOUT)
    except SatyrError as e:
        raise PayloadError(f"cannot fetch the payload at {url}: {e}") from e


def _executor_sandbox() -> tuple[str, str, str] | None:
    """(sandbox as seen here, sandbox on the agent's host, agent endpoint) inside an executor."""
    sandbox = os.environ.get("MESOS_SANDBOX") or os.environ.get("MESOS_DIRECTORY")
    directory = os.environ.get("MESOS_DIRECTORY") or sandbox
    agent = os.environ.get("MESOS_AGENT_ENDPOINT")
    if not (sandbox and directory and agent):
        return None
    return sandbox, directory, agent


def _store_result(pickled: bytes, task_id: str) -> str | None:
    """Writes a large result to the sandbox; returns the agent URL that serves it."""
    where = _executor_sandbox()
    if where is None:
        return None
    sandbox, directory, agent = where
    name = f"{RESULTS_DIR}/{task_id}-{_uuid.uuid4().hex}.pickle"
    path = os.path.join(sandbox, name)
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(pickled)
    except OSError as e:
        raise PayloadError(f"cannot write the result to the sandbox ({path}): {e}") from e
    query = urllib.parse.urlencode({"path": os.path.join(directory, name)})
    return f"http://{agent}/files/download?{query}"


def _payload(msg: TaskInfo | TaskStatus) -> bytes | None:
    """The pickled payload, downloaded (once) when it travelled out of band."""
    raw = msg.get_field("data")
    if not raw:
        return None
    if _label(msg, PAYLOAD_LABEL) != "url":
        return bytes(raw)
    fetched: bytes | None = getattr(msg, "_fetched", None)
    if fetched is None:
        fetched = _fetch(bytes(raw).decode())
        # PythonTask and PythonTaskStatus keep it (plain proxies have no room for it).
        with contextlib.suppress(AttributeError):
            object.__setattr__(msg, "_fetched", fetched)
    return fetched


def _load(msg: TaskInfo | TaskStatus) -> Any:
    raw = _payload(msg)
    return None if raw is None else cloudpickle.loads(raw)


def _scalar(name: str, value: float) -> Resource:
    return Resource(name=name, type="SCALAR", scalar={"value": value})


def _default_resources() -> list[Resource]:
    return [_scalar("cpus", 0.1), _scalar("mem", 128.0)]


def _default_executor_resources() -> list[Resource]:
    return [_scalar("cpus", 0.1), _scalar("mem", 64.0)]


#: Encoded ExecutorInfos (id included) of the settings PythonTasks were built with: building one
#: and hashing its settings costs more than all the rest of a task.
_EXECUTORS: dict[tuple[Any, ...], bytes] = {}


def _executor_key(
    docker: str | None,
    force_pull: bool,
    command: str | Sequence[str] | None,
    envs: Mapping[str, str] | None,
    uris: Iterable[str],
    idle_timeout: float | None,
) -> tuple[Any, ...] | None:
    """A hashable key of a PythonTask's executor settings (None if they are not hashable)."""
    try:
        key = (
            docker,
            bool(force_pull),
            command if command is None or isinstance(command, str) else tuple(command),
            tuple(sorted((str(k), str(v)) for k, v in (envs or {}).items())),
            tuple(uris) if isinstance(uris, list | tuple) else None,
            idle_timeout,
        )
        hash(key)
    except TypeError:
        return None
    return None if key[4] is None else key


# -- statuses ------------------------------------------------------------------------------------


class PythonTaskStatus(TaskStatus):
    """A status of a :class:`PythonTask` sent by satyr-executor (label ``python``).

    ``data`` is the task's unpickled result (fetched from the agent when it travelled out of
    band); assigning it pickles. :attr:`exception` is the exception the task raised, rebuilt with
    its own type and the remote traceback as ``__cause__``; :meth:`result` returns the result
    or raises.
    """

    proto = TaskStatus(labels=Labels(labels=[Label(key=PYTHON_LABEL)]))

    _fetched: bytes | None = None

    @property
    def data(self) -> Any:
        """The unpickled payload (the result of a finished task)."""
        if self.state == "TASK_FAILED" and _label(self, ERROR_LABEL) is not None:
            return None
        return _load(self)

    @data.setter
    def data(self, value: Any) -> None:
        self._fetched = None
        pickled = cloudpickle.dumps(value)
        url = None
        if len(pickled) > payload_threshold():
            url = _store_result(pickled, str(self.task_id.value))
        if url is None:
            self.set_field("data", pickled)
            _set_label(self, PAYLOAD_LABEL, None)
        else:
            self.set_field("data", url.encode())
            _set_label(self, PAYLOAD_LABEL, "url")

    @property
    def exception(self) -> BaseException | None:
        """The task's exception (None unless the task failed); see :func:`task_error`."""
        if self.has_finished() or not self.has_terminated():
            return None
        raw = self.get_field("data")
        if _label(self, ERROR_LABEL) is None or not raw:
            return task_error(self)
        envelope = cloudpickle.loads(raw)
        return _rebuild(envelope, self)

    @exception.setter
    def exception(self, exc: BaseException) -> None:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        kind = "exception"
        try:
            pickled: bytes | None = cloudpickle.dumps(exc)
        except Exception as e:
            pickled = None
            kind = "unpicklable-exception"
            tb += f"\n(the exception could not be pickled: {type(e).__name__}: {e})\n"
        envelope = {
            "type": f"{type(exc).__module__}.{type(exc).__qualname__}",
            "message": str(exc),
            "traceback": tb,
            "exception": pickled,
        }
        self.set_field("data", cloudpickle.dumps(envelope))
        _set_label(self, PAYLOAD_LABEL, None)
        _set_label(self, ERROR_LABEL, kind)
        _set_label(self, OUTCOME_LABEL, "exception")
        if not self.message:
            self.message = f"{type(exc).__qualname__}: {exc}"[:_MAX_MESSAGE]

    @property
    def error_kind(self) -> str | None:
        """What failed, for a failed status sent by satyr-executor: ``exception``,
        ``unpicklable-exception``, ``unpicklable-result`` (None otherwise)."""
        return _label(self, ERROR_LABEL)

    @error_kind.setter
    def error_kind(self, kind: str | None) -> None:
        _set_label(self, ERROR_LABEL, kind)
        _set_label(self, OUTCOME_LABEL, "exception" if kind is not None else None)

    def fetch(self) -> None:
        """Downloads a result that travelled out of band now (it lives in the executor's
        sandbox only as long as the executor), so that ``data`` needs no network later."""
        if self.has_finished():
            _payload(self)

    def result(self) -> Any:
        """The result of a finished task; raises the task's exception otherwise."""
        if self.has_finished():
            return self.data
        exc = self.exception
        if exc is None:
            raise TaskError(f"task {self.task_id.value} has not ended ({self.state})", self)
        raise exc


def _rebuild(envelope: Mapping[str, Any], status: TaskStatus) -> BaseException:
    type_name = str(envelope.get("type", "Exception"))
    text = str(envelope.get("message", ""))
    tb = str(envelope.get("traceback", ""))
    exc: Any = None
    problem = ""
    if envelope.get("exception") is not None:
        try:
            exc = cloudpickle.loads(envelope["exception"])
        except Exception as e:
            problem = f" (it could not be unpickled here: {type(e).__name__}: {e})"
    else:
        problem = " (it could not be pickled in the task)"
    if not isinstance(exc, BaseException):
        exc = RemoteError(f"{type_name}: {text}{problem}", type_name, tb, status)
    exc.__cause__ = RemoteTraceback(tb)
    return exc


_LOST_STATES = frozenset({"TASK_LOST", "TASK_DROPPED", "TASK_GONE", "TASK_GONE_BY_OPERATOR"})
_EXECUTOR_DIED = frozenset(
    {
        "REASON_EXECUTOR_TERMINATED",
        "REASON_EXECUTOR_UNREGISTERED",
        "REASON_EXECUTOR_REGISTRATION_TIMEOUT",
        "REASON_EXECUTOR_REREGISTRATION_TIMEOUT",
        "REASON_CONTAINER_LIMITATION",
        "REASON_CONTAINER_LIMITATION_MEMORY",
        "REASON_CONTAINER_LIMITATION_DISK",
        "REASON_COMMAND_EXECUTOR_FAILED",
    }
)


def task_error(status: TaskStatus) -> TaskError:
    """A clear error for a task that ended without a result, from any status (one sent by the
    executor, or one Mesos made up because the executor or agent died)."""
    task = status.task_id.value
    reason = str(status.reason) if status.has_field("reason") else ""
    said = f": {status.message}" if status.message else ""
    why = f" ({reason})" if reason else ""
    if status.state == "TASK_KILLED":
        return TaskKilledError(f"task {task} was killed{why}{said}", status)
    if reason in _EXECUTOR_DIED:
        return ExecutorTerminatedError(
            f"task {task} ended because its executor terminated{why}{said}. The task may have "
            "called os._exit(), crashed the interpreter (e.g. a segfault in C code), or used "
            "more memory than it was given",
            status,
        )
    if status.state in _LOST_STATES:
        return TaskLostError(f"task {task} was lost ({status.state}){why}{said}", status)
    return TaskError(f"task {task} ended in {status.state}{why}{said}", status)


# -- tasks ---------------------------------------------------------------------------------------


class PythonTask(TaskInfo):
    """A Python callable to run on a Mesos agent: ``fn(*args, **kwargs)``.

    ``resources`` are the task's own (default 0.1 cpus, 128 MiB); ``executor_resources`` what the
    executor process holds while it lives (default 0.1 cpus, 64 MiB). The executor runs
    ``command`` (default: this interpreter, ``[sys.executable, '-m', 'satyr.executor']``; with
    ``docker``, ``python3 -m satyr.executor`` in that image), with ``envs`` set and ``uris``
    fetched into its sandbox. Tasks with equal executor settings get the same executor id and so
    share a warm executor per agent, which exits after ``idle_timeout`` seconds without tasks.
    ``retries`` is how many attempts in all a task gets when its executor or agent fails (as in
    satyr 0.2.1: 3 means up to 3 attempts; at least 1); the user's exception is never retried
    (a scheduler's decision; see :meth:`should_retry`).

    Change executor settings through the properties (``envs``, ``uris``, ``command``,
    ``docker``, ``force_pull``), or call :meth:`refresh_executor_id` after editing
    ``task.executor`` directly.
    """

    proto = TaskInfo(labels=Labels(labels=[Label(key=PYTHON_LABEL)]))

    retries: int = 3
    attempt: int = 1
    last_status: TaskStatus | None = None
    _payload_url: str | None = None
    _fetched: bytes | None = None
    _building: bool = False
    #: Tasks of this executor's settings share one executor process only up to this many cpus
    #: in all (a process runs Python on one core at a time); more start further executors
    #: (``<id>-1``, ...) on the agent. 0: an executor of its own.
    executor_cpus: float = 1.0

    def __init__(
        self,
        fn: Callable[..., Any] | None = None,
        args: Sequence[Any] = (),
        kwargs: Mapping[str, Any] | None = None,
        *,
        resources: Iterable[Resource] | None = None,
        name: str | None = None,
        envs: Mapping[str, str] | None = None,
        uris: Iterable[str] = (),
        docker: str | None = None,
        force_pull: bool = False,
        retries: int = 3,
        command: str | Sequence[str] | None = None,
        executor_resources: Iterable[Resource] | None = None,
        idle_timeout: float | None = None,
        **fields: Any,
    ) -> None:
        super().__init__(**fields)
        if not self.has_field("name"):
            self.name = name or getattr(fn, "__name__", None) or "python-task"
        elif name is not None:
            self.name = name
        self.resources = list(resources) if resources is not None else _default_resources()
        key = _executor_key(docker, force_pull, command, envs, uris, idle_timeout)
        cached = _EXECUTORS.get(key) if key is not None and executor_resources is None else None
        if cached is not None:
            self.set_field("executor", ExecutorInfo.from_bytes(cached))
        else:
            self._build_executor(
                executor_resources, docker, force_pull, command, envs, uris, idle_timeout
            )
            if key is not None and executor_resources is None:
                if len(_EXECUTORS) >= 256:
                    _EXECUTORS.clear()
                _EXECUTORS[key] = self.executor.to_bytes()
        if isinstance(retries, bool) or not isinstance(retries, int) or retries < 1:
            raise ValueError(f"retries is the number of attempts, at least 1; got {retries!r}")
        self.retries = retries
        self.attempt = 1
        if fn is not None:
            self.data = (fn, tuple(args), dict(kwargs or {}))

    # -- executor settings -----------------------------------------------------------------------

    def _build_executor(
        self,
        executor_resources: Iterable[Resource] | None,
        docker: str | None,
        force_pull: bool,
        command: str | Sequence[str] | None,
        envs: Mapping[str, str] | None,
        uris: Iterable[str],
        idle_timeout: float | None,
    ) -> None:
        executor = ExecutorInfo(
            type="CUSTOM",
            name="satyr-executor",
            resources=list(executor_resources)
            if executor_resources is not None
            else _default_executor_resources(),
        )
        self.set_field("executor", executor)
        self._building = True  # the setters below would each hash the settings again
        try:
            if docker is not None:
                self.executor.container = ContainerInfo(
                    type="DOCKER",
                    docker={"image": docker, "network": "HOST", "force_pull_image": force_pull},
                )
            self._set_command(command if command is not None else self._default_command())
            variables = dict(envs or {})
            if idle_timeout is not None:
                variables[IDLE_TIMEOUT_ENV] = str(float(idle_timeout))
            self.envs = variables
            self.uris = list(uris)
        finally:
            self._building = False
        self.refresh_executor_id()

    def _default_command(self) -> str | list[str]:
        if self.executor.has_field("container"):
            return "python3 -m satyr.executor"
        return [sys.executable, "-m", "satyr.executor"]

    def _set_command(self, command: str | Sequence[str]) -> None:
        cmd = self.executor.command
        if isinstance(command, str):
            cmd.value = command
            cmd.shell = True
            cmd.arguments = []
        else:
            argv = list(command)
            if not argv:
                raise ValueError("PythonTask command must not be empty")
            cmd.value = argv[0]
            cmd.shell = False
            cmd.arguments = argv
        self.refresh_executor_id()

    def refresh_executor_id(self) -> None:
        """Sets the executor id from the executor's settings: equal settings, equal id (so
        tasks share a warm executor); call it after editing ``self.executor`` by hand."""
        if self._building:
            return
        plain = self.executor.to_plain()
        plain.pop("executor_id", None)
        digest = hashlib.sha256(
            json.dumps(plain, sort_keys=True, default=repr).encode()
        ).hexdigest()
        self.executor.executor_id = f"satyr-{digest[:24]}"

    # A PythonTask has no task command (its executor runs it), so, as in satyr 0.2.1, ``command``
    # names the executor's command here.
    @property  # type: ignore[override]
    def command(self) -> str | list[str]:
        """The executor command: a shell string, or an argv list."""
        cmd = self.executor.command
        if cmd.has_field("shell") and not cmd.shell:
            return [str(a) for a in cmd.arguments]
        return str(cmd.value)

    @command.setter  # type: ignore[override]
    def command(self, value: str | Sequence[str]) -> None:
        self._set_command(value)

    @property
    def envs(self) -> dict[str, str]:
        """Environment variables of the executor."""
        return {str(v.name): str(v.value) for v in self.executor.command.environment.variables}

    @envs.setter
    def envs(self, value: Mapping[str, str]) -> None:
        self.executor.command.environment = Environment(
            variables=[{"name": k, "value": str(v)} for k, v in sorted(value.items())]
        )
        self.refresh_executor_id()

    @property
    def uris(self) -> list[str]:
        """URIs the agent fetches into the executor's sandbox before starting it."""
        return [str(u.value) for u in self.executor.command.uris]

    @uris.setter
    def uris(self, value: Iterable[str]) -> None:
        self.executor.command.uris = [CommandInfo.URI(value=u) for u in value]
        self.refresh_executor_id()

    @property
    def docker(self) -> str | None:
        """The Docker image the executor runs in (None: no container)."""
        if not self.executor.has_field("container"):
            return None
        return str(self.executor.container.docker.image)

    @docker.setter
    def docker(self, image: str | None) -> None:
        if image is None:
            self.executor.container = None
        else:
            self.executor.container.type = "DOCKER"
            self.executor.container.docker.image = image
            self.executor.container.docker.network = "HOST"
        self.refresh_executor_id()

    @property
    def force_pull(self) -> bool:
        """Pull the Docker image even when the agent has it."""
        return bool(self.executor.container.docker.force_pull_image)

    @force_pull.setter
    def force_pull(self, value: bool) -> None:
        self.executor.container.docker.force_pull_image = value
        self.refresh_executor_id()

    # -- payload ---------------------------------------------------------------------------------

    @property
    def data(self) -> Any:
        """``(fn, args, kwargs)``; assigning pickles it (out of band when large)."""
        return _load(self)

    @data.setter
    def data(self, value: Any) -> None:
        self.release_payload()
        self._fetched = None
        pickled = cloudpickle.dumps(value)
        if len(pickled) <= payload_threshold():
            self.set_field("data", pickled)
            _set_label(self, PAYLOAD_LABEL, None)
            return
        try:
            url = _satyr.payload_serve(pickled, payload_host())
        except SatyrError as e:
            raise PayloadError(f"cannot serve the task's arguments: {e}") from e
        self._payload_url = url
        # The payload is served while the task lives (retries need it) or until released.
        weakref.finalize(self, _satyr.payload_release, url)
        self.set_field("data", url.encode())
        _set_label(self, PAYLOAD_LABEL, "url")

    def release_payload(self) -> None:
        """Stops serving this task's large arguments (done when it finishes)."""
        if self._payload_url is not None:
            _satyr.payload_release(self._payload_url)
            self._payload_url = None

    def __call__(self) -> Any:
        """Runs the task here: ``fn(*args, **kwargs)``."""
        fn, args, kwargs = self.data
        return fn(*args, **kwargs)

    def status(self, state: str, **fields: Any) -> PythonTaskStatus:
        """A :class:`PythonTaskStatus` of this task (``data=`` pickles a result)."""
        return PythonTaskStatus(task_id=self.task_id.copy(), state=state, **fields)

    # -- outcome (scheduler side) ----------------------------------------------------------------

    def update(self, status: TaskStatus) -> None:
        """Takes a status of this task: records it, calls :meth:`on_update`, then
        :meth:`on_success` or :meth:`on_fail` when it is terminal."""
        self.last_status = status
        if isinstance(status, PythonTaskStatus):
            status.fetch()
        self.on_update(status)
        if status.has_finished():
            self.release_payload()
            self.on_success(status)
        elif status.has_terminated():
            self.on_fail(status)

    def on_update(self, status: TaskStatus) -> None:
        """Hook: any status of this task."""

    def on_success(self, status: TaskStatus) -> None:
        """Hook: the task finished."""

    def on_fail(self, status: TaskStatus) -> None:
        """Hook: the task ended without a result."""

    def should_retry(self, status: TaskStatus) -> bool:
        """True when the task failed for a reason outside its code (lost, executor died) and
        attempts remain; an exception raised by the task or a kill is final."""
        if not status.has_failed() or status.has_killed():
            return False
        if _label(status, ERROR_LABEL) is not None:
            return False
        return self.attempt < self.retries

    def outcome(self, status: TaskStatus) -> Any:
        """The result a terminal status carries, or raises the task's exception (its own type,
        remote traceback as ``__cause__``) or a :class:`TaskError`."""
        return status_outcome(status)


def status_outcome(status: TaskStatus) -> Any:
    """The result a terminal status of a Python task carries, or raises the task's exception
    (its own type, remote traceback as ``__cause__``) or a :class:`TaskError`."""
    if isinstance(status, PythonTaskStatus):
        return status.result()
    if status.has_finished():
        raise TaskError(
            f"task {status.task_id.value} finished without a Python result (not sent by "
            "satyr-executor)",
            status,
        )
    raise task_error(status)


__all__ = [
    "ERROR_LABEL",
    "OUTCOME_LABEL",
    "PAYLOAD_LABEL",
    "PYTHON_LABEL",
    "ExecutorTerminatedError",
    "PayloadError",
    "PythonTask",
    "PythonTaskStatus",
    "RemoteError",
    "RemoteTraceback",
    "ResultNotPicklableError",
    "TaskError",
    "TaskKilledError",
    "TaskLostError",
    "payload_host",
    "payload_threshold",
    "status_outcome",
    "task_error",
]
