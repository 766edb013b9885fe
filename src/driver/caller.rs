//! The calls connection: one keep-alive connection per subscription, calls sent in the order
//! made (the master processes a connection's calls in order; a pool could reorder ACCEPT and
//! KILL). Calls queued together are pipelined ([`super::pipeline`]): one write, their responses
//! read in order. An implicit acknowledgement waits [`ACK_LINGER`] for more calls to go with it,
//! since statuses come in bursts and nobody waits for its answer. Responses that mean the
//! subscription is gone are reported to the actor.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::error::DriverError;
use super::http::Connector;
use super::master_url::Endpoint;
use super::pipeline::{Answer, Pipeline, ReadError};

pub(crate) type Reply = oneshot::Sender<Result<(), DriverError>>;

pub(crate) struct Job {
    pub body: Bytes,
    pub what: &'static str,
    pub reply: Option<Reply>,
}

impl Job {
    /// An acknowledgement the driver sends on its own: no one waits for it, and the agent
    /// resends a status still unacknowledged after 10 s, so it can wait for company.
    fn lingers(&self) -> bool {
        self.reply.is_none() && self.what == "ACKNOWLEDGE"
    }
}

/// The subscription is gone; `redirect` names the new leader after a 307.
pub(crate) struct Lost {
    pub error: DriverError,
    pub redirect: Option<Endpoint>,
}

/// How long an implicit acknowledgement waits for other calls to be pipelined with it.
pub(crate) const ACK_LINGER: Duration = Duration::from_millis(5);
/// Calls pipelined at most in one write.
const MAX_BATCH: usize = 128;

pub(crate) fn spawn(
    connector: Arc<Connector>,
    endpoint: Endpoint,
    stream_id: String,
    timeout: Duration,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    lost: mpsc::UnboundedSender<Lost>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let caller = Caller {
            connector,
            endpoint,
            stream_id,
            timeout,
            lost,
        };
        let mut conn: Option<Pipeline> = None;
        while let Some(job) = jobs.recv().await {
            let mut batch = VecDeque::from([job]);
            gather(&mut jobs, &mut batch).await;
            caller.send(&mut conn, batch).await;
        }
    })
}

/// Adds the calls queued behind the first, waiting up to [`ACK_LINGER`] for more while every
/// call so far is an implicit acknowledgement.
async fn gather(jobs: &mut mpsc::UnboundedReceiver<Job>, batch: &mut VecDeque<Job>) {
    let mut linger = batch.iter().all(Job::lingers);
    let deadline = Instant::now() + ACK_LINGER;
    while batch.len() < MAX_BATCH {
        let job = match jobs.try_recv() {
            Ok(job) => job,
            Err(mpsc::error::TryRecvError::Empty) if linger => {
                match tokio::time::timeout_at(deadline, jobs.recv()).await {
                    Ok(Some(job)) => job,
                    _ => return,
                }
            }
            Err(_) => return,
        };
        linger &= job.lingers();
        batch.push_back(job);
    }
}

/// `Err((error, Some(redirect)))` when the error means the subscription is lost.
type SendError = (DriverError, Option<Option<Endpoint>>);

struct Caller {
    connector: Arc<Connector>,
    endpoint: Endpoint,
    stream_id: String,
    timeout: Duration,
    lost: mpsc::UnboundedSender<Lost>,
}

impl Caller {
    fn connect_error(&self, reason: String) -> DriverError {
        DriverError::Connect {
            endpoint: self.endpoint.authority(),
            reason,
        }
    }

    /// Sends `batch` pipelined and answers every job in it.
    async fn send(&self, slot: &mut Option<Pipeline>, mut batch: VecDeque<Job>) {
        // A kept connection the master closed meanwhile shows only when read: its requests
        // were not processed, so they go again once, on a new connection.
        let mut fresh_retry = true;
        while !batch.is_empty() {
            let reused = slot.is_some();
            let pipe = match slot {
                Some(pipe) => pipe,
                None => match self.connector.open(&self.endpoint).await {
                    Ok(io) => slot.insert(Pipeline::new(io)),
                    Err(e) => return self.fail_all(batch, e),
                },
            };
            let mut out = Vec::new();
            for job in &batch {
                self.connector
                    .write_request(&self.endpoint, &job.body, &self.stream_id, &mut out);
            }
            match tokio::time::timeout(self.timeout, pipe.write(&out)).await {
                Ok(Ok(())) => {}
                Ok(Err(e)) if reused && fresh_retry => {
                    tracing::debug!("the kept calls connection failed ({e}); reconnecting");
                    *slot = None;
                    fresh_retry = false;
                    continue;
                }
                Ok(Err(e)) => {
                    *slot = None;
                    return self.fail_all(batch, self.connect_error(e.to_string()));
                }
                Err(_) => {
                    *slot = None;
                    return self.fail_all(batch, DriverError::Timeout(self.timeout));
                }
            }
            let mut first = true;
            let mut closed = false;
            while let Some(job) = batch.pop_front() {
                let answer = match tokio::time::timeout(self.timeout, pipe.read_answer()).await {
                    Ok(Ok(answer)) => answer,
                    Ok(Err(ReadError::Closed)) if first && reused && fresh_retry => {
                        tracing::debug!("the kept calls connection was closed; reconnecting");
                        batch.push_front(job);
                        break;
                    }
                    Ok(Err(e)) => {
                        *slot = None;
                        batch.push_front(job);
                        return self.fail_all(batch, self.connect_error(e.to_string()));
                    }
                    Err(_) => {
                        *slot = None;
                        batch.push_front(job);
                        return self.fail_all(batch, DriverError::Timeout(self.timeout));
                    }
                };
                first = false;
                let close = answer.close;
                self.finish(job, self.judge(answer));
                if close {
                    closed = true;
                    break; // the master processed nothing after this one: send the rest again
                }
            }
            if closed || !batch.is_empty() {
                *slot = None;
            }
            if !batch.is_empty() {
                fresh_retry = false;
            }
        }
    }

    fn fail_all(&self, batch: VecDeque<Job>, error: DriverError) {
        for job in batch {
            self.finish(job, Err((error.clone(), None)));
        }
    }

    fn finish(&self, job: Job, result: Result<(), SendError>) {
        let result = match result {
            Ok(()) => Ok(()),
            Err((error, loss)) => {
                if let Some(redirect) = loss {
                    let _ = self.lost.send(Lost {
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

    /// What a response means for its call.
    fn judge(&self, answer: Answer) -> Result<(), SendError> {
        let text = || answer.text();
        match answer.status {
            s if (200..300).contains(&s) => Ok(()),
            307 => {
                let location = answer.location.clone().unwrap_or_default();
                let redirect = self.endpoint.follow_location(&location).ok();
                Err((
                    DriverError::SubscriptionLost(format!(
                        "the master redirected a call to {location:?}: leadership moved"
                    )),
                    Some(redirect),
                ))
            }
            403 => Err((
                DriverError::SubscriptionLost(format!(
                    "the master refused the call (403): {}",
                    text()
                )),
                Some(None),
            )),
            401 => Err((DriverError::Unauthorized(text()), None)),
            400 if text().contains("Mesos-Stream-Id") || text().contains("stream ID") => Err((
                DriverError::SubscriptionLost(format!("stream id rejected: {}", text())),
                Some(None),
            )),
            s => Err((
                DriverError::Http {
                    status: s,
                    body: text(),
                },
                None,
            )),
        }
    }
}
