//! What the fuzz targets share: the operations a fuzz input can apply to a tracker ([`Op`],
//! run by [`apply`], which checks what every write and read promises), the structural
//! invariants of a tracker's state ([`check_invariants`]), and [`check_round_trip`], which
//! encodes a tracker, decodes it again and compares the whole logical state through the public
//! API. The encoding is not byte-canonical (items inside a bucket or day follow hash-map
//! order), so a round trip compares that state and the encoded length, not the bytes.

use std::collections::{BTreeMap, BTreeSet};

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use wtopk_core::approx::ApproxTable;
use wtopk_core::calendar::Day;
use wtopk_core::counts::Counts;
use wtopk_core::daily::DayStatus;
use wtopk_core::encoding::{decode, digest_bytes, encode};
use wtopk_core::limits::MAX_TIMESTAMP;
use wtopk_core::records::HoldsRecord;
use wtopk_core::tally::Tally;
use wtopk_core::window::Window;
use wtopk_core::{Bounds, DayRef, Event, Mode, QueryWindow, Tracker};

/// An instant as fuzz input names it; resolved against the tracker's stored clock.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Time {
    /// The stored clock plus this many ms (about 25 days either way).
    Near(i32),
    /// Whole seconds since the epoch (1970 to 2106), for calendar days and clock jumps.
    Seconds(u32),
    /// Any value, valid or not.
    Raw(i64),
}

impl Time {
    fn at(self, clock: i64) -> i64 {
        match self {
            Time::Near(delta) => clock.saturating_add(i64::from(delta)),
            Time::Seconds(seconds) => i64::from(seconds) * 1_000,
            Time::Raw(ms) => ms,
        }
    }
}

/// Item or event-id bytes: mostly from a small pool so that counts add up.
#[derive(Arbitrary, Debug, Clone)]
pub enum Bytes {
    Pool(u8),
    Given(Vec<u8>),
    /// `len` copies of `fill`, to reach the 4096-byte limit and past it.
    Repeated {
        len: u16,
        fill: u8,
    },
}

impl Bytes {
    fn to_vec(&self) -> Vec<u8> {
        match self {
            Bytes::Pool(n) => format!("item-{}", n % 32).into_bytes(),
            Bytes::Given(bytes) => bytes.clone(),
            Bytes::Repeated { len, fill } => vec![*fill; usize::from(*len)],
        }
    }
}

/// An increment: usually small, sometimes anything (0 and past 2^32-1 are refused).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Increment {
    Small(u8),
    Raw(u64),
}

#[derive(Arbitrary, Debug, Clone)]
pub struct EventInput {
    pub ts: Time,
    pub item: Bytes,
    pub count: Increment,
    pub id: Option<Bytes>,
}

/// The window a read names.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum WindowPick {
    /// The length of configured window `n` (modulo the count), resolved like a user's name.
    Configured(u8),
    /// A duration in ms (`None` for `all`), resolved like a user's name.
    Length(Option<u64>),
    /// A `QueryWindow` built directly, as a Rust client of the core could.
    Direct { window: u8, span: Option<u64> },
}

impl WindowPick {
    fn resolve(self, tracker: &Tracker) -> Option<QueryWindow> {
        let windows = &tracker.config().windows;
        match self {
            WindowPick::Configured(n) => {
                let length = windows[usize::from(n) % windows.len()].length;
                tracker.resolve_window((length > 0).then_some(length)).ok()
            }
            WindowPick::Length(length) => tracker.resolve_window(length).ok(),
            WindowPick::Direct { window, span } => Some(match span {
                None => QueryWindow::Configured(usize::from(window)),
                Some(span) => QueryWindow::Derived {
                    window: usize::from(window),
                    span,
                },
            }),
        }
    }
}

/// A day a read names.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum DayPick {
    DaysAgo(u32),
    Date(i32),
}

/// One command's worth of work on a tracker.
#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    Ingest {
        now: Time,
        events: Vec<EventInput>,
    },
    Advance {
        to: Time,
        now: Time,
    },
    Query {
        window: WindowPick,
        k: u32,
        now: Time,
    },
    Count {
        window: WindowPick,
        items: Vec<Bytes>,
        now: Time,
    },
    Day {
        day: DayPick,
        k: u32,
        now: Time,
    },
    Days {
        now: Time,
    },
    /// Replace the tracker by its decoded encoding, as an RDB reload does.
    Reload,
}

