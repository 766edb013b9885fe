//! https masters: rustls with a given CA file (or the system roots, which do not know a test CA).

mod fake_master;

use std::path::Path;
use std::process::Command;

use _satyr::driver::{self, calls, DriverError, DriverEvent, TlsRoots};
use _satyr::proto::mesos::scheduler::call;
use fake_master::*;

/// A test CA and a server certificate for localhost/127.0.0.1 signed by it (openssl CLI).
fn make_certs(dir: &Path) {
    let script = r#"
set -e
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout ca.key -out ca.pem -days 2 -subj /CN=satyr-test-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout server.key -out server.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
  -out server.pem -days 2 -extfile ext.cnf 2>/dev/null
"#;
    let ok = Command::new("bash")
        .args(["-c", script])
        .current_dir(dir)
        .status()
        .expect("cannot run openssl")
        .success();
    assert!(ok, "openssl could not make test certificates");
}

#[tokio::test]
async fn https_with_a_given_ca() {
    let dir = tempfile::tempdir().unwrap();
    make_certs(dir.path());
    let fm = FakeMaster::start_tls(
        &dir.path().join("server.pem"),
        &dir.path().join("server.key"),
    )
    .await;
    let mut cfg = config(&format!("https://localhost:{}", fm.addr.port()));
    cfg.tls_roots = TlsRoots::CaFile(dir.path().join("ca.pem"));
    let (h, rx) = driver::start(cfg).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-tls", 15.0));
    match next_event(&rx).await {
        DriverEvent::Subscribed(sub) => assert_eq!(sub.master.scheme, driver::Scheme::Https),
        other => panic!("{other:?}"),
    }
    h.call(calls::revive(vec![])).await.unwrap();
    fm.wait_calls(call::Type::Revive, 1).await;
    h.stop(false).await.unwrap();
    fm.wait_calls(call::Type::Teardown, 1).await;
}

#[tokio::test]
async fn https_with_an_unknown_ca_is_a_reported_connect_error() {
    let dir = tempfile::tempdir().unwrap();
    make_certs(dir.path());
    let fm = FakeMaster::start_tls(
        &dir.path().join("server.pem"),
        &dir.path().join("server.key"),
    )
    .await;
    // The system roots do not include the test CA.
    let (h, rx) = driver::start(config(&format!("https://127.0.0.1:{}", fm.addr.port()))).unwrap();
    match next_event(&rx).await {
        DriverEvent::Disconnected(DriverError::Connect { reason, .. }) => {
            assert!(reason.contains("TLS"), "{reason}");
        }
        DriverEvent::Disconnected(DriverError::Tls(_)) => {} // a machine without system roots
        other => panic!("{other:?}"),
    }
    h.stop(true).await.unwrap();
    assert!(fm.requests().is_empty());
}

#[test]
fn a_bad_ca_file_fails_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let pem = dir.path().join("bad.pem");
    std::fs::write(
        &pem,
        "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let mut cfg = config("https://127.0.0.1:5050");
    cfg.tls_roots = TlsRoots::CaFile(pem);
    assert!(matches!(driver::start(cfg), Err(DriverError::Tls(_))));
}

#[tokio::test]
async fn a_paced_stream_over_tls_delivers_and_acknowledges_every_update() {
    let dir = tempfile::tempdir().unwrap();
    make_certs(dir.path());
    let fm = FakeMaster::start_tls(
        &dir.path().join("server.pem"),
        &dir.path().join("server.key"),
    )
    .await;
    let mut cfg = config(&format!("https://localhost:{}", fm.addr.port()));
    cfg.tls_roots = TlsRoots::CaFile(dir.path().join("ca.pem"));
    let (h, rx) = driver::start(cfg).unwrap();
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-tls", 15.0));
    event_named(&rx, "SUBSCRIBED").await;
    // While paced, the socket's low-water mark holds reads under TLS too, and the answers to
    // the acknowledgements are read late: every update must still arrive and be acknowledged.
    h.set_pace(std::time::Duration::from_millis(50)).unwrap();
    let n = 12u8;
    for i in 0..n {
        s.send(&update(
            &format!("t{i}"),
            "a1",
            _satyr::proto::mesos::TaskState::TaskFinished,
            Some([i; 16]),
        ));
        if i % 4 == 3 {
            // Some arrive while the reader waits out the pace, some in one burst.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    for _ in 0..n {
        event_named(&rx, "UPDATE").await;
    }
    let acks = fm.wait_calls(call::Type::Acknowledge, n.into()).await;
    assert_eq!(acks.len(), usize::from(n));
    // A call after them gets its own answer.
    h.call(calls::revive(vec![])).await.unwrap();
    fm.wait_calls(call::Type::Revive, 1).await;
    h.stop(false).await.unwrap();
}
