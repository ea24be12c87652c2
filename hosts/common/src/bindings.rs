//! The core's exports. Imports are mapped to wasmtime-wasi's types; each
//! backend links its own implementation of them (see `local` and `s3`).

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "docproc",
    exports: { default: async },
    additional_derives: [serde::Serialize, serde::Deserialize, PartialEq],
    with: { "wasi": wasmtime_wasi::p2::bindings },
});

pub use exports::docproc::core::workloads as wit;

/// The name the component must export; checked at load for a clear error.
pub const WORKLOADS_EXPORT: &str = "docproc:core/workloads@0.1.0";
