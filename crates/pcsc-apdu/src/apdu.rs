//! Command and response APDUs (ISO/IEC 7816-3 §12.1, 7816-4 §5.1): cases 1–4, short and
//! extended length.
//!
//! Command data is either [`Payload::Plain`] or [`Payload::Sensitive`] (PINs, keys,
//! authentication responses): the sensitive kind is zeroized on drop and its `Debug` never
//! shows the bytes. A [`Response`]'s `Debug` shows only the length and the status word: card
//! answers can hold key material too.
//!
//! ```
//! use keycarrier_pcsc_apdu::{Command, Response, StatusWord};
//! let select = Command::new(0x00, 0xA4, 0x04, 0x00).with_data(&[0xA0, 0x00, 0x00, 0x03, 0x08]);
//! assert_eq!(select.to_bytes(false).unwrap(), [0x00, 0xA4, 0x04, 0x00, 0x05, 0xA0, 0x00, 0x00, 0x03, 0x08]);
//! let r = Response::from_bytes(&[0x01, 0x02, 0x90, 0x00]).unwrap();
//! assert_eq!(r.sw(), StatusWord::OK);
//! assert_eq!(r.data(), &[1, 2]);
//! ```

use core::fmt;

use token_core::{Error, SecretBytes};
use zeroize::Zeroize;

use crate::StatusWord;

/// Longest Nc or Ne of a short APDU.
pub const SHORT_MAX: usize = 256;
/// Longest Nc or Ne of an extended APDU.
pub const EXTENDED_MAX: usize = 65_536;

/// The data field of a command.
#[derive(Clone, PartialEq, Eq)]
pub enum Payload {
    /// Ordinary bytes, shown by `Debug`.
    Plain(Vec<u8>),
    /// PINs, keys, cryptograms: zeroized on drop, `Debug` prints only the length.
    Sensitive(SecretBytes),
}

impl Payload {
    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Self::Plain(b) => b,
            Self::Sensitive(s) => s.expose(),
        }
    }

    /// Whether the payload is sensitive.
    pub fn is_sensitive(&self) -> bool {
        matches!(self, Self::Sensitive(_))
    }
}

impl fmt::Debug for Payload {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plain(b) => write!(f, "Plain({})", Hex(b)),
            Self::Sensitive(s) => write!(f, "Sensitive({} bytes, ***)", s.len()),
        }
    }
}

/// Hex formatting helper.
pub(crate) struct Hex<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02X}")?;
        }
        Ok(())
    }
}

/// A command APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// The data field (empty for cases 1 and 2).
    pub data: Payload,
    /// Ne, the number of response bytes expected (`None` for cases 1 and 3). `Some(256)` in a
    /// short APDU and `Some(65536)` in an extended one encode as `00` / `00 00`.
    pub le: Option<usize>,
}

