//! Streaming text statistics, so a document of any size is counted in the
//! memory of one chunk.

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub words: u64,
    pub lines: u64,
    pub chars: u64,
    pub bytes: u64,
}

#[derive(Debug, Default)]
pub struct Counter {
    counts: Counts,
    in_word: bool,
    /// Bytes of a UTF-8 sequence split across two chunks.
    carry: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Utf8Error {
    /// Byte offset of the first invalid byte in the document.
    pub offset: u64,
}

impl std::fmt::Display for Utf8Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "not valid UTF-8 at byte {}", self.offset)
    }
}

impl Counter {
    pub fn feed(&mut self, chunk: &[u8]) -> Result<(), Utf8Error> {
        let start = self.counts.bytes - self.carry.len() as u64;
        self.counts.bytes += chunk.len() as u64;
        if self.carry.is_empty() {
            return self.feed_text(chunk, start);
        }
        let mut joined = std::mem::take(&mut self.carry);
        joined.extend_from_slice(chunk);
        self.feed_text(&joined, start)
    }

    fn feed_text(&mut self, bytes: &[u8], start: u64) -> Result<(), Utf8Error> {
        let (text, rest) = match std::str::from_utf8(bytes) {
            Ok(text) => (text, &[][..]),
            Err(e) if e.error_len().is_none() => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                (std::str::from_utf8(valid).unwrap_or_default(), rest)
            }
            Err(e) => {
                return Err(Utf8Error {
                    offset: start + e.valid_up_to() as u64,
                });
            }
        };
        self.count(text);
        self.carry.extend_from_slice(rest);
        Ok(())
    }

    fn count(&mut self, text: &str) {
        let c = &mut self.counts;
        c.lines += text.bytes().filter(|&b| b == b'\n').count() as u64;
        for ch in text.chars() {
            c.chars += 1;
            let space = ch.is_whitespace();
            if !space && !self.in_word {
                c.words += 1;
            }
            self.in_word = !space;
        }
    }

    pub fn finish(self) -> Result<Counts, Utf8Error> {
        if self.carry.is_empty() {
            Ok(self.counts)
        } else {
            Err(Utf8Error {
                offset: self.counts.bytes - self.carry.len() as u64,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count_in_chunks(bytes: &[u8], size: usize) -> Result<Counts, Utf8Error> {
        let mut c = Counter::default();
        for chunk in bytes.chunks(size) {
            c.feed(chunk)?;
        }
        c.finish()
    }

    #[test]
    fn chunking_never_changes_the_counts() {
        let text = "héllo wörld\n  ünïcode\u{2003}words\u{3000}here 🎉🎉\nend";
        let whole = count_in_chunks(text.as_bytes(), text.len()).unwrap();
        assert_eq!(whole.words, 7);
        assert_eq!(whole.lines, 2);
        assert_eq!(whole.chars, text.chars().count() as u64);
        for size in 1..8 {
            assert_eq!(count_in_chunks(text.as_bytes(), size).unwrap(), whole);
        }
    }

    #[test]
    fn invalid_utf8_reports_its_offset() {
        let err = count_in_chunks(b"abc \xff def", 2).unwrap_err();
        assert_eq!(err.offset, 4);
        let truncated = count_in_chunks("ab\u{e9}".as_bytes().split_last().unwrap().1, 1);
        assert_eq!(truncated.unwrap_err().offset, 2);
    }
}
