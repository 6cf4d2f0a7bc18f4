//! BER-TLV (ISO/IEC 7816-4 §5.2, ASN.1 BER subset) parser and builder.
//!
//! Tags are 1–3 bytes (kept as their big-endian value, e.g. `0x5F2D`), lengths use the short
//! form or `81`/`82`/`83` long forms. The parser never panics on hostile input: every error is
//! a [`Error::Malformed`] with the byte offset.
//!
//! ```
//! use keycarrier_pcsc_apdu::tlv::{self, Tlv};
//! let mut out = Vec::new();
//! let inner = tlv::build(&[(0x81, &[1, 2][..]), (0x82, &[3][..])]).unwrap();
//! tlv::encode(0x7F49, &inner, &mut out).unwrap();
//! let top = Tlv::parse_all(&out).unwrap();
//! assert_eq!(top[0].tag, 0x7F49);
//! assert_eq!(top[0].find(0x82).unwrap().unwrap().value, &[3]);
//! ```

use token_core::Error;

/// Deepest nesting [`Tlv::find`] descends into.
const MAX_DEPTH: usize = 16;

/// One decoded TLV; `value` borrows from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag, as its bytes read big-endian (`0x5F2D`, `0x7F49`, `0x9F7F`).
    pub tag: u32,
    /// The value bytes.
    pub value: &'a [u8],
}

fn malformed(at: usize, reason: &str) -> Error {
    Error::Malformed {
        what: "BER-TLV",
        at: Some(at),
        reason: reason.into(),
    }
}

impl<'a> Tlv<'a> {
    /// Whether the tag says the value is itself TLVs (bit 6 of the first tag byte).
    pub fn is_constructed(&self) -> bool {
        let first = self
            .tag
            .to_be_bytes()
            .into_iter()
            .find(|b| *b != 0)
            .unwrap_or(0);
        first & 0x20 != 0
    }

    /// Reads one TLV from the start of `input`; returns it and the rest. `base` is the offset
    /// of `input` in the whole buffer, for error positions.
    pub fn parse_one(input: &'a [u8], base: usize) -> Result<(Self, &'a [u8]), Error> {
        let mut pos = 0usize;
        let byte = |pos: usize| input.get(pos).copied();
        let first = byte(pos).ok_or_else(|| malformed(base, "missing tag"))?;
        pos += 1;
        let mut tag = u32::from(first);
        if first & 0x1F == 0x1F {
            loop {
                let b = byte(pos).ok_or_else(|| malformed(base + pos, "truncated tag"))?;
                pos += 1;
                if pos > 3 {
                    return Err(malformed(base, "tag longer than 3 bytes"));
                }
                tag = (tag << 8) | u32::from(b);
                if b & 0x80 == 0 {
                    break;
                }
            }
        }
        let l0 = byte(pos).ok_or_else(|| malformed(base + pos, "missing length"))?;
        pos += 1;
        let len = match l0 {
            0..=0x7F => usize::from(l0),
            0x81..=0x83 => {
                let n = usize::from(l0 & 0x7F);
                let mut len = 0usize;
                for _ in 0..n {
                    let b = byte(pos).ok_or_else(|| malformed(base + pos, "truncated length"))?;
                    pos += 1;
                    len = (len << 8) | usize::from(b);
                }
                len
            }
            _ => return Err(malformed(base + pos - 1, "unsupported length form")),
        };
        let end = pos
            .checked_add(len)
            .ok_or_else(|| malformed(base + pos, "length overflow"))?;
        let value = input
            .get(pos..end)
            .ok_or_else(|| malformed(base + pos, "value runs past the end"))?;
        let rest = input.get(end..).unwrap_or_default();
        Ok((Self { tag, value }, rest))
    }

    /// Parses a sequence of TLVs filling `input` exactly. `00` and `FF` padding bytes between
    /// TLVs (allowed by ISO 7816-4) are skipped.
    pub fn parse_all(input: &'a [u8]) -> Result<Vec<Self>, Error> {
        let mut out = Vec::new();
        let mut rest = input;
        while let Some(&b) = rest.first() {
            let at = input.len() - rest.len();
            if b == 0x00 || b == 0xFF {
                rest = rest.get(1..).unwrap_or_default();
                continue;
            }
            let (tlv, r) = Self::parse_one(rest, at)?;
            out.push(tlv);
            rest = r;
        }
        Ok(out)
    }

    /// The children of a constructed TLV.
    pub fn children(&self) -> Result<Vec<Tlv<'a>>, Error> {
        if !self.is_constructed() {
            return Err(malformed(0, "primitive TLV has no children"));
        }
        Self::parse_all(self.value)
    }

    /// Depth-first search for `tag` below this TLV (not including itself).
    pub fn find(&self, tag: u32) -> Result<Option<Tlv<'a>>, Error> {
        find_in(self.value, tag, 0)
    }
}

/// Depth-first search for `tag` in a sequence of TLVs, descending into constructed ones.
pub fn find(input: &[u8], tag: u32) -> Result<Option<Tlv<'_>>, Error> {
    find_in(input, tag, 0)
}

