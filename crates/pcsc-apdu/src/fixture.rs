//! **Test fixture** (feature `fixture`): a virtual ISO 7816-4 PIN card that plugs into
//! vsmartcard's `vpcd` reader driver of pcscd, so tests run the real PC/SC stack.
//!
//! Not for production: the "card" keeps its PINs and key in process memory.
//!
//! * [`Applet`]: user PIN and PUK with retry counters (`63Cx`, then `6983` when blocked), the
//!   card-admin key for GET CHALLENGE / EXTERNAL AUTHENTICATE, RESET RETRY COUNTER (P1 `00`
//!   with the PUK, P1 `02` after admin authentication), CHANGE REFERENCE DATA, SELECT, and a
//!   300-byte GET DATA object (`00 CA 01 01`) served through `61xx` / GET RESPONSE. GET
//!   CHALLENGE with the wrong Le answers `6Cxx`.
//! * PIN blocks follow the profile's [`PinPadding`](crate::pin::PinPadding): with padding, a
//!   PIN block must have exactly the padded length (else `6700`) and two-PIN commands split at
//!   that length, as a real card does; a profile without padding cannot carry two PINs in one
//!   command (`6A80`).
//! * One challenge at a time: a new GET CHALLENGE replaces the old one; EXTERNAL AUTHENTICATE
//!   consumes it (right or wrong), so a response works once; a reset clears it. The admin
//!   authentication EXTERNAL AUTHENTICATE grants is used up by the next RESET RETRY COUNTER.
//! * [`VirtualCard::insert`]: connects to vpcd as the card (TCP client to `127.0.0.1:port`;
//!   35963 is reader `Virtual PCD 00 00`, 35964 `Virtual PCD 00 01`) and serves vpcd's
//!   protocol: `u16` big-endian length + payload; 1-byte control payloads `00` power off,
//!   `01` power on, `02` reset (no reply), `04` ATR request (reply: the ATR); anything longer
//!   is an APDU (reply: R-APDU). Latency fix: `TCP_NODELAY`, `TCP_QUICKACK` re-armed after
//!   each read, and each reply frame written with one `write_all`.
//! * [`VirtualCard::remove`] drops the connection (card pulled out);
//!   [`FixtureConfig::remove_on_ins`] pulls it out when a given instruction arrives
//!   (removal in the middle of a transaction).

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use subtle::ConstantTimeEq;
use token_core::SecretBytes;

use crate::Command;
use crate::pin::{
    INS_CHANGE_REFERENCE_DATA, INS_EXTERNAL_AUTHENTICATE, INS_GET_CHALLENGE,
    INS_RESET_RETRY_COUNTER, INS_SELECT, INS_VERIFY, PinProfile,
};
use crate::unblock::AdminKey;

/// A T=1 ATR (TD1 = `80`: T=0 and more; TD2 = `01`: T=1; TCK = `01`), as in pcsc.md.
pub const T1_ATR: &[u8] = &[0x3B, 0x80, 0x80, 0x01, 0x01];

/// vpcd's TCP port of reader `Virtual PCD 00 00`; `00 01` is one higher.
pub const VPCD_PORT: u16 = 35963;

/// How the virtual card starts.
#[derive(Debug, Clone)]
pub struct FixtureConfig {
    /// References (P2) the applet answers to.
    pub profile: PinProfile,
    /// Initial user PIN.
    pub user_pin: SecretBytes,
    /// Initial PUK / admin PIN.
    pub puk: SecretBytes,
    /// Tries of the user PIN.
    pub user_tries: u8,
    /// Tries of the PUK.
    pub puk_tries: u8,
    /// The card-admin key.
    pub admin_key: AdminKey,
    /// Tries of the card-admin key (EXTERNAL AUTHENTICATE).
    pub admin_key_tries: u8,
    /// The ATR.
    pub atr: Vec<u8>,
    /// Pull the card out (close the connection without answering) when a command with this
    /// INS arrives.
    pub remove_on_ins: Option<u8>,
}

