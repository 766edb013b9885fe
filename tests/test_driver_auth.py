"""HTTP basic authentication through `Running` against REAL Mesos started with
MESOS_AUTHENTICATE_HTTP_FRAMEWORKS=true and a JSON credentials file."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import satyr
from conftest import RealMesos, start_real_mesos
from fakemaster import Recorder
from satyr.scheduler import Running
from test_driver_realmesos import FAST, find_framework

pytestmark = pytest.mark.realmesos


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealMesos]:
    tmp = tmp_path_factory.mktemp("auth")
    creds = tmp / "credentials.json"
    creds.write_text(json.dumps({"credentials": [{"principal": "satyr", "secret": "s3cret"}]}))
    cluster = start_real_mesos(
        tmp / "state",
        MESOS_AUTHENTICATE_HTTP_FRAMEWORKS="true",
        MESOS_HTTP_FRAMEWORK_AUTHENTICATORS="basic",
        MESOS_CREDENTIALS=str(creds),
    )
    try:
        yield cluster
    finally:
        cluster.stop()


def test_basic_auth_right_secret_subscribes(secured: RealMesos) -> None:
    rec = Recorder()
    running = Running(
        rec, name="auth", master=secured.url, principal="satyr", secret="s3cret",
        driver_options=FAST,
    )  # fmt: skip
    with running as driver:
        fid, _ = rec.expect("registered")
        assert driver.framework.principal == "satyr"
        f = find_framework(secured, fid.value)
        assert f is not None and f["principal"] == "satyr"


@pytest.mark.parametrize("secret", ["wrong", None])
def test_basic_auth_refused_is_typed_and_not_retried(
    secured: RealMesos, secret: str | None
) -> None:
    rec = Recorder()
    creds = {"principal": "satyr", "secret": secret} if secret else {}
    running = Running(rec, name="auth", master=secured.url, driver_options=FAST, **creds)
    with pytest.raises(satyr.AuthenticationError, match="401"):
        with running:
            assert running.join(30)
    (err,) = rec.expect("failure")
    assert isinstance(err, satyr.AuthenticationError) and isinstance(err, satyr.MesosError)
    assert "registered" not in rec.names()
