//! HTTP/1.1 on the calls connection, written by hand so requests can be pipelined: a burst of
//! calls (typically acknowledgements) goes out in one write and its responses come back in one
//! read, instead of one round trip each as with hyper's client. A server answers a connection's
//! requests in the order sent (RFC 9112 §9.3.2); libprocess does.

use std::os::fd::RawFd;

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::http::STREAM_ID;

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

/// How a response's body is framed; a streamed body's state as it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BodyLength {
    None,
    Exactly(usize),
    Chunked(ChunkState),
    UntilClose,
}

/// Where a chunked body is: chunks are streamed, never buffered whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChunkState {
    /// Before a chunk-size line.
    Size,
    /// Inside a chunk's data, with this many bytes left.
    Data(usize),
    /// After a chunk's data, before its CRLF.
    DataEnd,
    /// After the last chunk, in the trailer section.
    Trailers,
}

/// A response's status line and the headers the driver needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    len: usize,
    pub status: u16,
    pub location: Option<String>,
    pub stream_id: Option<String>,
    pub close: bool,
    pub body: BodyLength,
}

/// While reads are held (see [`Pipeline::hold_reads`]), the kernel wakes the reader only once
/// this much has arrived: far more than a paced pause gathers (a few kB of events), while a
/// bigger burst still wakes it early, and small enough to leave the receive window alone.
const HELD_LOW_WATER: libc::c_int = 16 * 1024;

/// One connection: writes requests, reads their responses in order.
pub(crate) struct Pipeline {
    io: Box<dyn Stream>,
    buf: BytesMut,
    /// The TCP socket under `io` (owned by it), when known.
    socket: Option<RawFd>,
}

impl Pipeline {
    pub fn new(io: Box<dyn Stream>) -> Self {
        Pipeline {
            io,
            buf: BytesMut::with_capacity(16 * 1024),
            socket: None,
        }
    }

    /// A pipeline over `io`, which runs over (and keeps open) the TCP socket `socket`.
    pub fn over_socket(io: Box<dyn Stream>, socket: RawFd) -> Self {
        Pipeline {
            socket: Some(socket),
            ..Pipeline::new(io)
        }
    }

    /// Holds reads (`true`) while the reader pauses on purpose: each arriving TCP segment
    /// would otherwise wake the runtime's poller for a reader that is not waiting, one context
    /// switch per event. Released, the kernel signals the bytes already queued at once, so
    /// nothing waits longer than the pause. Only an optimisation: a failure changes nothing.
    pub fn hold_reads(&self, held: bool) {
        let Some(fd) = self.socket else { return };
        let low_water: libc::c_int = if held { HELD_LOW_WATER } else { 1 };
        #[allow(unsafe_code)]
        // SAFETY: `fd` is the socket `self.io` owns, open for as long as `self` lives; the
        // option's value is a c_int that outlives the call.
        let done = unsafe {
            libc::setsockopt(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVLOWAT,
                (&low_water as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if done != 0 {
            tracing::debug!(
                "SO_RCVLOWAT {low_water}: {}",
                std::io::Error::last_os_error()
            );
        }
    }

    /// Writes `bytes` (any number of whole requests) and flushes them.
    pub async fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.io.write_all(bytes).await?;
        self.io.flush().await
    }

    /// Reads more bytes into the buffer; false at end of stream. Cancel-safe.
    async fn fill(&mut self) -> Result<bool, ReadError> {
        if self.buf.capacity() - self.buf.len() < 8 * 1024 {
            self.buf.reserve(32 * 1024);
        }
        match self.io.read_buf(&mut self.buf).await {
            Ok(0) => Ok(false),
            Ok(_) => Ok(true),
            Err(e) => Err(ReadError::Broken(e.to_string())),
        }
    }

    /// Reads the next response's head (interim 1xx responses are skipped).
    pub async fn read_head(&mut self) -> Result<Head, ReadError> {
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
                        ReadError::Broken(
                            "the connection closed in the middle of a response".into(),
                        )
                    } else {
                        ReadError::Closed
                    });
                }
                started = true;
            };
            self.buf.advance(head.len);
            if !(100..200).contains(&head.status) {
                return Ok(head);
            }
        }
    }

    /// Reads the next response in full.
    pub async fn read_answer(&mut self) -> Result<Answer, ReadError> {
        let head = self.read_head().await?;
        let mut length = head.body;
        let mut body = Vec::new();
        while let Some(piece) = self.body_piece(&mut length).await? {
            keep(&mut body, &piece);
        }
        Ok(Answer {
            status: head.status,
            location: head.location,
            body,
            close: head.close || head.body == BodyLength::UntilClose,
        })
    }

    /// The next piece of a body framed as `length` (updated as it is read): what is at hand
    /// of it, read from the connection only when nothing is; `None` at its end. Cancel-safe:
    /// bytes are consumed only with the piece returned or with a whole framing line.
    pub async fn body_piece(
        &mut self,
        length: &mut BodyLength,
    ) -> Result<Option<Vec<u8>>, ReadError> {
        loop {
            match length {
                BodyLength::None | BodyLength::Exactly(0) => {
                    *length = BodyLength::None;
                    return Ok(None);
                }
                BodyLength::Exactly(n) if !self.buf.is_empty() => {
                    let got = (*n).min(self.buf.len());
                    *n -= got;
                    return Ok(Some(self.buf.split_to(got).to_vec()));
                }
                BodyLength::UntilClose if !self.buf.is_empty() => {
                    return Ok(Some(self.buf.split().to_vec()));
                }
                BodyLength::Chunked(state) => match chunk_step(&mut self.buf, state)? {
                    Step::Piece(piece) => return Ok(Some(piece)),
                    Step::End => {
                        *length = BodyLength::None;
                        return Ok(None);
                    }
                    Step::Framing => continue,
                    Step::NeedMore => {}
                },
                _ => {}
            }
            let was_empty = self.buf.is_empty();
            if !self.fill().await? {
                return match length {
                    BodyLength::UntilClose => {
                        *length = BodyLength::None;
                        Ok(None)
                    }
                    BodyLength::Chunked(ChunkState::Size) if was_empty => Err(ReadError::Closed),
                    _ => Err(ReadError::Broken(
                        "the connection closed in the middle of a response body".into(),
                    )),
                };
            }
        }
    }
}

