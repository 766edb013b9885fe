//! The calls connection: one keep-alive connection per subscription, calls sent in the order
//! made (the master processes a connection's calls in order; a pool could reorder ACCEPT and
//! KILL). Calls queued together are pipelined ([`super::pipeline`]): one write, their responses
//! read in order. When the event stream is paced, the reader hands a burst's events over
//! together and the actor queues their implicit acknowledgements together: they go out in
//! one write, and their answers are read after the pace. Responses that mean the subscription
//! is gone are reported to the actor.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::error::DriverError;
use super::http::Connector;
use super::master_url::Endpoint;
use super::pipeline::{Answer, Pipeline, ReadError};
use super::state::Shared;

pub(crate) type Reply = oneshot::Sender<Result<(), DriverError>>;

pub(crate) struct Job {
    pub body: Bytes,
    pub what: &'static str,
    pub reply: Option<Reply>,
}

impl Job {
    /// An acknowledgement the driver sends on its own: no one waits for it (the agent resends
    /// a status still unacknowledged after 10 s), so its answer can be read later.
    fn lingers(&self) -> bool {
        self.reply.is_none() && self.what == "ACKNOWLEDGE"
    }
}

/// The subscription is gone; `redirect` names the new leader after a 307.
pub(crate) struct Lost {
    pub error: DriverError,
    pub redirect: Option<Endpoint>,
}

/// Calls pipelined at most in one write.
const MAX_BATCH: usize = 128;

pub(crate) fn spawn(
    connector: Arc<Connector>,
    endpoint: Endpoint,
    stream_id: String,
    timeout: Duration,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    lost: mpsc::UnboundedSender<Lost>,
    shared: Arc<Shared>,
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
        let mut unread: Option<Unread> = None;
        loop {
            let job = match unread.take() {
                None => jobs.recv().await,
                Some(written) => {
                    // Their answers arrive while the stream is paced: read together after the
                    // pace, or before the next call's, not one wake-up each.
                    hold_reads(&conn, true);
                    let next = tokio::time::timeout(shared.pace(), jobs.recv()).await;
                    hold_reads(&conn, false);
                    caller.read_unread(&mut conn, written).await;
                    match next {
                        Ok(job) => job,
                        Err(_) => continue,
                    }
                }
            };
            let Some(job) = job else { break };
            let mut batch = VecDeque::from([job]);
            gather(&mut jobs, &mut batch);
            let defer = !shared.pace().is_zero() && batch.iter().all(Job::lingers);
            unread = caller.send(&mut conn, batch, defer).await;
        }
    })
}

/// Implicit acknowledgements written on the kept connection whose answers are not read yet.
struct Unread {
    jobs: VecDeque<Job>,
    /// The connection was reused when they were written: if it turns out closed before their
    /// first answer, the master closed it while idle and they go again.
    reused: bool,
}

fn hold_reads(conn: &Option<Pipeline>, held: bool) {
    if let Some(pipe) = conn {
        pipe.hold_reads(held);
    }
}