fn find_in(input: &[u8], tag: u32, depth: usize) -> Result<Option<Tlv<'_>>, Error> {
    if depth > MAX_DEPTH {
        return Err(malformed(0, "nested too deeply"));
    }
    for tlv in Tlv::parse_all(input)? {
        if tlv.tag == tag {
            return Ok(Some(tlv));
        }
        if tlv.is_constructed()
            && let Some(found) = find_in(tlv.value, tag, depth + 1)?
        {
            return Ok(Some(found));
        }
    }
    Ok(None)
}

/// Appends the encoding of a tag (1–4 bytes; leading zero bytes dropped).
pub fn encode_tag(tag: u32, out: &mut Vec<u8>) {
    let bytes = tag.to_be_bytes();
    let skip = bytes.iter().take(3).take_while(|b| **b == 0).count();
    out.extend(bytes.iter().skip(skip));
}

/// Appends the encoding of a length (short form, or `81`/`82`/`83` long form). A length of
/// 2^24 or more has no encoding here: [`Error::Unsupported`], nothing appended.
pub fn encode_len(len: usize, out: &mut Vec<u8>) -> Result<(), Error> {
    let b = (len as u64).to_be_bytes();
    match len {
        0..=0x7F => out.extend(b.iter().skip(7)),
        0x80..=0xFF => {
            out.push(0x81);
            out.extend(b.iter().skip(7));
        }
        0x100..=0xFFFF => {
            out.push(0x82);
            out.extend(b.iter().skip(6));
        }
        0x1_0000..=0xFF_FFFF => {
            out.push(0x83);
            out.extend(b.iter().skip(5));
        }
        _ => {
            return Err(Error::Unsupported {
                what: format!("a BER-TLV length of {len} bytes (at most 16 MiB - 1)"),
            });
        }
    }
    Ok(())
}

/// Appends one TLV; [`Error::Unsupported`] (nothing appended) when the value is too long for
/// [`encode_len`].
pub fn encode(tag: u32, value: &[u8], out: &mut Vec<u8>) -> Result<(), Error> {
    let mut len = Vec::with_capacity(4);
    encode_len(value.len(), &mut len)?;
    encode_tag(tag, out);
    out.extend_from_slice(&len);
    out.extend_from_slice(value);
    Ok(())
}

/// Builds the concatenation of several TLVs (e.g. the value of a constructed TLV).
pub fn build(items: &[(u32, &[u8])]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::new();
    for (tag, value) in items {
        encode(*tag, value, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multi_byte_tags_and_long_lengths() {
        let big = vec![0xAA; 300];
        let mut buf = Vec::new();
        encode(0x5F2D, b"ru", &mut buf).unwrap();
        encode(0x9F7F, &big, &mut buf).unwrap();
        encode(0x04, &[0; 200], &mut buf).unwrap();
        let all = Tlv::parse_all(&buf).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all[0].tag, 0x5F2D);
        assert_eq!(all[0].value, b"ru");
        assert_eq!(all[1].tag, 0x9F7F);
        assert_eq!(all[1].value.len(), 300);
        assert_eq!(&buf[5..9], &[0x9F, 0x7F, 0x82, 0x01]);
        assert_eq!(all[2].value.len(), 200);
        // 83 form up to 2^24 - 1; beyond that a typed error and nothing written.
        let mut out = Vec::new();
        encode_len(0xFF_FFFF, &mut out).unwrap();
        assert_eq!(out, [0x83, 0xFF, 0xFF, 0xFF]);
        let mut out = Vec::new();
        assert!(matches!(
            encode_len(0x100_0000, &mut out),
            Err(Error::Unsupported { .. })
        ));
        assert!(out.is_empty());
    }

    #[test]
    fn nested_find() {
        let inner = build(&[(0x80, &[1][..]), (0x81, &[2, 3][..])]).unwrap();
        let mid = build(&[(0xA0, &inner[..])]).unwrap();
        let outer = build(&[(0x4F, &[9][..]), (0x7F49, &mid[..])]).unwrap();
        assert_eq!(find(&outer, 0x81).unwrap().unwrap().value, &[2, 3]);
        assert!(find(&outer, 0x99).unwrap().is_none());
        let top = Tlv::parse_all(&outer).unwrap();
        assert!(top[1].is_constructed());
        assert!(!top[0].is_constructed());
        assert_eq!(top[1].children().unwrap()[0].tag, 0xA0);
    }

    #[test]
    fn hostile_input_is_typed() {
        for bad in [
            &[0x5F][..],
            &[0x5F, 0x2D],
            &[0x04, 0x05, 1, 2],
            &[0x04, 0x84, 0, 0, 0, 1],
            &[0x04, 0x82, 0x01],
            &[0x1F, 0x81, 0x81, 0x81, 0x01, 0x00],
            &[0x04, 0x80],
        ] {
            assert!(
                matches!(Tlv::parse_all(bad), Err(Error::Malformed { .. })),
                "{bad:02X?}"
            );
        }
        // 00/FF padding is skipped.
        assert_eq!(Tlv::parse_all(&[0, 0xFF, 0x04, 0]).unwrap().len(), 1);
        // Deep nesting is bounded.
        let mut v = build(&[(0x04, &[][..])]).unwrap();
        for _ in 0..40 {
            v = build(&[(0x30, &v[..])]).unwrap();
        }
        assert!(find(&v, 0x99).is_err());
    }
}
