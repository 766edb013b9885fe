"""Message proxies: attribute access, defaults, presence, conversion, enums, aliases, ids, repr,
equality, construction from dicts, plain form and bytes round trips, TaskStatus predicates."""

import copy
import pickle
import uuid

import pytest
import satyr
from satyr import _satyr
from satyr.proxies._schema import schema
from satyr.proxies.messages import (
    URI,
    AgentID,
    AgentInfo,
    CommandInfo,
    ContainerInfo,
    DockerInfo,
    Environment,
    ExecutorID,
    ExecutorInfo,
    Filters,
    FrameworkID,
    FrameworkInfo,
    Label,
    Labels,
    MasterInfo,
    Offer,
    Resource,
    Scalar,
    SchedulerCall,
    SchedulerEvent,
    SlaveID,
    SlaveInfo,
    TaskID,
    TaskInfo,
    TaskStatus,
    Value,
    Variable,
)


def test_readme_command_task():
    task = TaskInfo(name="command-task", command=CommandInfo(value="echo 100"))
    task.container.type = "DOCKER"
    task.container.docker.image = "lensacom/satyr:latest"

    plain = task.to_plain()
    assert plain["name"] == "command-task"
    assert plain["command"] == {"value": "echo 100"}
    assert plain["container"] == {"type": "DOCKER", "docker": {"image": "lensacom/satyr:latest"}}
    assert task.container.docker.image == "lensacom/satyr:latest"
    assert isinstance(task.container.docker, DockerInfo)


def test_reading_an_unset_message_adds_nothing():
    task = TaskInfo(name="x")
    assert task.container.docker.image == ""
    assert task.executor.command.environment.variables == []
    assert "container" not in task
    assert "executor" not in task
    assert set(task.to_plain()) == {"name", "task_id"}


def test_writing_deep_into_unset_messages_attaches_the_chain():
    task = TaskInfo(name="x")
    container = task.container
    assert container is task.container  # the same empty value until written
    task.executor.command.environment.variables.append({"name": "A", "value": "1"})
    assert task.to_plain()["executor"]["command"] == {
        "environment": {"variables": [{"name": "A", "value": "1"}]}
    }
    container.hostname = "h"
    assert task.container is container
    assert task.to_plain()["container"] == {"hostname": "h"}


def test_assigning_a_field_cuts_off_its_old_empty_value():
    task = TaskInfo(name="x")
    old = task.container
    task.container = ContainerInfo(type="MESOS")
    old.hostname = "never attached"
    assert task.container.type == "MESOS"
    assert "hostname" not in task.container


def test_attribute_access_and_unknown_names():
    task = TaskInfo(name="x", data=b"payload")
    assert task.name == "x"
    assert task.data == b"payload"
    with pytest.raises(AttributeError, match=r"TaskInfo \(mesos.v1.TaskInfo\).*'nmae'") as err:
        _ = task.nmae
    assert "did you mean 'name'" in str(err.value)
    with pytest.raises(AttributeError, match=r"TaskInfo.*'nmae'"):
        task.nmae = "y"
    with pytest.raises(AttributeError, match=r"CommandInfo.*'valeu'"):
        CommandInfo(valeu="echo")
    assert not hasattr(task, "nmae")
    assert getattr(task, "nmae", 42) == 42


def test_unset_fields_read_as_proto_defaults():
    assert CommandInfo().shell is True
    assert URI(value="u").extract is True
    assert Filters().refuse_seconds == 5.0
    assert FrameworkInfo().role == "*"
    assert FrameworkInfo().failover_timeout == 0.0
    assert MasterInfo().port == 5050
    assert AgentInfo().port == 5051
    assert TaskStatus().state == "TASK_STAGING"
    assert DockerInfo().network == "HOST"
    assert Variable(name="v").type == "VALUE"
    assert TaskInfo().name == ""
    assert TaskInfo().data == b""
    assert Resource().scalar.value == 0.0
    assert "shell" not in CommandInfo()


def test_explicit_default_values_are_present():
    command = CommandInfo(shell=True)
    assert "shell" in command
    assert command.to_plain() == {"shell": True}
    assert CommandInfo.from_bytes(command.to_bytes()).has_field("shell")


def test_none_clears_and_del_clears():
    task = TaskInfo(name="x", command={"value": "v"})
    task.command = None
    assert "command" not in task
    task.name = "y"
    del task.name
    assert task.name == ""
    assert "name" not in task
    task.clear_field("task_id")
    assert "task_id" not in task


