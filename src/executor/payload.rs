//! Out-of-band payloads, so the master never carries big blobs: a small HTTP server in the
//! scheduler process serves large task arguments at unguessable URLs, and [`fetch`] downloads
//! such a URL (on the executor) or a result file through the agent's `/files/download` (on the
//! scheduler).

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{CONTENT_LENGTH, CONTENT_TYPE, HOST};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::error::ExecutorError;
use crate::driver::http::Connector;
use crate::driver::{Encoding, Endpoint, Scheme, TlsRoots};

type Blobs = Arc<Mutex<HashMap<String, Bytes>>>;

/// The process's payload server: where it listens and what it serves.
struct Server {
    host: String,
    addr: SocketAddr,
    blobs: Blobs,
}

static SERVER: OnceLock<Mutex<Option<Server>>> = OnceLock::new();

fn lock_blobs(b: &Blobs) -> std::sync::MutexGuard<'_, HashMap<String, Bytes>> {
    b.lock().unwrap_or_else(|p| p.into_inner())
}

/// 128 random bits from the OS, hex: the capability that lets one executor fetch one payload.
fn token() -> Result<String, ExecutorError> {
    let mut b = [0u8; 16];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .map_err(|e| ExecutorError::Env(format!("cannot read /dev/urandom: {e}")))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Serves `data` until [`release`]: returns its URL `http://host:port/payload/<token>`. The
/// server starts on first use, listening on `host` (an address the agents can reach; the same
/// host must be given on every call).
pub fn serve(data: Bytes, host: &str) -> Result<String, ExecutorError> {
    let cell = SERVER.get_or_init(|| Mutex::new(None));
    let mut slot = cell.lock().unwrap_or_else(|p| p.into_inner());
    if slot.is_none() {
        *slot = Some(start(host)?);
    }
    let Some(server) = slot.as_ref() else {
        return Err(ExecutorError::Stopped); // set just above
    };
    if server.host != host {
        return Err(ExecutorError::Env(format!(
            "the payload server already listens on {}, not {host}",
            server.host
        )));
    }
    let token = token()?;
    lock_blobs(&server.blobs).insert(token.clone(), data);
    let ep = Endpoint::http(server.host.clone(), server.addr.port());
    Ok(format!("http://{}/payload/{token}", ep.authority()))
}

/// Stops serving the payload at `url`; returns whether it was served.
pub fn release(url: &str) -> bool {
    let Some(token) = url.rsplit('/').next() else {
        return false;
    };
    let Some(cell) = SERVER.get() else {
        return false;
    };
    let slot = cell.lock().unwrap_or_else(|p| p.into_inner());
    slot.as_ref()
        .is_some_and(|s| lock_blobs(&s.blobs).remove(token).is_some())
}

/// Number of payloads being served (for tests and leak checks).
pub fn served() -> usize {
    SERVER
        .get()
        .and_then(|cell| {
            let slot = cell.lock().unwrap_or_else(|p| p.into_inner());
            slot.as_ref().map(|s| lock_blobs(&s.blobs).len())
        })
        .unwrap_or(0)
}

fn start(host: &str) -> Result<Server, ExecutorError> {
    let rt = crate::runtime::runtime()
        .map_err(|e| ExecutorError::Env(format!("cannot start the async runtime: {e}")))?;
    let bind = format!(
        "{}:0",
        Endpoint::http(host, 0).authority().trim_end_matches(":0")
    );
    let listener = rt
        .block_on(TcpListener::bind(bind.as_str()))
        .map_err(|e| ExecutorError::Env(format!("payload server cannot listen on {bind}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ExecutorError::Env(format!("payload server address: {e}")))?;
    let blobs: Blobs = Arc::default();
    let served = blobs.clone();
    rt.spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let blobs = served.clone();
            tokio::spawn(async move {
                let svc = hyper::service::service_fn(move |req| {
                    let blobs = blobs.clone();
                    async move { Ok::<_, Infallible>(answer(&blobs, &req)) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), svc)
                    .await;
            });
        }
    });
    Ok(Server {
        host: host.to_string(),
        addr,
        blobs,
    })
}

fn answer(blobs: &Blobs, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let found = (req.method() == Method::GET)
        .then(|| req.uri().path().strip_prefix("/payload/"))
        .flatten()
        .and_then(|token| lock_blobs(blobs).get(token).cloned());
    let mut resp = match found {
        Some(data) => {
            let len = data.len();
            let mut r = Response::new(Full::new(data));
            r.headers_mut().insert(CONTENT_LENGTH, len.into());
            r.headers_mut().insert(
                CONTENT_TYPE,
                hyper::header::HeaderValue::from_static("application/octet-stream"),
            );
            r
        }
        None => Response::new(Full::new(Bytes::from_static(b"no such payload"))),
    };
    if resp.headers().get(CONTENT_LENGTH).is_none() {
        *resp.status_mut() = StatusCode::NOT_FOUND;
    }
    resp
}

/// Splits `http(s)://host[:port]/path?query` into an endpoint and the path with its query.
fn parse_url(url: &str) -> Result<(Endpoint, String), ExecutorError> {
    let bad = |why: &str| ExecutorError::Env(format!("bad payload URL {url:?}: {why}"));
    let (scheme, rest) = if let Some(r) = url.strip_prefix("http://") {
        (Scheme::Http, r)
    } else if let Some(r) = url.strip_prefix("https://") {
        (Scheme::Https, r)
    } else {
        return Err(bad("expected http:// or https://"));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let default_port = if scheme == Scheme::Http { 80 } else { 443 };
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed ["))?;
        let port = match after.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad("bad port"))?,
            None => default_port,
        };
        (h, port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| bad("bad port"))?),
            None => (authority, default_port),
        }
    };
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let mut ep = Endpoint::http(host, port);
    ep.scheme = scheme;
    Ok((ep, path.to_string()))
}