impl FixtureConfig {
    /// A card with [`PinProfile::ISO`] references, user PIN / PUK as given, 3 user tries, 5
    /// PUK tries, 3 admin-key tries, [`T1_ATR`].
    pub fn new(user_pin: &str, puk: &str, admin_key: AdminKey) -> Self {
        Self {
            profile: PinProfile::ISO,
            user_pin: SecretBytes::new(user_pin.as_bytes()),
            puk: SecretBytes::new(puk.as_bytes()),
            user_tries: 3,
            puk_tries: 5,
            admin_key,
            admin_key_tries: 3,
            atr: T1_ATR.to_vec(),
            remove_on_ins: None,
        }
    }
}

#[derive(Debug)]
struct Secret {
    value: SecretBytes,
    max: u8,
    left: u8,
}

impl Secret {
    fn new(value: SecretBytes, max: u8) -> Self {
        Self {
            value,
            max,
            left: max,
        }
    }

    fn counter_sw(&self) -> u16 {
        if self.left == 0 {
            0x6983
        } else {
            0x63C0 | u16::from(self.left.min(15))
        }
    }

    /// Checks a candidate; updates the counter; `Ok` or the status word to answer.
    fn check(&mut self, candidate: &[u8]) -> Result<(), u16> {
        if self.left == 0 {
            return Err(0x6983);
        }
        if bool::from(self.value.expose().ct_eq(candidate)) {
            self.left = self.max;
            Ok(())
        } else {
            self.left -= 1;
            Err(0x63C0 | u16::from(self.left.min(15)))
        }
    }
}

/// The card's state: PINs, counters, security status, challenge. Inspect it from tests through
/// [`VirtualCard::applet`].
#[derive(Debug)]
pub struct Applet {
    profile: PinProfile,
    user: Secret,
    puk: Secret,
    key: AdminKey,
    key_max: u8,
    key_left: u8,
    atr: Vec<u8>,
    remove_on_ins: Option<u8>,
    user_verified: bool,
    admin_verified: bool,
    key_authenticated: bool,
    challenge: Option<Vec<u8>>,
    pending: Vec<u8>,
    /// Number of APDUs processed (for tests).
    pub apdus: usize,
    /// Number of resets and power cycles seen (for tests).
    pub resets: usize,
}

/// The GET DATA object served in pieces: `7F49 82 0122 { 81 82 011E <286 bytes> }`.
pub fn big_object() -> Vec<u8> {
    let inner: Vec<u8> = (0..286u16).map(|i| (i % 251) as u8).collect();
    // Both lengths are far below the TLV limit: the builds cannot fail.
    crate::tlv::build(&[(0x81, &inner[..])])
        .and_then(|obj| crate::tlv::build(&[(0x7F49, &obj[..])]))
        .unwrap_or_default()
}

fn random_bytes(n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut out))
        .is_err()
    {
        // Not a security boundary: this is a test fixture.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        for (i, b) in out.iter_mut().enumerate() {
            *b = (t >> ((i % 16) * 8)) as u8 ^ (i as u8).wrapping_mul(151);
        }
    }
    out
}

fn sw(code: u16) -> Vec<u8> {
    code.to_be_bytes().to_vec()
}

fn with_sw(mut data: Vec<u8>, code: u16) -> Vec<u8> {
    data.extend_from_slice(&code.to_be_bytes());
    data
}

impl Applet {
    /// A fresh card.
    pub fn new(config: FixtureConfig) -> Self {
        Self {
            profile: config.profile,
            user: Secret::new(config.user_pin, config.user_tries),
            puk: Secret::new(config.puk, config.puk_tries),
            key: config.admin_key,
            key_max: config.admin_key_tries,
            key_left: config.admin_key_tries,
            atr: config.atr,
            remove_on_ins: config.remove_on_ins,
            user_verified: false,
            admin_verified: false,
            key_authenticated: false,
            challenge: None,
            pending: Vec::new(),
            apdus: 0,
            resets: 0,
        }
    }

    /// Tries left for the user PIN.
    pub fn user_tries_left(&self) -> u8 {
        self.user.left
    }

    /// Tries left for the PUK.
    pub fn puk_tries_left(&self) -> u8 {
        self.puk.left
    }

