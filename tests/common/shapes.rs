//! Reply shapes of SPEC.md for the fuzz tests: `check_reply` takes a command as sent (any
//! prefix, any case) and its reply and says, without panicking, what is wrong with it: an
//! error that does not start with `ERR`/`WRONGTYPE`, an error nested inside a reply, or a
//! success reply of the wrong shape (a QUERY that is not sorted or lists more than k items,
//! INGEST counts that do not add up to the events sent, DAYS out of order, ...). `send_all`
//! pipelines raw commands keeping error replies as values, and `show` prints a command.

use redis::{Connection, ConnectionLike, RedisResult, Value};

/// The largest timestamp of SPEC.md (the end of year 9999).
const MAX_TIMESTAMP: i64 = 253_402_300_799_999;

/// Fields every `TOPK.INFO` reply has (SPEC.md).
const INFO_FIELDS: [&str; 14] = [
    "mode",
    "k",
    "clock",
    "T",
    "windows",
    "daily",
    "dedupe",
    "distinct_items",
    "events_accepted",
    "events_duplicate",
    "events_late",
    "events_future",
    "events_dropped",
    "memory_bytes",
];

/// Sends `commands` in one pipeline and returns every reply, error replies as
/// `Value::ServerError`; an error result means the connection failed (a dead server, or a
/// reply that is not RESP).
pub fn send_all(con: &mut Connection, commands: &[Vec<Vec<u8>>]) -> RedisResult<Vec<Value>> {
    let mut pipe = redis::pipe();
    for args in commands {
        let mut cmd = redis::Cmd::new();
        cmd.arg(args);
        pipe.add_command(cmd);
    }
    con.req_packed_commands(&pipe.get_packed_pipeline(), 0, commands.len())
}

