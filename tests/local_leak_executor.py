"""A custom executor that resists: it ignores SIGTERM and SHUTDOWN, and each task it gets starts
a child that ignores SIGTERM too. Used by test_local_leaks.py: nothing of it may outlive the
process that runs the local cluster."""

import base64
import http.client
import json
import os
import signal
import subprocess
import time
import uuid

signal.signal(signal.SIGTERM, signal.SIG_IGN)
HOST, PORT = os.environ["MESOS_AGENT_ENDPOINT"].split(":")
IDS = {
    "framework_id": {"value": os.environ["MESOS_FRAMEWORK_ID"]},
    "executor_id": {"value": os.environ["MESOS_EXECUTOR_ID"]},
}
HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def post(body):
    conn = http.client.HTTPConnection(HOST, int(PORT), timeout=30)
    conn.request("POST", "/api/v1/executor", json.dumps({**IDS, **body}), HEADERS)
    response = conn.getresponse()
    response.read()
    conn.close()


def main():
    conn = http.client.HTTPConnection(HOST, int(PORT))
    conn.request(
        "POST",
        "/api/v1/executor",
        json.dumps({**IDS, "type": "SUBSCRIBE", "subscribe": {}}),
        HEADERS,
    )
    stream = conn.getresponse()
    children = []
    while True:
        size = b""
        while (c := stream.read(1)) != b"\n":
            if not c:
                while True:  # the agent is gone: linger on, as a careless executor would
                    time.sleep(60)
            size += c
        event = json.loads(stream.read(int(size)))
        if event["type"] == "LAUNCH":
            children.append(subprocess.Popen(["sh", "-c", "trap '' TERM; exec sleep 300"]))
            status = {
                "task_id": event["launch"]["task"]["task_id"],
                "state": "TASK_RUNNING",
                "source": "SOURCE_EXECUTOR",
                "uuid": base64.b64encode(uuid.uuid4().bytes).decode(),
            }
            post({"type": "UPDATE", "update": {"status": status}})


main()
