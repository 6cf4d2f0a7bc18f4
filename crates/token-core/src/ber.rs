//! BER → DER for the encodings CMS and PKCS#12 producers actually emit.
//!
//! OpenSSL's streaming output (`openssl cms -sign -stream`), CryptoPro and Windows write
//! SignedData and PFX files with **indefinite lengths** (`0x80` … `00 00`) and **constructed
//! (chunked) OCTET STRINGs**, which are valid BER but not DER, and RustCrypto's `der` crate reads
//! DER only. [`to_der`] rewrites such input into the DER the rest of this crate decodes:
//!
//! * indefinite and non-minimal lengths become minimal definite lengths;
//! * constructed universal string types (OCTET STRING, BIT STRING, the character strings) are
//!   joined into one primitive value;
//! * a constructed context-specific value whose children are **two or more** primitive OCTET
//!   STRINGs is joined into a primitive value with the same tag: that is the chunked form of an
//!   `[n] IMPLICIT OCTET STRING` (CMS `encryptedContent`), which Windows writes for PKCS#12. A
//!   single child is left alone: it cannot be told from `[n] EXPLICIT OCTET STRING`.
//!
//! Everything else is copied as it is (SET OF order is not changed: signed attributes are DER
//! already, and the signature covers their bytes). Digests over content are unaffected: CMS
//! hashes the content octets, which joining chunks preserves. Input that is not well-formed
//! BER — truncated, lengths past the end, an end-of-contents marker out of place, nesting
//! deeper than [`MAX_DEPTH`] — is a typed [`Error::Malformed`], never a panic.
//!
//! ```
//! // SEQUENCE (indefinite) { OCTET STRING (constructed, indefinite) { "ab", "c" } }
//! let ber = [0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0, 0, 0, 0];
//! let der = keycarrier_token_core::ber::to_der(&ber).unwrap();
//! assert_eq!(der, [0x30, 0x05, 0x04, 0x03, b'a', b'b', b'c']);
//! ```

use crate::{Error, Result};

/// Deepest nesting accepted (CMS and PFX need fewer than 20 levels).
pub const MAX_DEPTH: usize = 64;

/// Rewrites one BER-encoded value (the whole input, nothing after it) as DER; see the module
/// documentation for what changes. DER input comes back byte for byte.
pub fn to_der(input: &[u8]) -> Result<Vec<u8>> {
    let mut reader = Reader { buf: input, pos: 0 };
    let value = reader
        .value(0)?
        .ok_or_else(|| malformed(0, "end-of-contents at top level"))?;
    if reader.pos != input.len() {
        return Err(malformed(reader.pos, "data after the value"));
    }
    let mut out = Vec::with_capacity(input.len());
    value.encode(&mut out);
    Ok(out)
}

/// Decodes `T` from DER directly, or, when that fails, from the DER [`to_der`] makes of BER
/// input. When the input is not BER either, the first (DER) error is returned.
pub fn decode<T: for<'a> der::Decode<'a, Error = der::Error>>(
    bytes: &[u8],
) -> core::result::Result<T, der::Error> {
    match T::from_der(bytes) {
        Ok(v) => Ok(v),
        Err(e) => match to_der(bytes) {
            Ok(der) => T::from_der(&der),
            Err(_) => Err(e),
        },
    }
}

fn malformed(at: usize, reason: &str) -> Error {
    Error::Malformed {
        what: "BER encoding",
        at: Some(at),
        reason: reason.into(),
    }
}

/// A decoded value: identifier octets and either primitive content or children.
struct Value<'a> {
    tag: Vec<u8>,
    body: Body<'a>,
}

enum Body<'a> {
    Primitive(std::borrow::Cow<'a, [u8]>),
    Constructed(Vec<Value<'a>>),
}

impl Value<'_> {
    fn content_len(&self) -> usize {
        match &self.body {
            Body::Primitive(c) => c.len(),
            Body::Constructed(children) => children.iter().map(Value::encoded_len).sum(),
        }
    }

    fn encoded_len(&self) -> usize {
        let len = self.content_len();
        self.tag.len() + len_octets(len) + len
    }

    fn encode(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.tag);
        push_len(out, self.content_len());
        match &self.body {
            Body::Primitive(c) => out.extend_from_slice(c),
            Body::Constructed(children) => {
                for c in children {
                    c.encode(out);
                }
            }
        }
    }
}

