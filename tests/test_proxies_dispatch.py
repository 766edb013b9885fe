"""satyr's "magical wrapper": user subclasses with templates, picked when decoding (top level and
nested), most specific first; construction fills the template in."""

import pytest
from satyr import _satyr
from satyr.proxies import _registry
from satyr.proxies.messages import (
    Disk,
    Label,
    Labels,
    Offer,
    Ports,
    Resource,
    SchedulerEvent,
    TaskInfo,
    TaskStatus,
)


@pytest.fixture(autouse=True)
def isolated_registry():
    """Subclasses defined by a test are forgotten after it."""
    state = _registry.snapshot()
    yield
    _registry.restore(state)


def custom_task_class():
    class CustomTask(TaskInfo):
        # descriptive template the wrapper matches against (the README's example)
        proto = TaskInfo(labels=Labels(labels=[Label(key="custom")]))

        @property
        def uppercase_task_name(self):
            return self.name.upper()

        def on_update(self, status):
            return f"update {status.state}"

        def custom_method(self):
            return "arbitrary stuff"

    return CustomTask


def resource_classes():
    class Cpus(Resource):
        proto = Resource(name="cpus", type="SCALAR")

        def __init__(self, value=None, **fields):
            super().__init__(**fields)
            if value is not None:
                self.scalar.value = value

    class Mem(Resource):
        proto = {"name": "mem", "type": "SCALAR"}

        def __init__(self, value=None, **fields):
            super().__init__(**fields)
            if value is not None:
                self.scalar.value = value

    return Cpus, Mem


def test_readme_custom_task():
    CustomTask = custom_task_class()
    task = CustomTask(name="my-task")
    assert [label.key for label in task.labels.labels] == ["custom"]
    assert task.uppercase_task_name == "MY-TASK"
    assert task.custom_method() == "arbitrary stuff"
    decoded = TaskInfo.from_bytes(task.to_bytes())
    assert type(decoded) is CustomTask
    assert decoded.on_update(TaskStatus(state="TASK_RUNNING")) == "update TASK_RUNNING"
    plain = TaskInfo.from_bytes(TaskInfo(name="plain").to_bytes())
    assert type(plain) is TaskInfo


def test_template_matching_tolerates_extra_items_and_fields():
    CustomTask = custom_task_class()
    task = TaskInfo(
        name="x", labels={"labels": [{"key": "other"}, {"key": "custom", "value": "v"}]}
    )
    assert type(TaskInfo.from_bytes(task.to_bytes())) is CustomTask
    no_label = TaskInfo(name="x", labels={"labels": [{"key": "other"}]})
    assert type(TaskInfo.from_bytes(no_label.to_bytes())) is TaskInfo


def test_construction_fills_the_template_under_explicit_values():
    CustomTask = custom_task_class()
    task = CustomTask(labels=Labels(labels=[Label(key="mine")]))
    assert [label.key for label in task.labels.labels] == ["custom", "mine"]
    assert type(TaskInfo.from_bytes(task.to_bytes())) is CustomTask
    # the template's auto-generated task id is not part of the template
    assert "task_id" not in CustomTask._template
    assert CustomTask().task_id != CustomTask().task_id


def test_a_protobuf_library_message_works_as_template():
    class Pb2Label:  # stands in for mesos_pb2.TaskInfo(labels=Labels(labels=[Label(key='pb')]))
        DESCRIPTOR = object()

        def SerializeToString(self):
            return TaskInfo.from_plain({"labels": {"labels": [{"key": "pb"}]}}).to_bytes()

    class Pb2Task(TaskInfo):
        proto = Pb2Label()

    assert type(TaskInfo.from_plain({"labels": {"labels": [{"key": "pb"}]}})) is Pb2Task


