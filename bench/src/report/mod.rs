//! Turning results into the reference's tables (terminal and markdown), JSON and a chart.

pub mod goals;
pub mod model;
pub mod svg;
pub mod table;

use std::path::Path;

use anyhow::{Context, Result};

use crate::backends::BackendKind;
use crate::stats::{Samples, fmt_ms, fmt_range, fmt_ratio, group_thousands};
use crate::ui;
use model::{BackendRow, Outcome, PassResult, Requests, Results};
use table::Table;

/// Prints the tables and writes `<out>/<profile>.{json,md,svg}`.
pub fn finish(results: &Results, out: &Path) -> Result<()> {
    let tables = tables(results);
    ui::clear();
    println!();
    println!("{}", header_text(results));
    for t in &tables {
        println!("{}", t.text());
    }
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let name = &results.profile;
    let json = serde_json::to_string_pretty(results)?;
    write_atomically(&out.join(format!("{name}.json")), json.as_bytes())?;
    let svg = svg::chart(results);
    write_atomically(&out.join(format!("{name}.svg")), svg.as_bytes())?;
    let md = markdown(results, &tables, &format!("{name}.svg"));
    write_atomically(&out.join(format!("{name}.md")), md.as_bytes())?;
    println!(
        "Results: {dir}/{name}.json, {dir}/{name}.md, {dir}/{name}.svg ({:.0} s in all)",
        results.duration_s,
        dir = out.display()
    );
    Ok(())
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension(format!(
        "{}.tmp",
        path.extension().and_then(|e| e.to_str()).unwrap_or("out")
    ));
    std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}

fn header_text(r: &Results) -> String {
    let s = &r.settings;
    let mut out = format!(
        "docproc benchmark ({} profile), {}\nMachine: {}\n",
        r.profile,
        r.tool,
        r.machine.one_line()
    );
    if !r.machine.peers.is_empty() {
        out += &format!("Peers: {}\n", r.machine.peers.join("; "));
    }
    out += &format!(
        "Sizes: {} documents, {} small files, {} x {} (scale {}); {} run(s), hash {} run(s)\n",
        s.docs,
        group_thousands(s.walk_files as u64),
        s.hash_files,
        docproc_host::report::human_bytes(s.hash_file_bytes),
        s.scale,
        s.runs,
        s.hash_runs
    );
    out += &format!("Component: sha256:{}\n", r.component_sha256);
    for b in &r.backends {
        if let Some(why) = &b.skipped {
            out += &format!("Skipped: {} ({}): {why}\n", b.label, b.backend.id());
        }
    }
    out
}

fn markdown(r: &Results, tables: &[Table], svg: &str) -> String {
    let mut out = format!("### docproc benchmark: `{}` profile\n\n", r.profile);
    out += &format!(
        "Machine: {}. Run took {:.0} s. Component `sha256:{}`.\n\n",
        r.machine.one_line(),
        r.duration_s,
        &r.component_sha256[..16.min(r.component_sha256.len())]
    );
    if !r.machine.peers.is_empty() {
        out += &format!("Peers: {}.\n\n", r.machine.peers.join("; "));
    }
    out += &format!("![chart]({svg})\n\n");
    for t in tables {
        out += &t.markdown();
    }
    for b in &r.backends {
        if let Some(why) = &b.skipped {
            out += &format!("- Skipped: {} ({}): {why}\n", b.label, b.backend.id());
        }
    }
    for n in &r.notes {
        out += &format!("- {n}\n");
    }
    out
}

