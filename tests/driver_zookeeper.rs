//! ZooKeeper master detection against a REAL ZooKeeper server (Debian's `zookeeper` package,
//! started here on a free port with a temporary data dir): §5 case 20. The masters are fake.

mod fake_master;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use _satyr::driver::detector::zk_client::{CreateMode, ZkClient, ZkError};
use _satyr::driver::{self, DriverError, DriverEvent};
use _satyr::proto::mesos as m;
use fake_master::*;
use prost::Message;
use tokio::sync::mpsc;

const ZK_JAR: &str = "/usr/share/java/zookeeper.jar";
/// slf4j-simple logs to stderr, where the readiness line is read (no polling).
const LOG_JAR: &str = "/usr/share/java/slf4j-simple.jar";

struct ZkServer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for ZkServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_zookeeper() -> ZkServer {
    assert!(
        std::path::Path::new(ZK_JAR).exists(),
        "{ZK_JAR} missing: install Debian's zookeeper package (apt-get install zookeeper)"
    );
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut child = Command::new("java")
        .arg("-Dzookeeper.admin.enableServer=false")
        .arg("-Xmx256m")
        .arg("-cp")
        .arg(format!("{ZK_JAR}:{LOG_JAR}"))
        .arg("org.apache.zookeeper.server.ZooKeeperServerMain")
        .arg(port.to_string())
        .arg(dir.path())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot run java");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std_mpsc::channel();
    std::thread::spawn(move || {
        // Keep draining after the ready line so the server never blocks on a full pipe.
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("ZKAuditProvider") || line.contains("ERROR") {
                let _ = tx.send(line);
            }
        }
    });
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("zookeeper did not start within 60 s");
    assert!(!line.contains("ERROR"), "zookeeper failed: {line}");
    ZkServer {
        child,
        port,
        _dir: dir,
    }
}

fn master_json(fm: &FakeMaster, id: &str) -> Vec<u8> {
    let port = fm.addr.port();
    format!(
        r#"{{"address":{{"hostname":"localhost","ip":"127.0.0.1","port":{port}}},
           "hostname":"localhost","id":"{id}","ip":16777343,"pid":"master@127.0.0.1:{port}",
           "port":{port},"version":"1.11.0","capabilities":[{{"type":"AGENT_UPDATE"}}]}}"#
    )
    .into_bytes()
}

fn master_protobuf(fm: &FakeMaster, id: &str) -> Vec<u8> {
    m::MasterInfo {
        id: id.into(),
        ip: 16777343,
        port: u32::from(fm.addr.port()),
        pid: Some(format!("master@127.0.0.1:{}", fm.addr.port())),
        ..Default::default()
    }
    .encode_to_vec()
}

