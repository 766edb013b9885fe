//! Connections to masters and agents: TCP (keepalive, nodelay), optional rustls, hyper's
//! low-level HTTP/1.1 client (the executor's) or the bytes of a scheduler call's request (the
//! scheduler driver speaks HTTP/1.1 itself, see [`super::pipeline`]).
//!
//! No connection pool and no redirect following: the driver owns exactly two connections (the
//! subscription stream and one for calls) and must see every 307 itself.

use std::os::fd::{AsRawFd, RawFd};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::SendRequest;
use hyper::header::HeaderValue;
use hyper_util::rt::TokioIo;
use tokio::net::TcpSocket;
use tokio::task::JoinHandle;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

use super::error::DriverError;
use super::master_url::{Endpoint, Scheme};
use super::pipeline::{Pipeline, Stream};

/// The stream id header of the scheduler API.
pub const STREAM_ID: &str = "Mesos-Stream-Id";

/// Which certificates an https master must present.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum TlsRoots {
    /// The operating system's trust store.
    #[default]
    System,
    /// Only the CA certificates (PEM) in this file.
    CaFile(PathBuf),
}

/// Wire encoding of calls and events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Encoding {
    /// `application/x-protobuf` (recommended: compact and no JSON mapping quirks).
    #[default]
    Protobuf,
    /// `application/json` with Mesos's snake_case field names.
    Json,
}

impl Encoding {
    /// The exact media type string: Mesos compares `Content-Type` byte for byte.
    pub fn media_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// Opens connections to masters.
pub(crate) struct Connector {
    roots: TlsRoots,
    tls: OnceLock<Arc<rustls::ClientConfig>>,
    connect_timeout: Duration,
    authorization: Option<HeaderValue>,
    encoding: Encoding,
}

/// A live HTTP/1.1 connection; dropping it closes the socket.
pub(crate) struct Connection {
    pub sender: SendRequest<Full<Bytes>>,
    driver: JoinHandle<()>,
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.driver.abort();
    }
}

impl Connector {
    pub fn new(
        roots: TlsRoots,
        connect_timeout: Duration,
        credentials: Option<(&str, &str)>,
        encoding: Encoding,
    ) -> Result<Self, DriverError> {
        let authorization = match credentials {
            Some((principal, secret)) => Some(basic_auth(principal, secret)?),
            None => None,
        };
        let connector = Connector {
            roots,
            tls: OnceLock::new(),
            connect_timeout,
            authorization,
            encoding,
        };
        // A bad CA file is a configuration error: report it at start, not at the first https.
        if let TlsRoots::CaFile(_) = connector.roots {
            connector.tls_config()?;
        }
        Ok(connector)
    }

    fn tls_config(&self) -> Result<Arc<rustls::ClientConfig>, DriverError> {
        if let Some(c) = self.tls.get() {
            return Ok(c.clone());
        }
        let config = Arc::new(build_tls_config(&self.roots)?);
        Ok(self.tls.get_or_init(|| config).clone())
    }

    /// Opens a TCP (and TLS) connection and performs the HTTP/1.1 handshake.
    pub async fn connect(&self, ep: &Endpoint) -> Result<Connection, DriverError> {
        let stream = self.open(ep).await?;
        handshake(TokioIo::new(stream))
            .await
            .map_err(|reason| DriverError::Connect {
                endpoint: ep.authority(),
                reason,
            })
    }

    /// Opens a TCP connection, and TLS over it for https.
    pub async fn open(&self, ep: &Endpoint) -> Result<Box<dyn Stream>, DriverError> {
        Ok(self.open_socket(ep).await?.0)
    }

    /// A connection spoken by hand (see [`super::pipeline`]), over TCP or TLS.
    pub async fn open_pipeline(&self, ep: &Endpoint) -> Result<Pipeline, DriverError> {
        let (io, socket) = self.open_socket(ep).await?;
        Ok(Pipeline::over_socket(io, socket))
    }

    /// The stream, and the TCP socket under it (open as long as the stream is).
    async fn open_socket(&self, ep: &Endpoint) -> Result<(Box<dyn Stream>, RawFd), DriverError> {
        let fail = |reason: String| DriverError::Connect {
            endpoint: ep.authority(),
            reason,
        };
        let tcp = tokio::time::timeout(self.connect_timeout, connect_tcp(ep))
            .await
            .map_err(|_| fail(format!("timed out after {:?}", self.connect_timeout)))?
            .map_err(fail)?;
        let socket = tcp.as_raw_fd();
        match ep.scheme {
            Scheme::Http => Ok((Box::new(tcp), socket)),
            Scheme::Https => {
                let name = ServerName::try_from(ep.host.clone())
                    .map_err(|e| DriverError::Tls(format!("bad server name {:?}: {e}", ep.host)))?;
                let tls = tokio_rustls::TlsConnector::from(self.tls_config()?);
                let stream = tokio::time::timeout(self.connect_timeout, tls.connect(name, tcp))
                    .await
                    .map_err(|_| fail("TLS handshake timed out".into()))?
                    .map_err(|e| fail(format!("TLS handshake failed: {e}")))?;
                Ok((Box::new(stream), socket))
            }
        }
    }