fn keep(body: &mut Vec<u8>, bytes: &[u8]) {
    let room = KEPT_BODY.saturating_sub(body.len());
    body.extend_from_slice(&bytes[..bytes.len().min(room)]);
}

/// What one step through a chunked body found.
enum Step {
    Piece(Vec<u8>),
    /// A framing line was consumed.
    Framing,
    NeedMore,
    End,
}

fn crlf(buf: &[u8]) -> Result<Option<usize>, ReadError> {
    match buf.windows(2).position(|w| w == b"\r\n") {
        Some(i) => Ok(Some(i)),
        None if buf.len() > MAX_LINE => Err(ReadError::Broken("a chunk line too long".into())),
        None => Ok(None),
    }
}

/// One step through a chunked body, consuming only whole framing lines or the data returned.
fn chunk_step(buf: &mut BytesMut, state: &mut ChunkState) -> Result<Step, ReadError> {
    match *state {
        ChunkState::Size => {
            let Some(eol) = crlf(buf)? else {
                return Ok(Step::NeedMore);
            };
            let line = String::from_utf8_lossy(&buf[..eol]);
            let size = line.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16)
                .map_err(|_| ReadError::Broken(format!("a bad chunk size {size:?}")))?;
            buf.advance(eol + 2);
            *state = match size {
                0 => ChunkState::Trailers,
                n => ChunkState::Data(n),
            };
            Ok(Step::Framing)
        }
        ChunkState::Data(n) => {
            if buf.is_empty() {
                return Ok(Step::NeedMore);
            }
            let got = n.min(buf.len());
            *state = match n - got {
                0 => ChunkState::DataEnd,
                left => ChunkState::Data(left),
            };
            Ok(Step::Piece(buf.split_to(got).to_vec()))
        }
        ChunkState::DataEnd => {
            if buf.len() < 2 {
                return Ok(Step::NeedMore);
            }
            if &buf[..2] != b"\r\n" {
                return Err(ReadError::Broken("a chunk without its CRLF".into()));
            }
            buf.advance(2);
            *state = ChunkState::Size;
            Ok(Step::Framing)
        }
        ChunkState::Trailers => {
            let Some(eol) = crlf(buf)? else {
                return Ok(Step::NeedMore);
            };
            buf.advance(eol + 2);
            Ok(if eol == 0 { Step::End } else { Step::Framing })
        }
    }
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
    let mut stream_id = None;
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
        } else if h.name.eq_ignore_ascii_case(STREAM_ID) {
            stream_id = Some(value.trim().to_owned());
        }
    }
    let body = if (100..200).contains(&status) || status == 204 || status == 304 {
        BodyLength::None
    } else if chunked {
        BodyLength::Chunked(ChunkState::Size)
    } else if let Some(n) = length {
        BodyLength::Exactly(n)
    } else {
        BodyLength::UntilClose
    };
    Ok(Some(Head {
        len,
        status,
        location,
        stream_id,
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
            answers(b"HTTP/1.1 202 Accepted\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
                .await;
        assert!(got[0].as_ref().unwrap().close);
        let (_, got) = answers(b"HTTP/1.0 500 Oops\r\n\r\nsomething broke").await;
        let answer = got[0].as_ref().unwrap();
        assert_eq!(
            (answer.status, answer.text().as_str()),
            (500, "something broke")
        );
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
        let (_, got) =
            answers(b"HTTP/1.1 202 Accepted\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd").await;
        assert!(matches!(&got[0], Err(ReadError::Broken(w)) if w.contains("CRLF")));
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

    #[tokio::test]
    async fn a_stream_is_read_as_it_comes_and_ends_between_chunks() {
        let (client, mut far) = tokio::io::duplex(16);
        let mut pipe = Pipeline::new(Box::new(client));
        let writer = tokio::spawn(async move {
            let stream: &[u8] = b"HTTP/1.1 200 OK\r\nMesos-Stream-Id: abc-1\r\n\
                Transfer-Encoding: chunked\r\n\r\n3\r\n1\nx\r\n10\r\n0123456789abcdef\r\n";
            for piece in stream.chunks(5) {
                far.write_all(piece).await.unwrap();
            }
        });
        let head = pipe.read_head().await.unwrap();
        assert_eq!(
            (head.status, head.stream_id.as_deref()),
            (200, Some("abc-1"))
        );
        let mut length = head.body;
        let mut data = Vec::new();
        let end = loop {
            match pipe.body_piece(&mut length).await {
                Ok(Some(piece)) => data.extend(piece),
                other => break other,
            }
        };
        writer.await.unwrap();
        assert_eq!(data, b"1\nx0123456789abcdef");
        assert_eq!(end, Err(ReadError::Closed));
    }
}
