//! Envelopes of any size in constant memory, both ways: the encrypted content streams through
//! a chunk cipher while the small parts around it (recipients, algorithm, attributes, tag) are
//! read or written whole. Written envelopes use BER's indefinite lengths, as `openssl cms
//! -stream` does; read envelopes may use either form.
//!
//! Opening a stream writes plaintext before the end of the envelope — and so before an
//! authenticated cipher's tag — has been seen: output is only trustworthy once the call
//! returns `Ok`. [`open_to_file`] takes care of that: it writes to a temporary file beside the
//! target and renames it into place only after the tag verified.

pub(crate) mod cipher;
mod tlv;

use std::io::{Read, Write};
use std::path::Path;

use cms::enveloped_data::RecipientInfos;
use der::Decode;
use der::asn1::ObjectIdentifier;
use spki::AlgorithmIdentifierOwned;
use token_core::{Error, Result, oid};
use x509_cert::Certificate;
use x509_cert::attr::Attributes;

use crate::envelope::{RecipientKey, content_key, mac_attribute};
use crate::recipient::Recipient;
use crate::seal::{EnvelopeBuilder, Prepared};
pub(crate) use cipher::ChunkCipher;
use tlv::{Header, TlvReader, malformed};
pub(crate) use token_core::ber::push_len;

/// How much is read and decrypted at a time.
const CHUNK: usize = 64 * 1024;

fn write_err(e: std::io::Error) -> Error {
    Error::storage("writing the decrypted content", e)
}

/// Where a constructed value ends: at a position (definite) or at its end-of-contents marker.
#[derive(Clone, Copy)]
enum End {
    At(u64),
    Marker,
}

impl End {
    fn of<R: Read>(r: &TlvReader<R>, h: Header) -> End {
        match h.len {
            Some(len) => End::At(r.pos.saturating_add(len)),
            None => End::Marker,
        }
    }
}

