//! Throughput of the prefilter's lexical scan, single-threaded, on real code:
//! every `.rs` file under the bench corpus (`bench/vendor` fills it) or the
//! directory given. `cargo bench --bench scan [-- DIR]`. Not a test: it
//! prints MB/s and asserts nothing. With `SCAN_DIGEST=1` it also prints a
//! digest of every file's scan (its `Debug` form): equal digests before and
//! after a change to the lexer mean it learned the same facts.

use std::time::Instant;
use synclint::config::Config;
use synclint::prefilter::Prefilter;

fn main() {
    let dir = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/target/bench-corpus").into());
    let texts: Vec<String> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "rs"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    if texts.is_empty() {
        eprintln!("scan bench: no .rs files under {dir} (run bench/vendor first)");
        return;
    }
    let bytes: usize = texts.iter().map(|t| t.len()).sum();
    let pf = Prefilter::new(&Config::defaults(std::path::Path::new(".")));
    let mut best = f64::MAX;
    let iters: usize = std::env::var("SCAN_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    for _ in 0..iters {
        let t = Instant::now();
        let mut fns = 0;
        for text in &texts {
            fns += std::hint::black_box(pf.scan(text)).fn_count();
        }
        let s = t.elapsed().as_secs_f64();
        best = best.min(s);
        std::hint::black_box(fns);
    }
    println!(
        "scan: {} files, {:.1} MB, best of {iters} {:.3} s = {:.0} MB/s",
        texts.len(),
        bytes as f64 / 1e6,
        best,
        bytes as f64 / 1e6 / best
    );
    if std::env::var_os("SCAN_DIGEST").is_some() {
        // Order-independent (walk order is the file system's).
        let digest = texts.iter().fold(0u64, |acc, text| {
            let dbg = format!("{:?}", pf.scan(text));
            acc.wrapping_add(synclint::prefilter::name_hash(dbg.as_bytes()))
        });
        println!("scan digest: {digest:016x}");
    }
}
