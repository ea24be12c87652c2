//! What the WebAssembly sandbox costs: the same workload code compiled natively
//! (docproc_core::native::NativeFs) against the component, both over the local directory.

use anyhow::{Result, anyhow};
use docproc_core::native::NativeFs;
use docproc_core::shard::Shard;

use crate::backends::component::{self, Instances};
use crate::context::Ctx;
use crate::report::model::WasmCostRow;
use crate::settings::Workload;
use crate::stats::Samples;
use crate::{seed, ui};

pub async fn run(ctx: &Ctx, bar: &indicatif::ProgressBar) -> Result<Vec<WasmCostRow>> {
    let root = ctx.local_root.clone();
    let backend = component::local_backend(root.clone());
    let mut rows = Vec::new();

    if ctx.settings.wants(Workload::ProcessInbox) {
        let (mut native, mut wasm) = (Samples::default(), Samples::default());
        let (mut native_writes, mut wasm_writes) = (Samples::default(), Samples::default());
        for run in 1..=ctx.settings.runs {
            let n_root = format!("wasmcost-native-r{run}");
            let c_root = format!("wasmcost-component-r{run}");
            seed::inbox_local(&root, &n_root, ctx.settings.docs)?;
            seed::inbox_local(&root, &c_root, ctx.settings.docs)?;
            let fs_root = root.clone();
            let report = tokio::task::spawn_blocking(move || {
                docproc_core::inbox::process_inbox(
                    &NativeFs::new(fs_root),
                    &docproc_core::inbox::Options {
                        root: &n_root,
                        shard: Shard::ALL,
                        chunk_size: 0,
                        claims: None,
                        whole_file_writes: false,
                        prefix_directories: false,
                        only: None,
                    },
                )
            })
            .await?
            .map_err(|e| anyhow!("native process-inbox: {}: {}", e.path, e.message))?;
            let t = &report.timings;
            native.push(t.list_ms + t.read_ms + t.process_ms);
            native_writes.push(t.write_meta_ms + t.move_ms);
            let (report, _) =
                component::process_inbox(&ctx.rt, &backend, &c_root, Instances::One, None).await?;
            let t = &report.timings;
            wasm.push(t.list_ms + t.read_ms + t.process_ms);
            wasm_writes.push(t.write_meta_ms + t.move_ms);
            bar.inc(1);
        }
        rows.push(WasmCostRow {
            workload: "process-inbox".into(),
            native_ms: native,
            component_ms: wasm,
            measure: "list + read + process".into(),
        });
        // Not like for like: NativeFs fsyncs every file it writes, wasmtime-wasi's files
        // are not synced unless the guest asks. Shown for completeness.
        rows.push(WasmCostRow {
            workload: "process-inbox".into(),
            native_ms: native_writes,
            component_ms: wasm_writes,
            measure: "write metadata + move (native fsyncs)".into(),
        });
    }

    if ctx.settings.wants(Workload::Walk) {
        let (mut native, mut wasm) = (Samples::default(), Samples::default());
        for _ in 0..ctx.settings.runs {
            let fs_root = root.clone();
            let report = tokio::task::spawn_blocking(move || {
                docproc_core::walk::walk(&NativeFs::new(fs_root), super::walk::ROOT, Shard::ALL)
            })
            .await?
            .map_err(|e| anyhow!("native walk: {}: {}", e.path, e.message))?;
            native.push(report.elapsed_ms);
            let (report, _) =
                component::walk(&ctx.rt, &backend, super::walk::ROOT, Instances::One).await?;
            wasm.push(report.elapsed_ms);
            bar.inc(1);
        }
        rows.push(WasmCostRow {
            workload: "walk".into(),
            native_ms: native,
            component_ms: wasm,
            measure: "list + stat".into(),
        });
    }

    if ctx.settings.wants(Workload::Hash) {
        let (mut native, mut wasm) = (Samples::default(), Samples::default());
        for run in 1..=ctx.settings.hash_runs {
            let fs_root = root.clone();
            let out_dir = format!("digests-native-r{run}");
            let report = tokio::task::spawn_blocking(move || {
                docproc_core::hash::hash(
                    &NativeFs::new(fs_root),
                    &docproc_core::hash::Options {
                        root: super::hash::ROOT,
                        out_dir: &out_dir,
                        shard: Shard::ALL,
                        chunk_size: 0,
                    },
                )
            })
            .await?
            .map_err(|e| anyhow!("native hash: {}: {}", e.path, e.message))?;
            native.push(report.read_ms);
            let (report, _) = component::hash(
                &ctx.rt,
                &backend,
                super::hash::ROOT,
                &format!("digests-wasm-r{run}"),
                Instances::One,
            )
            .await?;
            wasm.push(report.read_ms);
            bar.inc(1);
        }
        rows.push(WasmCostRow {
            workload: "hash".into(),
            native_ms: native,
            component_ms: wasm,
            measure: "read + hash".into(),
        });
    }
    if rows.is_empty() {
        ui::log("wasm-cost: no workload selected");
    }
    Ok(rows)
}