impl Command {
    /// A case-1 command (no data, no Le).
    pub const fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: Payload::Plain(Vec::new()),
            le: None,
        }
    }

    /// Sets plain command data.
    pub fn with_data(mut self, data: &[u8]) -> Self {
        self.data = Payload::Plain(data.to_vec());
        self
    }

    /// Sets sensitive command data (PIN, key, cryptogram): never shown by `Debug`.
    pub fn with_sensitive_data(mut self, data: SecretBytes) -> Self {
        self.data = Payload::Sensitive(data);
        self
    }

    /// Sets Ne.
    pub fn with_le(mut self, le: usize) -> Self {
        self.le = Some(le);
        self
    }

    /// The ISO case: 1 (nothing), 2 (Le), 3 (data), 4 (data and Le).
    pub fn case(&self) -> u8 {
        match (self.data.bytes().is_empty(), self.le.is_some()) {
            (true, false) => 1,
            (true, true) => 2,
            (false, false) => 3,
            (false, true) => 4,
        }
    }

    /// Whether this command needs extended length (Nc > 255 or Ne > 256).
    pub fn needs_extended(&self) -> bool {
        self.data.bytes().len() > SHORT_MAX - 1 || self.le.is_some_and(|le| le > SHORT_MAX)
    }

    /// Encodes the command; `extended` forces extended length even where short would do.
    ///
    /// Fails with [`Error::Malformed`] when the data or Le does not fit the chosen form
    /// (callers chain or use extended length first; see [`crate::transmit`]).
    pub fn to_bytes(&self, extended: bool) -> Result<Vec<u8>, Error> {
        let data = self.data.bytes();
        let nc = data.len();
        let extended = extended || self.needs_extended();
        let too_long = |reason: &str| Error::Malformed {
            what: "command APDU",
            at: None,
            reason: reason.into(),
        };
        if nc > EXTENDED_MAX - 1 {
            return Err(too_long("more than 65535 data bytes"));
        }
        if let Some(le) = self.le
            && (le == 0 || le > EXTENDED_MAX)
        {
            return Err(too_long("Le out of range (1..=65536)"));
        }
        let mut out = Vec::with_capacity(4 + 3 + nc + 3);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if extended {
            if nc > 0 {
                out.push(0);
                out.extend_from_slice(&u16_of(nc).to_be_bytes());
                out.extend_from_slice(data);
            }
            if let Some(le) = self.le {
                if nc == 0 {
                    out.push(0);
                }
                out.extend_from_slice(&u16_of(le % EXTENDED_MAX).to_be_bytes());
            }
        } else {
            if nc > 0 {
                out.push(u8_of(nc));
                out.extend_from_slice(data);
            }
            if let Some(le) = self.le {
                out.push(u8_of(le % SHORT_MAX));
            }
        }
        Ok(out)
    }

    /// Parses a command APDU (used by the card fixture, and handy in tests). The data is
    /// returned as [`Payload::Sensitive`] because a parser cannot tell what it holds.
    pub fn parse(bytes: &[u8]) -> Result<Self, Error> {
        let bad = |at: usize, reason: &str| Error::Malformed {
            what: "command APDU",
            at: Some(at),
            reason: reason.into(),
        };
        let (header, body) = bytes
            .split_first_chunk::<4>()
            .ok_or_else(|| bad(0, "shorter than 4 bytes"))?;
        let [cla, ins, p1, p2] = *header;
        let mut cmd = Self::new(cla, ins, p1, p2);
        let (data, le): (&[u8], Option<usize>) = match body {
            [] => (&[], None),
            [le] => (&[], Some(le_short(*le))),
            [0, hi, lo] => (&[], Some(le_ext(*hi, *lo))),
            [0, hi, lo, rest @ ..] => {
                let nc = usize::from(u16::from_be_bytes([*hi, *lo]));
                if nc == 0 {
                    return Err(bad(5, "extended Lc of zero"));
                }
                match rest.len().checked_sub(nc) {
                    Some(0) => (rest, None),
                    Some(2) => {
                        let (d, le) = rest.split_at(nc);
                        match le {
                            [hi, lo] => (d, Some(le_ext(*hi, *lo))),
                            _ => return Err(bad(7 + nc, "bad extended Le")),
                        }
                    }
                    _ => return Err(bad(7, "extended Lc does not match the length")),
                }
            }
            [lc, rest @ ..] => {
                let nc = usize::from(*lc);
                if nc == 0 {
                    return Err(bad(4, "short Lc of zero"));
                }
                match rest.len().checked_sub(nc) {
                    Some(0) => (rest, None),
                    Some(1) => {
                        let (d, le) = rest.split_at(nc);
                        (d, le.first().map(|b| le_short(*b)))
                    }
                    _ => return Err(bad(4, "Lc does not match the length")),
                }
            }
        };
        if !data.is_empty() {
            cmd.data = Payload::Sensitive(SecretBytes::new(data));
        }
        cmd.le = le;
        Ok(cmd)
    }
}

