//! Part 4: memory. A stream of Zipf(1.1) events over 100k items spread over the last 24 hours
//! goes into the tracker and into the sorted-set recipe (minute keys for the last hour, hour
//! keys for the last 24 hours, day keys); `MEMORY USAGE t` is compared with the sum of
//! `MEMORY USAGE` over the recipe's keys. The datasets of part 3 are reported the same way.
//! Target: the tracker at most 0.5x the recipe. Both sides depend on the hour the run ends:
//! the stream's 24 hours fall on two UTC days, the tracker keeps today's running tally apart
//! from the finalized days, and the recipe keeps a key per day, so the title says the hour.

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::queries::MemoryFigure;
use super::{create_tracker, flush};
use crate::config::{Settings, SEED, UNIVERSE, ZIPF_EXPONENT};
use crate::dataset::{wall_clock_ms, Stream, DAY, MINUTE};
use crate::report::{bytes, count, ratio, Report, Row};
use crate::server::Server;

const TARGET: f64 = 0.5;

pub fn run(report: &mut Report, server: &Server, settings: &Settings, figures: &[MemoryFigure]) {
    let minutes_today = wall_clock_ms().rem_euclid(DAY) / MINUTE;
    report.section(format!(
        "4. memory: MEMORY USAGE of the tracker vs the recipe's keys (same stream; it is \
         {:02}:{:02} UTC, so today holds {:.1} of the last 24 hours)",
        minutes_today / 60,
        minutes_today % 60,
        minutes_today as f64 / 60.0
    ));
    eprintln!("bench: part 4, loading the memory stream");
    let mut con = server.connect();
    flush(&mut con);
    let mut rng = StdRng::seed_from_u64(SEED);
    let stream = Stream::last_24h(
        UNIVERSE,
        settings.memory_events,
        false,
        ZIPF_EXPONENT,
        &mut rng,
    );
    create_tracker(&mut con, "t", &[]);
    stream.ingest(&mut con, "t");
    let recipe = stream.recipe();
    recipe.store(&stream, &mut con);
    let own = MemoryFigure::measure(&mut con, &stream, &recipe);
    flush(&mut con);
    report.row(line(
        &own,
        &format!(
            "Zipf(1.1) over {}: {} events, {} distinct",
            count(UNIVERSE),
            count(own.events),
            own.distinct
        ),
    ));
    for figure in figures {
        report.row(line(
            figure,
            &format!(
                "part 3 data: {} events, {} distinct",
                count(figure.events),
                count(figure.distinct)
            ),
        ));
    }
}

fn line(figure: &MemoryFigure, what: &str) -> Row {
    let x = figure.tracker as f64 / figure.recipe as f64;
    Row::info(
        what.to_string(),
        bytes(figure.tracker),
        format!("{} ({} keys)", bytes(figure.recipe), figure.recipe_keys),
        ratio(x),
    )
    .judged(format!("<= {TARGET}x"), x <= TARGET)
}
