//! A minimal ZooKeeper client speaking the jute wire protocol over tokio: one session, the few
//! operations master detection needs (getChildren and getData with watches, exists) plus
//! create/delete (for tools and tests), digest auth and pings.
//!
//! A lost connection ends the session: pending requests fail with `ConnectionLoss` and the
//! watch channel closes. The caller reconnects with a new session (detection only reads, so no
//! session state needs to survive).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// What can go wrong talking to ZooKeeper.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ZkError {
    /// The node does not exist.
    #[error("no node {0}")]
    NoNode(String),
    /// The node already exists.
    #[error("node {0} exists")]
    NodeExists(String),
    /// The connection or session is gone.
    #[error("connection to zookeeper lost: {0}")]
    ConnectionLoss(String),
    /// Authentication was refused.
    #[error("zookeeper authentication failed")]
    AuthFailed,
    /// Any other server error code.
    #[error("zookeeper error {code} on {path}")]
    Server {
        /// The ZooKeeper error code.
        code: i32,
        /// The path of the request.
        path: String,
    },
    /// The server sent bytes this client does not understand.
    #[error("zookeeper protocol error: {0}")]
    Protocol(String),
}

/// A watch notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchEvent {
    /// 1 created, 2 deleted, 3 data changed, 4 children changed (-1: session state only).
    pub kind: i32,
    /// Session state (3 = connected).
    pub state: i32,
    /// The node the watch was on.
    pub path: String,
}

/// How a created node lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateMode {
    /// Stays until deleted.
    Persistent,
    /// Deleted with the session.
    Ephemeral,
    /// Persistent, with a 10-digit sequence suffix.
    PersistentSequential,
    /// Ephemeral, with a 10-digit sequence suffix (what masters use).
    EphemeralSequential,
}

const OP_CREATE: i32 = 1;
const OP_DELETE: i32 = 2;
const OP_EXISTS: i32 = 3;
const OP_GET_DATA: i32 = 4;
const OP_GET_CHILDREN: i32 = 8;
const OP_PING: i32 = 11;
const OP_AUTH: i32 = 100;
const OP_CLOSE: i32 = -11;
const XID_WATCH: i32 = -1;
const XID_PING: i32 = -2;
const XID_AUTH: i32 = -4;
const ERR_NO_NODE: i32 = -101;
const ERR_NODE_EXISTS: i32 = -110;
const ERR_AUTH_FAILED: i32 = -115;
/// Largest frame accepted from the server (jute's own default limit is 1 MiB of data).
const MAX_FRAME: usize = 16 * 1024 * 1024;

type Pending = Arc<Mutex<HashMap<i32, (String, oneshot::Sender<Result<Vec<u8>, ZkError>>)>>>;

/// One ZooKeeper session.
pub struct ZkClient {
    writer: Arc<tokio::sync::Mutex<OwnedWriteHalf>>,
    pending: Pending,
    next_xid: Mutex<i32>,
    reader: JoinHandle<()>,
    pinger: JoinHandle<()>,
    /// The session id the server assigned.
    pub session_id: i64,
}

impl Drop for ZkClient {
    fn drop(&mut self) {
        self.reader.abort();
        self.pinger.abort();
    }
}

#[derive(Default)]
struct Enc(Vec<u8>);

impl Enc {
    fn i32(&mut self, v: i32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn i64(&mut self, v: i64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    fn bool(&mut self, v: bool) -> &mut Self {
        self.0.push(u8::from(v));
        self
    }
    fn buf(&mut self, v: &[u8]) -> &mut Self {
        // Lengths here are paths and znode data: far below i32::MAX.
        self.i32(v.len() as i32);
        self.0.extend_from_slice(v);
        self
    }
    fn str(&mut self, v: &str) -> &mut Self {
        self.buf(v.as_bytes())
    }
}

struct Dec<'a>(&'a [u8]);

impl Dec<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], ZkError> {
        if self.0.len() < n {
            return Err(ZkError::Protocol("truncated reply".into()));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    fn i32(&mut self) -> Result<i32, ZkError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i64(&mut self) -> Result<i64, ZkError> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(i64::from_be_bytes(a))
    }
    fn buf(&mut self) -> Result<Vec<u8>, ZkError> {
        let n = self.i32()?;
        if n < 0 {
            return Ok(Vec::new());
        }
        Ok(self.take(n as usize)?.to_vec())
    }
    fn str(&mut self) -> Result<String, ZkError> {
        String::from_utf8(self.buf()?).map_err(|_| ZkError::Protocol("non-UTF-8 string".into()))
    }
}