    /// Tries left for the card-admin key.
    pub fn admin_key_tries_left(&self) -> u8 {
        self.key_left
    }

    /// Whether the user PIN equals `pin` (test oracle).
    pub fn user_pin_is(&self, pin: &[u8]) -> bool {
        self.user.value.expose() == pin
    }

    /// Sets or clears the pull-out-on-INS trigger.
    pub fn set_remove_on_ins(&mut self, ins: Option<u8>) {
        self.remove_on_ins = ins;
    }

    /// Power off / on / reset: the security state and the challenge are gone.
    pub fn reset(&mut self) {
        self.user_verified = false;
        self.admin_verified = false;
        self.key_authenticated = false;
        self.challenge = None;
        self.pending.clear();
        self.resets += 1;
    }

    /// Processes one command APDU; returns data ‖ SW1 SW2.
    pub fn process(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.apdus += 1;
        let Ok(cmd) = Command::parse(apdu) else {
            return sw(0x6700);
        };
        if cmd.cla & !0x10 != self.profile.cla {
            return sw(0x6E00);
        }
        if cmd.ins != 0xC0 {
            self.pending.clear();
        }
        let data = cmd.data.bytes();
        match cmd.ins {
            INS_SELECT => sw(0x9000),
            INS_VERIFY => self.verify(cmd.p1, cmd.p2, data),
            INS_CHANGE_REFERENCE_DATA => self.change(cmd.p1, cmd.p2, data),
            INS_RESET_RETRY_COUNTER => self.reset_retry_counter(cmd.p1, cmd.p2, data),
            INS_GET_CHALLENGE => self.get_challenge(cmd.p1, cmd.p2, cmd.le),
            INS_EXTERNAL_AUTHENTICATE => self.external_authenticate(cmd.p2, data),
            0xCA if (cmd.p1, cmd.p2) == (0x01, 0x01) => {
                self.pending = big_object();
                self.more_data(Vec::new())
            }
            0xCA => sw(0x6A88),
            0xC0 => {
                if self.pending.is_empty() {
                    return sw(0x6985);
                }
                let n = cmd.le.unwrap_or(256).min(self.pending.len());
                let chunk: Vec<u8> = self.pending.drain(..n).collect();
                self.more_data(chunk)
            }
            _ => sw(0x6D00),
        }
    }

