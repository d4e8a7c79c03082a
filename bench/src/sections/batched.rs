//! Part 2: items per second through the server. `TOPK.ADD t` with 100 items per command
//! (10 commands per round trip) against `ZINCRBY z 1 item` (one item per command, pipelines
//! of 100) and against the sorted-set recipe, which costs three ZINCRBY per event (its
//! minute, hour and day keys; pipelines of 100 events). Over 1 and 4 connections. Target:
//! at least 3M items/s for TOPK.ADD x100.

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::{create_tracker, flush, measure_with_stats, rate_and_cost};
use crate::config::{Settings, SEED, UNIVERSE, ZIPF_EXPONENT};
use crate::dataset::{day_key, hour_key, minute_key, wall_clock_ms, DAY, HOUR, MINUTE};
use crate::load::Workload;
use crate::report::{ratio, Report, Row};
use crate::server::Server;
use crate::zipf::{item_names, Zipf};

const ITEMS_PER_ADD: usize = 100;
const ADDS_PER_ROUND_TRIP: usize = 10;
const DEPTH: usize = 100;
/// Items in each workload's pool, replayed in a loop.
const POOL_ITEMS: usize = 200_000;
const TARGET: f64 = 3_000_000.0;

pub fn run(report: &mut Report, server: &Server, settings: &Settings) {
    report.section("2. batched updates: items/s through the server");
    let mut con = server.connect();
    flush(&mut con);
    create_tracker(&mut con, "t", &[]);

    let names = item_names(UNIVERSE);
    let zipf = Zipf::new(UNIVERSE, ZIPF_EXPONENT);
    let mut rng = StdRng::seed_from_u64(SEED);
    let ranks: Vec<usize> = (0..POOL_ITEMS).map(|_| zipf.sample(&mut rng)).collect();

    let mut add = Workload::new("TOPK.ADD x100", ADDS_PER_ROUND_TRIP);
    for chunk in ranks.chunks(ITEMS_PER_ADD) {
        let mut args: Vec<&[u8]> = vec![b"TOPK.ADD", b"t"];
        args.extend(chunk.iter().map(|&rank| names[rank].as_slice()));
        add.push(&args, chunk.len());
    }
    let mut zincrby = Workload::new("ZINCRBY", DEPTH);
    // The recipe's keys for the current minute, hour and day (a run lasts seconds).
    let now = wall_clock_ms();
    let keys = [
        minute_key(now / MINUTE),
        hour_key(now / HOUR),
        day_key(now / DAY),
    ];
    let mut recipe = Workload::new("recipe ZINCRBY x3", 3 * DEPTH);
    for &rank in &ranks {
        let item = names[rank].as_slice();
        zincrby.push(&[b"ZINCRBY".as_slice(), b"z", b"1", item], 1);
        for (index, key) in keys.iter().enumerate() {
            // The event counts once, with its last ZINCRBY.
            let events = usize::from(index == keys.len() - 1);
            recipe.push(&[b"ZINCRBY".as_slice(), key.as_bytes(), b"1", item], events);
        }
    }

    for connections in [1, 4] {
        eprintln!("bench: part 2, {connections} connection(s)");
        let run = |workload: &Workload, command: &str| {
            let measured = measure_with_stats(server, settings, workload, command, connections);
            let items = measured.rate.items;
            (items, rate_and_cost(items, measured.usec_per_call, "call"))
        };
        let (module, module_cell) = run(&add, "topk.add");
        let (single, single_cell) = run(&zincrby, "zincrby");
        let (by_hand, by_hand_cell) = run(&recipe, "zincrby");
        let plural = if connections == 1 { "" } else { "s" };
        report.row(
            Row::info(
                format!("TOPK.ADD x100 vs ZINCRBY, items/s, {connections} connection{plural}"),
                module_cell.clone(),
                single_cell,
                ratio(module / single),
            )
            .judged(">= 3M items/s", module >= TARGET),
        );
        report.row(Row::info(
            format!("TOPK.ADD x100 vs recipe (3 ZINCRBY/event), events/s, {connections} conn."),
            module_cell,
            by_hand_cell,
            ratio(module / by_hand),
        ));
    }
}