async fn read_frame(r: &mut OwnedReadHalf) -> Result<Vec<u8>, ZkError> {
    let loss = |e: std::io::Error| ZkError::ConnectionLoss(e.to_string());
    let n = r.read_i32().await.map_err(loss)?;
    if n < 0 || n as usize > MAX_FRAME {
        return Err(ZkError::Protocol(format!("bad frame length {n}")));
    }
    let mut buf = vec![0u8; n as usize];
    r.read_exact(&mut buf).await.map_err(loss)?;
    Ok(buf)
}

fn framed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 4);
    out.extend_from_slice(&(body.len() as i32).to_be_bytes());
    out.extend_from_slice(body);
    out
}

impl ZkClient {
    /// Opens a session with the first server that answers. Watch notifications go to `watches`.
    pub async fn connect(
        servers: &[(String, u16)],
        session_timeout: Duration,
        watches: mpsc::UnboundedSender<WatchEvent>,
    ) -> Result<ZkClient, ZkError> {
        let mut last = ZkError::ConnectionLoss("no servers".into());
        for (host, port) in servers {
            match tokio::time::timeout(
                session_timeout,
                Self::connect_one(host, *port, session_timeout),
            )
            .await
            {
                Ok(Ok((stream, session_id, negotiated))) => {
                    return Ok(Self::run(stream, session_id, negotiated, watches))
                }
                Ok(Err(e)) => last = e,
                Err(_) => last = ZkError::ConnectionLoss(format!("{host}:{port}: timed out")),
            }
        }
        Err(last)
    }

    async fn connect_one(
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> Result<(TcpStream, i64, Duration), ZkError> {
        let mut stream = TcpStream::connect((host, port))
            .await
            .map_err(|e| ZkError::ConnectionLoss(format!("{host}:{port}: {e}")))?;
        let _ = stream.set_nodelay(true);
        let mut req = Enc::default();
        req.i32(0) // protocol version
            .i64(0) // last zxid seen
            .i32(timeout.as_millis().min(i32::MAX as u128) as i32)
            .i64(0) // session id: new session
            .buf(&[0u8; 16]) // password
            .bool(false); // read-only
        stream
            .write_all(&framed(&req.0))
            .await
            .map_err(|e| ZkError::ConnectionLoss(e.to_string()))?;
        let (mut r, w) = stream.into_split();
        let reply = read_frame(&mut r).await?;
        let mut d = Dec(&reply);
        let _version = d.i32()?;
        let negotiated = d.i32()?;
        let session_id = d.i64()?;
        if negotiated <= 0 {
            return Err(ZkError::ConnectionLoss(
                "session refused by the server".into(),
            ));
        }
        let stream = r
            .reunite(w)
            .map_err(|_| ZkError::Protocol("socket halves mismatch".into()))?;
        Ok((stream, session_id, Duration::from_millis(negotiated as u64)))
    }

    fn run(
        stream: TcpStream,
        session_id: i64,
        negotiated: Duration,
        watches: mpsc::UnboundedSender<WatchEvent>,
    ) -> ZkClient {
        let (mut r, w) = stream.into_split();
        let writer = Arc::new(tokio::sync::Mutex::new(w));
        let pending: Pending = Arc::default();
        let reader = {
            let pending = pending.clone();
            tokio::spawn(async move {
                let why = loop {
                    let frame = match read_frame(&mut r).await {
                        Ok(f) => f,
                        Err(e) => break e.to_string(),
                    };
                    if let Err(e) = dispatch(&frame, &pending, &watches) {
                        break e.to_string();
                    }
                };
                // Session over: fail everything waiting, close the watch channel (by dropping).
                let waiting: Vec<_> = pending
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .drain()
                    .collect();
                for (_, (_, tx)) in waiting {
                    let _ = tx.send(Err(ZkError::ConnectionLoss(why.clone())));
                }
                drop(watches);
            })
        };
        let pinger = {
            let writer = writer.clone();
            tokio::spawn(async move {
                let period = (negotiated / 3).max(Duration::from_millis(100));
                let mut ping = Enc::default();
                ping.i32(XID_PING).i32(OP_PING);
                let ping = framed(&ping.0);
                loop {
                    tokio::time::sleep(period).await;
                    if writer.lock().await.write_all(&ping).await.is_err() {
                        break;
                    }
                }
            })
        };
        ZkClient {
            writer,
            pending,
            next_xid: Mutex::new(1),
            reader,
            pinger,
            session_id,
        }
    }

    async fn request(
        &self,
        xid: Option<i32>,
        op: i32,
        path: &str,
        body: &[u8],
    ) -> Result<Vec<u8>, ZkError> {
        let xid = xid.unwrap_or_else(|| {
            let mut n = self.next_xid.lock().unwrap_or_else(|p| p.into_inner());
            *n = if *n >= i32::MAX - 1 { 1 } else { *n + 1 };
            *n
        });
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(xid, (path.to_string(), tx));
        let mut msg = Enc::default();
        msg.i32(xid).i32(op);
        msg.0.extend_from_slice(body);
        let sent = self.writer.lock().await.write_all(&framed(&msg.0)).await;
        if let Err(e) = sent {
            self.pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&xid);
            return Err(ZkError::ConnectionLoss(e.to_string()));
        }
        rx.await
            .unwrap_or_else(|_| Err(ZkError::ConnectionLoss("session closed".into())))
    }