/// Applies `op`, asserting what the tracker promises about it, and checks the invariants.
pub fn apply(tracker: &mut Tracker, op: &Op) {
    let clock = tracker.stored_clock();
    match op {
        Op::Ingest { now, events } => ingest(tracker, now.at(clock), events),
        Op::Advance { to, now } => {
            let (t, _) = tracker.advance(to.at(clock), now.at(clock));
            assert_eq!(
                t,
                tracker.stored_clock(),
                "ADVANCE reports the stored clock"
            );
            assert!(t >= clock, "ADVANCE moved the clock backwards");
        }
        Op::Query { window, k, now } => {
            if let Some(window) = window.resolve(tracker) {
                query(tracker, window, *k as usize, now.at(clock));
            }
        }
        Op::Count { window, items, now } => {
            if let Some(window) = window.resolve(tracker) {
                let items: Vec<Vec<u8>> = items.iter().map(Bytes::to_vec).collect();
                let refs: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
                if let Ok(counts) = tracker.count(window, &refs, now.at(clock)) {
                    assert_eq!(counts.len(), refs.len(), "one count per item");
                }
            }
        }
        Op::Day { day, k, now } => read_day(tracker, *day, *k as usize, now.at(clock)),
        Op::Days { now } => read_days(tracker, now.at(clock), None),
        Op::Reload => *tracker = check_round_trip(tracker),
    }
    check_invariants(tracker);
}

/// An event with its bytes resolved from the input, for `Event` to borrow.
struct OwnedEvent {
    ts: i64,
    item: Vec<u8>,
    count: u64,
    id: Option<Vec<u8>>,
}

fn ingest(tracker: &mut Tracker, now: i64, inputs: &[EventInput]) {
    let owned: Vec<OwnedEvent> = inputs
        .iter()
        .map(|e| OwnedEvent {
            ts: e.ts.at(tracker.stored_clock()),
            item: e.item.to_vec(),
            count: match e.count {
                Increment::Small(n) => u64::from(n),
                Increment::Raw(n) => n,
            },
            id: e.id.as_ref().map(Bytes::to_vec),
        })
        .collect();
    let events: Vec<Event<'_>> = owned
        .iter()
        .map(|e| Event {
            ts: e.ts,
            item: &e.item,
            count: e.count,
            id: e.id.as_deref(),
        })
        .collect();
    let before = tracker.clone();
    match tracker.ingest(&events, now) {
        Ok(outcome) => {
            assert_eq!(
                outcome.accepted + outcome.duplicates + outcome.dropped,
                events.len() as u64,
                "every event is accepted, a duplicate or dropped"
            );
            assert!(
                outcome.future <= outcome.dropped,
                "future events are dropped"
            );
            assert!(
                outcome.finalized_days.windows(2).all(|w| w[0] < w[1]),
                "finalized days are reported once each, oldest first"
            );
            let (old, new) = (before.stats(), tracker.stats());
            assert_eq!(new.accepted, old.accepted + outcome.accepted);
            assert_eq!(new.duplicate, old.duplicate + outcome.duplicates);
            assert_eq!(new.dropped, old.dropped + outcome.dropped);
            assert!(tracker.stored_clock() >= before.stored_clock());
        }
        Err(_) => assert_eq!(
            State::of(tracker),
            State::of(&before),
            "a refused batch changed the tracker"
        ),
    }
}

/// Asserts that `answer` is ranked: estimate descending, then bytes ascending, no zero
/// estimates, each estimate within its bounds.
fn assert_ranked(answer: &[(&[u8], Bounds)], k: usize) {
    assert!(answer.len() <= k, "more than k answers");
    assert!(answer.iter().all(|(_, b)| b.count > 0), "a zero count");
    assert!(
        answer
            .iter()
            .all(|(_, b)| b.lower <= b.count && b.count <= b.upper),
        "bounds out of order: {answer:?}"
    );
    assert!(
        answer
            .windows(2)
            .all(|w| w[0].1.count > w[1].1.count
                || (w[0].1.count == w[1].1.count && w[0].0 < w[1].0)),
        "answer not ranked: {answer:?}"
    );
}

fn query(tracker: &Tracker, window: QueryWindow, k: usize, now: i64) {
    let Ok(answer) = tracker.query(window, k, now) else {
        return;
    };
    assert_ranked(&answer, k);
    let items: Vec<&[u8]> = answer.iter().map(|&(item, _)| item).collect();
    let counts = tracker
        .count(window, &items, now)
        .expect("COUNT of a window that QUERY answered");
    for (&(item, bounds), counted) in answer.iter().zip(counts) {
        assert_eq!(
            bounds.count, counted,
            "QUERY and COUNT disagree on {item:?}"
        );
    }
}

