//! `wasi:filesystem` generated afresh, so its descriptor can be ours; the
//! streams and clocks it mentions stay wasmtime-wasi's.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "wasi:filesystem/imports",
    imports: { default: async | trappable },
    trappable_error_type: {
        "wasi:filesystem/types.error-code" => super::errors::WasiError,
    },
    with: {
        "wasi:io": wasmtime_wasi_io::bindings::wasi::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:filesystem/types.descriptor": super::descriptor::Descriptor,
        "wasi:filesystem/types.directory-entry-stream": super::descriptor::DirStream,
    },
    require_store_data_send: true,
});