    /// Adds `digest` credentials (`user:password`) to the session.
    pub async fn add_digest_auth(&self, user: &str, password: &str) -> Result<(), ZkError> {
        let mut b = Enc::default();
        b.i32(0)
            .str("digest")
            .buf(format!("{user}:{password}").as_bytes());
        self.request(Some(XID_AUTH), OP_AUTH, "auth", &b.0)
            .await
            .map(|_| ())
    }

    /// The children's names; with `watch`, one notification when they change.
    pub async fn get_children(&self, path: &str, watch: bool) -> Result<Vec<String>, ZkError> {
        let mut b = Enc::default();
        b.str(path).bool(watch);
        let reply = self.request(None, OP_GET_CHILDREN, path, &b.0).await?;
        let mut d = Dec(&reply);
        let n = d.i32()?;
        (0..n.max(0)).map(|_| d.str()).collect()
    }

    /// The node's data.
    pub async fn get_data(&self, path: &str, watch: bool) -> Result<Vec<u8>, ZkError> {
        let mut b = Enc::default();
        b.str(path).bool(watch);
        let reply = self.request(None, OP_GET_DATA, path, &b.0).await?;
        Dec(&reply).buf()
    }

    /// Whether the node exists; with `watch`, one notification when it is created or deleted.
    pub async fn exists(&self, path: &str, watch: bool) -> Result<bool, ZkError> {
        let mut b = Enc::default();
        b.str(path).bool(watch);
        match self.request(None, OP_EXISTS, path, &b.0).await {
            Ok(_) => Ok(true),
            Err(ZkError::NoNode(_)) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Creates a node open to everyone; returns its actual path (with the sequence suffix).
    pub async fn create(
        &self,
        path: &str,
        data: &[u8],
        mode: CreateMode,
    ) -> Result<String, ZkError> {
        let flags = match mode {
            CreateMode::Persistent => 0,
            CreateMode::Ephemeral => 1,
            CreateMode::PersistentSequential => 2,
            CreateMode::EphemeralSequential => 3,
        };
        let mut b = Enc::default();
        b.str(path).buf(data);
        // One ACL: all permissions (31) for world:anyone.
        b.i32(1).i32(31).str("world").str("anyone");
        b.i32(flags);
        let reply = self.request(None, OP_CREATE, path, &b.0).await?;
        Dec(&reply).str()
    }

    /// Deletes a node (any version).
    pub async fn delete(&self, path: &str) -> Result<(), ZkError> {
        let mut b = Enc::default();
        b.str(path).i32(-1);
        self.request(None, OP_DELETE, path, &b.0).await.map(|_| ())
    }

    /// Ends the session (its ephemeral nodes go away now rather than at the timeout).
    pub async fn close(self) -> Result<(), ZkError> {
        match self.request(None, OP_CLOSE, "close", &[]).await {
            Ok(_) | Err(ZkError::ConnectionLoss(_)) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

fn dispatch(
    frame: &[u8],
    pending: &Pending,
    watches: &mpsc::UnboundedSender<WatchEvent>,
) -> Result<(), ZkError> {
    let mut d = Dec(frame);
    let xid = d.i32()?;
    let _zxid = d.i64()?;
    let err = d.i32()?;
    match xid {
        XID_PING => return Ok(()),
        XID_WATCH => {
            let kind = d.i32()?;
            let state = d.i32()?;
            let path = d.str()?;
            let _ = watches.send(WatchEvent { kind, state, path });
            return Ok(());
        }
        _ => {}
    }
    let Some((path, tx)) = pending
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&xid)
    else {
        return Ok(());
    };
    let result = match err {
        0 => Ok(d.0.to_vec()),
        ERR_NO_NODE => Err(ZkError::NoNode(path)),
        ERR_NODE_EXISTS => Err(ZkError::NodeExists(path)),
        ERR_AUTH_FAILED => Err(ZkError::AuthFailed),
        code => Err(ZkError::Server { code, path }),
    };
    let _ = tx.send(result);
    Ok(())
}