/// Opens an envelope read from `input`, writing the content to `output` as it is decrypted;
/// returns the number of content bytes. Memory use does not grow with the content.
///
/// On an error the bytes already written must be discarded (see the module docs, and
/// [`open_to_file`], which does that).
pub fn open_stream<R: Read, W: Write>(
    input: R,
    key: &RecipientKey<'_>,
    mut output: W,
) -> Result<u64> {
    let mut r = TlvReader::new(input);
    let ci = r.expect(0x30, "ContentInfo")?;
    let ci_end = End::of(&r, ci);
    let content_type = read_oid(&mut r)?;
    let auth = if content_type == oid::CMS_ENVELOPED_DATA {
        false
    } else if content_type == oid::CMS_AUTH_ENVELOPED_DATA {
        true
    } else {
        return Err(Error::Unsupported {
            what: format!("CMS content type {content_type} (not an envelope)"),
        });
    };
    let explicit = r.expect(0xa0, "[0] content")?;
    let explicit_end = End::of(&r, explicit);
    let ed = r.expect(0x30, "EnvelopedData")?;
    let ed_end = End::of(&r, ed);
    let version = r.expect(0x02, "version")?;
    r.bytes(version.len.ok_or_else(|| malformed("version length"))?)?;
    let mut h = r.header()?;
    if h.tag == 0xa0 {
        r.rest_of(h)?; // originatorInfo: not needed to open
        h = r.header()?;
    }
    if h.tag != 0x31 {
        return Err(malformed("expected the recipient infos"));
    }
    let infos = RecipientInfos::from_der(&r.rest_of(h)?)
        .map_err(|e| Error::malformed_der("recipient infos", e))?;
    let recipients = Recipient::all(infos.0.as_slice())?;
    let certificate = Certificate::from_der(key.certificate)
        .map_err(|e| Error::malformed_der("recipient certificate", e))?;
    let recipient = recipients
        .iter()
        .find(|r| r.is_for(&certificate))
        .ok_or_else(|| Error::NotFound {
            what: "a recipient for this certificate in the envelope".into(),
        })?;

    let eci = r.expect(0x30, "EncryptedContentInfo")?;
    let eci_end = End::of(&r, eci);
    read_oid(&mut r)?;
    let alg_h = r.expect(0x30, "content encryption algorithm")?;
    let algorithm = AlgorithmIdentifierOwned::from_der(&r.rest_of(alg_h)?)
        .map_err(|e| Error::malformed_der("content encryption algorithm", e))?;
    let cek = content_key(recipient, key.carrier, key.container)?;
    let mut cipher = crate::content::decryptor(&algorithm, cek.expose(), &[])?;

    let mut out = Vec::with_capacity(CHUNK + 16);
    let mut total = 0u64;
    let mut pump = |r: &mut TlvReader<R>, len: u64, out: &mut Vec<u8>| -> Result<()> {
        let mut left = len;
        let mut buf = vec![0u8; CHUNK];
        while left > 0 {
            let want = usize::try_from(left.min(CHUNK as u64)).unwrap_or(CHUNK);
            let n = r.read_some(buf.get_mut(..want).unwrap_or_default())?;
            left -= n as u64;
            out.clear();
            cipher.update(buf.get(..n).unwrap_or_default(), out)?;
            output.write_all(out).map_err(write_err)?;
            total += out.len() as u64;
        }
        Ok(())
    };
    let content = r.header()?;
    match (content.tag, content.len) {
        (0x80, Some(len)) => pump(&mut r, len, &mut out)?,
        (0xa0, _) => {
            let end = End::of(&r, content);
            loop {
                if let End::At(at) = end
                    && r.pos >= at
                {
                    break;
                }
                let chunk = r.header()?;
                if chunk.is_eoc() {
                    if matches!(end, End::Marker) {
                        break;
                    }
                    return Err(malformed("end-of-contents inside a definite value"));
                }
                match (chunk.tag, chunk.len) {
                    (0x04, Some(len)) => pump(&mut r, len, &mut out)?,
                    _ => return Err(malformed("encrypted content chunk is not an OCTET STRING")),
                }
            }
        }
        _ => {
            return Err(malformed(
                "expected [0] encrypted content (detached content is not supported)",
            ));
        }
    }
    close(&mut r, eci_end)?;

    // What follows the content: unprotected attributes (the OMAC), or the AuthEnvelopedData
    // attributes and MAC.
    let mut tag = None;
    loop {
        if let End::At(at) = ed_end
            && r.pos >= at
        {
            break;
        }
        let h = r.header()?;
        if h.is_eoc() {
            if matches!(ed_end, End::Marker) {
                break;
            }
            return Err(malformed("end-of-contents inside a definite value"));
        }
        let tlv = r.rest_of(h)?;
        match (auth, h.tag) {
            (false, 0xa1) => {
                let attrs = Attributes::from_der(&retag_set(&tlv))
                    .map_err(|e| Error::malformed_der("unprotected attributes", e))?;
                tag = mac_attribute(attrs.iter())?;
            }
            (true, 0xa1) => {
                return Err(Error::Unsupported {
                    what: "streaming AuthEnvelopedData with authenticated attributes".into(),
                });
            }
            (true, 0x04) => {
                let mac = der::asn1::OctetString::from_der(&tlv)
                    .map_err(|e| Error::malformed_der("MAC", e))?;
                tag = Some(mac.as_bytes().to_vec());
            }
            (true, 0xa2) => {}
            _ => return Err(malformed("unexpected element after the encrypted content")),
        }
    }
    close(&mut r, explicit_end)?;
    close(&mut r, ci_end)?;

    out.clear();
    cipher.finish(tag.as_deref(), &mut out)?;
    output.write_all(&out).map_err(write_err)?;
    output.flush().map_err(write_err)?;
    Ok(total + out.len() as u64)
}

/// Opens an envelope from `input` into the file `path`, which appears only once the envelope
/// has been opened completely and, for authenticated ciphers, verified. Until then the content
/// goes to a temporary file next to `path`, removed on any error.
pub fn open_to_file<R: Read>(input: R, key: &RecipientKey<'_>, path: &Path) -> Result<u64> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .map_err(|e| Error::storage("creating a temporary file", e))?;
    let n = open_stream(input, key, std::io::BufWriter::new(tmp.as_file_mut()))?;
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::storage("writing the decrypted content", e))?;
    tmp.persist(path)
        .map_err(|e| Error::storage("moving the decrypted content into place", e.error))?;
    Ok(n)
}

