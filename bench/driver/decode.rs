//! Event decoding throughput of the scheduler driver: RecordIO framing + protobuf `Event`
//! decoding (what the stream reader does for every record), on one core, over a large stream
//! built from the OFFERS events captured from real Mesos 1.11 (tests/fixtures).
//!
//!     cargo bench --bench driver_decode
//!
//! Target: >= 200 MB/s. Prints MB/s, events/s and offers/s (best of several passes).

use std::time::Instant;

use _satyr::driver::codec::decode_event;
use _satyr::driver::recordio::{self, Decoder, DEFAULT_MAX_FRAME};
use _satyr::driver::Encoding;
use _satyr::proto::mesos::scheduler::event::Type;
use _satyr::proto::mesos::scheduler::Event;
use bytes::Bytes;
use prost::Message;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/fixtures/scheduler_stream.recordio"
);
/// Offers per OFFERS event (a busy cluster sends many per event).
const OFFERS_PER_EVENT: usize = 50;
/// Size of the stream to decode.
const STREAM_BYTES: usize = 128 * 1024 * 1024;
/// HTTP chunks as the reader gets them.
const CHUNK: usize = 64 * 1024;

fn captured_offers() -> Vec<_satyr::proto::mesos::Offer> {
    let data = std::fs::read(FIXTURE).expect("tests/fixtures/scheduler_stream.recordio");
    let mut dec = Decoder::new(DEFAULT_MAX_FRAME);
    dec.push(&data);
    let mut offers = vec![];
    while let Some(record) = dec.next_record().expect("fixture framing") {
        let (event, _) = decode_event(record, Encoding::Protobuf).expect("fixture event");
        if event.r#type == Some(Type::Offers as i32) {
            offers.extend(event.offers.expect("OFFERS body").offers);
        }
    }
    assert!(!offers.is_empty(), "no OFFERS in the fixture");
    offers
}

/// A RecordIO stream of OFFERS events cloned from the captured offers, with unique offer ids.
fn build_stream(offers: &[_satyr::proto::mesos::Offer]) -> (Vec<u8>, usize, usize) {
    let mut stream = Vec::with_capacity(STREAM_BYTES + 1024 * 1024);
    let (mut events, mut n) = (0, 0);
    while stream.len() < STREAM_BYTES {
        let batch = (0..OFFERS_PER_EVENT)
            .map(|i| {
                let mut o = offers[(n + i) % offers.len()].clone();
                o.id.value = format!("{}-{}", o.id.value, n + i);
                o
            })
            .collect();
        n += OFFERS_PER_EVENT;
        let event = Event {
            r#type: Some(Type::Offers as i32),
            offers: Some(_satyr::proto::mesos::scheduler::event::Offers { offers: batch }),
            ..Default::default()
        };
        stream.extend(recordio::encode(&event.encode_to_vec()));
        events += 1;
    }
    (stream, events, n)
}

fn decode_all(stream: &[u8]) -> (usize, usize) {
    let mut dec = Decoder::new(DEFAULT_MAX_FRAME);
    let (mut events, mut offers) = (0, 0);
    for chunk in stream.chunks(CHUNK) {
        dec.push(chunk);
        while let Some(record) = dec.next_record().expect("framing") {
            let (event, raw): (Event, Bytes) =
                decode_event(record, Encoding::Protobuf).expect("event");
            events += 1;
            offers += event.offers.map_or(0, |o| o.offers.len());
            std::hint::black_box(raw);
        }
    }
    (events, offers)
}

fn main() {
    let offers = captured_offers();
    let (stream, events, n) = build_stream(&offers);
    let mb = stream.len() as f64 / 1e6;
    println!(
        "stream: {mb:.1} MB, {events} OFFERS events x {OFFERS_PER_EVENT} offers \
         ({} captured offers cloned, {:.0} B per offer)",
        offers.len(),
        stream.len() as f64 / n as f64
    );
    let mut best = f64::INFINITY;
    for _ in 0..5 {
        let t = Instant::now();
        let (e, o) = decode_all(&stream);
        let secs = t.elapsed().as_secs_f64();
        assert_eq!((e, o), (events, n));
        best = best.min(secs);
    }
    println!(
        "decode (RecordIO + protobuf Event, one core, best of 5): {:.0} MB/s, {:.0} events/s, \
         {:.0} offers/s (target >= 200 MB/s)",
        mb / best,
        events as f64 / best,
        n as f64 / best
    );
}
