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

/// What the driver's own bookkeeping needs from an OFFERS event (type and offer ids); prost skips
/// every other field without allocating. Measured to size a lazy full decode.
#[derive(Clone, PartialEq, prost::Message)]
struct SlimEvent {
    #[prost(int32, optional, tag = "1")]
    r#type: Option<i32>,
    #[prost(message, optional, tag = "3")]
    offers: Option<SlimOffers>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct SlimOffers {
    #[prost(message, repeated, tag = "1")]
    offers: Vec<SlimOffer>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct SlimOffer {
    #[prost(message, optional, tag = "1")]
    id: Option<SlimId>,
}

#[derive(Clone, PartialEq, prost::Message)]
struct SlimId {
    #[prost(string, tag = "1")]
    value: String,
}

fn decode_slim(stream: &[u8]) -> (usize, usize) {
    let mut dec = Decoder::new(DEFAULT_MAX_FRAME);
    let (mut events, mut offers) = (0, 0);
    for chunk in stream.chunks(CHUNK) {
        dec.push(chunk);
        while let Some(record) = dec.next_record().expect("framing") {
            let event = SlimEvent::decode(record.clone()).expect("event");
            events += 1;
            offers += event.offers.map_or(0, |o| o.offers.len());
            std::hint::black_box(record);
        }
    }
    (events, offers)
}

fn best_of(runs: usize, f: impl Fn() -> (usize, usize), expect: (usize, usize)) -> f64 {
    let mut best = f64::INFINITY;
    for _ in 0..runs {
        let t = Instant::now();
        assert_eq!(f(), expect);
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
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
    let best = best_of(5, || decode_all(&stream), (events, n));
    println!(
        "decode (RecordIO + protobuf Event, one core, best of 5): {:.0} MB/s, {:.0} events/s, \
         {:.0} offers/s (target >= 200 MB/s)",
        mb / best,
        events as f64 / best,
        n as f64 / best
    );
    let slim = best_of(5, || decode_slim(&stream), (events, n));
    println!(
        "framing + slim decode (type and offer ids only, the rest skipped): {:.0} MB/s",
        mb / slim
    );
}
