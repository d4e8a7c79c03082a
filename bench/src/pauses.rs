//! What the machine takes from the server, read from Linux's `/proc`: how often the kernel
//! preempted the server's main thread (`/proc/<pid>/status`), how much CPU time the
//! hypervisor stole (`/proc/stat`, all CPUs or one), and how long the main thread waited on
//! a run queue (`/proc/<pid>/task/<pid>/schedstat`). The pause meter reads the last two for
//! CPU 0, where part 5 pins the server, about every millisecond during part 5's load, and
//! times its own sleeps of a millisecond: one that overran while the meter was not waiting
//! for a CPU means its CPU did not run at all, which a hypervisor that stops the whole
//! machine does not always report as steal. It keeps the longest pause of each kind in each
//! unix second, so that each slow call in the SLOWLOG can be set against them.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The unit of `/proc/stat`: USER_HZ ticks of 10 ms.
const US_PER_TICK: u64 = 10_000;
const SAMPLE_EVERY: Duration = Duration::from_millis(1);
/// The server CPU the meter watches; part 5 pins the server there.
const SERVER_CPU: &str = "cpu0";

/// How often the kernel has taken the CPU from `pid`'s main thread while it could run
/// (`nonvoluntary_ctxt_switches` in `/proc/<pid>/status`). On a machine with fewer cores
/// than busy threads, each one can stretch whatever command was running by a time slice.
pub fn preemptions(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("nonvoluntary_ctxt_switches:"))
        .and_then(|n| n.trim().parse().ok())
}

/// CPU time the hypervisor has stolen so far from `cpu` (`cpu` for all CPUs, `cpu0` for the
/// first), in ticks of 10 ms; on a virtual machine it stalls whatever was running there.
pub fn stolen_ticks(cpu: &str) -> Option<u64> {
    steal_ticks(&std::fs::read_to_string("/proc/stat").ok()?, cpu)
}

/// The `steal` column (the 8th value after the name) of the line of `cpu` in `/proc/stat`.
fn steal_ticks(stat: &str, cpu: &str) -> Option<u64> {
    stat.lines().find_map(|line| {
        let mut fields = line.split_whitespace();
        if fields.next()? != cpu {
            return None;
        }
        fields.nth(7)?.parse().ok()
    })
}

/// The run delay of a `schedstat` file: its second field, the ns the thread has spent
/// runnable but waiting on a run queue.
fn run_delay_ns(schedstat: &str) -> Option<u64> {
    schedstat.split_whitespace().nth(1)?.parse().ok()
}

/// One reading of the pause meter.
#[derive(Debug, Clone, Copy)]
struct Sample {
    unix_ms: u64,
    /// When it was taken, on the monotonic clock, in us from the first sample.
    at_us: u64,
    /// CPU 0's steal so far, in ticks.
    steal_ticks: u64,
    /// The server main thread's run delay so far, in ns.
    run_delay_ns: u64,
    /// The meter's own run delay so far, in ns.
    meter_delay_ns: u64,
}

fn sample(pid: u32, start: Instant) -> Option<Sample> {
    let server = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/schedstat")).ok()?;
    let meter = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    Some(Sample {
        unix_ms: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .ok()?
            .as_millis() as u64,
        at_us: start.elapsed().as_micros() as u64,
        steal_ticks: stolen_ticks(SERVER_CPU)?,
        run_delay_ns: run_delay_ns(&server)?,
        meter_delay_ns: run_delay_ns(&meter)?,
    })
}

/// The pause meter: samples CPU 0's steal, the run delay of `pid`'s main thread and how
/// long its own sleeps of a ms really took, about every ms until `stop`, and returns the
/// longest pauses of each second; `None` if the first sample cannot be read (no such
/// process, not Linux).
pub fn meter(pid: u32, stop: &AtomicBool) -> Option<Taken> {
    let start = Instant::now();
    let mut samples = vec![sample(pid, start)?];
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(SAMPLE_EVERY);
        samples.extend(sample(pid, start));
    }
    Some(Taken::from_samples(&samples))
}

/// The longest pauses of each unix second, in us, of two kinds. The server's: the most CPU
/// 0's steal plus the server main thread's run delay grew between two consecutive samples.
/// The meter's: the most a sleep of a ms overran, less the meter's own wait for a CPU,
/// which is time its CPU did not run at all (steal, or the whole machine standing still,
/// which the hypervisor does not always report as steal).
#[derive(Debug, Default)]
pub struct Taken {
    server_by_second: BTreeMap<u64, u64>,
    meter_by_second: BTreeMap<u64, u64>,
}

