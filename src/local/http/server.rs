//! A small hyper HTTP/1.1 server on 127.0.0.1: bound synchronously (so a taken port is an error
//! at start), one task per connection, every request handed to one handler with its whole body.
//!
//! hyper's default `half_close(false)` matters: a client that closes its socket while an event
//! stream is being written is noticed at once (the stream's receiver is dropped), as libprocess
//! notices it, so a scheduler's disconnection starts its failover timeout right away.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{HeaderMap, Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::sync::watch;

use super::body::{self, Reply};
use crate::local::error::LocalError;

/// One request with its whole body.
pub(crate) struct Req {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Req {
    /// The value of a query parameter, percent-decoded.
    pub(crate) fn query(&self, name: &str) -> Option<String> {
        let query = self.uri.query()?;
        query.split('&').find_map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k) == name).then(|| percent_decode(v))
        })
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What answers requests.
pub(crate) type Handler =
    Arc<dyn Fn(Req) -> Pin<Box<dyn Future<Output = Reply> + Send>> + Send + Sync>;

/// A bound, not yet serving, listener.
pub(crate) struct Listening {
    pub addr: SocketAddr,
    listener: std::net::TcpListener,
}

impl Listening {
    /// Binds 127.0.0.1:`port` (0: any free port).
    pub(crate) fn bind(port: u16) -> Result<Listening, LocalError> {
        let want = SocketAddr::from(([127, 0, 0, 1], port));
        let listener = std::net::TcpListener::bind(want).map_err(|e| LocalError::Bind {
            addr: want.to_string(),
            reason: e.to_string(),
        })?;
        let addr = listener.local_addr().map_err(|e| LocalError::Bind {
            addr: want.to_string(),
            reason: e.to_string(),
        })?;
        listener
            .set_nonblocking(true)
            .map_err(|e| LocalError::Start(format!("cannot set up the listener on {addr}: {e}")))?;
        Ok(Listening { addr, listener })
    }

    /// Serves on the runtime until `shutdown` turns true; open connections are dropped then.
    pub(crate) fn serve(
        self,
        runtime: &tokio::runtime::Handle,
        handler: Handler,
        shutdown: watch::Receiver<bool>,
    ) -> Result<(), LocalError> {
        let addr = self.addr;
        let listener = {
            let _entered = runtime.enter();
            tokio::net::TcpListener::from_std(self.listener)
                .map_err(|e| LocalError::Start(format!("cannot serve on {addr}: {e}")))?
        };
        runtime.spawn(accept_loop(listener, handler, shutdown));
        Ok(())
    }
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    handler: Handler,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
        };
        let Ok((tcp, _)) = accepted else {
            // Out of file descriptors or similar: keep serving the connections we have.
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        // Small writes (events, 202s) must not wait for Nagle.
        let _ = tcp.set_nodelay(true);
        let handler = handler.clone();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req: Request<Incoming>| {
                let handler = handler.clone();
                async move { Ok::<_, Infallible>(answer(req, handler).await) }
            });
            // Title-case header names (`Mesos-Stream-Id`), as libprocess writes them: some
            // clients look headers up case-sensitively.
            let conn = http1::Builder::new()
                .title_case_headers(true)
                .serve_connection(TokioIo::new(tcp), service);
            tokio::select! {
                _ = conn => {}
                _ = stop.changed() => {}
            }
        });
    }
}

async fn answer(req: Request<Incoming>, handler: Handler) -> Reply {
    let (parts, incoming) = req.into_parts();
    let body = match incoming.collect().await {
        Ok(b) => b.to_bytes(),
        Err(e) => return body::bad_request(format!("Failed to read the request body: {e}")),
    };
    handler(Req {
        method: parts.method,
        uri: parts.uri,
        headers: parts.headers,
        body,
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_decoded() {
        let req = Req {
            method: Method::GET,
            uri: "/files/download?path=%2Ftmp%2Fa%20b&x=1&flag"
                .parse()
                .unwrap(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        };
        assert_eq!(req.query("path").as_deref(), Some("/tmp/a b"));
        assert_eq!(req.query("x").as_deref(), Some("1"));
        assert_eq!(req.query("flag").as_deref(), Some(""));
        assert_eq!(req.query("nope"), None);
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
