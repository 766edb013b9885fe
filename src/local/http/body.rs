//! Response bodies: whole ones, and streams fed from a channel (event subscriptions).

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Frame;
use hyper::{Response, StatusCode};
use tokio::sync::mpsc;

/// The body type of every response.
pub(crate) type Body = http_body_util::combinators::BoxBody<Bytes, Infallible>;

/// A response.
pub(crate) type Reply = Response<Body>;

/// A whole body.
pub(crate) fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

/// A body fed chunk by chunk from a channel. It ends at an empty chunk (the sender's way to end
/// the stream while clones of it live on) or when every sender is dropped; its receiver is
/// dropped (closing the channel) when the client goes away.
pub(crate) struct ChannelBody(pub(crate) mpsc::UnboundedReceiver<Bytes>);

impl hyper::body::Body for ChannelBody {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Infallible>>> {
        match self.0.poll_recv(cx) {
            Poll::Ready(Some(b)) if b.is_empty() => {
                self.0.close();
                Poll::Ready(None)
            }
            other => other.map(|o| o.map(|b| Ok(Frame::data(b)))),
        }
    }
}

fn build(status: StatusCode, headers: &[(&str, &str)], body: Body) -> Reply {
    let mut builder = Response::builder().status(status);
    for (k, v) in headers {
        builder = builder.header(*k, *v);
    }
    // Only fixed, valid header names and values are used here.
    builder
        .body(body)
        .unwrap_or_else(|_| Response::new(full("")))
}

/// A plain-text response, as libprocess writes them.
pub(crate) fn text(status: StatusCode, message: impl Into<String>) -> Reply {
    build(
        status,
        &[("Content-Type", "text/plain; charset=utf-8")],
        full(message.into()),
    )
}

/// An empty response (202 Accepted, 200 OK).
pub(crate) fn empty(status: StatusCode) -> Reply {
    build(status, &[], full(""))
}

/// A JSON document.
pub(crate) fn json(value: &serde_json::Value) -> Reply {
    build(
        StatusCode::OK,
        &[("Content-Type", "application/json")],
        full(value.to_string()),
    )
}

/// Raw bytes with headers.
pub(crate) fn with_headers(status: StatusCode, headers: &[(&str, &str)], body: Body) -> Reply {
    build(status, headers, body)
}

/// 405 for anything but POST, with libprocess's text.
pub(crate) fn method_not_allowed(method: &hyper::Method) -> Reply {
    build(
        StatusCode::METHOD_NOT_ALLOWED,
        &[
            ("Allow", "POST"),
            ("Content-Type", "text/plain; charset=utf-8"),
        ],
        full(format!(
            "405 Method Not Allowed. Expecting one of {{ 'POST' }}, but received '{method}'."
        )),
    )
}

/// libprocess's 404.
pub(crate) fn not_found() -> Reply {
    text(StatusCode::NOT_FOUND, "404 Not Found.")
}

/// 400 with a message.
pub(crate) fn bad_request(message: impl Into<String>) -> Reply {
    text(StatusCode::BAD_REQUEST, message)
}