impl Taken {
    /// Files the growth between consecutive samples under the unix second of the later one,
    /// keeping the longest. The kernel accounts a pause in one go when it ends (run delay
    /// when the thread runs again, steal at the next tick on that CPU), so one pause shows as
    /// one growth, read within a ms or so; steal reads in whole ticks, so a stolen pause
    /// reads up to a tick short or long.
    fn from_samples(samples: &[Sample]) -> Taken {
        let mut taken = Taken::default();
        let sleep_us = SAMPLE_EVERY.as_micros() as u64;
        for (before, after) in samples.iter().zip(samples.iter().skip(1)) {
            let grew = |a: u64, b: u64| b.saturating_sub(a);
            let steal = grew(before.steal_ticks, after.steal_ticks) * US_PER_TICK;
            let delay = grew(before.run_delay_ns, after.run_delay_ns) / 1_000;
            let overrun = grew(before.at_us, after.at_us)
                .saturating_sub(sleep_us)
                .saturating_sub(grew(before.meter_delay_ns, after.meter_delay_ns) / 1_000);
            let second = after.unix_ms / 1_000;
            for (by_second, pause) in [
                (&mut taken.server_by_second, steal + delay),
                (&mut taken.meter_by_second, overrun),
            ] {
                let longest = by_second.entry(second).or_default();
                *longest = (*longest).max(pause);
            }
        }
        taken
    }

    /// The longest pause of `by_second` in unix second `second` or the one before.
    fn around(by_second: &BTreeMap<u64, u64>, second: u64) -> u64 {
        let in_second = |s: u64| by_second.get(&s).copied().unwrap_or(0);
        in_second(second).max(second.checked_sub(1).map_or(0, in_second))
    }

    /// Of `calls`, SLOWLOG entries as (unix second, duration in us), the ones of 1 ms or more
    /// and how many of them the machine explains. The rule: a call of duration `d` is
    /// explained if one pause of the server lasted at least `d - 1 ms` in the entry's unix
    /// second or the second before (Redis stamps an entry when the call ends, and the meter
    /// files a pause when it ends, each to the second); the 1 ms is the module's own budget.
    /// Failing that, it is counted apart if the meter's CPU stood still that long around
    /// then: a hint that the whole machine did, not a proof. A call is not explained by
    /// several shorter pauses, nor by steal read a tick short: an explained call is one a
    /// single pause of the machine could have stretched that long, an unexplained one is one
    /// no pause around it could have.
    pub fn explain(&self, calls: impl IntoIterator<Item = (u64, u64)>) -> Explained {
        let mut explained = Explained::default();
        for (second, us) in calls.into_iter().filter(|&(_, us)| us >= 1_000) {
            explained.calls += 1;
            let server = Self::around(&self.server_by_second, second);
            if server >= us - 1_000 {
                explained.explained += 1;
            } else if Self::around(&self.meter_by_second, second) >= us - 1_000 {
                explained.meter_stood_still += 1;
            } else if explained
                .worst_unexplained
                .map_or(true, |(worst, _)| us > worst)
            {
                explained.worst_unexplained = Some((us, server));
            }
        }
        explained
    }
}

/// Slow calls a pause of the server explains, slow calls the meter's CPU stood still for
/// instead, of all slow calls, and the longest one neither explains with the longest pause
/// of the server around it (both in us).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Explained {
    pub explained: usize,
    pub meter_stood_still: usize,
    pub calls: usize,
    pub worst_unexplained: Option<(u64, u64)>,
}