fn le_short(b: u8) -> usize {
    if b == 0 { SHORT_MAX } else { usize::from(b) }
}

fn le_ext(hi: u8, lo: u8) -> usize {
    match u16::from_be_bytes([hi, lo]) {
        0 => EXTENDED_MAX,
        n => usize::from(n),
    }
}

/// `usize` → `u16`, saturating (callers checked the range).
fn u16_of(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// `usize` → `u8`, saturating (callers checked the range).
fn u8_of(n: usize) -> u8 {
    u8::try_from(n).unwrap_or(u8::MAX)
}

impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Command")
            .field("cla", &format_args!("{:02X}", self.cla))
            .field("ins", &format_args!("{:02X}", self.ins))
            .field("p1", &format_args!("{:02X}", self.p1))
            .field("p2", &format_args!("{:02X}", self.p2))
            .field("data", &self.data)
            .field("le", &self.le)
            .finish()
    }
}

/// A response APDU: data and status word. The data is zeroized on drop; `Debug` shows only its
/// length.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    data: Vec<u8>,
    sw: StatusWord,
}

impl Response {
    /// Builds a response.
    pub fn new(data: Vec<u8>, sw: StatusWord) -> Self {
        Self { data, sw }
    }

    /// Parses `data ‖ SW1 SW2` as a card sent it. Fewer than two bytes is
    /// [`Error::Malformed`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, Error> {
        match bytes.split_last_chunk::<2>() {
            Some((data, [sw1, sw2])) => Ok(Self {
                data: data.to_vec(),
                sw: StatusWord::new(*sw1, *sw2),
            }),
            None => Err(Error::Malformed {
                what: "response APDU",
                at: Some(bytes.len()),
                reason: "shorter than the 2-byte status word".into(),
            }),
        }
    }

    /// The data field.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Takes the data out (the caller now owns the bytes and their wiping).
    pub fn into_data(mut self) -> Vec<u8> {
        core::mem::take(&mut self.data)
    }

    /// The status word.
    pub fn sw(&self) -> StatusWord {
        self.sw
    }

    /// Encodes `data ‖ SW1 SW2`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.0.to_be_bytes());
        out
    }

    /// The data if the status word is `90 00`, otherwise the typed error for instruction `ins`.
    pub fn ok_data(self, ins: u8) -> Result<Vec<u8>, Error> {
        self.sw.check(ins, None)?;
        Ok(self.into_data())
    }
}

impl Drop for Response {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Response")
            .field("data_len", &self.data.len())
            .field("sw", &self.sw)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases_short() {
        let c1 = Command::new(0, 0x20, 0, 0x81);
        assert_eq!(c1.case(), 1);
        assert_eq!(c1.to_bytes(false).unwrap(), [0, 0x20, 0, 0x81]);
        let c2 = Command::new(0, 0x84, 0, 0).with_le(8);
        assert_eq!(c2.case(), 2);
        assert_eq!(c2.to_bytes(false).unwrap(), [0, 0x84, 0, 0, 8]);
        let c2max = Command::new(0, 0xB0, 0, 0).with_le(256);
        assert_eq!(c2max.to_bytes(false).unwrap(), [0, 0xB0, 0, 0, 0]);
        let c3 = Command::new(0, 0x20, 0, 0x81).with_data(b"1234");
        assert_eq!(c3.case(), 3);
        assert_eq!(
            c3.to_bytes(false).unwrap(),
            [0, 0x20, 0, 0x81, 4, b'1', b'2', b'3', b'4']
        );
        let c4 = Command::new(0, 0x88, 0, 0).with_data(&[1, 2]).with_le(256);
        assert_eq!(c4.case(), 4);
        assert_eq!(c4.to_bytes(false).unwrap(), [0, 0x88, 0, 0, 2, 1, 2, 0]);
    }

