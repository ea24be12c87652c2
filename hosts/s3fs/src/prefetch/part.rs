//! One ranged GET running as its own task, so several run while the reader consumes.

use std::sync::Arc;

use bytes::Bytes;
use tokio::task::JoinHandle;

use crate::memory::Reservation;
use crate::{Error, Inner};

pub(super) struct Part {
    pub start: u64,
    pub end: u64,
    state: State,
    _memory: Reservation,
}

enum State {
    Fetching(JoinHandle<Result<Bytes, Error>>),
    Ready(Bytes),
}

/// What every part of one reader fetches from.
#[derive(Clone)]
pub(super) struct Source {
    pub fs: Arc<Inner>,
    pub key: Arc<str>,
    pub etag: Option<Arc<str>>,
}

impl Part {
    pub fn spawn(source: &Source, start: u64, end: u64, memory: Reservation) -> Part {
        let source = source.clone();
        let task = tokio::spawn(async move {
            source
                .fs
                .get_range(&source.key, start, end, source.etag.as_deref())
                .await
        });
        Part {
            start,
            end,
            state: State::Fetching(task),
            _memory: memory,
        }
    }

    pub async fn data(&mut self, key: &str) -> Result<Bytes, Error> {
        if let State::Fetching(task) = &mut self.state {
            let data = task
                .await
                .map_err(|err| Error::io(key, format!("GetObject: prefetch task: {err}")))??;
            self.state = State::Ready(data);
        }
        match &self.state {
            State::Ready(data) => Ok(data.clone()),
            State::Fetching(_) => unreachable!("awaited above"),
        }
    }
}

impl Drop for Part {
    fn drop(&mut self) {
        // A reader that seeks away or is dropped stops paying for bytes it will not read.
        if let State::Fetching(task) = &self.state {
            task.abort();
        }
    }
}