fn len_octets(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        1 + (usize::BITS as usize / 8 - len.leading_zeros() as usize / 8)
    }
}

/// Appends the minimal DER encoding of a length (X.690 8.1.3): short form below 128, else the
/// long form with as few octets as the value needs. Shared by the CMS writers of the workspace.
pub fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = len.leading_zeros() as usize / 8;
    let significant = bytes.get(skip..).unwrap_or(&[]);
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// Universal string types that BER may send constructed (X.690 8.7, 8.6, 8.23).
fn is_universal_string(tag_number_octet: u8) -> bool {
    matches!(
        tag_number_octet & 0x1f,
        0x03 | 0x04 | 0x0c | 0x12 | 0x13 | 0x14 | 0x15 | 0x16 | 0x19 | 0x1a | 0x1b | 0x1c | 0x1e
    )
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| malformed(self.pos, "truncated"))?;
        self.pos += 1;
        Ok(b)
    }

    /// One value, or `None` for an end-of-contents marker (`00 00`).
    fn value(&mut self, depth: usize) -> Result<Option<Value<'a>>> {
        if depth > MAX_DEPTH {
            return Err(malformed(self.pos, "nested too deeply"));
        }
        let start = self.pos;
        let first = self.byte()?;
        let mut tag = vec![first];
        if first & 0x1f == 0x1f {
            // High tag number: base-128 octets, the last without bit 8.
            loop {
                let b = self.byte()?;
                tag.push(b);
                if b & 0x80 == 0 {
                    break;
                }
                if tag.len() > 6 {
                    return Err(malformed(start, "tag number too large"));
                }
            }
        }
        let constructed = first & 0x20 != 0;
        let len_byte = self.byte()?;
        if first == 0 {
            if len_byte != 0 {
                return Err(malformed(start, "end-of-contents with a length"));
            }
            return Ok(None);
        }
        let definite = if len_byte == 0x80 {
            if !constructed {
                return Err(malformed(start, "indefinite length on a primitive value"));
            }
            None
        } else if len_byte & 0x80 != 0 {
            let n = usize::from(len_byte & 0x7f);
            if n > 8 {
                return Err(malformed(start, "length of more than 8 octets"));
            }
            let mut len = 0usize;
            for _ in 0..n {
                let b = self.byte()?;
                len = len
                    .checked_mul(256)
                    .and_then(|l| l.checked_add(usize::from(b)))
                    .ok_or_else(|| malformed(start, "length overflows"))?;
            }
            Some(len)
        } else {
            Some(usize::from(len_byte))
        };
        let end = match definite {
            Some(len) => {
                let end = self
                    .pos
                    .checked_add(len)
                    .filter(|&e| e <= self.buf.len())
                    .ok_or_else(|| malformed(start, "length runs past the end"))?;
                Some(end)
            }
            None => None,
        };
        if !constructed {
            let end = end.ok_or_else(|| malformed(start, "primitive without length"))?;
            let content = self
                .buf
                .get(self.pos..end)
                .ok_or_else(|| malformed(start, "truncated"))?;
            self.pos = end;
            return Ok(Some(Value {
                tag,
                body: Body::Primitive(content.into()),
            }));
        }
        let mut children = Vec::new();
        loop {
            match end {
                Some(e) if self.pos == e => break,
                Some(e) if self.pos > e => {
                    return Err(malformed(start, "child overruns its parent"));
                }
                _ => {}
            }
            match self.value(depth + 1)? {
                Some(child) => children.push(child),
                None if end.is_none() => break,
                None => return Err(malformed(self.pos, "end-of-contents in a definite value")),
            }
        }
        Ok(Some(join(tag, children, start)?))
    }
}

