//! RecordIO framing of the event stream: `<decimal length>\n<length bytes>`, repeated, with no
//! relation between records and HTTP chunks.

use bytes::{Buf, Bytes, BytesMut};

use super::error::DriverError;

/// Default cap on one record: OFFERS events grow with the cluster, so keep it well above 4 MiB.
pub const DEFAULT_MAX_FRAME: usize = 64 * 1024 * 1024;

/// A size line longer than this is not a size line (u64::MAX has 20 digits).
const MAX_SIZE_DIGITS: usize = 20;

/// Frames one record for the wire.
pub fn encode(record: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(record.len() + 21);
    out.extend_from_slice(record.len().to_string().as_bytes());
    out.push(b'\n');
    out.extend_from_slice(record);
    out
}

/// Incremental decoder: feed it chunks as they arrive, take whole records out.
#[derive(Debug)]
pub struct Decoder {
    buf: BytesMut,
    max_frame: usize,
    /// Length of the record being read, once its size line is complete.
    want: Option<usize>,
}

impl Decoder {
    /// A decoder that refuses records longer than `max_frame` bytes.
    pub fn new(max_frame: usize) -> Self {
        Decoder {
            buf: BytesMut::new(),
            max_frame,
            want: None,
        }
    }

    /// Appends bytes received from the stream.
    pub fn push(&mut self, chunk: &[u8]) {
        self.buf.extend_from_slice(chunk);
    }

    /// True when no partial record is buffered (a clean place for the stream to end).
    pub fn is_idle(&self) -> bool {
        self.buf.is_empty() && self.want.is_none()
    }

    /// The next complete record, `None` if more bytes are needed, or an error for a malformed
    /// size line or an oversized record. Zero-length records are skipped.
    pub fn next_record(&mut self) -> Result<Option<Bytes>, DriverError> {
        loop {
            let want = match self.want {
                Some(n) => n,
                None => match self.parse_size()? {
                    Some(n) => n,
                    None => return Ok(None),
                },
            };
            if self.buf.len() < want {
                // Grow once to the full record instead of doubling through a large frame.
                self.buf.reserve(want - self.buf.len());
                return Ok(None);
            }
            self.want = None;
            if want == 0 {
                continue;
            }
            return Ok(Some(self.buf.split_to(want).freeze()));
        }
    }

    fn parse_size(&mut self) -> Result<Option<usize>, DriverError> {
        let Some(nl) = self
            .buf
            .iter()
            .take(MAX_SIZE_DIGITS + 1)
            .position(|&b| b == b'\n')
        else {
            if let Some(bad) = self.buf.iter().find(|b| !b.is_ascii_digit()) {
                return Err(bad_size(&self.buf, *bad));
            }
            if self.buf.len() > MAX_SIZE_DIGITS {
                return Err(DriverError::Stream(format!(
                    "RecordIO size line longer than {MAX_SIZE_DIGITS} digits"
                )));
            }
            return Ok(None);
        };
        let line = &self.buf[..nl];
        if line.is_empty() {
            return Err(DriverError::Stream("RecordIO size line is empty".into()));
        }
        if let Some(bad) = line.iter().find(|b| !b.is_ascii_digit()) {
            return Err(bad_size(line, *bad));
        }
        // Only ASCII digits, at most 20 of them: parse as u64 and catch overflow.
        let text = std::str::from_utf8(line).unwrap_or_default();
        let size: u64 = text.parse().map_err(|_| {
            DriverError::Stream(format!("RecordIO size {text:?} does not fit in u64"))
        })?;
        if size > self.max_frame as u64 {
            return Err(DriverError::FrameTooLarge {
                size,
                limit: self.max_frame,
            });
        }
        self.buf.advance(nl + 1);
        // size <= max_frame, which is a usize.
        let size = size as usize;
        self.want = Some(size);
        Ok(Some(size))
    }
}

fn bad_size(line: &[u8], bad: u8) -> DriverError {
    let shown: String = String::from_utf8_lossy(&line[..line.len().min(40)]).into_owned();
    DriverError::Stream(format!(
        "RecordIO size line holds a non-digit byte 0x{bad:02x} (starts with {shown:?})"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(d: &mut Decoder) -> Vec<Bytes> {
        let mut out = vec![];
        while let Some(r) = d.next_record().unwrap() {
            out.push(r);
        }
        out
    }

    #[test]
    fn case_01_byte_by_byte_then_many_in_one_chunk() {
        let mut wire = encode(b"hello world");
        let mut d = Decoder::new(1024);
        let mut got = vec![];
        for b in wire.drain(..) {
            d.push(&[b]);
            got.extend(all(&mut d));
        }
        assert_eq!(got, vec![Bytes::from_static(b"hello world")]);
        let mut three = encode(b"a");
        three.extend(encode(b"bb"));
        three.extend(encode(b"ccc"));
        d.push(&three);
        assert_eq!(all(&mut d), vec!["a", "bb", "ccc"]);
        assert!(d.is_idle());
    }

    #[test]
    fn case_02_size_line_split_at_chunk_boundary() {
        let mut d = Decoder::new(1024);
        d.push(b"2");
        assert_eq!(d.next_record().unwrap(), None);
        d.push(b"0\n01234567890123456789");
        assert_eq!(all(&mut d), vec!["01234567890123456789"]);
    }

    #[test]
    fn zero_length_records_are_skipped() {
        let mut d = Decoder::new(1024);
        d.push(b"0\n0\n1\nx");
        assert_eq!(all(&mut d), vec!["x"]);
    }

    #[test]
    fn case_03_malformed_sizes_are_errors() {
        for bad in [&b"abc\n"[..], b"12a\n", b"\n", b"-1\n", b"1 \n"] {
            let mut d = Decoder::new(1024);
            d.push(bad);
            assert!(
                matches!(d.next_record(), Err(DriverError::Stream(_))),
                "{bad:?}"
            );
        }
        // Garbage without any newline is caught before the line ends.
        let mut d = Decoder::new(1024);
        d.push(b"HTTP/1.1 garbage");
        assert!(matches!(d.next_record(), Err(DriverError::Stream(_))));
        let mut d = Decoder::new(1024);
        d.push(b"123456789012345678901");
        assert!(matches!(d.next_record(), Err(DriverError::Stream(_))));
        let mut d = Decoder::new(usize::MAX);
        d.push(b"99999999999999999999\n");
        assert!(matches!(d.next_record(), Err(DriverError::Stream(_))));
    }

    #[test]
    fn case_04_oversized_frame_is_refused_before_its_bytes_arrive() {
        let mut d = Decoder::new(10);
        d.push(b"11\n");
        assert_eq!(
            d.next_record(),
            Err(DriverError::FrameTooLarge {
                size: 11,
                limit: 10
            })
        );
        let mut d = Decoder::new(10);
        d.push(b"10\n0123456789");
        assert_eq!(all(&mut d), vec!["0123456789"]);
    }
}
