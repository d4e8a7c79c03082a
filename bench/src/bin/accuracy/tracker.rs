//! The tracker commands the accuracy benchmark sends, with their replies parsed: creating
//! the EXACT and APPROX trackers, `TOPK.QUERY ... WITHBOUNDS`, `TOPK.COUNT`, `TOPK.DAY`,
//! `TOPK.INFO` (the few fields printed or compared) and `MEMORY USAGE`. An error reply stops
//! the run with the command in the message (see `wtopk_bench::client`).

use redis::{Connection, Value};
use wtopk_bench::client::{array, call, int, text};

use crate::config::TRACKER_ARGS;

/// One reported item: its estimate and, where the command reports them, its bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    pub item: Vec<u8>,
    pub count: u64,
    /// `lower, upper` from `WITHBOUNDS`; `None` for `TOPK.DAY`, which has no bounds.
    pub bounds: Option<(u64, u64)>,
}

/// `TOPK.CREATE key <TRACKER_ARGS>`, plus `MODE APPROX [CAPACITY m]` when `approx`.
pub fn create(con: &mut Connection, key: &str, approx: bool, capacity: Option<u64>) {
    let mut args: Vec<String> = vec!["TOPK.CREATE".into(), key.into()];
    args.extend(TRACKER_ARGS.iter().map(|a| a.to_string()));
    if approx {
        args.extend(["MODE".into(), "APPROX".into()]);
        if let Some(m) = capacity {
            args.extend(["CAPACITY".into(), m.to_string()]);
        }
    }
    call(con, &args);
}

/// `TOPK.QUERY key window k WITHBOUNDS`.
pub fn query(con: &mut Connection, key: &str, window: &str, k: usize) -> Vec<Reported> {
    let reply = call(
        con,
        &["TOPK.QUERY", key, window, &k.to_string(), "WITHBOUNDS"],
    );
    array(&reply)
        .chunks(4)
        .map(|four| match four {
            [item, count, lower, upper] => Reported {
                item: bytes(item),
                count: int(count) as u64,
                bounds: Some((int(lower) as u64, int(upper) as u64)),
            },
            _ => panic!("TOPK.QUERY WITHBOUNDS replied a partial entry: {four:?}"),
        })
        .collect()
}

/// `TOPK.COUNT key window item...`, one count per item.
pub fn counts(con: &mut Connection, key: &str, window: &str, items: &[Vec<u8>]) -> Vec<u64> {
    if items.is_empty() {
        return Vec::new();
    }
    let mut args: Vec<&[u8]> = vec![b"TOPK.COUNT", key.as_bytes(), window.as_bytes()];
    args.extend(items.iter().map(Vec::as_slice));
    let reply = call(con, &args);
    let counts: Vec<u64> = array(&reply).iter().map(|v| int(v) as u64).collect();
    assert_eq!(counts.len(), items.len(), "TOPK.COUNT replied {reply:?}");
    counts
}

/// `TOPK.DAY key day k`.
pub fn day(con: &mut Connection, key: &str, day: &str, k: usize) -> Vec<Reported> {
    let reply = call(con, &["TOPK.DAY", key, day, &k.to_string()]);
    array(&reply)
        .chunks(2)
        .map(|two| match two {
            [item, count] => Reported {
                item: bytes(item),
                count: int(count) as u64,
                bounds: None,
            },
            _ => panic!("TOPK.DAY replied a partial entry: {two:?}"),
        })
        .collect()
}

/// `MEMORY USAGE key SAMPLES 0`.
pub fn memory_usage(con: &mut Connection, key: &str) -> u64 {
    match call(con, &["MEMORY", "USAGE", key, "SAMPLES", "0"]) {
        Value::Nil => panic!("MEMORY USAGE {key}: no such key"),
        value => int(&value) as u64,
    }
}

/// The `TOPK.INFO` fields this benchmark prints or compares.
#[derive(Debug, Clone, Default)]
pub struct Info {
    pub mode: String,
    pub capacity: Option<u64>,
    pub distinct_items: Option<u64>,
    /// `(name, bucket width in ms)` per window.
    pub buckets: Vec<(String, i64)>,
}

pub fn info(con: &mut Connection, key: &str) -> Info {
    let reply = call(con, &["TOPK.INFO", key]);
    let mut info = Info::default();
    for pair in array(&reply).chunks(2) {
        let [field, value] = pair else { continue };
        match text(field).as_str() {
            "mode" => info.mode = text(value),
            "capacity" if !matches!(value, Value::Nil) => info.capacity = Some(int(value) as u64),
            "distinct_items" => info.distinct_items = Some(int(value) as u64),
            "windows" => info.buckets = array(value).iter().filter_map(window_bucket).collect(),
            _ => {}
        }
    }
    info
}

/// `(name, bucket)` of one entry of INFO's `windows` array.
fn window_bucket(window: &Value) -> Option<(String, i64)> {
    let fields = array(window);
    let field = |name: &str| {
        fields
            .chunks(2)
            .find(|pair| matches!(pair, [f, _] if text(f) == name))
            .map(|pair| &pair[1])
    };
    let name = match field("name")? {
        Value::Int(n) => n.to_string(),
        other => text(other),
    };
    Some((name, int(field("bucket")?)))
}

/// The bytes of a bulk or simple string reply.
fn bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::BulkString(bytes) => bytes.clone(),
        other => text(other).into_bytes(),
    }
}
