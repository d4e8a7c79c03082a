//! Running raw commands and reading their replies: `run` (must succeed), `try_run` (the raw
//! result), `expect_err` (must fail with a one-line `ERR`/`WRONGTYPE` reply that mentions
//! what was wrong), and parsers for the shapes of SPEC.md (QUERY pairs, integer arrays, the
//! INFO field/value array).

use std::thread::sleep;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use redis::{Connection, RedisError, RedisResult, ToRedisArgs, Value};

/// Runs one command, returning the raw reply or the error.
pub fn try_run(con: &mut Connection, args: impl ToRedisArgs) -> RedisResult<Value> {
    let mut cmd = redis::Cmd::new();
    cmd.arg(args);
    cmd.query(con)
}

/// Runs one command that must succeed.
pub fn run(con: &mut Connection, args: impl ToRedisArgs) -> Value {
    let mut cmd = redis::Cmd::new();
    cmd.arg(args);
    let shown = show_cmd(&cmd);
    cmd.query(con)
        .unwrap_or_else(|e| panic!("{shown} failed: {}", error_text(&e)))
}

/// The error as the server sent it: `CODE message`.
pub fn error_text(err: &RedisError) -> String {
    match (err.code(), err.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => err.to_string(),
    }
}

/// Runs a command that must fail with a one-line error starting with `ERR ` or `WRONGTYPE `
/// whose message mentions one of `any_of` (see [`mentions`]; empty: any message). Returns
/// the error text.
pub fn expect_err(con: &mut Connection, args: impl ToRedisArgs, any_of: &[&str]) -> String {
    let mut cmd = redis::Cmd::new();
    cmd.arg(args);
    let shown = show_cmd(&cmd);
    let err = match cmd.query::<Value>(con) {
        Ok(value) => panic!("{shown} should fail, got {value:?}"),
        Err(err) => error_text(&err),
    };
    assert!(
        err.starts_with("ERR ") || err.starts_with("WRONGTYPE "),
        "{shown}: error {err:?} lacks the ERR/WRONGTYPE prefix"
    );
    assert!(
        !err.contains('\n') && !err.contains('\r'),
        "{shown}: error {err:?} is not one line"
    );
    assert!(
        any_of.is_empty() || any_of.iter().any(|word| mentions(&err, word)),
        "{shown}: error {err:?} mentions none of {any_of:?}"
    );
    err
}

/// Whether `message` mentions `keyword`, case-insensitively: a keyword with a space is
/// searched as is; a one-letter keyword (`k`) must be a whole word; a longer one must start
/// a word (`exist` matches `exists`).
pub fn mentions(message: &str, keyword: &str) -> bool {
    let message = message.to_ascii_lowercase();
    let keyword = keyword.to_ascii_lowercase();
    if keyword.contains(' ') {
        return message.contains(&keyword);
    }
    message
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .any(|word| {
            if keyword.len() == 1 {
                word == keyword
            } else {
                word.starts_with(&keyword)
            }
        })
}