    /// One PIN block as the card reads it: with a padded profile exactly the padded length,
    /// trailing pad bytes dropped; else the data as it is. `Err` is the status word to answer.
    fn unpad<'a>(&self, block: &'a [u8]) -> Result<&'a [u8], u16> {
        let Some(p) = self.profile.padding else {
            return Ok(block);
        };
        if block.len() != usize::from(p.len) {
            return Err(0x6700);
        }
        let end = block
            .iter()
            .rposition(|b| *b != p.byte)
            .map_or(0, |i| i + 1);
        Ok(block.get(..end).unwrap_or_default())
    }

    /// Two PIN blocks (`first ‖ second`) split at the padded length, as a real card does; a
    /// profile without padding cannot be split (`6A80`), a wrong total length is `6700`.
    fn split_two<'a>(&self, data: &'a [u8]) -> Result<(&'a [u8], &'a [u8]), u16> {
        let Some(p) = self.profile.padding else {
            return Err(0x6A80);
        };
        let n = usize::from(p.len);
        if data.len() != 2 * n {
            return Err(0x6700);
        }
        let (a, b) = data.split_at(n);
        Ok((self.unpad(a)?, self.unpad(b)?))
    }

    fn more_data(&self, chunk: Vec<u8>) -> Vec<u8> {
        match self.pending.len() {
            0 => with_sw(chunk, 0x9000),
            n if n >= 256 => with_sw(chunk, 0x6100),
            n => with_sw(chunk, 0x6100 | n as u16),
        }
    }

    fn secret_for(&mut self, p2: u8) -> Option<(&mut Secret, bool)> {
        if p2 == self.profile.user_pin_ref {
            Some((&mut self.user, true))
        } else if p2 == self.profile.admin_pin_ref {
            Some((&mut self.puk, false))
        } else {
            None
        }
    }

    fn verify(&mut self, p1: u8, p2: u8, data: &[u8]) -> Vec<u8> {
        if p1 != 0 {
            return sw(0x6A86);
        }
        let verified = if p2 == self.profile.user_pin_ref {
            self.user_verified
        } else {
            self.admin_verified
        };
        let data = if data.is_empty() {
            data
        } else {
            match self.unpad(data) {
                Ok(d) => d,
                Err(e) => return sw(e),
            }
        };
        let Some((secret, is_user)) = self.secret_for(p2) else {
            return sw(0x6A88);
        };
        if data.is_empty() {
            // Empty VERIFY: the counter, no try spent.
            return if verified && secret.left > 0 {
                sw(0x9000)
            } else {
                sw(secret.counter_sw())
            };
        }
        let result = secret.check(data);
        let ok = result.is_ok();
        if is_user {
            self.user_verified = ok;
        } else {
            self.admin_verified = ok;
        }
        sw(result.map_or_else(|e| e, |()| 0x9000))
    }

    fn change(&mut self, p1: u8, p2: u8, data: &[u8]) -> Vec<u8> {
        if p1 != 0 {
            return sw(0x6A86);
        }
        let (old, new) = match self.split_two(data) {
            Ok(split) => split,
            Err(e) => return sw(e),
        };
        let Some((secret, _)) = self.secret_for(p2) else {
            return sw(0x6A88);
        };
        if let Err(e) = secret.check(old) {
            return sw(e);
        }
        if new.len() < 4 || new.len() > 16 {
            return sw(0x6A80);
        }
        secret.value = SecretBytes::new(new);
        sw(0x9000)
    }

    fn reset_retry_counter(&mut self, p1: u8, p2: u8, data: &[u8]) -> Vec<u8> {
        if p2 != self.profile.user_pin_ref {
            return sw(0x6A88);
        }
        let new = match p1 {
            0x00 => {
                let (puk, new) = match self.split_two(data) {
                    Ok(split) => split,
                    Err(e) => return sw(e),
                };
                if let Err(e) = self.puk.check(puk) {
                    return sw(e);
                }
                new
            }
            0x02 => {
                if !(self.admin_verified || self.key_authenticated) {
                    return sw(0x6982);
                }
                self.key_authenticated = false;
                match self.unpad(data) {
                    Ok(new) => new,
                    Err(e) => return sw(e),
                }
            }
            _ => return sw(0x6A86),
        };
        if new.len() < 4 || new.len() > 16 {
            return sw(0x6A80);
        }
        self.user.value = SecretBytes::new(new);
        self.user.left = self.user.max;
        self.user_verified = false;
        sw(0x9000)
    }

    fn get_challenge(&mut self, p1: u8, p2: u8, le: Option<usize>) -> Vec<u8> {
        if (p1, p2) != (0, 0) {
            return sw(0x6A86);
        }
        let len = self.key.scheme().challenge_len();
        if le != Some(len) {
            return sw(0x6C00 | len as u16);
        }
        let c = random_bytes(len);
        self.challenge = Some(c.clone());
        with_sw(c, 0x9000)
    }

    fn external_authenticate(&mut self, p2: u8, data: &[u8]) -> Vec<u8> {
        if p2 != self.profile.admin_key_ref {
            return sw(0x6A88);
        }
        if self.key_left == 0 {
            return sw(0x6983);
        }
        // The challenge is used up whatever happens: one response, one try.
        let Some(challenge) = self.challenge.take() else {
            return sw(0x6985);
        };
        let Ok(expected) = self.key.respond(&challenge) else {
            return sw(0x6F00);
        };
        if bool::from(expected.expose().ct_eq(data)) {
            self.key_left = self.key_max;
            self.key_authenticated = true;
            sw(0x9000)
        } else {
            self.key_left -= 1;
            self.key_authenticated = false;
            sw(0x63C0 | u16::from(self.key_left.min(15)))
        }
    }

    /// Answers one vpcd frame payload: `None` for control bytes that get no reply, `Some(reply)`
    /// otherwise. `Err(())` means "pull the card out now".
    fn frame(&mut self, payload: &[u8]) -> Result<Option<Vec<u8>>, ()> {
        match payload {
            [0x04] => Ok(Some(self.atr.clone())),
            [0x00..=0x02] => {
                self.reset();
                Ok(None)
            }
            [] | [_] => Ok(None),
            apdu => {
                if apdu
                    .get(1)
                    .copied()
                    .is_some_and(|ins| Some(ins) == self.remove_on_ins)
                {
                    return Err(());
                }
                Ok(Some(self.process(apdu)))
            }
        }
    }
}

