//! The ZooKeeper leader watcher: lists the group with a watch, reads the leader's MasterInfo,
//! publishes its endpoint, and repeats on every change; reconnects (new session) with backoff.

use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::leader;
use super::zk_client::{ZkClient, ZkError};
use crate::driver::backoff::Backoff;
use crate::driver::master_url::{Endpoint, Scheme, ZkUrl};

/// Runs until the receiver side is gone, keeping `tx` set to the current leader (or `None`).
pub async fn watch_leader(
    url: ZkUrl,
    scheme: Scheme,
    session_timeout: Duration,
    tx: watch::Sender<Option<Endpoint>>,
) {
    let mut backoff = Backoff::new(Duration::from_millis(200), Duration::from_secs(5));
    while !tx.is_closed() {
        let (wtx, wrx) = mpsc::unbounded_channel();
        match ZkClient::connect(&url.servers, session_timeout, wtx).await {
            Ok(client) => {
                match follow(&client, wrx, &url, scheme, &tx, &mut backoff).await {
                    Err(ZkError::AuthFailed) => {
                        tracing::error!("zookeeper refused the credentials of {}", url.path);
                    }
                    Err(e) => tracing::warn!("zookeeper session ended: {e}"),
                    Ok(()) => return,
                }
                // The leader stays as last seen until a new session has read the group again:
                // a ZooKeeper hiccup must not drop a healthy master connection.
            }
            Err(e) => tracing::warn!("cannot reach zookeeper: {e}"),
        }
        tokio::time::sleep(backoff.next_delay()).await;
    }
}

fn publish(tx: &watch::Sender<Option<Endpoint>>, leader: Option<Endpoint>) {
    tx.send_if_modified(|cur| {
        if *cur != leader {
            tracing::info!("leading master: {leader:?}");
            *cur = leader;
            true
        } else {
            false
        }
    });
}

/// Follows the group for one session; `Ok` only when nobody listens any more.
async fn follow(
    client: &ZkClient,
    mut watches: mpsc::UnboundedReceiver<super::zk_client::WatchEvent>,
    url: &ZkUrl,
    scheme: Scheme,
    tx: &watch::Sender<Option<Endpoint>>,
    backoff: &mut Backoff,
) -> Result<(), ZkError> {
    if let Some((user, pass)) = &url.credentials {
        client.add_digest_auth(user, pass).await?;
    }
    loop {
        if tx.is_closed() {
            return Ok(());
        }
        match client.get_children(&url.path, true).await {
            Ok(children) => {
                backoff.reset();
                match leader::leader(&children) {
                    None => publish(tx, None),
                    Some(member) => {
                        let path = format!("{}/{}", url.path, member.name);
                        match client.get_data(&path, false).await {
                            Ok(data) => match leader::endpoint(&member, &data, scheme) {
                                Ok(ep) => publish(tx, Some(ep)),
                                Err(e) => {
                                    tracing::warn!("{path}: {e}");
                                    publish(tx, None);
                                }
                            },
                            // Gone between the listing and the read: list again.
                            Err(ZkError::NoNode(_)) => continue,
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
            Err(ZkError::NoNode(_)) => {
                publish(tx, None);
                // Wait for the group node to appear.
                if client.exists(&url.path, true).await? {
                    continue;
                }
            }
            Err(e) => return Err(e),
        }
        if watches.recv().await.is_none() {
            return Err(ZkError::ConnectionLoss("session closed".into()));
        }
    }
}