def test_scalar_checks():
    task = TaskInfo()
    with pytest.raises(TypeError, match=r"TaskInfo.name: expected a str, got int"):
        task.name = 1
    with pytest.raises(TypeError, match=r"Scalar.value: expected a number, got str"):
        Scalar(value="1")
    with pytest.raises(ValueError, match=r"Address.port: 4294967296 is out of range for int32"):
        MasterInfo().address.port = 2**32
    with pytest.raises(TypeError, match=r"expected a bool"):
        CommandInfo(shell=1)
    assert Scalar(value=1).value == 1.0
    assert isinstance(Scalar(value=1).value, float)
    assert TaskInfo(data="text").data == b"text"


def test_enums_are_names_and_checked():
    status = TaskStatus(state="TASK_RUNNING")
    assert status.state == "TASK_RUNNING"
    status.state = 2
    assert status.state == "TASK_FINISHED"
    with pytest.raises(ValueError, match=r"TASK_RUNING") as err:
        status.state = "TASK_RUNING"
    assert "TaskStatus.state" in str(err.value)
    assert "TASK_RUNNING" in str(err.value) and "TASK_STAGING" in str(err.value)
    with pytest.raises(ValueError):
        status.state = 999
    with pytest.raises(TypeError):
        status.state = 1.5


def test_unknown_enum_numbers_survive_decoding():
    data = TaskStatus(task_id="t", state="TASK_RUNNING").to_bytes()
    data = data.replace(b"\x10\x01", b"\x10\x63")  # state field, value 99
    status = TaskStatus.from_bytes(data)
    assert status.state == 99
    assert status.to_bytes() == data


def test_repeated_fields_convert_what_is_added():
    offer = Offer()
    offer.resources.append({"name": "cpus", "type": "SCALAR", "scalar": {"value": 2}})
    offer.resources.extend([Resource(name="mem", type="SCALAR", scalar=Scalar(value=64))])
    offer.executor_ids.append("e1")
    assert [r.name for r in offer.resources] == ["cpus", "mem"]
    assert isinstance(offer.resources[0], Resource)
    assert offer.resources[0].scalar.value == 2.0
    assert offer.executor_ids[0] == ExecutorID(value="e1")
    assert len(offer.resources) == 2
    assert offer.resources[-1].name == "mem"
    assert [r.name for r in offer.resources[:1]] == ["cpus"]
    offer.resources[1] = {"name": "disk", "type": "SCALAR"}
    assert offer.resources[1].name == "disk"
    del offer.resources[0]
    assert [r.name for r in offer.resources] == ["disk"]
    with pytest.raises(TypeError, match=r"Offer.resources\[1\]: expected mesos.v1.Resource"):
        offer.resources = [Resource(), TaskInfo()]
    with pytest.raises(TypeError, match=r"expected a list"):
        offer.resources = "cpus"
    command = CommandInfo(arguments=["a"])
    command.arguments.append("b")
    with pytest.raises(TypeError, match=r"CommandInfo.arguments\[2\]: expected a str"):
        command.arguments.append(3)
    assert command.arguments == ["a", "b"]


def test_repeated_and_map_presence():
    offer = Offer()
    assert offer.resources == []
    assert "resources" not in offer
    offer.resources.append({"name": "cpus", "type": "SCALAR"})
    assert "resources" in offer
    offer.resources.clear()
    assert "resources" not in offer
    assert offer.to_plain() == {}


def test_map_fields():
    task = TaskInfo(name="x", task_id="t")
    task.limits["cpus"] = {"value": 1.5}
    task.limits["mem"] = Scalar(value=64)
    assert task.limits["cpus"].value == 1.5
    assert dict(task.to_plain()["limits"]) == {"cpus": {"value": 1.5}, "mem": {"value": 64.0}}
    again = TaskInfo.from_bytes(task.to_bytes())
    assert again == task
    assert set(again.limits) == {"cpus", "mem"}
    with pytest.raises(TypeError, match=r"TaskInfo.limits\[1\]: expected a str"):
        task.limits[1] = {"value": 1.0}


def test_oneof_members_replace_each_other():
    from satyr.proxies.messages import SchedulerAttributeConstraint

    selector = SchedulerAttributeConstraint.Selector(attribute_name="rack")
    selector.pseudoattribute_type = "HOSTNAME"
    assert "attribute_name" not in selector
    assert selector.to_plain() == {"pseudoattribute_type": "HOSTNAME"}


def test_slave_aliases():
    assert SlaveID is AgentID
    assert SlaveInfo is AgentInfo
    offer = Offer(slave_id="agent-1")
    task = TaskInfo(name="x")
    task.slave_id = offer.slave_id
    assert task.agent_id == AgentID(value="agent-1")
    assert task.slave_id is task.agent_id
    assert "slave_id" in task
    assert task.has_field("slave_id")
    assert task.to_plain()["agent_id"] == {"value": "agent-1"}
    status = TaskStatus(slave_id="a")
    assert status.agent_id.value == "a"
    del status.slave_id
    assert "agent_id" not in status