    #[test]
    fn cases_extended() {
        let c2 = Command::new(0, 0xB0, 0, 0).with_le(65_536);
        assert!(c2.needs_extended());
        assert_eq!(c2.to_bytes(false).unwrap(), [0, 0xB0, 0, 0, 0, 0, 0]);
        let c2b = Command::new(0, 0xB0, 0, 0).with_le(300);
        assert_eq!(c2b.to_bytes(false).unwrap(), [0, 0xB0, 0, 0, 0, 0x01, 0x2C]);
        let data = vec![0xAB; 300];
        let c3 = Command::new(0, 0xDA, 0, 0).with_data(&data);
        let b = c3.to_bytes(false).unwrap();
        assert_eq!(&b[..7], &[0, 0xDA, 0, 0, 0, 0x01, 0x2C]);
        assert_eq!(b.len(), 307);
        let c4 = Command::new(0, 0x2A, 0x9E, 0x9A)
            .with_data(&[1])
            .with_le(256);
        assert_eq!(
            c4.to_bytes(true).unwrap(),
            [0, 0x2A, 0x9E, 0x9A, 0, 0, 1, 1, 1, 0]
        );
        assert!(Command::new(0, 0, 0, 0).with_le(0).to_bytes(false).is_err());
        assert!(
            Command::new(0, 0, 0, 0)
                .with_le(65_537)
                .to_bytes(false)
                .is_err()
        );
    }

    #[test]
    fn parse_round_trips() {
        let cmds = [
            Command::new(0, 0x20, 0, 0x81),
            Command::new(0, 0x84, 0, 0).with_le(8),
            Command::new(0, 0x84, 0, 0).with_le(256),
            Command::new(0, 0x20, 0, 0x81).with_data(b"1234"),
            Command::new(0, 0x88, 0, 0).with_data(&[1, 2]).with_le(256),
            Command::new(0, 0xB0, 0, 0).with_le(65_536),
            Command::new(0, 0xDA, 0, 0)
                .with_data(&[7; 300])
                .with_le(1000),
            Command::new(0, 0xDA, 0, 0).with_data(&[7; 300]),
        ];
        for c in cmds {
            let b = c.to_bytes(false).unwrap();
            let p = Command::parse(&b).unwrap();
            assert_eq!(p.to_bytes(false).unwrap(), b, "{c:?}");
            assert_eq!(p.le, c.le);
        }
        assert!(Command::parse(&[0, 1, 2]).is_err());
        assert!(Command::parse(&[0, 1, 2, 3, 5, 1]).is_err());
        assert!(Command::parse(&[0, 1, 2, 3, 0, 0, 0, 1]).is_err());
        // Short Lc = 00 (with an Le byte after it) is not a valid encoding.
        assert!(Command::parse(&[0, 1, 2, 3, 0, 8]).is_err());
    }

    #[test]
    fn response_parse_and_debug() {
        assert!(Response::from_bytes(&[]).is_err());
        assert!(Response::from_bytes(&[0x90]).is_err());
        let r = Response::from_bytes(&[0xDE, 0xAD, 0x63, 0xC2]).unwrap();
        assert_eq!(r.sw(), StatusWord(0x63C2));
        assert_eq!(r.to_bytes(), [0xDE, 0xAD, 0x63, 0xC2]);
        let shown = format!("{r:?}");
        assert!(!shown.contains("DE") && !shown.contains("222"), "{shown}");
        assert!(shown.contains("63C2"));
    }

    #[test]
    fn sensitive_data_is_not_debugged() {
        let c = Command::new(0, 0x20, 0, 0x81).with_sensitive_data(SecretBytes::new(b"987654"));
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("987654") && !shown.contains("393837"),
            "{shown}"
        );
        assert!(shown.contains("Sensitive(6 bytes"));
        assert_eq!(c.to_bytes(false).unwrap()[5..], *b"987654");
    }
}