pub fn tables(r: &Results) -> Vec<Table> {
    let mut out = Vec::new();
    for pass in &r.passes {
        let suffix = pass_suffix(pass);
        if let Some(t) = inbox_table(r, pass, &suffix) {
            out.push(t);
        }
        if let Some(t) = walk_table(r, pass, &suffix) {
            out.push(t);
        }
        if let Some(t) = hash_table(r, pass, &suffix) {
            out.push(t);
        }
    }
    if !r.wasm_cost.is_empty() {
        let mut t = Table::new(
            "WASM cost: the same workloads native vs in the component (local directory)",
            &[
                "Workload",
                "Measure",
                "Native",
                "Component",
                "Component / native",
            ],
        );
        for row in &r.wasm_cost {
            t.row(vec![
                row.workload.clone(),
                row.measure.clone(),
                fmt_range(&row.native_ms),
                fmt_range(&row.component_ms),
                format!("{:.2}x", row.component_ms.mean() / row.native_ms.mean()),
            ]);
        }
        t.note(
            "Native: docproc_core's workloads over NativeFs (std::fs), compiled for this CPU. NativeFs \
             fsyncs every file it writes and wasmtime-wasi does not, so the write row is not like for like.",
        );
        if r.machine.sha_instructions {
            t.note(
                "This CPU has SHA instructions (sha_ni), which native SHA-256 uses; the component's \
                 SHA-256 is portable WebAssembly code.",
            );
        }
        out.push(t);
    }
    if let Some(c) = &r.cold_start {
        let mut t = Table::new(
            format!("Component cold start ({} invocations)", c.load_ms.0.len()),
            &["Step", "Mean (min-max)"],
        );
        t.row(vec![
            "Compile, no cache (once per machine)".into(),
            fmt_ms(c.compile_ms),
        ]);
        t.row(vec![
            "Load precompiled from cache".into(),
            fmt_range(&c.load_ms),
        ]);
        t.row(vec!["Instantiate".into(), fmt_range(&c.instantiate_ms)]);
        t.row(vec![
            "Load + instantiate (per invocation)".into(),
            fmt_ms(c.load_ms.mean() + c.instantiate_ms.mean()),
        ]);
        t.note(format!(
            "Component: {}.",
            docproc_host::report::human_bytes(c.component_bytes)
        ));
        out.push(t);
    }
    if !r.rss.is_empty() {
        let mut t = Table::new(
            "Peak RSS of hashing files far larger than the memory limit (child process VmHWM)",
            &[
                "Backend",
                "File size",
                "Memory limit",
                "VmHWM before",
                "VmHWM peak",
                "Read",
            ],
        );
        for row in &r.rss {
            match &row.error {
                None => t.row(vec![
                    row.backend.clone(),
                    docproc_host::report::human_bytes(row.file_bytes),
                    format!("{} MiB", row.memory_limit_mib),
                    format!("{:.0} MiB", row.baseline_kib as f64 / 1024.0),
                    format!("{:.0} MiB", row.peak_kib as f64 / 1024.0),
                    format!("{:.0} MiB/s", row.read_mib_s),
                ]),
                Some(e) => {
                    t.row(vec![row.backend.clone(), "failed".into()]);
                    t.note(format!("{}: {e}", row.backend));
                }
            }
        }
        out.push(t);
    }
    if !r.goals.is_empty() {
        let mut t = Table::new(
            "Goals (issues 3 and 15; reported, not asserted)",
            &["Goal", "Measured", "Met"],
        );
        for g in &r.goals {
            t.row(vec![
                g.goal.clone(),
                g.measured.clone(),
                match g.met {
                    Some(true) => "yes".into(),
                    Some(false) => "no".into(),
                    None => "n/a".into(),
                },
            ]);
        }
        out.push(t);
    }
    out
}

fn pass_suffix(pass: &PassResult) -> String {
    if pass.latency_ms > 0 {
        format!(", {} ms per S3 request", pass.latency_ms)
    } else {
        String::new()
    }
}

/// The text of a cell that has no result, with its reason as a note.
fn missing<T>(t: &mut Table, label: &str, cell: &Outcome<T>) -> String {
    match cell {
        Outcome::Ok(_) => String::new(),
        Outcome::Skipped { reason } => {
            t.note(format!("{label}: skipped: {reason}"));
            "skipped".into()
        }
        Outcome::Failed { error } => {
            t.note(format!("{label}: failed: {error}"));
            "failed".into()
        }
    }
}

fn requests_text(r: &Option<Requests>) -> String {
    let Some(r) = r else { return String::new() };
    let by: Vec<String> = r
        .by_method
        .iter()
        .filter(|(_, n)| **n >= 0.5)
        .map(|(m, n)| format!("{:.0} {m}", n))
        .collect();
    format!("{:.0} ({})", r.total, by.join(", "))
}

/// One phase of an inbox result.
type Phase = fn(&model::InboxResult) -> &Samples;

/// A column of the inbox table: a backend with the CLI's defaults, or docproc's own S3
/// host with `--no-claims` beside it.
struct InboxColumn<'a> {
    label: String,
    cell: &'a Outcome<model::InboxResult>,
}

fn inbox_columns(pass: &PassResult) -> Vec<InboxColumn<'_>> {
    let mut columns = Vec::new();
    for row in &pass.rows {
        if let Some(cell) = &row.inbox {
            let label = row.label.clone();
            columns.push(InboxColumn { label, cell });
        }
        if let Some(cell) = &row.inbox_cli {
            let label = "docproc CLI, start-up included (ours, as a user runs it)".to_string();
            columns.push(InboxColumn { label, cell });
        }
        if let Some(cell) = &row.inbox_no_claims {
            let label = format!("{}, --no-claims", row.label);
            columns.push(InboxColumn { label, cell });
        }
    }
    columns
}