def test_str_assigned_to_an_id_field_wraps_it():
    task = TaskInfo(task_id="t1", name="x")
    assert task.task_id == TaskID(value="t1")
    status = TaskStatus()
    status.task_id = "t1"
    assert status.task_id.value == "t1"
    assert FrameworkInfo(id="fw").id == FrameworkID(value="fw")
    with pytest.raises(TypeError, match=r"expected mesos.v1.CommandInfo"):
        TaskInfo(command="echo")


def test_task_and_executor_ids():
    task = TaskInfo(name="x")
    assert uuid.UUID(task.task_id.value).version == 4
    assert task.id is task.task_id
    assert TaskInfo().id != TaskInfo().id
    assert TaskInfo(id="t1").task_id == TaskID(value="t1")
    assert TaskInfo(task_id=TaskID(value="t2")).id.value == "t2"
    task.id = "t3"
    assert task.task_id.value == "t3"
    executor = ExecutorInfo()
    assert uuid.UUID(executor.executor_id.value).version == 4
    assert ExecutorInfo(id="e1").executor_id == ExecutorID(value="e1")
    assert ExecutorInfo(id="e1").id.value == "e1"


def test_decoding_never_invents_ids():
    assert "task_id" not in TaskInfo.from_bytes(b"")
    assert "task_id" not in TaskInfo.from_plain({"name": "x"})
    assert "executor_id" not in ExecutorInfo.from_bytes(b"")
    launch = Offer.Operation.Launch(task_infos=[{"name": "no id"}])
    assert "task_id" not in launch.task_infos[0]


def test_repr():
    task = TaskInfo(name="x", task_id="t1", command={"value": "echo"})
    assert repr(task) == (
        "TaskInfo(name='x', task_id=TaskID(value='t1'), command=CommandInfo(value='echo'))"
    )
    offer = Offer(resources=[{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}])
    assert repr(offer) == "Offer(resources=[Cpus(1)])"  # resources have their own repr
    untyped = Offer(resources=[{"name": "cpus", "scalar": {"value": 1}}])
    assert repr(untyped) == "Offer(resources=[Resource(name='cpus', scalar=Scalar(value=1.0))])"
    assert "<1000 bytes>" in repr(TaskInfo(task_id="t", data=b"x" * 1000))
    assert repr(Filters()) == "Filters()"


def test_equality_is_by_content_and_type():
    a = TaskInfo(name="x", task_id="t1")
    b = TaskInfo.from_plain({"task_id": {"value": "t1"}, "name": "x"})
    assert a == b
    assert a != TaskInfo(name="y", task_id="t1")
    assert a != {"name": "x", "task_id": {"value": "t1"}}
    assert TaskID(value="t") != ExecutorID(value="t")
    assert Scalar(value=1) == Scalar(value=1.0)
    assert Offer() == Offer(resources=[])


def test_hashing():
    with pytest.raises(TypeError):
        hash(TaskInfo())
    ids = {TaskID(value="a"): 1, AgentID(value="a"): 2}
    assert ids[TaskID(value="a")] == 1
    assert ids[AgentID(value="a")] == 2
    assert len({TaskID(value="a"), TaskID(value="a"), TaskID(value="b")}) == 2


def test_construction_from_dicts():
    task = TaskInfo(name="x", command={"value": "echo", "uris": [{"value": "http://u"}]})
    assert isinstance(task.command, CommandInfo)
    assert isinstance(task.command.uris[0], URI)
    assert TaskInfo({"name": "x", "slave_id": "a1"}).agent_id.value == "a1"
    offer = Offer(resources=[{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1}}])
    assert offer.resources[0].scalar.value == 1.0
    env = Environment(variables=[Variable(name="A", value="1"), {"name": "B", "value": "2"}])
    assert [v.name for v in env.variables] == ["A", "B"]
    labels = Labels(labels=[Label(key="k", value="v")])
    assert TaskInfo(labels=labels).labels.labels[0].key == "k"
    with pytest.raises(AttributeError, match=r"'nmae'"):
        TaskInfo(command={"nmae": "x"})
    # a message passed in is stored as is (no copy)
    command = CommandInfo(value="v")
    assert TaskInfo(command=command).command is command