/// Builds a constructed value, joining string chunks where the module docs say so.
fn join<'a>(tag: Vec<u8>, children: Vec<Value<'a>>, at: usize) -> Result<Value<'a>> {
    let first = tag.first().copied().unwrap_or(0);
    let class = first & 0xc0;
    let universal_string = class == 0 && tag.len() == 1 && is_universal_string(first);
    let implicit_octets = class == 0x80
        && children.len() >= 2
        && children
            .iter()
            .all(|c| c.tag == [0x04] && matches!(c.body, Body::Primitive(_)));
    if !universal_string && !implicit_octets {
        return Ok(Value {
            tag,
            body: Body::Constructed(children),
        });
    }
    let bit_string = universal_string && first & 0x1f == 0x03;
    let mut joined = Vec::new();
    let mut unused = 0u8;
    let count = children.len();
    for (i, child) in children.into_iter().enumerate() {
        // Chunks of a string are strings of the same type (X.690 8.7.3.2), here already
        // joined if they were themselves constructed.
        let Body::Primitive(content) = child.body else {
            return Err(malformed(at, "constructed string with a non-string chunk"));
        };
        if universal_string && child.tag.first().map(|t| t & 0x1f) != Some(first & 0x1f) {
            return Err(malformed(at, "string chunk of another type"));
        }
        if bit_string {
            let (&u, bits) = content
                .split_first()
                .ok_or_else(|| malformed(at, "BIT STRING chunk without its unused-bits octet"))?;
            if u != 0 && i + 1 != count {
                return Err(malformed(at, "unused bits in a middle BIT STRING chunk"));
            }
            unused = u;
            joined.extend_from_slice(bits);
        } else {
            joined.extend_from_slice(&content);
        }
    }
    if bit_string {
        joined.insert(0, unused);
    }
    let mut tag = tag;
    if let Some(t) = tag.first_mut() {
        *t &= !0x20;
    }
    Ok(Value {
        tag,
        body: Body::Primitive(joined.into()),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn der_is_unchanged() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa];
        assert_eq!(to_der(&der).unwrap(), der);
    }

    #[test]
    fn long_lengths_and_chunks() {
        // OCTET STRING of 300 bytes sent as three chunks under an indefinite SEQUENCE.
        let data: Vec<u8> = (0..300u32).map(|i| i as u8).collect();
        let mut ber = vec![0x30, 0x80, 0x24, 0x80];
        for chunk in data.chunks(128) {
            ber.extend([0x04, 0x81, chunk.len() as u8]);
            ber.extend_from_slice(chunk);
        }
        ber.extend([0, 0, 0, 0]);
        let der = to_der(&ber).unwrap();
        let mut want = vec![0x30, 0x82, 0x01, 0x30, 0x04, 0x82, 0x01, 0x2c];
        want.extend(&data);
        assert_eq!(der, want);
        // Non-minimal definite length.
        assert_eq!(
            to_der(&[0x04, 0x81, 0x01, 0x07]).unwrap(),
            [0x04, 0x01, 0x07]
        );
    }

    #[test]
    fn bit_strings_and_implicit_octets() {
        let ber = [
            0x23, 0x80, 0x03, 0x02, 0x00, 0xaa, 0x03, 0x02, 0x04, 0xf0, 0, 0,
        ];
        assert_eq!(to_der(&ber).unwrap(), [0x03, 0x03, 0x04, 0xaa, 0xf0]);
        let bad = [
            0x23, 0x80, 0x03, 0x02, 0x04, 0xaa, 0x03, 0x02, 0x00, 0xf0, 0, 0,
        ];
        assert!(to_der(&bad).is_err());
        // [0] IMPLICIT OCTET STRING in two chunks (Windows PKCS#12 encryptedContent).
        let ber = [0xa0, 0x80, 0x04, 0x01, 0x11, 0x04, 0x01, 0x22, 0, 0];
        assert_eq!(to_der(&ber).unwrap(), [0x80, 0x02, 0x11, 0x22]);
        // One child: [0] EXPLICIT OCTET STRING, kept.
        let ber = [0xa0, 0x80, 0x04, 0x01, 0x11, 0, 0];
        assert_eq!(to_der(&ber).unwrap(), [0xa0, 0x03, 0x04, 0x01, 0x11]);
    }

    #[test]
    fn broken_input_is_a_typed_error() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x80],
            &[0x30, 0x80, 0x02, 0x01, 0x01],
            &[0x04, 0x80, 0x00, 0x00],
            &[0x30, 0x03, 0x00, 0x00, 0x00],
            &[0x04, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9],
            &[0x04, 0x84, 0xff, 0xff, 0xff, 0xff],
            &[0x30, 0x00, 0x00],
            &[0x00, 0x00],
            &[0x1f, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x01, 0x00],
        ] {
            assert!(
                matches!(to_der(bad), Err(Error::Malformed { .. })),
                "{bad:02x?}"
            );
        }
        let mut deep = [0x30u8, 0x80].repeat(MAX_DEPTH + 2);
        deep.extend(vec![0u8; 2 * (MAX_DEPTH + 2)]);
        assert!(to_der(&deep).is_err());
    }
}
