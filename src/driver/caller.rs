//! The calls connection: one keep-alive connection per subscription, calls sent one at a time in
//! the order made (the master processes a connection's calls in order; a pool could reorder
//! ACCEPT and KILL). Responses that mean the subscription is gone are reported to the actor.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::LOCATION;
use hyper::StatusCode;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::error::DriverError;
use super::http::{Connection, Connector};
use super::master_url::Endpoint;

pub(crate) type Reply = oneshot::Sender<Result<(), DriverError>>;

pub(crate) struct Job {
    pub body: Bytes,
    pub what: &'static str,
    pub reply: Option<Reply>,
}

/// The subscription is gone; `redirect` names the new leader after a 307.
pub(crate) struct Lost {
    pub error: DriverError,
    pub redirect: Option<Endpoint>,
}

pub(crate) fn spawn(
    connector: Arc<Connector>,
    endpoint: Endpoint,
    stream_id: String,
    timeout: Duration,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    lost: mpsc::UnboundedSender<Lost>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut conn: Option<Connection> = None;
        while let Some(job) = jobs.recv().await {
            let result = send(
                &connector, &endpoint, &stream_id, timeout, &mut conn, job.body,
            )
            .await;
            let result = match result {
                Ok(()) => Ok(()),
                Err((error, loss)) => {
                    if let Some(redirect) = loss {
                        let _ = lost.send(Lost {
                            error: error.clone(),
                            redirect,
                        });
                    }
                    tracing::debug!("{} call failed: {error}", job.what);
                    Err(error)
                }
            };
            if let Some(reply) = job.reply {
                let _ = reply.send(result);
            }
        }
    })
}

/// `Err((error, Some(redirect)))` when the error means the subscription is lost.
type SendError = (DriverError, Option<Option<Endpoint>>);

async fn send(
    connector: &Connector,
    endpoint: &Endpoint,
    stream_id: &str,
    timeout: Duration,
    slot: &mut Option<Connection>,
    body: Bytes,
) -> Result<(), SendError> {
    let reusable = matches!(slot, Some(c) if !c.sender.is_closed());
    if !reusable {
        *slot = None;
        *slot = Some(connector.connect(endpoint).await.map_err(|e| (e, None))?);
    }
    // Just set above.
    let Some(conn) = slot.as_mut() else {
        return Err((DriverError::Stopped, None));
    };
    let request = connector
        .request(endpoint, body, Some(stream_id))
        .map_err(|e| (e, None))?;
    let exchange = async {
        conn.sender.ready().await?;
        let response = conn.sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        // Read the whole body so the connection can carry the next call.
        let bytes = body.collect().await?.to_bytes();
        Ok::<_, hyper::Error>((parts, bytes))
    };
    let (parts, bytes) = match tokio::time::timeout(timeout, exchange).await {
        Err(_) => {
            *slot = None;
            return Err((DriverError::Timeout(timeout), None));
        }
        Ok(Err(e)) => {
            *slot = None;
            return Err((
                DriverError::Connect {
                    endpoint: endpoint.authority(),
                    reason: e.to_string(),
                },
                None,
            ));
        }
        Ok(Ok(x)) => x,
    };
    let text = || String::from_utf8_lossy(&bytes[..bytes.len().min(1024)]).into_owned();
    match parts.status {
        s if s.is_success() => Ok(()),
        StatusCode::TEMPORARY_REDIRECT => {
            let location = parts
                .headers
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            let redirect = endpoint.follow_location(location).ok();
            Err((
                DriverError::SubscriptionLost(format!(
                    "the master redirected a call to {location:?}: leadership moved"
                )),
                Some(redirect),
            ))
        }
        StatusCode::FORBIDDEN => Err((
            DriverError::SubscriptionLost(format!("the master refused the call (403): {}", text())),
            Some(None),
        )),
        StatusCode::UNAUTHORIZED => Err((DriverError::Unauthorized(text()), None)),
        StatusCode::BAD_REQUEST
            if text().contains("Mesos-Stream-Id") || text().contains("stream ID") =>
        {
            Err((
                DriverError::SubscriptionLost(format!("stream id rejected: {}", text())),
                Some(None),
            ))
        }
        s => Err((
            DriverError::Http {
                status: s.as_u16(),
                body: text(),
            },
            None,
        )),
    }
}
