//! HTTP/1.1 on the calls connection, written by hand so requests can be pipelined: a burst of
//! calls (typically acknowledgements) goes out in one write and its responses come back in one
//! read, instead of one round trip each as with hyper's client. A server answers a connection's
//! requests in the order sent (RFC 9112 §9.3.2); libprocess does.

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A byte stream to a master: TCP, or TLS over TCP.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A response's head bigger than this is refused, not buffered without end.
const MAX_HEAD: usize = 64 * 1024;
/// How much of a response body is kept (it only ever names an error).
const KEPT_BODY: usize = 4096;
/// A chunk-size line longer than this is malformed.
const MAX_LINE: usize = 4096;

/// One response, read in full.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    pub status: u16,
    pub location: Option<String>,
    /// The body's first [`KEPT_BODY`] bytes.
    pub body: Vec<u8>,
    /// The server closes the connection after this response: requests sent after it on the
    /// same connection were not processed.
    pub close: bool,
}

impl Answer {
    /// The start of the body as text, for error messages.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body[..self.body.len().min(1024)]).into_owned()
    }
}

/// Why reading a response failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The server closed the connection before the response's first byte.
    Closed,
    /// An I/O error, a connection closed mid-response, or a malformed response.
    Broken(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Closed => f.write_str("the master closed the connection"),
            ReadError::Broken(why) => f.write_str(why),
        }
    }
}

enum BodyLength {
    None,
    Exactly(usize),
    Chunked,
    UntilClose,
}

/// One connection: writes requests, reads their responses in order.
pub(crate) struct Pipeline {
    io: Box<dyn Stream>,
    buf: BytesMut,
}

impl Pipeline {
    pub fn new(io: Box<dyn Stream>) -> Self {
        Pipeline {
            io,
            buf: BytesMut::with_capacity(8 * 1024),
        }
    }

    /// Writes `bytes` (any number of whole requests) and flushes them.
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.io.write_all(bytes).await?;
        self.io.flush().await
    }

    /// Reads more bytes into the buffer; false at end of stream.
    async fn fill(&mut self) -> Result<bool, ReadError> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(8 * 1024);
        }
        match self.io.read_buf(&mut self.buf).await {
            Ok(0) => Ok(false),
            Ok(_) => Ok(true),
            Err(e) => Err(ReadError::Broken(e.to_string())),
        }
    }

    async fn fill_or_fail(&mut self, what: &str) -> Result<(), ReadError> {
        if self.fill().await? {
            Ok(())
        } else {
            Err(ReadError::Broken(format!(
                "the connection closed in the middle of {what}"
            )))
        }
    }

    /// Reads the next response (interim 1xx responses are skipped).
    pub async fn read_answer(&mut self) -> Result<Answer, ReadError> {
        let mut started = !self.buf.is_empty();
        loop {
            let head = loop {
                if let Some(head) = parse_head(&self.buf)? {
                    break head;
                }
                if self.buf.len() > MAX_HEAD {
                    return Err(ReadError::Broken(format!(
                        "a response head longer than {MAX_HEAD} bytes"
                    )));
                }
                if !self.fill().await? {
                    return Err(if started {
                        ReadError::Broken("the connection closed in the middle of a response".into())
                    } else {
                        ReadError::Closed
                    });
                }
                started = true;
            };
            self.buf.advance(head.len);
            if (100..200).contains(&head.status) {
                continue;
            }
            let mut body = Vec::new();
            let mut close = head.close;
            match head.body {
                BodyLength::None => {}
                BodyLength::Exactly(n) => self.take(n, &mut body).await?,
                BodyLength::Chunked => self.chunked(&mut body).await?,
                BodyLength::UntilClose => {
                    close = true;
                    loop {
                        let n = self.buf.len();
                        keep(&mut body, &self.buf[..n]);
                        self.buf.advance(n);
                        if !self.fill().await? {
                            break;
                        }
                    }
                }
            }
            return Ok(Answer {
                status: head.status,
                location: head.location,
                body,
                close,
            });
        }
    }

    /// Consumes `n` body bytes, keeping the first ones in `body`.
    async fn take(&mut self, mut n: usize, body: &mut Vec<u8>) -> Result<(), ReadError> {
        while n > 0 {
            if self.buf.is_empty() {
                self.fill_or_fail("a response body").await?;
            }
            let got = n.min(self.buf.len());
            keep(body, &self.buf[..got]);
            self.buf.advance(got);
            n -= got;
        }
        Ok(())
    }

    /// One CRLF-terminated line, without the CRLF.
    async fn line(&mut self) -> Result<String, ReadError> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = String::from_utf8_lossy(&self.buf[..end]).into_owned();
                self.buf.advance(end + 2);
                return Ok(line);
            }
            if self.buf.len() > MAX_LINE {
                return Err(ReadError::Broken("a chunk line too long".into()));
            }
            self.fill_or_fail("a chunked body").await?;
        }
    }

    async fn chunked(&mut self, body: &mut Vec<u8>) -> Result<(), ReadError> {
        loop {
            let line = self.line().await?;
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16)
                .map_err(|_| ReadError::Broken(format!("a bad chunk size {size:?}")))?;
            if size == 0 {
                // Trailer fields, up to the empty line.
                while !self.line().await?.is_empty() {}
                return Ok(());
            }
            self.take(size, body).await?;
            if !self.line().await?.is_empty() {
                return Err(ReadError::Broken("a chunk without its CRLF".into()));
            }
        }
    }
}

