//! Sends UPDATE and MESSAGE calls to the agent over one serial keep-alive connection (apart from
//! the subscription stream), in order, retrying transient failures within the backoff bound.

use std::time::Duration;

use bytes::Bytes;
use prost::Message;
use tokio::sync::mpsc;

use super::agent;
use super::env::ExecutorEnv;
use super::error::ExecutorError;
use crate::driver::http::{Connection, Connector};
use crate::proto::mesos::executor::Call;

/// How many times a call is tried before its failure is reported.
const ATTEMPTS: u32 = 5;

pub(crate) struct Outgoing {
    pub call: Call,
    /// What the call is, for error messages (`UPDATE TASK_RUNNING of task t1`).
    pub what: String,
}

pub(crate) struct Outcome {
    pub what: String,
    pub result: Result<(), ExecutorError>,
}

pub(crate) fn spawn(
    env: std::sync::Arc<ExecutorEnv>,
    connector: std::sync::Arc<Connector>,
    request_timeout: Duration,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    tx: mpsc::UnboundedSender<Outcome>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut conn: Option<Connection> = None;
        while let Some(out) = rx.recv().await {
            let body = Bytes::from(out.call.encode_to_vec());
            let mut result = Err(ExecutorError::Stopped);
            for attempt in 0..ATTEMPTS {
                if attempt > 0 {
                    let cap = env.backoff_max.max(Duration::from_millis(50));
                    tokio::time::sleep(cap.mul_f64(0.2 + 0.8 * fastrand::f64())).await;
                }
                result = post(&env, &connector, &mut conn, body.clone(), request_timeout).await;
                match &result {
                    Err(ExecutorError::Connect { .. }) | Err(ExecutorError::Stream(_)) => {
                        conn = None;
                    }
                    Err(ExecutorError::Http { status, .. }) if agent::is_retryable(*status) => {}
                    _ => break,
                }
            }
            if tx
                .send(Outcome {
                    what: out.what,
                    result,
                })
                .is_err()
            {
                return;
            }
        }
    })
}

async fn post(
    env: &ExecutorEnv,
    connector: &Connector,
    conn: &mut Option<Connection>,
    body: Bytes,
    timeout: Duration,
) -> Result<(), ExecutorError> {
    if !conn.as_ref().is_some_and(|c| !c.sender.is_closed()) {
        *conn = Some(connect(env, connector).await?);
    }
    let Some(c) = conn.as_mut() else {
        return Err(ExecutorError::Stopped); // just set above
    };
    let req = agent::request(env, body)?;
    let resp = tokio::time::timeout(timeout, async {
        c.sender.ready().await?;
        c.sender.send_request(req).await
    })
    .await
    .map_err(|_| ExecutorError::Stream(format!("the agent did not answer within {timeout:?}")))?
    .map_err(|e| ExecutorError::Stream(format!("request failed: {e}")))?;
    let status = resp.status().as_u16();
    if status == 202 || status == 200 {
        // Drain the (empty) body so the connection can carry the next request.
        let _ = http_body_util::BodyExt::collect(resp.into_body()).await;
        return Ok(());
    }
    Err(ExecutorError::Http {
        status,
        body: agent::error_body(resp).await,
    })
}

pub(crate) async fn connect(
    env: &ExecutorEnv,
    connector: &Connector,
) -> Result<Connection, ExecutorError> {
    connector
        .connect(&env.agent_endpoint)
        .await
        .map_err(|e| ExecutorError::Connect {
            endpoint: env.agent_endpoint.authority(),
            reason: e.to_string(),
        })
}