/// The command as text, for failure messages (long arguments shortened).
fn show_cmd(cmd: &redis::Cmd) -> String {
    cmd.args_iter()
        .map(|arg| match arg {
            redis::Arg::Simple(bytes) if bytes.len() > 40 => {
                format!("<{} bytes>", bytes.len())
            }
            redis::Arg::Simple(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            redis::Arg::Cursor => "<cursor>".to_string(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An integer reply.
pub fn int(value: &Value) -> i64 {
    match value {
        Value::Int(n) => *n,
        other => panic!("expected an integer, got {other:?}"),
    }
}

/// An array of integers.
pub fn ints(value: &Value) -> Vec<i64> {
    match value {
        Value::Array(values) => values.iter().map(int).collect(),
        other => panic!("expected an array of integers, got {other:?}"),
    }
}

/// A bulk or simple string reply as bytes.
pub fn bytes(value: &Value) -> Vec<u8> {
    match value {
        Value::BulkString(bytes) => bytes.clone(),
        Value::SimpleString(text) => text.clone().into_bytes(),
        other => panic!("expected a string, got {other:?}"),
    }
}

/// A bulk or simple string reply as UTF-8 text.
pub fn text(value: &Value) -> String {
    String::from_utf8(bytes(value)).expect("UTF-8 reply")
}

/// A QUERY reply `item, count, item, count, ...` with items as bytes.
pub fn byte_pairs(value: &Value) -> Vec<(Vec<u8>, i64)> {
    let Value::Array(values) = value else {
        panic!("expected a QUERY array, got {value:?}");
    };
    assert!(
        values.len() % 2 == 0,
        "QUERY reply of odd length: {values:?}"
    );
    values
        .chunks(2)
        .map(|pair| match pair {
            [Value::BulkString(item), Value::Int(count)] => (item.clone(), *count),
            other => panic!("QUERY pair is not (bulk string, integer): {other:?}"),
        })
        .collect()
}

/// A QUERY reply with UTF-8 items.
pub fn pairs(value: &Value) -> Vec<(String, i64)> {
    byte_pairs(value)
        .into_iter()
        .map(|(item, count)| (String::from_utf8(item).expect("UTF-8 item"), count))
        .collect()
}

/// Pairs from literals, to compare with [`pairs`].
pub fn expected(pairs: &[(&str, i64)]) -> Vec<(String, i64)> {
    pairs
        .iter()
        .map(|(item, count)| (item.to_string(), *count))
        .collect()
}

/// `TOPK.QUERY key window k` as pairs.
pub fn query(con: &mut Connection, key: &str, window: &str, k: usize) -> Vec<(String, i64)> {
    pairs(&run(
        con,
        &["TOPK.QUERY", key, window, k.to_string().as_str()],
    ))
}

/// `TOPK.COUNT key window items...` as integers.
pub fn count(con: &mut Connection, key: &str, window: &str, items: &[&str]) -> Vec<i64> {
    let mut args = vec!["TOPK.COUNT", key, window];
    args.extend_from_slice(items);
    ints(&run(con, args))
}

/// One window of `TOPK.INFO`'s `windows` array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowInfo {
    pub name: String,
    pub length: i64,
    pub bucket: i64,
    pub lateness: i64,
}

/// The `TOPK.INFO` reply: field/value pairs in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Info {
    pub fields: Vec<(String, Value)>,
}

impl Info {
    pub fn parse(value: &Value) -> Info {
        Info {
            fields: field_pairs(value),
        }
    }

    pub fn get(&self, name: &str) -> &Value {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value)
            .unwrap_or_else(|| panic!("TOPK.INFO has no field {name:?}: {:?}", self.fields))
    }

    pub fn has(&self, name: &str) -> bool {
        self.fields.iter().any(|(field, _)| field == name)
    }

    pub fn int(&self, name: &str) -> i64 {
        int(self.get(name))
    }

    pub fn text(&self, name: &str) -> String {
        text(self.get(name))
    }

    /// The tracker's clock T.
    pub fn clock(&self) -> i64 {
        self.int("T")
    }

    pub fn windows(&self) -> Vec<WindowInfo> {
        let Value::Array(windows) = self.get("windows") else {
            panic!(
                "TOPK.INFO windows is not an array: {:?}",
                self.get("windows")
            );
        };
        windows
            .iter()
            .map(|window| {
                let info = Info::parse(window);
                WindowInfo {
                    name: info.text("name"),
                    length: info.int("length"),
                    bucket: info.int("bucket"),
                    lateness: info.int("lateness"),
                }
            })
            .collect()
    }

    /// The same fields without `name`.
    pub fn without(&self, name: &str) -> Info {
        Info {
            fields: self
                .fields
                .iter()
                .filter(|(field, _)| field != name)
                .cloned()
                .collect(),
        }
    }
}

/// `TOPK.INFO key`.
pub fn info(con: &mut Connection, key: &str) -> Info {
    Info::parse(&run(con, &["TOPK.INFO", key]))
}

/// A flat `field, value, field, value, ...` array.
fn field_pairs(value: &Value) -> Vec<(String, Value)> {
    let Value::Array(values) = value else {
        panic!("expected a field/value array, got {value:?}");
    };
    assert!(
        values.len() % 2 == 0,
        "field/value array of odd length: {values:?}"
    );
    values
        .chunks(2)
        .map(|pair| (text(&pair[0]), pair[1].clone()))
        .collect()
}

/// `DEBUG DIGEST-VALUE` of one key.
pub fn digest(con: &mut Connection, key: &str) -> String {
    match run(con, &["DEBUG", "DIGEST-VALUE", key]) {
        Value::Array(values) if values.len() == 1 => text(&values[0]),
        other => panic!("DEBUG DIGEST-VALUE {key} answered {other:?}"),
    }
}

/// The local wall clock in ms since the epoch (the test server runs on this machine).
pub fn now_ms() -> i64 {
    let elapsed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970");
    i64::try_from(elapsed.as_millis()).expect("ms fit i64")
}

/// The text of the server's `INFO section`.
pub fn server_info(con: &mut Connection, section: &str) -> String {
    match run(con, &["INFO", section]) {
        Value::BulkString(bytes) => String::from_utf8(bytes).expect("INFO is text"),
        Value::VerbatimString { text, .. } => text,
        other => panic!("INFO {section} answered {other:?}"),
    }
}

/// The value of `name:value` in an `INFO` text.
pub fn info_field<'a>(info: &'a str, name: &str) -> Option<&'a str> {
    info.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

/// Waits until no AOF rewrite is running or scheduled; the last one must have succeeded.
pub fn wait_for_rewrite(con: &mut Connection) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let info = server_info(con, "persistence");
        let idle = info_field(&info, "aof_rewrite_in_progress") == Some("0")
            && info_field(&info, "aof_rewrite_scheduled") == Some("0");
        if idle {
            assert_eq!(
                info_field(&info, "aof_last_bgrewrite_status"),
                Some("ok"),
                "{info}"
            );
            return;
        }
        assert!(
            Instant::now() < deadline,
            "AOF rewrite still running\n{info}"
        );
        sleep(Duration::from_millis(20));
    }
}

/// `TOPK.DAYS key` as `(day, status, total)` rows.
pub fn days_rows(con: &mut Connection, key: &str) -> Vec<(String, String, i64)> {
    match run(con, &["TOPK.DAYS", key]) {
        Value::Array(rows) => rows
            .iter()
            .map(|row| match row {
                Value::Array(fields) if fields.len() == 3 => {
                    (text(&fields[0]), text(&fields[1]), int(&fields[2]))
                }
                other => panic!("TOPK.DAYS {key} row {other:?}"),
            })
            .collect(),
        other => panic!("TOPK.DAYS {key} answered {other:?}"),
    }
}
