//! Benchmark, not a test: the median wall time of `pmdci6 --command features` beside that of
//! `/bin/true`, measured in the same run, printed as a ratio (target: under 3x).
//!
//! `features` is what BILLmanager runs at every start for every module, so it must cost no more
//! than starting a process. Run with `cargo bench --bench features`.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 200;

fn median_wall_time(program: &std::path::Path, args: &[&str]) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            let status = Command::new(program)
                .args(args)
                .env("PMDCI6_MGR_ROOT", std::env::temp_dir())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            match status {
                Ok(s) if s.success() => start.elapsed(),
                other => panic!("{} failed: {other:?}", program.display()),
            }
        })
        .collect();
    times.sort();
    times[RUNS / 2]
}

fn main() {
    let module = billmgr_stand_in::pmdci6_binary(env!("CARGO_BIN_EXE_pmdci6"));
    // Interleave a warm-up of both so neither pays for a cold page cache.
    median_wall_time("/bin/true".as_ref(), &[]);
    median_wall_time(&module, &["--command", "features"]);
    let baseline = median_wall_time("/bin/true".as_ref(), &[]);
    let features = median_wall_time(&module, &["--command", "features"]);
    let ratio = features.as_secs_f64() / baseline.as_secs_f64();
    println!("runs per command:            {RUNS}");
    println!(
        "/bin/true median:            {:>8.3} ms",
        baseline.as_secs_f64() * 1e3
    );
    println!(
        "pmdci6 features median:      {:>8.3} ms",
        features.as_secs_f64() * 1e3
    );
    println!("ratio features / true:       {ratio:>8.2}x (target < 3x)");
}