/// A virtual card inserted into a vpcd reader, served by a background thread.
#[derive(Debug)]
pub struct VirtualCard {
    applet: Arc<Mutex<Applet>>,
    stream: TcpStream,
    thread: Option<JoinHandle<io::Result<()>>>,
}

fn lock(applet: &Mutex<Applet>) -> MutexGuard<'_, Applet> {
    applet.lock().unwrap_or_else(PoisonError::into_inner)
}

fn quickack(stream: &TcpStream) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let _ = rustix::net::sockopt::set_tcp_quickack(stream, true);
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = stream;
}

fn serve(mut stream: TcpStream, applet: &Mutex<Applet>) -> io::Result<()> {
    loop {
        let mut head = [0u8; 2];
        if let Err(e) = stream.read_exact(&mut head) {
            return if e.kind() == io::ErrorKind::UnexpectedEof {
                Ok(())
            } else {
                Err(e)
            };
        }
        quickack(&stream);
        let mut payload = vec![0u8; usize::from(u16::from_be_bytes(head))];
        stream.read_exact(&mut payload)?;
        quickack(&stream);
        let reply = lock(applet).frame(&payload);
        match reply {
            Err(()) => {
                let _ = stream.shutdown(Shutdown::Both);
                return Ok(());
            }
            Ok(None) => {}
            Ok(Some(r)) => {
                let len = u16::try_from(r.len()).unwrap_or(u16::MAX);
                let mut frame = Vec::with_capacity(r.len() + 2);
                frame.extend_from_slice(&len.to_be_bytes());
                frame.extend_from_slice(&r);
                stream.write_all(&frame)?;
            }
        }
    }
}

impl VirtualCard {
    /// Inserts a fresh card into the vpcd reader listening on `127.0.0.1:port`.
    pub fn insert(port: u16, config: FixtureConfig) -> io::Result<Self> {
        Self::insert_applet(port, Arc::new(Mutex::new(Applet::new(config))))
    }

