//! Event decoding throughput of the scheduler driver, on one core, over a large stream built
//! from the OFFERS events captured from real Mesos 1.11 (tests/fixtures):
//!
//! - what the driver's stream reader does per record: RecordIO framing in HTTP-sized chunks,
//!   `codec::event_protobuf` and `MesosEvent::from_protobuf` (the driver's slim view: type and
//!   offer ids; the full `Event` is decoded only on demand);
//! - for comparison, the same framing plus a full prost decode of every `Event` (what the reader
//!   did before, and what `MesosEvent::event()` costs when a Rust user asks for it).
//!
//!     cargo bench --bench driver_decode
//!
//! Target: >= 200 MB/s. Prints MB/s (best and median of several passes), events/s and offers/s.

use std::time::Instant;

use _satyr::driver::codec::{decode_event, event_protobuf};
use _satyr::driver::recordio::{self, Decoder, DEFAULT_MAX_FRAME};
use _satyr::driver::{Encoding, MesosEvent};
use _satyr::proto::mesos::scheduler::event::Type;
use _satyr::proto::mesos::scheduler::Event;
use bytes::Bytes;
use prost::Message;

/// The target for the reader, MB/s.
const TARGET_MB_S: f64 = 200.0;
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

/// Framing plus a full prost decode of every event (the reader before lazy decoding).
fn decode_full(stream: &[u8]) -> (usize, usize) {
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

/// Exactly what the driver's reader does per record (src/driver/reader.rs), up to handing the
/// boxed event to the actor; the offer count comes from the slim view the actor reads.
fn decode_as_reader(stream: &[u8]) -> (usize, usize) {
    let mut dec = Decoder::new(DEFAULT_MAX_FRAME);
    let (mut events, mut offers) = (0, 0);
    for chunk in stream.chunks(CHUNK) {
        dec.push(chunk);
        while let Some(record) = dec.next_record().expect("framing") {
            let ev = event_protobuf(record, Encoding::Protobuf)
                .and_then(MesosEvent::from_protobuf)
                .expect("event");
            events += 1;
            offers += ev.offer_ids().count();
            std::hint::black_box(Box::new(ev));
        }
    }
    (events, offers)
}

/// Seconds per pass: (best, median).
fn time_passes(runs: usize, f: impl Fn() -> (usize, usize), expect: (usize, usize)) -> (f64, f64) {
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            assert_eq!(f(), expect);
            t.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    (times[0], times[runs / 2])
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
    const RUNS: usize = 7;
    let (best, median) = time_passes(RUNS, || decode_as_reader(&stream), (events, n));
    let (full_best, full_median) = time_passes(RUNS, || decode_full(&stream), (events, n));
    let (reader, full) = (mb / best, mb / full_best);
    println!(
        "driver reader (framing + slim decode: type, offer ids), one core, {RUNS} passes: \
         best {reader:.0} MB/s, median {:.0} MB/s; {:.0} events/s, {:.0} offers/s",
        mb / median,
        events as f64 / best,
        n as f64 / best
    );
    println!(
        "full decode (framing + prost Event), one core, {RUNS} passes: best {full:.0} MB/s, \
         median {:.0} MB/s; {:.0} offers/s",
        mb / full_median,
        n as f64 / full_best
    );
    // Judged on the median: the machine is shared and the best pass can be a lucky one.
    let verdict = if mb / median >= TARGET_MB_S {
        "MET"
    } else {
        "MISSED"
    };
    println!(
        "reader vs the {TARGET_MB_S:.0} MB/s target: {:.1}x (median {:.1}x) {}; \
         vs the full decode: {:.1}x (median {:.1}x)",
        reader / TARGET_MB_S,
        mb / median / TARGET_MB_S,
        verdict,
        reader / full,
        full_median / median
    );
}