/// Consumes the end of a constructed value: its end-of-contents marker, or checks the position.
fn close<R: Read>(r: &mut TlvReader<R>, end: End) -> Result<()> {
    match end {
        End::Marker => {
            if !r.header()?.is_eoc() {
                return Err(malformed("expected end-of-contents"));
            }
        }
        End::At(at) => {
            if r.pos != at {
                return Err(malformed("a value's length does not match its contents"));
            }
        }
    }
    Ok(())
}

fn read_oid<R: Read>(r: &mut TlvReader<R>) -> Result<ObjectIdentifier> {
    let h = r.expect(0x06, "OBJECT IDENTIFIER")?;
    let body = r.bytes(h.len.ok_or_else(|| malformed("OID length"))?)?;
    ObjectIdentifier::from_bytes(&body).map_err(|e| Error::Malformed {
        what: "envelope",
        at: None,
        reason: format!("OID: {e}"),
    })
}

/// `[1] IMPLICIT SET OF` re-tagged as the universal SET OF it stands for.
fn retag_set(tlv: &[u8]) -> Vec<u8> {
    let mut v = tlv.to_vec();
    if let Some(first) = v.first_mut() {
        *first = 0x31;
    }
    v
}

impl EnvelopeBuilder {
    /// Encrypts everything read from `input` and writes the envelope (BER, indefinite
    /// lengths, content in 64 KiB chunks) to `output`; returns the number of content bytes.
    /// Memory use does not grow with the content.
    pub fn seal_stream<R: Read, W: Write>(&self, mut input: R, mut output: W) -> Result<u64> {
        let prepared = self.prepare()?;
        let w = |out: &mut W, bytes: &[u8]| {
            out.write_all(bytes)
                .map_err(|e| Error::storage("writing the envelope", e))
        };
        let (ct_oid, version) = if self.cipher().auth_enveloped() {
            (oid::CMS_AUTH_ENVELOPED_DATA, 0u8)
        } else {
            (oid::CMS_ENVELOPED_DATA, prepared.version)
        };
        let mut head = vec![0x30, 0x80];
        push_oid(&mut head, ct_oid);
        head.extend_from_slice(&[0xa0, 0x80, 0x30, 0x80, 0x02, 0x01, version]);
        head.extend_from_slice(&prepared.recipient_infos);
        head.extend_from_slice(&[0x30, 0x80]);
        push_oid(&mut head, oid::CMS_DATA);
        head.extend_from_slice(&prepared.algorithm);
        head.extend_from_slice(&[0xa0, 0x80]);
        w(&mut output, &head)?;

        let mut cipher = prepared.cipher;
        let mut buf = vec![0u8; CHUNK];
        let mut out = Vec::with_capacity(CHUNK + 16);
        let mut total = 0u64;
        let emit = |output: &mut W, out: &[u8]| -> Result<()> {
            if out.is_empty() {
                return Ok(());
            }
            let mut h = vec![0x04];
            push_len(&mut h, out.len());
            w(output, &h)?;
            w(output, out)
        };
        loop {
            let n = input
                .read(&mut buf)
                .map_err(|e| Error::storage("reading the content to encrypt", e))?;
            if n == 0 {
                break;
            }
            total += n as u64;
            out.clear();
            cipher.update(buf.get(..n).unwrap_or_default(), &mut out)?;
            emit(&mut output, &out)?;
        }
        out.clear();
        let tag = cipher.finish(None, &mut out)?;
        emit(&mut output, &out)?;
        let mut tail = vec![0, 0, 0, 0]; // end of [0] content, end of EncryptedContentInfo
        if let Some(tag) = tag {
            tail.extend_from_slice(&Prepared::tag_encoding(self.cipher(), &tag)?);
        }
        tail.extend_from_slice(&[0, 0, 0, 0, 0, 0]); // EnvelopedData, [0], ContentInfo
        w(&mut output, &tail)?;
        output
            .flush()
            .map_err(|e| Error::storage("writing the envelope", e))?;
        Ok(total)
    }
}

fn push_oid(out: &mut Vec<u8>, o: ObjectIdentifier) {
    out.push(0x06);
    push_len(out, o.as_bytes().len());
    out.extend_from_slice(o.as_bytes());
}
