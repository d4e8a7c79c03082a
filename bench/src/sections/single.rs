//! Part 1: one item per command, pipelines of 100 commands, over 1 and over 4 connections:
//! `TOPK.ADD t item` against Redis' cheapest counters for the same items, `HINCRBY h item 1`
//! and `INCR item`, measured in turns (see `measure_interleaved`) since the target is a
//! ratio. Target: TOPK.ADD at least 0.75x the ops/s of HINCRBY. A row meets it only if the
//! server's time per call (INFO commandstats) agrees: the rates also depend on the client
//! and the round trips, and one run's slow turn of HINCRBY alone showed 0.76x while an ADD
//! took 3.3 times a HINCRBY's server time.

use rand::rngs::StdRng;
use rand::SeedableRng;

use super::{create_tracker, flush, measure_interleaved, rate_and_cost};
use crate::config::{Settings, SEED, UNIVERSE, ZIPF_EXPONENT};
use crate::load::Workload;
use crate::report::{ratio, Report, Row};
use crate::server::Server;
use crate::zipf::{item_names, Zipf};

const DEPTH: usize = 100;
/// Pipelines in each workload's pool: 100,000 commands, replayed in a loop.
const POOL: usize = 1_000;
const TARGET: f64 = 0.75;

pub fn run(report: &mut Report, server: &Server, settings: &Settings) {
    report.section("1. one item per command, pipeline 100: ops/s");
    let mut con = server.connect();
    flush(&mut con);
    create_tracker(&mut con, "t", &[]);

    let names = item_names(UNIVERSE);
    let zipf = Zipf::new(UNIVERSE, ZIPF_EXPONENT);
    let mut rng = StdRng::seed_from_u64(SEED);
    let ranks: Vec<usize> = (0..POOL * DEPTH).map(|_| zipf.sample(&mut rng)).collect();

    let mut add = Workload::new("TOPK.ADD", DEPTH);
    let mut hincrby = Workload::new("HINCRBY", DEPTH);
    let mut incr = Workload::new("INCR", DEPTH);
    for &rank in &ranks {
        let item = names[rank].as_slice();
        add.push(&[b"TOPK.ADD".as_slice(), b"t", item], 1);
        hincrby.push(&[b"HINCRBY".as_slice(), b"h", item, b"1"], 1);
        incr.push(&[b"INCR".as_slice(), item], 1);
    }

    for connections in [1, 4] {
        eprintln!("bench: part 1, {connections} connection(s)");
        let workloads = [(&add, "topk.add"), (&hincrby, "hincrby"), (&incr, "incr")];
        let [(module, module_us, module_cell), (hash, hash_us, hash_cell), (string, _, string_cell)] =
            measure_interleaved(server, settings, workloads, connections).map(|measured| {
                let ops = measured.rate.commands;
                let cell = rate_and_cost(ops, measured.usec_per_call, "call");
                (ops, measured.usec_per_call, cell)
            });
        // HINCRBY's server time over ADD's: the share of HINCRBY's rate ADD would reach on
        // a server with nothing else to do.
        let time_ratio = match (module_us, hash_us) {
            (Some(module_us), Some(hash_us)) if module_us > 0.0 => Some(hash_us / module_us),
            _ => None,
        };
        let plural = if connections == 1 { "" } else { "s" };
        let ratio_cell = match time_ratio {
            Some(time) => format!("{} (server time {})", ratio(module / hash), ratio(time)),
            None => ratio(module / hash),
        };
        report.row(
            Row::info(
                format!("TOPK.ADD vs HINCRBY, {connections} connection{plural}"),
                module_cell.clone(),
                hash_cell,
                ratio_cell,
            )
            .judged(
                format!(">= {TARGET}x"),
                module / hash >= TARGET && time_ratio.map_or(true, |time| time >= TARGET),
            ),
        );
        report.row(Row::info(
            format!("TOPK.ADD vs INCR, {connections} connection{plural}"),
            module_cell,
            string_cell,
            ratio(module / string),
        ));
    }
}