    /// Inserts an existing card (e.g. one removed before) into the reader on `port`.
    pub fn insert_applet(port: u16, applet: Arc<Mutex<Applet>>) -> io::Result<Self> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        quickack(&stream);
        let for_thread = stream.try_clone()?;
        let shared = Arc::clone(&applet);
        let thread = std::thread::Builder::new()
            .name(format!("vpcd-card-{port}"))
            .spawn(move || serve(for_thread, &shared))?;
        Ok(Self {
            applet,
            stream,
            thread: Some(thread),
        })
    }

    /// The card's state, shared with the serving thread.
    pub fn applet(&self) -> MutexGuard<'_, Applet> {
        lock(&self.applet)
    }

    /// A handle on the card's state that outlives the connection (to re-insert the same card).
    pub fn applet_handle(&self) -> Arc<Mutex<Applet>> {
        Arc::clone(&self.applet)
    }

    /// Whether the serving thread has stopped (the card was pulled out or vpcd went away).
    pub fn is_removed(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Pulls the card out: closes the connection and waits for the serving thread.
    pub fn remove(mut self) -> Arc<Mutex<Applet>> {
        self.stop();
        Arc::clone(&self.applet)
    }

    fn stop(&mut self) {
        let _ = self.stream.shutdown(Shutdown::Both);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for VirtualCard {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::unblock::UnblockScheme;

    fn applet() -> Applet {
        let key = AdminKey::new(UnblockScheme::Tdes, &[0x42; 24]).unwrap();
        Applet::new(FixtureConfig::new("1234", "87654321", key))
    }

    /// A command with a PIN block padded to 8 bytes with `FF` ([`PinProfile::ISO`]).
    fn pin_apdu(header: [u8; 4], pins: &[&[u8]]) -> Vec<u8> {
        let mut data = Vec::new();
        for pin in pins {
            let mut block = pin.to_vec();
            block.resize(8, 0xFF);
            data.extend_from_slice(&block);
        }
        let mut apdu = header.to_vec();
        apdu.push(data.len() as u8);
        apdu.extend_from_slice(&data);
        apdu
    }

    #[test]
    fn counters_and_blocking() {
        let mut a = applet();
        assert_eq!(a.process(&[0, 0x20, 0, 0x81]), [0x63, 0xC3]);
        assert_eq!(
            a.process(&pin_apdu([0, 0x20, 0, 0x81], &[b"0000"])),
            [0x63, 0xC2]
        );
        assert_eq!(a.process(&[0, 0x20, 0, 0x81]), [0x63, 0xC2]);
        // An unpadded block is the wrong length, and spends no try.
        assert_eq!(
            a.process(&[0, 0x20, 0, 0x81, 4, b'1', b'2', b'3', b'4']),
            [0x67, 0x00]
        );
        assert_eq!(
            a.process(&pin_apdu([0, 0x20, 0, 0x81], &[b"1234"])),
            [0x90, 0]
        );
        assert_eq!(a.process(&[0, 0x20, 0, 0x81]), [0x90, 0]);
        for _ in 0..3 {
            a.process(&pin_apdu([0, 0x20, 0, 0x81], &[b"9"]));
        }
        assert_eq!(a.process(&[0, 0x20, 0, 0x81]), [0x69, 0x83]);
        assert_eq!(
            a.process(&pin_apdu([0, 0x20, 0, 0x81], &[b"1234"])),
            [0x69, 0x83]
        );
    }

    #[test]
    fn two_pin_commands_split_at_the_padded_length() {
        let mut a = applet();
        // Old and new PINs of different lengths: the split is at byte 8, not at the stored
        // PIN's length.
        assert_eq!(
            a.process(&pin_apdu([0, 0x24, 0, 0x81], &[b"1234", b"975310"])),
            [0x90, 0]
        );
        assert!(a.user_pin_is(b"975310"));
        assert_eq!(
            a.process(&pin_apdu([0, 0x2C, 0, 0x81], &[b"87654321", b"2468"])),
            [0x90, 0]
        );
        assert!(a.user_pin_is(b"2468"));
        // Unpadded old ‖ new cannot be split.
        assert_eq!(
            a.process(&[
                0, 0x24, 0, 0x81, 8, b'2', b'4', b'6', b'8', b'1', b'3', b'5', b'7'
            ]),
            [0x67, 0x00]
        );
        assert!(a.user_pin_is(b"2468"));
        // A profile without padding: the card refuses two-PIN commands.
        let key = AdminKey::new(UnblockScheme::Tdes, &[0x42; 24]).unwrap();
        let mut cfg = FixtureConfig::new("1234", "87654321", key);
        cfg.profile.padding = None;
        let mut b = Applet::new(cfg);
        assert_eq!(
            b.process(&[
                0, 0x24, 0, 0x81, 8, b'1', b'2', b'3', b'4', b'5', b'6', b'7', b'8'
            ]),
            [0x6A, 0x80]
        );
        assert!(b.user_pin_is(b"1234"));
    }

    #[test]
    fn challenge_is_single_use() {
        let mut a = applet();
        assert_eq!(a.process(&[0, 0x84, 0, 0, 0]), [0x6C, 0x08]);
        let r = a.process(&[0, 0x84, 0, 0, 8]);
        let resp = a.key.respond(&r[..8]).unwrap();
        let mut ea = vec![0, 0x82, 0, 0x83, 8];
        ea.extend_from_slice(resp.expose());
        assert_eq!(a.process(&ea), [0x90, 0]);
        assert_eq!(a.process(&ea), [0x69, 0x85]);
        assert_eq!(a.frame(&[0x04]), Ok(Some(T1_ATR.to_vec())));
        assert_eq!(a.frame(&[0x02]), Ok(None));
    }
}
