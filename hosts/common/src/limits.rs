use wasmtime::ResourceLimiter;

/// Caps an instance's linear memory and remembers whether the cap was hit,
/// so a guest that aborts on a failed allocation is reported as out of
/// memory rather than as a bare trap.
pub struct MemoryCap {
    max: usize,
    pub(crate) hit: bool,
}

impl MemoryCap {
    pub fn new(max: usize) -> Self {
        MemoryCap { max, hit: false }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = desired <= self.max;
        self.hit |= !ok;
        Ok(ok)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1_000_000)
    }
}