impl fmt::Display for Explained {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.calls == 0 {
            return write!(f, "none >= 1 ms");
        }
        write!(f, "{} of {}", self.explained, self.calls)?;
        if self.meter_stood_still > 0 {
            write!(
                f,
                ", and {} when the meter's CPU stood still",
                self.meter_stood_still
            )?;
        }
        match self.worst_unexplained {
            None => write!(f, "; none unexplained"),
            Some((us, taken)) => write!(
                f,
                "; worst unexplained: {} (the server paused {})",
                crate::report::time(Duration::from_micros(us)),
                crate::report::time(Duration::from_micros(taken))
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_steal_of_one_cpu() {
        let stat = "cpu  2129269 0 253295 6401477 7565 0 16145 53368 0 0\n\
                    cpu0 1039132 0 119072 3234628 1892 0 8766 27108 0 0\n\
                    cpu1 1090137 0 134223 3166849 5673 0 7379 26259 0 0\n\
                    intr 123 4 5\n";
        assert_eq!(steal_ticks(stat, "cpu"), Some(53368));
        assert_eq!(steal_ticks(stat, "cpu0"), Some(27108));
        assert_eq!(steal_ticks(stat, "cpu1"), Some(26259));
        assert_eq!(steal_ticks(stat, "cpu2"), None);
        assert_eq!(steal_ticks("cpu0 1 2 3", "cpu0"), None, "too few columns");
    }

    #[test]
    fn reads_the_run_delay() {
        assert_eq!(run_delay_ns("25771171 14137168 78\n"), Some(14_137_168));
        assert_eq!(run_delay_ns("25771171"), None);
        assert_eq!(run_delay_ns(""), None);
    }

    /// A sample at `unix_ms`, on a monotonic clock that agrees, with no run delay of the
    /// meter's own.
    fn at(unix_ms: u64, steal_ticks: u64, run_delay_ns: u64) -> Sample {
        Sample {
            unix_ms,
            at_us: unix_ms * 1_000,
            steal_ticks,
            run_delay_ns,
            meter_delay_ns: 0,
        }
    }

    #[test]
    fn keeps_the_longest_pause_per_second_of_the_later_sample() {
        let taken = Taken::from_samples(&[
            at(100_998, 5, 1_000_000),
            // 1 tick of steal and 2 ms of run delay, read in second 100.
            at(100_999, 6, 3_000_000),
            // 0.5 ms, then 0.75 ms of run delay, read in second 101: the longer one counts.
            at(101_000, 6, 3_500_000),
            at(101_001, 6, 4_250_000),
            at(101_002, 6, 4_250_000),
            // Second 103: 2 ticks, and the meter's sleep overran by 2,497 ms.
            at(103_500, 8, 4_250_000),
        ]);
        let server = BTreeMap::from([(100, 12_000), (101, 750), (103, 20_000)]);
        assert_eq!(taken.server_by_second, server);
        let meter = BTreeMap::from([(100, 0), (101, 0), (103, 2_497_000)]);
        assert_eq!(taken.meter_by_second, meter);
        assert_eq!(Taken::around(&server, 101), 12_000);
        assert_eq!(Taken::around(&server, 102), 750);
        assert_eq!(Taken::around(&server, 104), 20_000);
        assert_eq!(Taken::around(&server, 105), 0);
    }

    #[test]
    fn the_meter_does_not_count_its_own_wait_for_a_cpu() {
        let mut later = at(100_010, 5, 0);
        later.meter_delay_ns = 6_000_000;
        let taken = Taken::from_samples(&[at(100_000, 5, 0), later]);
        // 10 ms between samples: 1 ms of sleep, 6 ms waiting for a CPU, 3 ms standing still.
        assert_eq!(taken.meter_by_second, BTreeMap::from([(100, 3_000)]));
    }

    #[test]
    fn explains_a_call_by_one_pause_in_its_second_or_the_one_before() {
        let taken = Taken {
            server_by_second: BTreeMap::from([(100, 11_000), (101, 6_000), (200, 3_000)]),
            meter_by_second: BTreeMap::from([(101, 6_000), (400, 9_000)]),
        };
        let explained = taken.explain([
            // An 11 ms pause in the second before: 11 ms needed.
            (101, 12_000),
            // Pauses of 6 ms in second 101 and 11 ms in 100, too early for a call that ended
            // in 102: 7.5 ms needed.
            (102, 8_500),
            // A 3 ms pause, 4 ms needed, but shorter than the one above.
            (200, 5_000),
            // Two pauses of 6 ms around it do not make 11.
            (101, 12_500),
            // Nothing taken in 300 and 299, but 1 ms is the module's own.
            (300, 1_000),
            // Below 1 ms: not counted.
            (300, 999),
            // The server did not pause, but the meter's CPU stood still for 9 ms.
            (401, 10_000),
        ]);
        assert_eq!(
            explained,
            Explained {
                explained: 2,
                meter_stood_still: 1,
                calls: 6,
                worst_unexplained: Some((12_500, 11_000)),
            }
        );
        assert_eq!(
            explained.to_string(),
            "2 of 6, and 1 when the meter's CPU stood still; \
             worst unexplained: 12.50 ms (the server paused 11.00 ms)"
        );
        assert_eq!(
            taken.explain([(102, 7_000)]).to_string(),
            "1 of 1; none unexplained"
        );
        assert_eq!(taken.explain([]).to_string(), "none >= 1 ms");
    }
}
