//! `TOPK.INFO key`: configuration, clock and counters as a flat field/value array.

use redis_module::{Context, RedisResult, RedisString, RedisValue};
use wtopk_core::{ClockMode, Mode};

use crate::args::wrong_arity;
use crate::clock::server_now;
use crate::commands::command_name;
use crate::keys::with_tracker;

fn int(n: impl TryInto<i64>) -> RedisValue {
    RedisValue::Integer(n.try_into().unwrap_or(i64::MAX))
}

fn text(s: &str) -> RedisValue {
    RedisValue::BulkString(s.to_string())
}

pub fn info(ctx: &Context, args: &[RedisString]) -> RedisResult {
    let [_, key] = args else {
        return Err(wrong_arity(&command_name("INFO")));
    };
    with_tracker(ctx, key, |tracker| {
        let config = tracker.config();
        let stats = tracker.stats();
        let windows = tracker
            .window_info()
            .into_iter()
            .map(|w| {
                RedisValue::Array(vec![
                    text("name"),
                    text(&w.name),
                    text("length"),
                    int(w.length),
                    text("bucket"),
                    int(w.bucket),
                    text("lateness"),
                    int(w.lateness),
                ])
            })
            .collect();
        let daily = config.daily.as_ref().map_or(RedisValue::Null, |daily| {
            RedisValue::Array(vec![
                text("tz"),
                text(&daily.zone),
                text("days"),
                int(daily.days),
                text("lateness"),
                int(daily.lateness),
            ])
        });
        let clock = match config.clock {
            ClockMode::Server => "server",
            ClockMode::Event => "event",
        };
        let mut reply = match config.mode {
            Mode::Exact => vec![text("mode"), text("exact"), text("k"), int(config.k)],
            Mode::Approx { capacity } => vec![
                text("mode"),
                text("approx"),
                text("k"),
                int(config.k),
                text("capacity"),
                int(capacity),
            ],
        };
        reply.extend([
            text("clock"),
            text(clock),
            text("T"),
            int(tracker.clock_at(server_now())),
            text("windows"),
            RedisValue::Array(windows),
            text("daily"),
            daily,
            text("future"),
            int(config.future),
            text("dedupe"),
            int(config.dedupe),
            text("dedupe_ids"),
            int(tracker.dedupe().map_or(0, |d| d.len())),
            text("dedupe_forgotten"),
            int(tracker.dedupe().map_or(0, |d| d.forgotten())),
            text("distinct_items"),
            int(tracker.distinct_items()),
            text("events_accepted"),
            int(stats.accepted),
            text("events_duplicate"),
            int(stats.duplicate),
            text("events_late"),
            int(stats.late),
            text("events_future"),
            int(stats.future),
            text("events_dropped"),
            int(stats.dropped),
            text("memory_bytes"),
            int(tracker.heap_bytes()),
        ]);
        Ok(RedisValue::Array(reply))
    })
}