/// Adds the calls queued behind the first (up to [`MAX_BATCH`] in all).
fn gather(jobs: &mut mpsc::UnboundedReceiver<Job>, batch: &mut VecDeque<Job>) {
    while batch.len() < MAX_BATCH {
        match jobs.try_recv() {
            Ok(job) => batch.push_back(job),
            Err(_) => return,
        }
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

    /// Sends `batch` pipelined and answers every job in it; with `defer`, once written, its
    /// jobs (nobody waits for them) are handed back unread instead.
    async fn send(
        &self,
        slot: &mut Option<Pipeline>,
        mut batch: VecDeque<Job>,
        defer: bool,
    ) -> Option<Unread> {
        // A kept connection the master closed meanwhile shows only when read: its requests
        // were not processed, so they go again once, on a new connection.
        let mut fresh_retry = true;
        while !batch.is_empty() {
            let reused = slot.is_some();
            let pipe = match slot {
                Some(pipe) => pipe,
                None => match self.connector.open_pipeline(&self.endpoint).await {
                    Ok(pipe) => slot.insert(pipe),
                    Err(e) => {
                        self.fail_all(batch, e);
                        return None;
                    }
                },
            };
            let mut out = Vec::new();
            for job in &batch {
                self.connector.write_request(
                    &self.endpoint,
                    &job.body,
                    Some(&self.stream_id),
                    &mut out,
                );
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
                    self.fail_all(batch, self.connect_error(e.to_string()));
                    return None;
                }
                Err(_) => {
                    *slot = None;
                    self.fail_all(batch, DriverError::Timeout(self.timeout));
                    return None;
                }
            }
            if defer {
                return Some(Unread {
                    jobs: batch,
                    reused: reused && fresh_retry,
                });
            }
            batch = self.read_answers(slot, batch, reused && fresh_retry).await;
            fresh_retry = false;
        }
        None
    }

    /// Reads the answers of calls written earlier, sending again those the master did not
    /// process.
    async fn read_unread(&self, slot: &mut Option<Pipeline>, written: Unread) {
        let rest = self.read_answers(slot, written.jobs, written.reused).await;
        if !rest.is_empty() {
            // Not deferred again: nothing else is sent until these are through.
            let _ = self.send(slot, rest, false).await;
        }
    }

    /// Reads the answers of `batch`, just written on `slot`, and answers its jobs; returns the
    /// jobs to send again, on a new connection (the master closed this one before them).
    /// `retry_closed`: the connection was a kept one, so its being closed before the first
    /// answer means the master closed it while idle.
    async fn read_answers(
        &self,
        slot: &mut Option<Pipeline>,
        mut batch: VecDeque<Job>,
        retry_closed: bool,
    ) -> VecDeque<Job> {
        let Some(pipe) = slot.as_mut() else {
            self.fail_all(batch, self.connect_error("the connection is gone".into()));
            return VecDeque::new();
        };
        let mut first = true;
        let mut closed = false;
        while let Some(job) = batch.pop_front() {
            let answer = match tokio::time::timeout(self.timeout, pipe.read_answer()).await {
                Ok(Ok(answer)) => answer,
                Ok(Err(ReadError::Closed)) if first && retry_closed => {
                    tracing::debug!("the kept calls connection was closed; reconnecting");
                    batch.push_front(job);
                    break;
                }
                Ok(Err(e)) => {
                    *slot = None;
                    batch.push_front(job);
                    self.fail_all(batch, self.connect_error(e.to_string()));
                    return VecDeque::new();
                }
                Err(_) => {
                    *slot = None;
                    batch.push_front(job);
                    self.fail_all(batch, DriverError::Timeout(self.timeout));
                    return VecDeque::new();
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
        batch
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::driver::http::{Encoding, TlsRoots};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::{TcpListener, TcpStream};

    const PATIENCE: Duration = Duration::from_secs(10);

    async fn caller() -> (Caller, TcpListener, mpsc::UnboundedReceiver<Lost>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let connector = Connector::new(TlsRoots::System, PATIENCE, None, Encoding::Protobuf);
        let (lost, lost_rx) = mpsc::unbounded_channel();
        let caller = Caller {
            connector: Arc::new(connector.unwrap()),
            endpoint: Endpoint::http("127.0.0.1", port),
            stream_id: "stream-1".into(),
            timeout: PATIENCE,
            lost,
        };
        (caller, listener, lost_rx)
    }

    fn job(body: &str) -> (Job, oneshot::Receiver<Result<(), DriverError>>) {
        let (tx, rx) = oneshot::channel();
        let job = Job {
            body: Bytes::from(body.to_owned()),
            what: "ACCEPT",
            reply: Some(tx),
        };
        (job, rx)
    }

    /// Reads until `n` whole requests came; returns their bodies.
    async fn requests(stream: &mut TcpStream, n: usize) -> Vec<String> {
        let mut buf = Vec::new();
        loop {
            let mut bodies = Vec::new();
            let mut at = 0;
            while bodies.len() < n {
                let mut headers = [httparse::EMPTY_HEADER; 16];
                let mut req = httparse::Request::new(&mut headers);
                let Ok(httparse::Status::Complete(len)) = req.parse(&buf[at..]) else {
                    break;
                };
                assert_eq!(req.path, Some("/api/v1/scheduler"));
                let stream_id = req.headers.iter().find(|h| h.name == "Mesos-Stream-Id");
                assert_eq!(stream_id.map(|h| h.value), Some(&b"stream-1"[..]));
                let size: usize = req
                    .headers
                    .iter()
                    .find(|h| h.name == "Content-Length")
                    .map(|h| std::str::from_utf8(h.value).unwrap().parse().unwrap())
                    .unwrap();
                if buf.len() < at + len + size {
                    break;
                }
                bodies.push(String::from_utf8(buf[at + len..at + len + size].to_vec()).unwrap());
                at += len + size;
            }
            if bodies.len() == n {
                return bodies;
            }
            let mut chunk = [0u8; 4096];
            let got = stream.read(&mut chunk).await.unwrap();
            assert!(got > 0, "the client closed before sending {n} requests");
            buf.extend_from_slice(&chunk[..got]);
        }
    }

    const ACCEPTED: &[u8] = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n";

    #[tokio::test]
    async fn queued_calls_are_pipelined_and_answered_in_order() {
        let (caller, listener, _lost) = caller().await;
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            // All three arrive before any answer: a client waiting for each would stall here.
            let bodies = requests(&mut s, 3).await;
            let refusal = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 8\r\n\r\nno offer";
            let answers = [ACCEPTED, &refusal[..], ACCEPTED].concat();
            s.write_all(&answers).await.unwrap();
            bodies
        });
        let (jobs, replies): (VecDeque<_>, Vec<_>) = ["a", "b", "c"].map(job).into_iter().unzip();
        let mut slot = None;
        tokio::time::timeout(PATIENCE, caller.send(&mut slot, jobs, false))
            .await
            .expect("the calls were not pipelined");
        assert_eq!(server.await.unwrap(), ["a", "b", "c"]);
        let mut got = Vec::new();
        for reply in replies {
            got.push(reply.await.unwrap());
        }
        assert!(got[0].is_ok() && got[2].is_ok());
        assert!(
            matches!(&got[1], Err(DriverError::Http { status: 400, body }) if body == "no offer")
        );
    }

    #[tokio::test]
    async fn calls_after_a_closing_answer_go_again_on_a_new_connection() {
        let (caller, listener, _lost) = caller().await;
        let server = tokio::spawn(async move {
            let (mut first, _) = listener.accept().await.unwrap();
            requests(&mut first, 3).await;
            first
                .write_all(
                    b"HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                )
                .await
                .unwrap();
            drop(first);
            let (mut second, _) = listener.accept().await.unwrap();
            let again = requests(&mut second, 2).await;
            second
                .write_all(&[ACCEPTED, ACCEPTED].concat())
                .await
                .unwrap();
            // A kept connection the server closes meanwhile: the next call still goes through.
            drop(second);
            let (mut third, _) = listener.accept().await.unwrap();
            let last = requests(&mut third, 1).await;
            third.write_all(ACCEPTED).await.unwrap();
            (again, last)
        });
        let (jobs, replies): (VecDeque<_>, Vec<_>) = ["a", "b", "c"].map(job).into_iter().unzip();
        let mut slot = None;
        caller.send(&mut slot, jobs, false).await;
        for reply in replies {
            assert!(reply.await.unwrap().is_ok());
        }
        let (d, reply) = job("d");
        caller.send(&mut slot, VecDeque::from([d]), false).await;
        assert!(reply.await.unwrap().is_ok());
        let (again, last) = server.await.unwrap();
        assert_eq!(
            (again, last),
            (vec!["b".to_owned(), "c".to_owned()], vec!["d".to_owned()])
        );
    }

    #[tokio::test]
    async fn a_redirect_reports_the_subscription_lost() {
        let (caller, listener, mut lost) = caller().await;
        tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            requests(&mut s, 1).await;
            let moved = b"HTTP/1.1 307 Temporary Redirect\r\nLocation: //10.0.0.2:5050/api/v1/scheduler\r\nContent-Length: 0\r\n\r\n";
            s.write_all(moved).await.unwrap();
        });
        let (a, reply) = job("a");
        caller.send(&mut None, VecDeque::from([a]), false).await;
        assert!(matches!(
            reply.await.unwrap(),
            Err(DriverError::SubscriptionLost(_))
        ));
        let lost = lost.recv().await.unwrap();
        assert_eq!(
            lost.redirect.map(|e| e.authority()),
            Some("10.0.0.2:5050".into())
        );
    }

    /// The calls task of [`spawn`], on a paced stream; its jobs channel.
    async fn paced_calls() -> (mpsc::UnboundedSender<Job>, TcpListener) {
        let (caller, listener, _) = caller().await;
        let shared = Arc::new(Shared::new(None));
        shared.set_pace(Duration::from_millis(300));
        let (jobs, jobs_rx) = mpsc::unbounded_channel();
        let (lost, _) = mpsc::unbounded_channel();
        let endpoint = caller.endpoint.clone();
        spawn(
            caller.connector,
            endpoint,
            "stream-1".into(),
            PATIENCE,
            jobs_rx,
            lost,
            shared,
        );
        (jobs, listener)
    }

    fn implicit_ack(body: &str) -> Job {
        Job {
            body: Bytes::from(body.to_owned()),
            what: "ACKNOWLEDGE",
            reply: None,
        }
    }

    #[tokio::test]
    async fn answers_to_paced_acknowledgements_are_read_before_the_next_call() {
        let (jobs, listener) = paced_calls().await;
        let (arrived, acks_in) = oneshot::channel();
        let server = tokio::spawn(async move {
            let (mut s, _) = listener.accept().await.unwrap();
            let acks = requests(&mut s, 2).await;
            arrived.send(()).unwrap();
            s.write_all(&[ACCEPTED, ACCEPTED].concat()).await.unwrap();
            let call = requests(&mut s, 1).await;
            let refusal = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 8\r\n\r\nno offer";
            s.write_all(refusal).await.unwrap();
            (acks, call)
        });
        jobs.send(implicit_ack("ack-1")).unwrap();
        jobs.send(implicit_ack("ack-2")).unwrap();
        // Sent once the acknowledgements were written, their answers not read yet.
        acks_in.await.unwrap();
        let (accept, reply) = job("accept");
        jobs.send(accept).unwrap();
        // The acknowledgements' answers, read late, are theirs: the call gets its own.
        let got = tokio::time::timeout(PATIENCE, reply)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(got, Err(DriverError::Http { status: 400, body }) if body == "no offer"));
        let (acks, call) = server.await.unwrap();
        assert_eq!(
            (acks, call),
            (
                vec!["ack-1".to_owned(), "ack-2".to_owned()],
                vec!["accept".to_owned()]
            )
        );
    }

    #[tokio::test]
    async fn paced_acknowledgements_the_master_did_not_take_go_again() {
        let (jobs, listener) = paced_calls().await;
        let (arrived, acks_in) = oneshot::channel();
        let server = tokio::spawn(async move {
            let (mut first, _) = listener.accept().await.unwrap();
            requests(&mut first, 2).await;
            first
                .write_all(
                    b"HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                )
                .await
                .unwrap();
            drop(first);
            arrived.send(()).unwrap();
            let (mut second, _) = listener.accept().await.unwrap();
            let again = requests(&mut second, 1).await;
            second.write_all(ACCEPTED).await.unwrap();
            let call = requests(&mut second, 1).await;
            second.write_all(ACCEPTED).await.unwrap();
            (again, call)
        });
        jobs.send(implicit_ack("ack-1")).unwrap();
        jobs.send(implicit_ack("ack-2")).unwrap();
        acks_in.await.unwrap();
        let (accept, reply) = job("accept");
        jobs.send(accept).unwrap();
        let got = tokio::time::timeout(PATIENCE, reply)
            .await
            .unwrap()
            .unwrap();
        assert!(got.is_ok());
        let (again, call) = server.await.unwrap();
        assert_eq!(
            (again, call),
            (vec!["ack-2".to_owned()], vec!["accept".to_owned()])
        );
    }

    #[test]
    fn calls_queued_together_go_together_up_to_the_batch_limit() {
        let job = || Job {
            body: Bytes::new(),
            what: "ACKNOWLEDGE",
            reply: None,
        };
        let (tx, mut rx) = mpsc::unbounded_channel();
        for _ in 0..MAX_BATCH + 5 {
            tx.send(job()).unwrap();
        }
        let mut batch = VecDeque::from([job()]);
        gather(&mut rx, &mut batch);
        assert_eq!(batch.len(), MAX_BATCH);
        let mut rest = VecDeque::new();
        gather(&mut rx, &mut rest);
        assert_eq!(rest.len(), 6, "the rest wait for the next batch");
    }
}