def test_nested_class_attributes_and_short_names():
    assert ContainerInfo.DockerInfo is DockerInfo
    assert CommandInfo.URI is URI
    assert Environment.Variable is Variable
    assert Value.Scalar is Scalar
    assert DockerInfo.type_name == "mesos.v1.ContainerInfo.DockerInfo"
    assert SchedulerEvent.Offers.type_name == "mesos.v1.scheduler.Event.Offers"


def test_every_mesos_message_has_a_class():
    from satyr.proxies import messages
    from satyr.proxies._registry import base_class
    from satyr.proxies._schema import RENAMED

    for info in schema().values():
        cls = base_class(info)
        assert cls.type_name == info.full_name
        if info.parent is None and info.package == "mesos.v1":
            name = RENAMED.get(info.full_name, info.name)
            assert getattr(messages, name).type_name == info.full_name
    # ``Ports`` is the ports resource; the mesos.v1.Ports message is DiscoveryPorts.
    assert messages.Ports.type_name == "mesos.v1.Resource"
    assert messages.DiscoveryPorts.type_name == "mesos.v1.Ports"


def test_no_field_is_shadowed_by_a_method():
    from satyr.proxies.messages import message_class

    for info in schema().values():
        cls = message_class(info.full_name)
        for name in info.fields:
            assert type(getattr(cls, name)).__name__ == "Field", f"{cls.__name__}.{name}"


def test_plain_form_round_trip_copies():
    task = TaskInfo(name="x", task_id="t", resources=[{"name": "cpus", "type": "SCALAR"}])
    plain = task.to_plain()
    plain["resources"][0]["name"] = "mem"
    assert task.resources[0].name == "cpus"
    assert TaskInfo.from_plain(task.to_plain()) == task


def test_copy_and_pickle():
    task = TaskInfo(name="x", task_id="t", command={"value": "v"})
    clone = task.copy()
    assert clone == task and clone is not task and type(clone) is TaskInfo
    clone.command.value = "w"
    assert task.command.value == "v"
    assert copy.deepcopy(task) == task
    assert copy.copy(task).command is not task.command
    for message in (task, DockerInfo(image="i"), TaskID(value="t")):
        again = pickle.loads(pickle.dumps(message))
        assert again == message and type(again) is type(message)


def _offer_event(n_offers=3):
    offers = [
        {
            "id": {"value": f"o{i}"},
            "framework_id": {"value": "fw"},
            "agent_id": {"value": f"a{i}"},
            "hostname": f"host{i}",
            "resources": [
                {"name": "cpus", "type": "SCALAR", "scalar": {"value": 4.0}, "role": "*"},
                {"name": "mem", "type": "SCALAR", "scalar": {"value": 1024.0}},
                {
                    "name": "ports",
                    "type": "RANGES",
                    "ranges": {"range": [{"begin": 31000, "end": 32000}]},
                },
                {"name": "disk", "type": "SCALAR", "scalar": {"value": 10.5}},
            ],
            "attributes": [{"name": "rack", "type": "TEXT", "text": {"value": "r1"}}],
        }
        for i in range(n_offers)
    ]
    return {"type": "OFFERS", "offers": {"offers": offers}}


def test_bytes_round_trips_are_byte_identical():
    data = _satyr.encode("mesos.v1.scheduler.Event", _offer_event())
    event = SchedulerEvent.from_bytes(data)
    assert event.to_bytes() == data
    for offer in event.offers.offers:  # touching everything changes nothing
        assert offer.resources[0].name == "cpus"
        assert isinstance(offer, Offer)
        repr(offer)
    assert event.to_bytes() == data
    assert SchedulerEvent.from_bytes(event.to_bytes()) == event
    task = TaskInfo(name="x", command={"value": "echo"})
    assert TaskInfo.from_bytes(task.to_bytes()) == task
    assert task.encode() == task.to_bytes()
    assert TaskInfo.decode(task.encode()) == task


def test_unknown_fields_are_kept():
    data = TaskID(value="t").to_bytes() + b"\xb8\x3e\x07"  # field 999, varint 7
    task_id = TaskID.from_bytes(data)
    assert task_id.value == "t"
    assert task_id.to_bytes() == data
    assert "unknown fields" in repr(task_id)


SUBSCRIBE = "10 01 1a 0c 0a 0a 0a 03 66 6f 6f 12 03 62 61 72"
RESUBSCRIBE = (
    "0a 05 0a 03 61 62 63 10 01 1a 1c 0a 1a 0a 03 66 6f 6f 12 03 62 61 72 1a 05 0a 03 61 62 63"
    " 21 00 00 00 00 00 75 22 41"
)
ACKNOWLEDGE = (
    "0a 05 0a 03 61 62 63 10 08 42 1e 0a 04 0a 02 53 31 12 04 0a 02 74 31 1a 10"
    " 0f 8f ad 5b d9 cb 46 9f a1 65 70 86 77 28 95 0e"
)