fn keep(body: &mut Vec<u8>, bytes: &[u8]) {
    let room = KEPT_BODY.saturating_sub(body.len());
    body.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

struct Head {
    len: usize,
    status: u16,
    location: Option<String>,
    close: bool,
    body: BodyLength,
}

/// The response head at the start of `buf`, if all of it is there.
fn parse_head(buf: &[u8]) -> Result<Option<Head>, ReadError> {
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(ReadError::Broken(format!("a malformed HTTP response: {e}"))),
    };
    let status = response.code.unwrap_or_default();
    let mut close = response.version == Some(0);
    let mut location = None;
    let mut length = None;
    let mut chunked = false;
    for h in response.headers.iter() {
        let value = String::from_utf8_lossy(h.value);
        if h.name.eq_ignore_ascii_case("content-length") {
            let n = value.trim().parse::<usize>().map_err(|_| {
                ReadError::Broken(format!("a bad Content-Length {:?}", value.trim()))
            })?;
            length = Some(n);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if h.name.eq_ignore_ascii_case("connection") {
            let value = value.to_ascii_lowercase();
            if value.contains("close") {
                close = true;
            } else if value.contains("keep-alive") {
                close = false;
            }
        } else if h.name.eq_ignore_ascii_case("location") {
            location = Some(value.into_owned());
        }
    }
    let body = if (100..200).contains(&status) || status == 204 || status == 304 {
        BodyLength::None
    } else if chunked {
        BodyLength::Chunked
    } else if let Some(n) = length {
        BodyLength::Exactly(n)
    } else {
        BodyLength::UntilClose
    };
    Ok(Some(Head {
        len,
        status,
        location,
        close,
        body,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A pipeline reading what `server` writes (then the server end closes).
    async fn answers(server: &'static [u8]) -> (Pipeline, Vec<Result<Answer, ReadError>>) {
        let (client, mut far) = tokio::io::duplex(64);
        let writer = tokio::spawn(async move {
            // Small pieces: every parser state must survive a split.
            for piece in server.chunks(7) {
                if far.write_all(piece).await.is_err() {
                    return;
                }
            }
        });
        let mut pipe = Pipeline::new(Box::new(client));
        let mut got = Vec::new();
        loop {
            let answer = pipe.read_answer().await;
            let end = answer.is_err();
            got.push(answer);
            if end {
                break;
            }
        }
        writer.await.unwrap();
        (pipe, got)
    }

    fn ok(status: u16, body: &str) -> Result<Answer, ReadError> {
        Ok(Answer {
            status,
            location: None,
            body: body.as_bytes().to_vec(),
            close: false,
        })
    }

    #[tokio::test]
    async fn pipelined_responses_in_every_framing() {
        let (_, got) = answers(
            b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n\
              HTTP/1.1 100 Continue\r\n\r\n\
              HTTP/1.1 400 Bad Request\r\nContent-Length: 11\r\n\r\nbad request\
              HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n\
              4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n\
              HTTP/1.1 204 No Content\r\n\r\n\
              HTTP/1.1 307 Temporary Redirect\r\nLocation: //m2:5050/master/api/v1/scheduler\r\n\
              Content-Length: 0\r\n\r\n",
        )
        .await;
        assert_eq!(got[0], ok(202, ""));
        assert_eq!(got[1], ok(400, "bad request"));
        assert_eq!(got[2], ok(202, "Wikipedia"));
        assert_eq!(got[3], ok(204, ""));
        assert_eq!(
            got[4].as_ref().unwrap().location.as_deref(),
            Some("//m2:5050/master/api/v1/scheduler")
        );
        assert_eq!(got[5], Err(ReadError::Closed));
    }

    #[tokio::test]
    async fn close_is_seen_and_a_body_may_run_to_the_end() {
        let (_, got) =
            answers(b"HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").await;
        assert!(got[0].as_ref().unwrap().close);
        let (_, got) = answers(b"HTTP/1.0 500 Oops\r\n\r\nsomething broke").await;
        let answer = got[0].as_ref().unwrap();
        assert_eq!((answer.status, answer.text().as_str()), (500, "something broke"));
        assert!(answer.close);
    }

    #[tokio::test]
    async fn broken_responses_are_errors_that_say_why() {
        let (_, got) = answers(b"HTTP/1.1 202 Accepted\r\nContent-Length: 10\r\n\r\nabc").await;
        assert!(matches!(&got[0], Err(ReadError::Broken(w)) if w.contains("middle")));
        let (_, got) = answers(b"HTTP/1.1 202 Accepted\r\nContent-Le").await;
        assert!(matches!(&got[0], Err(ReadError::Broken(w)) if w.contains("middle")));
        let (_, got) = answers(b"garbage\r\n\r\n").await;
        assert!(matches!(&got[0], Err(ReadError::Broken(w)) if w.contains("malformed")));
        let (_, got) =
            answers(b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n").await;
        assert!(matches!(&got[0], Err(ReadError::Broken(w)) if w.contains("chunk size")));
        let (_, got) = answers(b"HTTP/1.1 202 Accepted\r\nContent-Length: x\r\n\r\n").await;
        assert!(matches!(&got[0], Err(ReadError::Broken(w)) if w.contains("Content-Length")));
    }

    #[tokio::test]
    async fn long_bodies_are_consumed_and_their_start_kept() {
        let mut response = b"HTTP/1.1 500 Oops\r\nContent-Length: 10000\r\n\r\n".to_vec();
        response.extend(std::iter::repeat_n(b'x', 10_000));
        response.extend_from_slice(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n");
        let (_, got) = answers(Box::leak(response.into_boxed_slice())).await;
        assert_eq!(got[0].as_ref().unwrap().body.len(), KEPT_BODY);
        assert_eq!(got[1], ok(202, ""));
    }
}
