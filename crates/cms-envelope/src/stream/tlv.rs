//! A BER reader over `Read` that hands out headers one at a time, so the encrypted content of
//! an envelope can be streamed while everything around it is small and read whole.
//!
//! Only what CMS envelopes use: one-byte tags, definite and indefinite lengths. Lengths and
//! the size of any value read whole are bounded; malformed or truncated input is a typed
//! [`Error::Malformed`], never a panic.

use std::io::Read;

use token_core::{Error, Result};

/// The largest value read into memory whole (recipient infos, attributes, algorithm
/// parameters): generous for hundreds of recipients, small against a hostile length.
pub(crate) const MAX_WHOLE: u64 = 4 << 20;

/// One BER header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub(crate) tag: u8,
    /// `None` for the indefinite form.
    pub(crate) len: Option<u64>,
}

impl Header {
    pub(crate) const fn is_eoc(self) -> bool {
        self.tag == 0 && matches!(self.len, Some(0))
    }
}

pub(crate) fn malformed(reason: impl Into<String>) -> Error {
    Error::Malformed {
        what: "envelope",
        at: None,
        reason: reason.into(),
    }
}

fn io(e: std::io::Error) -> Error {
    if e.kind() == std::io::ErrorKind::UnexpectedEof {
        malformed("truncated")
    } else {
        Error::storage("reading the envelope", e)
    }
}

/// Reads BER from `R`, counting bytes.
pub(crate) struct TlvReader<R> {
    inner: R,
    /// Bytes consumed so far.
    pub(crate) pos: u64,
}

impl<R: Read> TlvReader<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self { inner, pos: 0 }
    }

    fn byte(&mut self) -> Result<u8> {
        let mut b = [0u8; 1];
        self.inner.read_exact(&mut b).map_err(io)?;
        self.pos += 1;
        let [b] = b;
        Ok(b)
    }

    /// The next header.
    pub(crate) fn header(&mut self) -> Result<Header> {
        let tag = self.byte()?;
        if tag & 0x1f == 0x1f {
            return Err(malformed("multi-byte tags do not occur in envelopes"));
        }
        let first = self.byte()?;
        let len = if first < 0x80 {
            Some(u64::from(first))
        } else if first == 0x80 {
            if tag & 0x20 == 0 {
                return Err(malformed("indefinite length on a primitive value"));
            }
            None
        } else {
            let n = first & 0x7f;
            if n > 8 {
                return Err(malformed("length of more than 8 bytes"));
            }
            let mut len = 0u64;
            for _ in 0..n {
                len = (len << 8) | u64::from(self.byte()?);
            }
            Some(len)
        };
        Ok(Header { tag, len })
    }

    /// A header that must have `tag`.
    pub(crate) fn expect(&mut self, tag: u8, what: &str) -> Result<Header> {
        let h = self.header()?;
        if h.tag != tag {
            return Err(malformed(format!(
                "expected {what} (tag {tag:#04x}), found tag {:#04x}",
                h.tag
            )));
        }
        Ok(h)
    }

    /// `len` bytes, bounded by [`MAX_WHOLE`].
    pub(crate) fn bytes(&mut self, len: u64) -> Result<Vec<u8>> {
        if len > MAX_WHOLE {
            return Err(malformed("a value too large to be read whole"));
        }
        let mut v = vec![0u8; usize::try_from(len).map_err(|_| malformed("length"))?];
        self.inner.read_exact(&mut v).map_err(io)?;
        self.pos += len;
        Ok(v)
    }

    /// Reads up to `buf.len()` bytes of a value being streamed.
    pub(crate) fn read_some(&mut self, buf: &mut [u8]) -> Result<usize> {
        let n = self.inner.read(buf).map_err(io)?;
        if n == 0 && !buf.is_empty() {
            return Err(malformed("truncated"));
        }
        self.pos += n as u64;
        Ok(n)
    }

    /// The whole TLV whose header was just read, re-encoded with its header, as DER where it
    /// was BER (via `token_core::ber`). Indefinite values are collected to their end-of-contents
    /// marker, within [`MAX_WHOLE`].
    pub(crate) fn rest_of(&mut self, h: Header) -> Result<Vec<u8>> {
        let mut raw = Vec::new();
        self.collect(h, &mut raw, 0)?;
        token_core::ber::to_der(&raw)
    }

    fn collect(&mut self, h: Header, out: &mut Vec<u8>, depth: usize) -> Result<()> {
        if depth > 32 {
            return Err(malformed("nesting too deep"));
        }
        if out.len() as u64 > MAX_WHOLE {
            return Err(malformed("a value too large to be read whole"));
        }
        out.push(h.tag);
        match h.len {
            Some(len) => {
                token_core::ber::push_len(
                    out,
                    usize::try_from(len).map_err(|_| malformed("length"))?,
                );
                let body = self.bytes(len)?;
                out.extend_from_slice(&body);
            }
            None => {
                out.push(0x80);
                loop {
                    let child = self.header()?;
                    if child.is_eoc() {
                        out.extend_from_slice(&[0, 0]);
                        break;
                    }
                    self.collect(child, out, depth + 1)?;
                }
            }
        }
        Ok(())
    }
}