async fn subscribe_at(fm: &FakeMaster, rx: &driver::EventReceiver) -> StreamCtl {
    let s = fm.next_stream().await;
    s.send(&subscribed("fw-zk", 15.0));
    match event_named(rx, "SUBSCRIBED").await {
        DriverEvent::Subscribed(sub) => assert_eq!(sub.master.port, fm.addr.port()),
        other => panic!("{other:?}"),
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_20_zookeeper_detection_follows_the_smallest_sequence() {
    let zk = start_zookeeper();
    let servers = vec![("127.0.0.1".to_string(), zk.port)];
    let (wtx, _wrx) = mpsc::unbounded_channel();
    let client = ZkClient::connect(&servers, Duration::from_secs(10), wtx)
        .await
        .unwrap();
    let f1 = FakeMaster::start().await;
    let f2 = FakeMaster::start().await;
    let f3 = FakeMaster::start().await;
    client
        .create("/mesos", b"", CreateMode::Persistent)
        .await
        .unwrap();
    assert_eq!(
        client.create("/mesos", b"", CreateMode::Persistent).await,
        Err(ZkError::NodeExists("/mesos".into()))
    );
    client
        .create("/mesos/log_replicas", b"", CreateMode::Persistent)
        .await
        .unwrap();
    let n12 = "/mesos/json.info_0000000012";
    let n10 = "/mesos/json.info_0000000010";
    let n11 = "/mesos/info_0000000011";
    client
        .create(n12, &master_json(&f2, "m2"), CreateMode::Persistent)
        .await
        .unwrap();
    client
        .create(n10, &master_json(&f1, "m1"), CreateMode::Persistent)
        .await
        .unwrap();
    client
        .create(n11, &master_protobuf(&f3, "m3"), CreateMode::Persistent)
        .await
        .unwrap();

    // Digest credentials in the URL are sent to ZooKeeper (the nodes are world-readable).
    let url = format!("zk://user:pass@127.0.0.1:{}/mesos", zk.port);
    let (h, rx) = driver::start(config(&url)).unwrap();

    // Smallest sequence number: json.info_0000000010 (F1).
    let s1 = subscribe_at(&f1, &rx).await;

    // F1 leaves: the legacy info_0000000011 (binary MasterInfo, F3) leads.
    client.delete(n10).await.unwrap();
    s1.closed().await;
    assert!(matches!(
        event_named(&rx, "DISCONNECTED").await,
        DriverEvent::Disconnected(DriverError::SubscriptionLost(_))
    ));
    let s3 = subscribe_at(&f3, &rx).await;
    assert_eq!(
        f3.subscribes()[0].call.framework_id.as_ref().unwrap().value,
        "fw-zk"
    );

    // Then json.info_0000000012 (F2).
    client.delete(n11).await.unwrap();
    s3.closed().await;
    let s2 = subscribe_at(&f2, &rx).await;

    // No members: disconnected, and still watching.
    client.delete(n12).await.unwrap();
    s2.closed().await;
    assert_eq!(
        event_named(&rx, "DISCONNECTED").await.name(),
        "DISCONNECTED"
    );
    assert_eq!(h.state(), driver::DriverState::Disconnected);

    // A master registers the way Mesos does: ephemeral sequential.
    let created = client
        .create(
            "/mesos/json.info_",
            &master_json(&f1, "m1b"),
            CreateMode::EphemeralSequential,
        )
        .await
        .unwrap();
    assert!(
        created.starts_with("/mesos/json.info_") && created.len() == "/mesos/json.info_".len() + 10
    );
    subscribe_at(&f1, &rx).await;

    // Its session ends: the ephemeral node goes, and with it the leader.
    client.close().await.unwrap();
    assert_eq!(
        event_named(&rx, "DISCONNECTED").await.name(),
        "DISCONNECTED"
    );
    h.stop(true).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zk_client_basics_against_a_real_server() {
    let zk = start_zookeeper();
    let servers = vec![
        ("127.0.0.1".to_string(), free_port()), // nothing there: the next server is tried
        ("127.0.0.1".to_string(), zk.port),
    ];
    let (wtx, mut wrx) = mpsc::unbounded_channel();
    let c = ZkClient::connect(&servers, Duration::from_secs(10), wtx)
        .await
        .unwrap();
    assert!(!c.exists("/a", true).await.unwrap());
    c.create("/a", b"x", CreateMode::Persistent).await.unwrap();
    // The exists watch fires on creation (type 1 = created).
    let ev = tokio::time::timeout(WAIT, wrx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((ev.kind, ev.path.as_str()), (1, "/a"));
    assert_eq!(c.get_data("/a", false).await.unwrap(), b"x");
    assert_eq!(
        c.get_children("/a", true).await.unwrap(),
        Vec::<String>::new()
    );
    c.create("/a/b", b"", CreateMode::Persistent).await.unwrap();
    // The children watch fires (type 4 = children changed).
    let ev = tokio::time::timeout(WAIT, wrx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((ev.kind, ev.path.as_str()), (4, "/a"));
    assert_eq!(
        c.get_children("/a", false).await.unwrap(),
        vec!["b".to_string()]
    );
    assert_eq!(
        c.get_data("/nope", false).await,
        Err(ZkError::NoNode("/nope".into()))
    );
    c.add_digest_auth("u", "p").await.unwrap();
    c.delete("/a/b").await.unwrap();
    // Nothing listening anywhere: a typed error, no hang.
    let (wtx, _w) = mpsc::unbounded_channel();
    let dead = vec![("127.0.0.1".to_string(), free_port())];
    assert!(matches!(
        ZkClient::connect(&dead, Duration::from_secs(2), wtx).await,
        Err(ZkError::ConnectionLoss(_))
    ));
}