/// A command for failure messages: printable arguments as text, others (and long ones)
/// shortened.
pub fn show(args: &[Vec<u8>]) -> String {
    args.iter()
        .map(|arg| match std::str::from_utf8(arg) {
            Ok(text) if arg.len() <= 60 && !text.chars().any(char::is_control) => {
                format!("{text:?}")
            }
            _ => format!(
                "<{} bytes {:02x?}...>",
                arg.len(),
                &arg[..arg.len().min(16)]
            ),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Checks `reply` against the command `args` (name first, e.g. `TOPK.QUERY`).
pub fn check_reply(args: &[Vec<u8>], reply: &Value) -> Result<(), String> {
    if let Value::ServerError(err) = reply {
        return match err.code() {
            "ERR" | "WRONGTYPE" => Ok(()),
            other => Err(format!(
                "error code {other:?} (message {:?}) is neither ERR nor WRONGTYPE",
                err.details()
            )),
        };
    }
    check_no_nested_error(reply)?;
    let name = args
        .first()
        .map(|name| String::from_utf8_lossy(name).to_ascii_uppercase())
        .unwrap_or_default();
    let suffix = name.rsplit('.').next().unwrap_or_default();
    let rest = args.get(2..).unwrap_or_default();
    match suffix {
        "CREATE" | "LOADSTATE" => check_ok(reply),
        "ADD" => check_count_reply(reply, rest.len()),
        "INCRBY" => check_count_reply(reply, rest.len() / 2),
        "INGEST" => check_outcome(reply, rest.len() / 4),
        "APPLY" => match rest.get(1) {
            Some(word) if word.eq_ignore_ascii_case(b"ITEMS") => {
                check_outcome(reply, rest.len() - 2)
            }
            _ => check_outcome(reply, rest.len().saturating_sub(1) / 4),
        },
        "ADVANCE" => match reply {
            Value::Int(t) if (0..=MAX_TIMESTAMP).contains(t) => Ok(()),
            other => Err(format!("ADVANCE replied {other:?}, not a timestamp")),
        },
        "QUERY" => {
            let options = rest.get(1..).unwrap_or_default();
            let with_bounds = options
                .iter()
                .any(|arg| arg.eq_ignore_ascii_case(b"WITHBOUNDS"));
            check_ranking(reply, with_bounds, k_arg(options))
        }
        "DAY" => check_ranking(reply, false, k_arg(rest.get(1..).unwrap_or_default())),
        "COUNT" => check_counts(reply, rest.len().saturating_sub(1)),
        "DAYS" => check_days(reply),
        "INFO" => check_info(reply),
        _ => Ok(()),
    }
}

/// The first argument that is a number, as `k`.
fn k_arg(options: &[Vec<u8>]) -> Option<usize> {
    options
        .iter()
        .find_map(|arg| std::str::from_utf8(arg).ok()?.parse().ok())
}

fn check_no_nested_error(value: &Value) -> Result<(), String> {
    match value {
        Value::ServerError(err) => Err(format!("an error inside a reply: {err:?}")),
        Value::Array(values) | Value::Set(values) => {
            values.iter().try_for_each(check_no_nested_error)
        }
        _ => Ok(()),
    }
}

fn check_ok(reply: &Value) -> Result<(), String> {
    match reply {
        Value::Okay => Ok(()),
        Value::SimpleString(text) if text == "OK" => Ok(()),
        other => Err(format!("expected OK, got {other:?}")),
    }
}

/// ADD/INCRBY: the number of events accepted, at most the number sent.
fn check_count_reply(reply: &Value, sent: usize) -> Result<(), String> {
    match reply {
        Value::Int(n) if usize::try_from(*n).is_ok_and(|n| n <= sent) => Ok(()),
        other => Err(format!(
            "expected 0..={sent} events accepted, got {other:?}"
        )),
    }
}

/// INGEST/APPLY: `[accepted, duplicates, dropped]` adding up to the events sent.
fn check_outcome(reply: &Value, sent: usize) -> Result<(), String> {
    let counts = int_array(reply)?;
    let total: Option<usize> = counts
        .iter()
        .map(|&n| usize::try_from(n).ok())
        .sum::<Option<usize>>();
    if counts.len() == 3 && total == Some(sent) {
        Ok(())
    } else {
        Err(format!(
            "expected [accepted, duplicates, dropped] adding up to {sent}, got {counts:?}"
        ))
    }
}

/// COUNT: one non-negative integer per item asked.
fn check_counts(reply: &Value, items: usize) -> Result<(), String> {
    let counts = int_array(reply)?;
    if counts.len() == items && counts.iter().all(|&n| n >= 0) {
        Ok(())
    } else {
        Err(format!(
            "expected {items} non-negative counts, got {counts:?}"
        ))
    }
}

fn int_array(reply: &Value) -> Result<Vec<i64>, String> {
    let Value::Array(values) = reply else {
        return Err(format!("expected an array of integers, got {reply:?}"));
    };
    values
        .iter()
        .map(|value| match value {
            Value::Int(n) => Ok(*n),
            other => Err(format!("expected an integer, got {other:?} in {reply:?}")),
        })
        .collect()
}

/// QUERY/DAY: `item, count[, lower, upper]` groups, at most k, counts positive and
/// non-increasing, ties by item bytes ascending, no item twice, lower <= count <= upper.
fn check_ranking(reply: &Value, with_bounds: bool, k: Option<usize>) -> Result<(), String> {
    let Value::Array(values) = reply else {
        return Err(format!("expected a ranking array, got {reply:?}"));
    };
    let width = if with_bounds { 4 } else { 2 };
    if values.len() % width != 0 {
        return Err(format!(
            "ranking of {} values, not groups of {width}",
            values.len()
        ));
    }
    let mut ranking: Vec<(&[u8], i64)> = Vec::new();
    for group in values.chunks(width) {
        let (item, count) = match group {
            [Value::BulkString(item), Value::Int(count)] => (item, *count),
            [Value::BulkString(item), Value::Int(count), Value::Int(lower), Value::Int(upper)]
                if lower <= count && count <= upper =>
            {
                (item, *count)
            }
            other => return Err(format!("malformed ranking entry {other:?}")),
        };
        if item.is_empty() || item.len() > 4096 || count < 1 {
            return Err(format!(
                "ranking entry of {} bytes with count {count}",
                item.len()
            ));
        }
        ranking.push((item, count));
    }
    if let Some(k) = k.filter(|&k| ranking.len() > k) {
        return Err(format!("{} entries for k = {k}", ranking.len()));
    }
    for pair in ranking.windows(2) {
        let ((a, count_a), (b, count_b)) = (pair[0], pair[1]);
        if !(count_a > count_b || (count_a == count_b && a < b)) {
            return Err(format!(
                "({a:?}, {count_a}) is listed before ({b:?}, {count_b})"
            ));
        }
    }
    let mut items: Vec<&[u8]> = ranking.iter().map(|(item, _)| *item).collect();
    items.sort_unstable();
    items.dedup();
    if items.len() == ranking.len() {
        Ok(())
    } else {
        Err("an item is listed twice".to_string())
    }
}

/// DAYS: `[YYYY-MM-DD, running|final, total]` per day, newest first.
fn check_days(reply: &Value) -> Result<(), String> {
    let Value::Array(days) = reply else {
        return Err(format!("expected an array of days, got {reply:?}"));
    };
    let mut previous: Option<(u32, u32, u32)> = None;
    for day in days {
        let date = match day.as_sequence() {
            Some([Value::BulkString(date), Value::BulkString(status), Value::Int(total)])
                if (status == b"running" || status == b"final") && *total >= 0 =>
            {
                iso_date(date)
            }
            _ => None,
        };
        let Some(date) = date else {
            return Err(format!("malformed DAYS entry {day:?}"));
        };
        if previous.is_some_and(|newer| newer <= date) {
            return Err(format!("DAYS not newest first: {reply:?}"));
        }
        previous = Some(date);
    }
    Ok(())
}

fn iso_date(text: &[u8]) -> Option<(u32, u32, u32)> {
    if text == b"+10000-01-01" {
        return Some((10_000, 1, 1));
    }
    let text = std::str::from_utf8(text).ok()?;
    let mut parts = text.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |part: &str, len: usize| -> Option<u32> {
        (part.len() == len && part.bytes().all(|c| c.is_ascii_digit()))
            .then(|| part.parse().ok())?
    };
    if parts.next().is_some() {
        return None;
    }
    Some((digits(year, 4)?, digits(month, 2)?, digits(day, 2)?))
}

/// INFO: a flat field/value array with every field of SPEC.md and non-negative counters.
fn check_info(reply: &Value) -> Result<(), String> {
    let Value::Array(values) = reply else {
        return Err(format!("expected the INFO array, got {reply:?}"));
    };
    if values.len() % 2 != 0 {
        return Err(format!("INFO array of odd length {}", values.len()));
    }
    let fields: Vec<(&[u8], &Value)> = values
        .chunks(2)
        .filter_map(|pair| match pair {
            [Value::BulkString(name), value] => Some((name.as_slice(), value)),
            [Value::SimpleString(name), value] => Some((name.as_bytes(), value)),
            _ => None,
        })
        .collect();
    if fields.len() * 2 != values.len() {
        return Err(format!("INFO field names are not all strings: {reply:?}"));
    }
    for wanted in INFO_FIELDS {
        let Some((_, value)) = fields.iter().find(|(name, _)| *name == wanted.as_bytes()) else {
            return Err(format!("INFO lacks {wanted}: {reply:?}"));
        };
        let counter = wanted.starts_with("events_") || wanted == "distinct_items";
        if counter && !matches!(value, Value::Int(n) if *n >= 0) {
            return Err(format!("INFO {wanted} is {value:?}"));
        }
    }
    Ok(())
}
