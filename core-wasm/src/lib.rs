//! docproc's core: the reference's three workloads, written once against a
//! tiny file-system trait and built into one WASI Preview 2 component.

pub mod claim;
pub mod clock;
pub mod count;
pub mod fs;
pub mod hash;
pub mod inbox;
pub mod layout;
pub mod report;
pub mod sha256x4;
pub mod shard;
pub mod walk;

#[cfg(target_arch = "wasm32")]
mod component;

#[cfg(not(target_arch = "wasm32"))]
pub mod native;