/// GETs `url` (a payload URL, or an agent's `/files/download?path=...`) and returns the body.
/// Blocks the calling thread; call it without holding the GIL.
pub fn fetch(url: &str, timeout: Duration) -> Result<Bytes, ExecutorError> {
    let (ep, path) = parse_url(url)?;
    let connector = Connector::new(TlsRoots::System, timeout, None, Encoding::Protobuf)
        .map_err(|e| ExecutorError::Env(e.to_string()))?;
    let rt = crate::runtime::runtime()
        .map_err(|e| ExecutorError::Env(format!("cannot start the async runtime: {e}")))?;
    let fail = |reason: String| ExecutorError::Connect {
        endpoint: ep.authority(),
        reason,
    };
    rt.block_on(async {
        tokio::time::timeout(timeout, async {
            let mut conn = connector
                .connect(&ep)
                .await
                .map_err(|e| fail(e.to_string()))?;
            let req = Request::builder()
                .method(Method::GET)
                .uri(path.as_str())
                .header(HOST, ep.authority())
                .body(Full::new(Bytes::new()))
                .map_err(|e| fail(format!("cannot build the request: {e}")))?;
            let resp = conn
                .sender
                .send_request(req)
                .await
                .map_err(|e| fail(format!("request failed: {e}")))?;
            let status = resp.status().as_u16();
            let body = resp
                .into_body()
                .collect()
                .await
                .map_err(|e| fail(format!("reading the body: {e}")))?
                .to_bytes();
            if status != 200 {
                return Err(ExecutorError::Http {
                    status,
                    body: String::from_utf8_lossy(&body[..body.len().min(500)]).into_owned(),
                });
            }
            Ok(body)
        })
        .await
        .map_err(|_| fail(format!("no complete answer within {timeout:?}")))?
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let (ep, p) = parse_url("http://127.0.0.1:5051/files/download?path=/a%20b").unwrap();
        assert_eq!(
            (ep.host.as_str(), ep.port, p.as_str()),
            ("127.0.0.1", 5051, "/files/download?path=/a%20b")
        );
        let (ep, p) = parse_url("http://[::1]:80/payload/x").unwrap();
        assert_eq!(
            (ep.host.as_str(), ep.port, p.as_str()),
            ("::1", 80, "/payload/x")
        );
        let (ep, p) = parse_url("https://example.org").unwrap();
        assert_eq!((ep.scheme, ep.port, p.as_str()), (Scheme::Https, 443, "/"));
        for bad in ["ftp://x/", "http://:80/", "http://h:x/", "http://[::1/"] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn serve_fetch_release_round_trip() {
        let data = Bytes::from(
            (0..3_000_000u32)
                .map(|i| (i % 253) as u8)
                .collect::<Vec<u8>>(),
        );
        let url = serve(data.clone(), "127.0.0.1").unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:") && url.len() > 40,
            "{url}"
        );
        assert_eq!(fetch(&url, Duration::from_secs(20)).unwrap(), data);
        let other = serve(Bytes::from_static(b"x"), "127.0.0.1").unwrap();
        assert_ne!(url, other);
        assert!(release(&url));
        assert!(!release(&url));
        match fetch(&url, Duration::from_secs(20)) {
            Err(ExecutorError::Http { status: 404, .. }) => {}
            other => panic!("{other:?}"),
        }
        // A guessed token is not served either.
        let guessed = format!("{}0000", &other[..other.len() - 4]);
        assert!(fetch(&guessed, Duration::from_secs(20)).is_err());
        assert!(release(&other));
        assert!(
            serve(Bytes::new(), "localhost").is_err(),
            "one host per process"
        );
    }
}
