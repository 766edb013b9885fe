//! Requests to the agent's executor endpoint (`POST /api/v1/executor`, protobuf both ways).

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response};

use super::env::ExecutorEnv;
use super::error::ExecutorError;

const PROTOBUF: &str = "application/x-protobuf";

/// A POST of one encoded call with the headers the agent requires.
pub(crate) fn request(
    env: &ExecutorEnv,
    body: Bytes,
) -> Result<Request<Full<Bytes>>, ExecutorError> {
    let ep = &env.agent_endpoint;
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(format!("{}/api/v1/executor", ep.prefix))
        .header(HOST, ep.authority())
        .header(CONTENT_TYPE, HeaderValue::from_static(PROTOBUF))
        .header(ACCEPT, HeaderValue::from_static(PROTOBUF));
    if let Some(token) = &env.auth_token {
        let mut v = HeaderValue::from_str(&format!("Bearer {token}")).map_err(|_| {
            ExecutorError::Env("MESOS_EXECUTOR_AUTHENTICATION_TOKEN is not a valid header".into())
        })?;
        v.set_sensitive(true);
        req = req.header(AUTHORIZATION, v);
    }
    req.body(Full::new(body))
        .map_err(|e| ExecutorError::Env(format!("cannot build a request to the agent: {e}")))
}

/// The body of an error response, truncated, for the error message.
pub(crate) async fn error_body(resp: Response<Incoming>) -> String {
    let status = resp.status();
    let text = match resp.into_body().collect().await {
        Ok(b) => String::from_utf8_lossy(&b.to_bytes()).into_owned(),
        Err(_) => String::new(),
    };
    let text = text.trim();
    if text.is_empty() {
        status.canonical_reason().unwrap_or("").to_string()
    } else {
        text.chars().take(500).collect()
    }
}

/// Statuses after which a SUBSCRIBE or a call is tried again: the agent is recovering (503),
/// starting (404), or failing transiently.
pub(crate) fn is_retryable(status: u16) -> bool {
    matches!(status, 404 | 429 | 500 | 502 | 503 | 504)
}