@pytest.mark.parametrize("hex_bytes", [SUBSCRIBE, RESUBSCRIBE, ACKNOWLEDGE])
def test_scheduler_call_wire_vectors_round_trip(hex_bytes):
    data = bytes.fromhex(hex_bytes)
    call = SchedulerCall.from_bytes(data)
    assert call.to_bytes() == data
    assert SchedulerCall.from_plain(call.to_plain()).to_bytes() == data


def test_scheduler_calls_built_from_proxies_match_the_wire_vectors():
    call = SchedulerCall(type="SUBSCRIBE")
    call.subscribe.framework_info.user = "foo"
    call.subscribe.framework_info.name = "bar"
    assert call.to_bytes() == bytes.fromhex(SUBSCRIBE)
    resubscribe = SchedulerCall(framework_id="abc", type="SUBSCRIBE")
    resubscribe.subscribe.framework_info = FrameworkInfo(
        user="foo", name="bar", id="abc", failover_timeout=604800
    )
    assert resubscribe.to_bytes() == bytes.fromhex(RESUBSCRIBE)
    ack = SchedulerCall(framework_id="abc", type="ACKNOWLEDGE")
    ack.acknowledge.slave_id = "S1"
    ack.acknowledge.task_id = "t1"
    ack.acknowledge.uuid = uuid.UUID("0f8fad5b-d9cb-469f-a165-70867728950e").bytes
    assert ack.to_bytes() == bytes.fromhex(ACKNOWLEDGE)


def test_executor_message_call_wire_vector():
    from satyr.proxies.messages import ExecutorCall

    call = ExecutorCall(executor_id="e1", framework_id="abc", type="MESSAGE")
    call.message.data = b"hi"
    assert call.to_bytes().hex() == "0a040a02653112050a036162631803320412026869"


def test_encode_errors_name_the_field_path():
    bad = TaskInfo.from_plain(
        {"name": "x", "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": "1"}}]}
    )
    with pytest.raises(
        ValueError, match=r"^TaskInfo.resources\[0\].scalar.value: expected a number"
    ):
        bad.to_bytes()
    with pytest.raises(ValueError, match=r"^TaskInfo.nope: no such field in mesos.v1.TaskInfo"):
        _satyr.encode("mesos.v1.TaskInfo", {"nope": 1})
    with pytest.raises(
        ValueError, match=r"TaskStatus.state: 'RUNNING' is not a mesos.v1.TaskState"
    ):
        _satyr.encode("mesos.v1.TaskStatus", {"state": "RUNNING"})
    with pytest.raises(ValueError, match=r"TaskInfo.command: object is not part of a plain form"):
        _satyr.encode("mesos.v1.TaskInfo", {"command": object()})
    with pytest.raises(ValueError, match=r"unknown message type 'mesos.v1.Nope'"):
        _satyr.encode("mesos.v1.Nope", {})


def test_decoding_garbage_is_a_protocol_error():
    with pytest.raises(satyr.ProtocolError, match=r"mesos.v1.TaskInfo"):
        TaskInfo.from_bytes(b"\x0a\xff\xff")
    with pytest.raises(satyr.ProtocolError):
        _satyr.decode("mesos.v1.Offer", b"\x08")
    assert issubclass(satyr.ProtocolError, satyr.SatyrError)


def test_module_level_helpers():
    from satyr.proxies.messages import decode, encode, message_class, proxy

    task = TaskInfo(name="x", task_id="t")
    assert decode("mesos.v1.TaskInfo", encode(task)) == task
    assert message_class("mesos.v1.TaskInfo") is TaskInfo
    assert type(proxy("mesos.v1.TaskStatus", {"state": "TASK_LOST"})) is TaskStatus
    with pytest.raises(ValueError, match=r"unknown message type"):
        message_class("mesos.v1.Nope")


def test_message_schema_shape():
    schema_ = _satyr.message_schema()
    state = schema_["mesos.v1.TaskStatus"]["state"]
    assert state["kind"] == "enum" and state["type_name"] == "mesos.v1.TaskState"
    assert state["default"] == "TASK_STAGING"
    assert next(iter(state["enum_values"])) == "TASK_STAGING"
    assert schema_["mesos.v1.CommandInfo"]["shell"]["default"] is True
    assert schema_["mesos.v1.TaskInfo"]["limits"]["label"] == "map"
    assert schema_["mesos.v1.Offer"]["resources"]["label"] == "repeated"