    /// Appends a scheduler call's whole HTTP/1.1 POST, with the headers every call needs, to
    /// `out` (the driver's connections are spoken by hand, see [`super::pipeline`]).
    pub fn write_request(
        &self,
        ep: &Endpoint,
        body: &[u8],
        stream_id: Option<&str>,
        out: &mut Vec<u8>,
    ) {
        let media = self.encoding.media_type();
        out.extend_from_slice(b"POST ");
        out.extend_from_slice(ep.prefix.as_bytes());
        out.extend_from_slice(b"/api/v1/scheduler HTTP/1.1\r\nHost: ");
        out.extend_from_slice(ep.authority().as_bytes());
        header(out, "Content-Type", media.as_bytes());
        header(out, "Accept", media.as_bytes());
        if let Some(id) = stream_id {
            header(out, STREAM_ID, id.as_bytes());
        }
        if let Some(auth) = &self.authorization {
            header(out, "Authorization", auth.as_bytes());
        }
        header(out, "Content-Length", body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(body);
    }
}

fn header(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
}

/// `Basic base64(principal:secret)`.
pub fn basic_auth(principal: &str, secret: &str) -> Result<HeaderValue, DriverError> {
    if principal.contains(':') {
        return Err(DriverError::InvalidCall(
            "a principal must not contain ':' (HTTP basic authentication)".into(),
        ));
    }
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{principal}:{secret}"));
    let mut value = HeaderValue::from_str(&format!("Basic {token}"))
        .map_err(|e| DriverError::InvalidCall(format!("bad credentials: {e}")))?;
    value.set_sensitive(true);
    Ok(value)
}

async fn connect_tcp(ep: &Endpoint) -> Result<tokio::net::TcpStream, String> {
    let addrs = tokio::net::lookup_host((ep.host.as_str(), ep.port))
        .await
        .map_err(|e| format!("cannot resolve {:?}: {e}", ep.host))?;
    let mut last = format!("{:?} resolved to no address", ep.host);
    for addr in addrs {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        };
        let socket = match socket {
            Ok(s) => s,
            Err(e) => {
                last = e.to_string();
                continue;
            }
        };
        // Half-open connections are also caught by the heartbeat watchdog; keepalive helps the
        // calls connection, which has no heartbeat.
        let _ = socket.set_keepalive(true);
        match socket.connect(addr).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = format!("{addr}: {e}"),
        }
    }
    Err(last)
}

async fn handshake<T>(io: TokioIo<T>) -> Result<Connection, String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| format!("HTTP handshake failed: {e}"))?;
    let driver = tokio::spawn(async move {
        if let Err(e) = conn.await {
            tracing::debug!("master connection ended: {e}");
        }
    });
    Ok(Connection { sender, driver })
}

fn build_tls_config(roots: &TlsRoots) -> Result<rustls::ClientConfig, DriverError> {
    let mut store = rustls::RootCertStore::empty();
    match roots {
        TlsRoots::System => {
            let found = rustls_native_certs::load_native_certs();
            let (added, _) = store.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err(DriverError::Tls(format!(
                    "no usable system CA certificates ({} errors)",
                    found.errors.len()
                )));
            }
        }
        TlsRoots::CaFile(path) => {
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| DriverError::Tls(format!("cannot read CA file {path:?}: {e}")))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| DriverError::Tls(format!("bad PEM in CA file {path:?}: {e}")))?;
            if certs.is_empty() {
                return Err(DriverError::Tls(format!(
                    "no certificate in CA file {path:?}"
                )));
            }
            for cert in certs {
                store.add(cert).map_err(|e| {
                    DriverError::Tls(format!("bad CA certificate in {path:?}: {e}"))
                })?;
            }
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| DriverError::Tls(e.to_string()))?
        .with_root_certificates(store)
        .with_no_client_auth())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_auth_header() {
        let v = basic_auth("principal", "secret").unwrap();
        assert_eq!(v.to_str().unwrap(), "Basic cHJpbmNpcGFsOnNlY3JldA==");
        assert!(basic_auth("a:b", "c").is_err());
    }

    #[test]
    fn bad_ca_file_is_a_typed_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        assert!(matches!(
            build_tls_config(&TlsRoots::CaFile(missing)),
            Err(DriverError::Tls(_))
        ));
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a pem").unwrap();
        assert!(matches!(
            build_tls_config(&TlsRoots::CaFile(empty)),
            Err(DriverError::Tls(_))
        ));
    }
}