fn inbox_table(r: &Results, pass: &PassResult, suffix: &str) -> Option<Table> {
    let columns = inbox_columns(pass);
    if columns.is_empty() {
        return None;
    }
    let docs = r.settings.docs;
    let runs = if pass.latency_ms > 0 {
        r.settings.latency_runs
    } else {
        r.settings.runs
    };
    let mut headers = vec!["Phase".to_string()];
    headers.extend(columns.iter().map(|c| c.label.clone()));
    let header_refs: Vec<&str> = headers.iter().map(String::as_str).collect();
    let mut t = Table::new(
        format!("process-inbox: {docs} medium documents, {runs} run(s){suffix}"),
        &header_refs,
    );
    let phases: [(&str, Phase); 7] = [
        ("List files", |x| &x.list_ms),
        ("Read", |x| &x.read_ms),
        ("Process", |x| &x.process_ms),
        ("Write metadata", |x| &x.write_meta_ms),
        ("Move/rename", |x| &x.move_ms),
        ("Total (in the workload)", |x| &x.total_ms),
        ("Wall (with instantiate, uploads)", |x| &x.wall_ms),
    ];
    for (name, get) in phases {
        let mut cells = vec![name.to_string()];
        for c in &columns {
            cells.push(match c.cell.ok() {
                Some(x) => fmt_range(get(x)),
                None => missing(&mut t, &c.label, c.cell),
            });
        }
        t.row(cells);
    }
    let baseline = naive_mean(pass, |row| {
        row.inbox
            .as_ref()
            .and_then(|c| c.ok())
            .map(|x| x.wall_ms.mean())
    });
    let mut cells = vec!["Speedup vs naive (wall)".to_string()];
    for c in &columns {
        cells.push(match c.cell.ok() {
            Some(x) => baseline.map_or("-".into(), |b| fmt_ratio(b, x.wall_ms.mean())),
            None => String::new(),
        });
    }
    t.row(cells);
    if pass.latency_ms > 0 {
        let mut cells = vec!["S3 requests per run".to_string()];
        for c in &columns {
            cells.push(c.cell.ok().map_or(String::new(), |x| {
                x.requests
                    .as_ref()
                    .map_or(String::new(), |q| format!("{:.0}", q.total))
            }));
        }
        t.row(cells);
    }
    t.note("Mean (min-max) over runs. Each run gets fresh documents and a fresh mount or S3 file system.");
    t.note("The component runs as the CLI does by default: claims on (`--no-claims` is its own column), 64 shards and 64 instances at once over S3, 8 and 8 over a directory or a mount. Its phase rows add up the instances' times, so they can exceed the wall time; the naive sequence is one loop, as in the reference.");
    t.note("The CLI column is the `docproc process --s3` binary itself, started for each run: its wall time runs from the process's start to its exit (the S3 client, the component's load from the on-disk cache, instantiation, the run). The goals use it. The other component columns run in the benchmark's process, from instantiation on.");
    Some(t)
}

fn naive_mean(pass: &PassResult, get: impl Fn(&BackendRow) -> Option<f64>) -> Option<f64> {
    pass.rows
        .iter()
        .find(|row| row.backend == BackendKind::Naive)
        .and_then(get)
}

