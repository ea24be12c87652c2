//! Every host embeds the one core component, built by `make component`.
//! Fail early with the fix rather than with include_bytes!'s bare "not found".

use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let component = Path::new(&manifest).join("../../build/docproc-core.wasm");
    println!("cargo:rerun-if-changed={}", component.display());
    if !component.exists() {
        panic!(
            "{} is missing: run `make component` (or `make test`, which builds it) first",
            component.display()
        );
    }
}