fn read_day(tracker: &Tracker, day: DayPick, k: usize, now: i64) {
    let day = match day {
        DayPick::DaysAgo(n) => DayRef::DaysAgo(n),
        DayPick::Date(d) => DayRef::Date(Day(d)),
    };
    if let Ok(day) = tracker.resolve_day(day, now) {
        let statuses = tracker.day_statuses(now).expect("DAYS where DAY resolved");
        let status = statuses
            .iter()
            .find(|s| s.day == day)
            .expect("a resolved day is listed by DAYS");
        read_day_top(tracker, status, k);
    }
}

fn read_day_top(tracker: &Tracker, status: &DayStatus, k: usize) {
    if let Ok(answer) = tracker.day_top(status.day, k) {
        assert_ranked(&answer, k);
        let sum: u64 = answer.iter().map(|(_, bounds)| bounds.lower).sum();
        assert!(sum <= status.total, "top of a day exceeds its total");
    }
}

/// `TOPK.DAYS`, and with `k` the top of every day it lists.
fn read_days(tracker: &Tracker, now: i64, k: Option<usize>) {
    if let Ok(statuses) = tracker.day_statuses(now) {
        assert!(!statuses.is_empty(), "DAYS lists today");
        assert!(
            statuses.windows(2).all(|w| w[0].day > w[1].day),
            "DAYS is newest first"
        );
        for status in &statuses {
            assert_eq!(
                tracker.resolve_day(DayRef::Date(status.day), now),
                Ok(status.day)
            );
            if let Some(k) = k {
                read_day_top(tracker, status, k);
            }
        }
    }
}

/// Every read at the stored clock: top-1 and top-K of each configured window (checked against
/// COUNT), and every retained day with its top-K.
pub fn read_everything(tracker: &Tracker) {
    let now = tracker.stored_clock();
    let k = tracker.config().k;
    for index in 0..tracker.config().windows.len() {
        query(tracker, QueryWindow::Configured(index), 1, now);
        query(tracker, QueryWindow::Configured(index), k, now);
    }
    read_days(tracker, now, Some(k));
}

/// Counts by item bytes.
type Named = BTreeMap<Vec<u8>, u64>;

/// Per-item counts by item bytes (amounts of one item summed).
fn named(tracker: &Tracker, pairs: impl Iterator<Item = (u32, u64)>) -> Named {
    let mut named = Named::new();
    for (id, count) in pairs {
        *named
            .entry(tracker.interner().bytes(id).to_vec())
            .or_default() += count;
    }
    named
}

fn assert_total<R: HoldsRecord>(tally: &Tally<R>, what: &str) {
    let sum = tally
        .iter()
        .try_fold(0u64, |sum, (_, count)| sum.checked_add(count));
    assert_eq!(
        sum,
        Some(tally.total()),
        "{what}: total differs from its counts"
    );
    assert!(
        tally.iter().all(|(_, count)| count > 0),
        "{what}: zero count"
    );
}

/// An approximate table's invariants: within capacity, no item without a count or an
/// error, tracked counts within each column's total, bounds within the unlisted ones.
/// Returns the ids it holds.
fn check_table(table: &ApproxTable, capacity: usize, what: &str) -> Vec<u32> {
    let state = table.state();
    assert!(state.slots.len() <= capacity, "{what}: over capacity");
    let mut column_sums = vec![0u64; state.column_totals.len()];
    for slot in &state.slots {
        assert!(
            slot.errors.iter().chain(&slot.counts).any(|&c| c > 0),
            "{what}: an item with nothing counted"
        );
        for (sum, count) in column_sums.iter_mut().zip(&slot.counts) {
            *sum += count;
        }
    }
    for (sum, total) in column_sums.iter().zip(&state.column_totals) {
        assert!(
            sum <= total,
            "{what}: tracked counts exceed the column total"
        );
    }
    assert!(
        state.unlisted.windows(2).all(|w| w[0] >= w[1]),
        "{what}: unlisted bounds grow toward newer columns"
    );
    state.slots.iter().map(|slot| slot.id).collect()
}

/// What one window or day holds: per-item counts (lower bounds in APPROX mode).
fn counts_of(tracker: &Tracker, counts: &Counts) -> Named {
    match counts {
        Counts::Exact(tally) => named(tracker, tally.iter()),
        Counts::Approx(table) => table_counts(tracker, table),
    }
}

fn table_counts(tracker: &Tracker, table: &ApproxTable) -> Named {
    let state = table.state();
    named(
        tracker,
        state
            .slots
            .into_iter()
            .map(|slot| (slot.id, slot.counts.iter().sum())),
    )
}

