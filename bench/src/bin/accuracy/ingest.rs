//! Streaming events into one tracker the way a producer would: in time order, `BATCH`
//! events per `TOPK.INGEST` (count 1, no id), `DEPTH` commands per round trip. Event `i` of
//! a stream of `n` over `span` ms lies at `START_MS + i * span / n`, so every stream of a
//! span covers the same time (24 hours, `SPAN_MS`, unless said). Each round trip is encoded before its clock starts: the figure is the time spent
//! in round trips only, so it measures the server, not the client's formatting.

use std::borrow::Cow;
use std::ops::Range;
use std::time::{Duration, Instant};

use redis::Connection;
use wtopk_bench::client::{array, encode, int, pipeline};

use crate::config::{BATCH, DEPTH, START_MS};

/// The event time of event `index` of a stream of `events` over `span` ms.
pub fn timestamp(index: usize, events: usize, span: i64) -> i64 {
    START_MS + (index as i128 * span as i128 / events.max(1) as i128) as i64
}

/// What the tracker replied to a run of ingests, and the time spent in them.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ingested {
    pub events: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub dropped: u64,
    pub busy: Duration,
}

impl Ingested {
    pub fn add(&mut self, other: Ingested) {
        self.events += other.events;
        self.accepted += other.accepted;
        self.duplicates += other.duplicates;
        self.dropped += other.dropped;
        self.busy += other.busy;
    }

    /// Events per second of round-trip time.
    pub fn rate(&self) -> f64 {
        self.events as f64 / self.busy.as_secs_f64().max(1e-9)
    }
}

/// Sends events `range` of a stream of `events` over `span` ms to tracker `key`; `item(i)`
/// names event i.
pub fn ingest<'a, F>(
    con: &mut Connection,
    key: &str,
    range: Range<usize>,
    (events, span): (usize, i64),
    item: F,
) -> Ingested
where
    F: Fn(usize) -> Cow<'a, [u8]>,
{
    let mut total = Ingested::default();
    let mut packed = Vec::new();
    let mut commands = 0;
    let mut args: Vec<Cow<'a, [u8]>> = Vec::with_capacity(2 + 4 * BATCH);
    let mut next = range.start;
    while next < range.end {
        let end = (next + BATCH).min(range.end);
        args.clear();
        args.push(Cow::Borrowed(b"TOPK.INGEST"));
        args.push(Cow::Owned(key.as_bytes().to_vec()));
        for index in next..end {
            args.push(Cow::Owned(
                timestamp(index, events, span).to_string().into_bytes(),
            ));
            args.push(item(index));
            args.push(Cow::Borrowed(b"1"));
            args.push(Cow::Borrowed(b"-"));
        }
        encode(&mut packed, &args);
        commands += 1;
        total.events += (end - next) as u64;
        next = end;
        if commands == DEPTH || next == range.end {
            let started = Instant::now();
            let replies = pipeline(con, &packed, commands, "TOPK.INGEST");
            total.busy += started.elapsed();
            for reply in &replies {
                let counts = array(reply);
                assert_eq!(counts.len(), 3, "TOPK.INGEST replied {reply:?}");
                total.accepted += int(&counts[0]) as u64;
                total.duplicates += int(&counts[1]) as u64;
                total.dropped += int(&counts[2]) as u64;
            }
            packed.clear();
            commands = 0;
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SPAN_MS;

    #[test]
    fn timestamps_cover_the_day_in_order() {
        let n = 10_000_000;
        assert_eq!(timestamp(0, n, SPAN_MS), START_MS);
        assert!(timestamp(n - 1, n, SPAN_MS) < START_MS + SPAN_MS);
        assert!((1..n)
            .step_by(997)
            .all(|i| timestamp(i - 1, n, SPAN_MS) <= timestamp(i, n, SPAN_MS)));
    }
}
