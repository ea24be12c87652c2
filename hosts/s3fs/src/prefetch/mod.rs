//! Reads. A reader that reads where its previous read ended is sequential: it gets a window
//! of ranged GETs of `read_part_size` running ahead of it, one part at first and doubling
//! with each part consumed up to `read_concurrency`, so a reader that stops early fetched
//! little and a streaming one soon has every GET it is allowed in flight. Any other read is
//! one ranged GET of exactly what was asked. An object of at most one part is fetched whole
//! by the first read and served from memory afterwards.
//!
//! Every buffer holds a reservation from the S3Fs memory limiter; parts ahead of the reader
//! are started only when memory is free.

mod part;

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};

use crate::memory::Reservation;
use crate::{Error, Inner};
use part::{Part, Source};

pub struct Reader {
    source: Source,
    size: u64,
    /// Where the previous read ended; a read starting here is sequential.
    next_offset: u64,
    whole: Option<(Bytes, Reservation)>,
    stream: Option<Stream>,
}

struct Stream {
    parts: VecDeque<Part>,
    next_fetch: u64,
    window: usize,
}

impl Reader {
    pub(crate) fn new(fs: Arc<Inner>, key: String, size: u64, etag: Option<String>) -> Reader {
        Reader {
            source: Source {
                fs,
                key: key.into(),
                etag: etag.map(Into::into),
            },
            size,
            next_offset: 0,
            whole: None,
            stream: None,
        }
    }

    /// Size of the object when it was opened.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Up to `len` bytes at `offset`; fewer only at the end of the object, empty at or past it.
    pub async fn read(&mut self, offset: u64, len: usize) -> Result<Bytes, Error> {
        if offset >= self.size || len == 0 {
            return Ok(Bytes::new());
        }
        let end = offset.saturating_add(len as u64).min(self.size);
        let part_size = self.source.fs.config.read_part_size as u64;
        let data = if self.size <= part_size {
            self.read_whole(offset, end).await
        } else if offset == self.next_offset {
            let result = self.read_streaming(offset, end).await;
            if result.is_err() {
                self.stream = None;
            }
            result
        } else {
            self.stream = None;
            self.read_direct(offset, end).await
        }?;
        self.next_offset = end;
        Ok(data)
    }

    async fn read_whole(&mut self, offset: u64, end: u64) -> Result<Bytes, Error> {
        if self.whole.is_none() {
            let memory = self
                .source
                .fs
                .memory
                .reserve_for_progress(self.size as usize);
            let data = self.fetch(0, self.size).await?;
            self.whole = Some((data, memory));
        }
        let (data, _) = self.whole.as_ref().expect("fetched above");
        Ok(data.slice(offset as usize..end as usize))
    }

    async fn read_direct(&self, offset: u64, end: u64) -> Result<Bytes, Error> {
        let _memory = self
            .source
            .fs
            .memory
            .reserve_for_progress((end - offset) as usize);
        self.fetch(offset, end).await
    }

    async fn fetch(&self, start: u64, end: u64) -> Result<Bytes, Error> {
        let s = &self.source;
        s.fs.get_range(&s.key, start, end, s.etag.as_deref()).await
    }

    async fn read_streaming(&mut self, offset: u64, end: u64) -> Result<Bytes, Error> {
        let concurrency = self.source.fs.config.read_concurrency;
        let stream = self.stream.get_or_insert_with(|| Stream {
            parts: VecDeque::new(),
            next_fetch: offset,
            window: 1,
        });
        while stream.parts.front().is_some_and(|p| p.end <= offset) {
            stream.parts.pop_front();
        }
        if stream.parts.front().is_none_or(|p| p.start > offset) {
            stream.parts.clear();
            stream.next_fetch = offset;
        }

        let mut pieces: Vec<Bytes> = Vec::new();
        let mut pos = offset;
        while pos < end {
            fill(&self.source, self.size, stream);
            let front = stream
                .parts
                .front_mut()
                .expect("fill starts at least one part");
            let data = front.data(&self.source.key).await?;
            let from = (pos - front.start) as usize;
            let to = (end.min(front.end) - front.start) as usize;
            pieces.push(data.slice(from..to));
            pos += (to - from) as u64;
            if pos >= front.end {
                stream.parts.pop_front();
                stream.window = (stream.window * 2).min(concurrency);
            }
        }
        // Keep the window full while the caller works on what it got.
        fill(&self.source, self.size, stream);

        Ok(match pieces.len() {
            1 => pieces.pop().expect("one piece"),
            _ => {
                let mut out = BytesMut::with_capacity((end - offset) as usize);
                for piece in pieces {
                    out.extend_from_slice(&piece);
                }
                out.freeze()
            }
        })
    }
}

/// Starts parts until the window is full, the object is covered, or memory runs out. The
/// first part is the one the reader waits for, so it is started whatever the memory.
fn fill(source: &Source, size: u64, stream: &mut Stream) {
    let part_size = source.fs.config.read_part_size as u64;
    while stream.parts.len() < stream.window && stream.next_fetch < size {
        let start = stream.next_fetch;
        let end = (start + part_size).min(size);
        let len = (end - start) as usize;
        let memory = if stream.parts.is_empty() {
            source.fs.memory.reserve_for_progress(len)
        } else {
            match source.fs.memory.try_reserve(len) {
                Some(memory) => memory,
                None => break,
            }
        };
        stream
            .parts
            .push_back(Part::spawn(source, start, end, memory));
        stream.next_fetch = end;
    }
}
