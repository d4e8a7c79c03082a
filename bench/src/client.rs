//! The few client operations the benchmark needs on top of the `redis` crate: encoding a
//! command in RESP once (so timed loops only write bytes and read replies), sending one
//! command or a pre-encoded pipeline, and reading integer, float and array replies. An error
//! reply or a broken connection stops the run with a message naming the command.

use redis::{Connection, ConnectionLike, Value};

/// Appends `args` to `buf` as one RESP command (an array of bulk strings).
pub fn encode<A: AsRef<[u8]>>(buf: &mut Vec<u8>, args: &[A]) {
    buf.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
    for arg in args {
        let arg = arg.as_ref();
        buf.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        buf.extend_from_slice(arg);
        buf.extend_from_slice(b"\r\n");
    }
}

/// Runs one command and returns its reply; panics on an error reply.
pub fn call<A: AsRef<[u8]>>(con: &mut Connection, args: &[A]) -> Value {
    let mut buf = Vec::new();
    encode(&mut buf, args);
    let value = con
        .req_packed_command(&buf)
        .unwrap_or_else(|e| panic!("{} failed: {e}", describe(args)));
    if let Value::ServerError(err) = &value {
        panic!("{} got an error reply: {err:?}", describe(args));
    }
    value
}

/// Sends `count` pre-encoded commands at once and returns their replies; panics if any of
/// them got an error reply (`what` names the workload in the message).
pub fn pipeline(con: &mut Connection, packed: &[u8], count: usize, what: &str) -> Vec<Value> {
    let values = con
        .req_packed_commands(packed, 0, count)
        .unwrap_or_else(|e| panic!("pipeline of {what} failed: {e}"));
    if let Some(Value::ServerError(err)) =
        values.iter().find(|v| matches!(v, Value::ServerError(_)))
    {
        panic!("pipeline of {what} got an error reply: {err:?}");
    }
    values
}

/// An integer reply (also one sent as a bulk string of digits).
pub fn int(value: &Value) -> i64 {
    match value {
        Value::Int(n) => *n,
        Value::BulkString(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("expected an integer reply, got {value:?}")),
        other => panic!("expected an integer reply, got {other:?}"),
    }
}

/// A number reply sent as a bulk string (sorted-set scores).
pub fn float(value: &Value) -> f64 {
    match value {
        Value::Int(n) => *n as f64,
        Value::Double(x) => *x,
        Value::BulkString(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("expected a number reply, got {value:?}")),
        other => panic!("expected a number reply, got {other:?}"),
    }
}

/// The elements of an array reply.
pub fn array(value: &Value) -> &[Value] {
    match value {
        Value::Array(items) => items,
        other => panic!("expected an array reply, got {other:?}"),
    }
}

/// A text reply (INFO and the like).
pub fn text(value: &Value) -> String {
    match value {
        Value::BulkString(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        Value::SimpleString(s) => s.clone(),
        Value::VerbatimString { text, .. } => text.clone(),
        other => panic!("expected a text reply, got {other:?}"),
    }
}

/// The first words of a command, for messages.
fn describe<A: AsRef<[u8]>>(args: &[A]) -> String {
    let words: Vec<String> = args
        .iter()
        .take(4)
        .map(|a| String::from_utf8_lossy(a.as_ref()).into_owned())
        .collect();
    let more = if args.len() > 4 { " ..." } else { "" };
    format!("`{}{more}`", words.join(" "))
}
