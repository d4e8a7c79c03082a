//! `TOPK.CREATE key [WINDOW duration [LATENESS duration]]... [DAILY days [TZ zone]
//! [LATENESS duration]] [NODAILY] [K k] [MODE EXACT|APPROX] [CAPACITY m] [CLOCK SERVER|EVENT]
//! [FUTURE duration] [DEDUPE duration]`: parses the options into a configuration, which the
//! core validates, and stores an empty tracker.

use redis_module::{Context, RedisError, RedisResult, RedisString, RedisValue};
use wtopk_core::duration::parse_duration;
use wtopk_core::limits::DEFAULT_CAPACITY;
use wtopk_core::parse::{parse_k, parse_window, shown};
use wtopk_core::{ClockMode, DailySpec, Mode, Tracker, TrackerConfig, WindowSpec};

use crate::args::{wrong_arity, Args};
use crate::commands::command_name;
use crate::errors::{err, from_core};
use crate::keys::create as store_new;

pub fn create(ctx: &Context, args: &[RedisString]) -> RedisResult {
    if args.len() < 2 {
        return Err(wrong_arity(&command_name("CREATE")));
    }
    let config = parse_options(Args::new(&args[2..]))?;
    let tracker = Tracker::new(config).map_err(from_core)?;
    store_new(ctx, &args[1], tracker)?;
    ctx.replicate_verbatim();
    Ok(RedisValue::SimpleStringStatic("OK"))
}

fn duration_arg(args: &mut Args<'_>, option: &str) -> Result<u64, RedisError> {
    let token = args.next_bytes(&format!("duration after {option}"))?;
    parse_duration(token).map_err(|e| err(format!("{option}: {e}")))
}

/// Parses the CREATE options; anything not given keeps its default.
fn parse_options(mut args: Args<'_>) -> Result<TrackerConfig, RedisError> {
    let mut config = TrackerConfig::default();
    let mut windows: Vec<WindowSpec> = Vec::new();
    let mut daily_option: Option<Option<DailySpec>> = None;
    let mut no_daily = false;
    let mut approx = false;
    let mut capacity = None;
    while !args.is_done() {
        let option = args.next_bytes("option")?;
        match option.to_ascii_uppercase().as_slice() {
            b"WINDOW" => {
                let token = args.next_bytes("duration after WINDOW")?;
                let mut spec = match parse_window(token).map_err(from_core)? {
                    None => WindowSpec::all_time(),
                    Some(length) => WindowSpec::sliding(length),
                };
                if args.eat_keyword("LATENESS") {
                    if spec.is_all_time() {
                        return Err(err("WINDOW all takes no LATENESS (it is never late)"));
                    }
                    spec.lateness = duration_arg(&mut args, "LATENESS")?;
                }
                windows.push(spec);
            }
            b"K" => config.k = parse_k(args.next_bytes("number after K")?).map_err(from_core)?,
            b"MODE" => {
                let mode = args.next_bytes("EXACT or APPROX after MODE")?;
                approx = if mode.eq_ignore_ascii_case(b"APPROX") {
                    true
                } else if mode.eq_ignore_ascii_case(b"EXACT") {
                    false
                } else {
                    return Err(err(format!(
                        "unknown MODE '{}' (EXACT or APPROX)",
                        shown(mode)
                    )));
                };
            }
            b"CLOCK" => {
                let clock = args.next_bytes("SERVER or EVENT after CLOCK")?;
                config.clock = if clock.eq_ignore_ascii_case(b"SERVER") {
                    ClockMode::Server
                } else if clock.eq_ignore_ascii_case(b"EVENT") {
                    ClockMode::Event
                } else {
                    return Err(err(format!(
                        "unknown CLOCK '{}' (SERVER or EVENT)",
                        shown(clock)
                    )));
                };
            }
            b"FUTURE" => config.future = duration_arg(&mut args, "FUTURE")?,
            b"DAILY" => {
                let days = args.next_bytes("number of days after DAILY")?;
                let days = wtopk_core::parse::parse_u64(days)
                    .and_then(|d| u32::try_from(d).ok())
                    .ok_or_else(|| {
                        err(format!("invalid DAILY days '{}' (0 to 3660)", shown(days)))
                    })?;
                let mut daily = DailySpec {
                    days,
                    ..DailySpec::default()
                };
                loop {
                    if args.eat_keyword("TZ") {
                        let zone = args.next_bytes("zone after TZ")?;
                        daily.zone = String::from_utf8(zone.to_vec())
                            .map_err(|_| err("TZ: a zone name is ASCII text"))?;
                    } else if args.eat_keyword("LATENESS") {
                        daily.lateness = duration_arg(&mut args, "DAILY LATENESS")?;
                    } else {
                        break;
                    }
                }
                daily_option = Some(Some(daily));
            }
            b"NODAILY" => no_daily = true,
            b"DEDUPE" => config.dedupe = duration_arg(&mut args, "DEDUPE")?,
            b"CAPACITY" => {
                let token = args.next_bytes("number after CAPACITY")?;
                let parsed = wtopk_core::parse::parse_u64(token)
                    .and_then(|m| usize::try_from(m).ok())
                    .filter(|&m| m > 0)
                    .ok_or_else(|| {
                        err(format!(
                            "invalid CAPACITY '{}' (a positive integer)",
                            shown(token)
                        ))
                    })?;
                capacity = Some(parsed);
            }
            _ => return Err(err(format!("unknown option '{}'", shown(option)))),
        }
    }
    if !windows.is_empty() {
        config.windows = windows;
    }
    config.mode = match (approx, capacity) {
        (true, capacity) => Mode::Approx {
            capacity: capacity.unwrap_or(DEFAULT_CAPACITY),
        },
        (false, None) => Mode::Exact,
        (false, Some(_)) => return Err(err("CAPACITY needs MODE APPROX")),
    };
    match (daily_option, no_daily) {
        (Some(_), true) => return Err(err("DAILY and NODAILY exclude each other")),
        (Some(daily), false) => config.daily = daily,
        (None, true) => config.daily = None,
        (None, false) => {}
    }
    Ok(config)
}