fn window_counts(tracker: &Tracker, window: &Window) -> Named {
    match window {
        Window::Sliding(sliding) => named(
            tracker,
            sliding
                .live_buckets_at(tracker.stored_clock())
                .flat_map(|(_, bucket)| bucket.iter()),
        ),
        Window::AllTime(tally) => named(tracker, tally.iter()),
        Window::Approx(approx) => table_counts(tracker, approx.table()),
    }
}

/// The state's structural invariants: each sliding window's running tally equals the sum of
/// its buckets (those expiry has not reached yet included), totals equal the sum of counts,
/// approximate tables are consistent, and the interner holds exactly the items that some
/// window or day counts or that a dropped day has yet to release (no leaked and no dangling
/// ids).
pub fn check_invariants(tracker: &Tracker) {
    let capacity = match tracker.config().mode {
        Mode::Exact => usize::MAX,
        Mode::Approx { capacity } => capacity,
    };
    let mut held = BTreeSet::new();
    for window in tracker.windows() {
        match window {
            Window::Sliding(sliding) => {
                assert_total(sliding.tally(), "window");
                held.extend(sliding.tally().iter().map(|(id, _)| id));
                let mut sums: BTreeMap<u32, u64> = BTreeMap::new();
                for (_, bucket) in sliding.ring().iter() {
                    for (id, count) in bucket.iter() {
                        *sums.entry(id).or_default() += count;
                    }
                }
                sums.retain(|_, count| *count > 0);
                let tally: BTreeMap<u32, u64> = sliding.tally().iter().collect();
                assert_eq!(
                    sums, tally,
                    "running tally differs from the sum of the buckets"
                );
            }
            Window::AllTime(tally) => {
                assert_total(tally, "window");
                held.extend(tally.iter().map(|(id, _)| id));
            }
            Window::Approx(approx) => held.extend(check_table(approx.table(), capacity, "window")),
        }
    }
    if let Some(daily) = tracker.daily() {
        held.extend(daily.retiring());
        for (_, counts) in daily.stored_days() {
            match counts {
                Counts::Exact(tally) => {
                    assert_total(tally, "day");
                    held.extend(tally.iter().map(|(id, _)| id));
                }
                Counts::Approx(table) => held.extend(check_table(table, capacity, "day")),
            }
        }
    }
    let interned: BTreeSet<u32> = tracker.interner().iter().map(|(id, _)| id).collect();
    assert_eq!(
        interned, held,
        "interned items differ from the items counted"
    );
    assert_eq!(tracker.distinct_items(), held.len());
    assert!(
        tracker.stored_clock() <= MAX_TIMESTAMP,
        "clock past the last timestamp"
    );
    assert!(tracker.heap_bytes() >= std::mem::size_of::<Tracker>());
    assert_eq!(tracker.window_info().len(), tracker.config().windows.len());
}

/// Everything a tracker holds as of its stored clock, independent of item ids and hash
/// order (what expiry has not reached yet is not part of it).
#[derive(Debug, PartialEq, Eq)]
pub struct State {
    digest: Vec<u8>,
    windows: Vec<Named>,
    /// The finalization mark and the stored days.
    days: Option<(Option<Day>, BTreeMap<Day, Named>)>,
    dedupe: Option<(u64, u64, BTreeMap<Vec<u8>, i64>)>,
}

impl State {
    pub fn of(tracker: &Tracker) -> State {
        State {
            digest: digest_bytes(tracker),
            windows: tracker
                .windows()
                .iter()
                .map(|w| window_counts(tracker, w))
                .collect(),
            days: tracker.daily().map(|daily| {
                let days = daily
                    .stored_days()
                    .map(|(day, counts)| (day, counts_of(tracker, counts)))
                    .collect();
                (daily.final_through(), days)
            }),
            dedupe: tracker.dedupe().map(|dedupe| {
                let ids = dedupe.iter().map(|(id, ts)| (id.to_vec(), ts)).collect();
                (dedupe.horizon(), dedupe.forgotten(), ids)
            }),
        }
    }
}

/// Encodes `tracker`, decodes the bytes and checks that nothing was lost or changed; returns
/// the decoded tracker.
pub fn check_round_trip(tracker: &Tracker) -> Tracker {
    let encoded = encode(tracker);
    let restored = match decode(&encoded) {
        Ok(restored) => restored,
        Err(e) => panic!("a tracker's own encoding does not decode: {e}"),
    };
    assert_eq!(
        encode(&restored).len(),
        encoded.len(),
        "re-encoding changed the length"
    );
    assert_eq!(
        State::of(&restored),
        State::of(tracker),
        "the round trip changed the state"
    );
    check_invariants(&restored);
    restored
}