def test_nested_dispatch_in_offers():
    Cpus, Mem = resource_classes()
    offer = Offer(
        resources=[
            {"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}},
            {"name": "mem", "type": "SCALAR", "scalar": {"value": 128}},
            {"name": "disk", "type": "SCALAR", "scalar": {"value": 10}},
        ]
    )
    # The user's classes, defined last, win over satyr's own Cpus and Mem; disk is satyr's Disk.
    assert [type(r) for r in offer.resources] == [Cpus, Mem, Disk]
    event = {"type": "OFFERS", "offers": {"offers": [offer.to_plain(), offer.to_plain()]}}
    decoded = SchedulerEvent.from_bytes(_satyr.encode("mesos.v1.scheduler.Event", event))
    for received in decoded.offers.offers:
        assert type(received) is Offer
        assert [type(r) for r in received.resources] == [Cpus, Mem, Disk]
    assert Cpus(0.5).to_plain() == {"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}}
    assert Mem(64).scalar.value == 64.0


def test_template_fields_must_be_set_in_the_message():
    class ScalarResource(Resource):
        proto = Resource(type="SCALAR")

    assert type(Resource.from_plain({"name": "gpus", "type": "SCALAR"})) is ScalarResource
    # unset type reads as SCALAR, its default, but the template asks for it to be set
    assert type(Resource.from_plain({"name": "gpus"})) is Resource
    assert type(Resource.from_plain({"name": "ports", "type": "RANGES"})) is Ports


def test_deeper_subclasses_win_over_their_parents():
    Cpus, _ = resource_classes()

    class RevocableCpus(Cpus):
        proto = Resource(name="cpus", type="SCALAR", revocable={})

    plain = {"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}
    assert type(Resource.from_plain(dict(plain))) is Cpus
    assert type(Resource.from_plain({**plain, "revocable": {}})) is RevocableCpus

    class PlainCpus(Cpus):  # inherits Cpus's template, and is deeper
        pass

    assert type(Resource.from_plain(dict(plain))) is PlainCpus


def test_among_equals_the_most_recent_wins():
    class First(TaskInfo):
        proto = {"labels": {"labels": [{"key": "a"}]}}

    task = {"labels": {"labels": [{"key": "a"}, {"key": "b"}]}}
    assert type(TaskInfo.from_plain(task)) is First

    class Second(TaskInfo):
        proto = {"labels": {"labels": [{"key": "b"}]}}

    assert type(TaskInfo.from_plain(task)) is Second


def test_template_matches_beat_class_matches():
    CustomTask = custom_task_class()

    class AnyTask(TaskInfo):
        pass

    assert type(TaskInfo.from_plain({"name": "x"})) is AnyTask
    labelled = {"labels": {"labels": [{"key": "custom"}]}}
    assert type(TaskInfo.from_plain(labelled)) is CustomTask


def test_from_plain_picks_among_subclasses_of_the_class_asked():
    CustomTask = custom_task_class()
    labelled = {"labels": {"labels": [{"key": "custom"}]}}
    assert type(TaskInfo.from_plain(labelled)) is CustomTask
    assert type(CustomTask.from_plain({"name": "no label"})) is CustomTask
    assert type(TaskStatus.from_plain({})) is TaskStatus


def test_unregistered_classes_are_not_picked():
    class Hidden(TaskInfo, register=False):
        pass

    assert type(TaskInfo.from_plain({})) is TaskInfo
    assert type(Hidden(name="x")) is Hidden


def test_decoding_does_not_run_init():
    calls = []

    class Counting(TaskInfo):
        def __init__(self, *args, **kwargs):
            calls.append(1)
            super().__init__(*args, **kwargs)

    task = Counting(name="x")
    assert calls == [1]
    assert type(TaskInfo.from_bytes(task.to_bytes())) is Counting
    assert calls == [1]


def test_subclass_attributes_must_be_declared():
    class Tracked(TaskInfo):
        retries: int = 3
        attempt: int

    task = Tracked(name="x")
    task.attempt = 1
    task.retries = 5
    assert (task.attempt, task.retries) == (1, 5)
    with pytest.raises(AttributeError, match=r"'atempt'"):
        task.atempt = 2
    assert task.copy().attempt == 1


def test_subclass_properties_can_wrap_fields():
    class Upper(TaskInfo):
        @property
        def name(self):
            return self.get_field("name").upper()

        @name.setter
        def name(self, value):
            self.set_field("name", value.lower())

    task = Upper(name="MiXeD")
    assert task.to_plain()["name"] == "mixed"
    assert task.name == "MIXED"


def test_templates_must_be_of_the_right_type():
    with pytest.raises(TypeError, match=r"must be a mesos.v1.TaskInfo message"):

        class Wrong(TaskInfo):
            proto = TaskStatus(state="TASK_RUNNING")