fn walk_table(r: &Results, pass: &PassResult, suffix: &str) -> Option<Table> {
    if pass.rows.iter().all(|row| row.walk.is_none()) {
        return None;
    }
    let latency = pass.latency_ms > 0;
    let mut headers = vec![
        "Approach",
        "Mean",
        "Min",
        "Max",
        "vs naive S3 API",
        "vs raw listing",
    ];
    if latency {
        headers.push("S3 requests per run");
    }
    let runs = if latency {
        r.settings.latency_runs
    } else {
        r.settings.runs
    };
    let mut t = Table::new(
        format!(
            "walk: list + stat {} small files, {runs} run(s){suffix}",
            group_thousands(r.settings.walk_files as u64)
        ),
        &headers,
    );
    let raw = pass.raw.as_ref().map(|raw| raw.list_sweep_ms.mean());
    if let Some(raw) = &pass.raw {
        let s = &raw.list_sweep_ms;
        let mut cells = vec![
            "Raw ListObjectsV2 sweep (aws-sdk-s3)".into(),
            fmt_ms(s.mean()),
            fmt_ms(s.min()),
            fmt_ms(s.max()),
            String::new(),
            "1.0x".into(),
        ];
        if latency {
            cells.push(format!("{}", raw.list_keys.div_ceil(1000)));
        }
        t.row(cells);
    }
    let baseline = naive_mean(pass, |row| {
        row.walk.as_ref().and_then(|c| c.ok()).map(|x| x.ms.mean())
    });
    for row in &pass.rows {
        let Some(cell) = &row.walk else { continue };
        let mut cells = vec![row.label.clone()];
        match cell.ok() {
            Some(x) => {
                cells.extend([fmt_ms(x.ms.mean()), fmt_ms(x.ms.min()), fmt_ms(x.ms.max())]);
                cells.push(baseline.map_or("-".into(), |b| fmt_ratio(b, x.ms.mean())));
                cells.push(raw.map_or("-".into(), |b| format!("{:.2}x", x.ms.mean() / b)));
                if latency {
                    cells.push(requests_text(&x.requests));
                }
            }
            None => cells.push(missing(&mut t, &row.label, cell)),
        }
        t.row(cells);
    }
    t.note("\"vs naive\": how many times faster than the S3 API listing; \"vs raw\": time relative to the server's own sweep (lower is better).");
    Some(t)
}

fn hash_table(r: &Results, pass: &PassResult, suffix: &str) -> Option<Table> {
    if pass.rows.iter().all(|row| row.hash.is_none()) {
        return None;
    }
    let s = &r.settings;
    let mut t = Table::new(
        format!(
            "hash: SHA-256 of {} x {} random files, {} run(s){suffix}",
            s.hash_files,
            docproc_host::report::human_bytes(s.hash_file_bytes),
            s.hash_runs
        ),
        &[
            "Approach",
            "Read time",
            "Read throughput",
            "Write digests",
            "vs naive (read)",
            "of raw parallel GET",
        ],
    );
    let raw = pass.raw.as_ref().and_then(|raw| raw.parallel_get_mib_s);
    if let Some(rw) = &pass.raw {
        let mut raw_row = |label: String, p: f64| {
            t.row(vec![
                label,
                fmt_ms(rw.get_bytes as f64 / (1u64 << 20) as f64 / p * 1000.0),
                format!("{p:.0} MiB/s"),
                String::new(),
                String::new(),
                raw.map_or(String::new(), |r| format!("{:.0}%", p / r * 100.0)),
            ])
        };
        if let Some(p) = rw.parallel_get_mib_s {
            raw_row(
                format!(
                    "Raw parallel ranged GETs (8 MiB, {} in flight, no hashing)",
                    rw.parallel_get_in_flight
                ),
                p,
            );
        }
        if let Some(p) = rw.single_get_mib_s {
            raw_row("Raw single-stream GET (no hashing)".into(), p);
        }
        if let Some(p) = rw.s3fs_read_mib_s {
            raw_row(
                "docproc S3 file system read path (no component, no hashing)".into(),
                p,
            );
        }
        if let Some(p) = rw.sha256sum_mib_s {
            raw_row(
                format!(
                    "coreutils sha256sum, {} at once (local copy)",
                    rw.sha256sum_procs
                ),
                p,
            );
        }
    }
    let baseline = naive_mean(pass, |row| {
        row.hash
            .as_ref()
            .and_then(|c| c.ok())
            .map(|x| x.read_ms.mean())
    });
    for row in &pass.rows {
        let Some(cell) = &row.hash else { continue };
        let mut cells = vec![row.label.clone()];
        match cell.ok() {
            Some(x) => {
                cells.push(fmt_range(&x.read_ms));
                cells.push(format!("{:.0} MiB/s", x.read_mib_s.mean()));
                cells.push(fmt_range(&x.write_ms));
                cells.push(baseline.map_or("-".into(), |b| fmt_ratio(b, x.read_ms.mean())));
                cells.push(raw.map_or("-".into(), |r| {
                    format!("{:.0}%", x.read_mib_s.mean() / r * 100.0)
                }));
            }
            None => cells.push(missing(&mut t, &row.label, cell)),
        }
        t.row(cells);
    }
    t.note(
        "Every backend's digests are checked against the ones computed when the files were made.",
    );
    t.note("The component runs as the CLI does by default (a shard and an instance per core, each hashing up to four files at once in 128-bit SIMD lanes); its read time is the run's elapsed time less the digest writes. WebAssembly has no SHA instructions, so where the local directory (no network at all) is as slow, SHA-256 is the bound, not the reads.");
    Some(t)
}
