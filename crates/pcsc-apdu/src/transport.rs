//! The seam between card logic and whatever carries APDUs: [`Transport`] (a connected card)
//! and [`CardTransaction`] (exclusive access for a few commands), after openpgp-card's
//! `CardBackend` / `CardTransaction` split. Card logic in this crate never names PC/SC.
//!
//! [`transmit`] is the APDU engine on top of [`CardTransaction::transmit_raw`]: it chains or
//! uses extended length per [`CardCaps`], fetches `61xx` remainders with GET RESPONSE and
//! re-sends on `6Cxx` with the Le the card asked for.

use token_core::Error;
use zeroize::Zeroizing;

use crate::{Command, Outcome, Response};

/// What the card and reader can do; card logic adapts to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardCaps {
    /// Extended-length APDUs are supported end to end.
    pub extended_length: bool,
    /// Command chaining (CLA bit `0x10`) is supported.
    pub chaining: bool,
    /// Largest command the transport carries, header included.
    pub max_command_len: usize,
}

impl Default for CardCaps {
    /// Short APDUs with chaining: what every ISO 7816-4 card should take.
    fn default() -> Self {
        Self {
            extended_length: false,
            chaining: true,
            max_command_len: 261,
        }
    }
}

/// A connected card.
pub trait Transport {
    /// Starts a transaction: exclusive access until the returned value is dropped. Keep it
    /// short (seconds): other applications wait, and Windows drops idle transactions after ~5 s.
    /// If the card was reset by someone else since the last transaction, the implementation
    /// reconnects and the transaction's [`CardTransaction::was_reset`] is `true`: the security
    /// state (verified PINs, challenge) is gone.
    fn transaction(&mut self) -> Result<Box<dyn CardTransaction + '_>, Error>;

    /// The card's capabilities as the transport sees them.
    fn caps(&self) -> CardCaps;

    /// The card's ATR.
    fn atr(&self) -> Result<Vec<u8>, Error>;

    /// How many card resets this connection has seen so far (by anyone: another application,
    /// the reader, or [`Transport`]'s own reset), monotonic. A state bound to the card session
    /// (a challenge) is void once this has moved. A transport that cannot see resets keeps
    /// `0`.
    fn reset_count(&self) -> u64 {
        0
    }
}

/// Exclusive access to a card for a few commands.
pub trait CardTransaction {
    /// Sends one encoded command APDU and returns the raw response (data ‖ SW1 SW2). No
    /// `61xx`/`6Cxx` handling here: that is [`transmit`]'s job.
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error>;

    /// The capabilities to use for this transaction.
    fn caps(&self) -> CardCaps;

    /// Whether the card was reset (by another application, or by the reader) before this
    /// transaction began: previously verified PINs and an outstanding challenge are void.
    fn was_reset(&self) -> bool {
        false
    }

    /// [`Transport::reset_count`] as of the start of this transaction (resets found when it
    /// began included). Compare values from two transactions to learn whether the card was
    /// reset in between, even if other transactions ran meanwhile.
    fn reset_count(&self) -> u64 {
        0
    }

    /// Sends a command through the APDU engine ([`transmit`]).
    fn transmit(&mut self, cmd: &Command) -> Result<Response, Error> {
        let caps = self.caps();
        transmit(self, cmd, caps)
    }
}

impl<T: CardTransaction + ?Sized> CardTransaction for &mut T {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        (**self).transmit_raw(apdu)
    }
    fn caps(&self) -> CardCaps {
        (**self).caps()
    }
    fn was_reset(&self) -> bool {
        (**self).was_reset()
    }
    fn reset_count(&self) -> u64 {
        (**self).reset_count()
    }
}

impl<T: CardTransaction + ?Sized> CardTransaction for Box<T> {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        (**self).transmit_raw(apdu)
    }
    fn caps(&self) -> CardCaps {
        (**self).caps()
    }
    fn was_reset(&self) -> bool {
        (**self).was_reset()
    }
    fn reset_count(&self) -> u64 {
        (**self).reset_count()
    }
}

/// How many `61xx` GET RESPONSE rounds are followed before giving up (a card looping forever
/// must not hang the caller).
const MAX_GET_RESPONSE_ROUNDS: usize = 256;

/// The APDU engine: sends `cmd` over `tx`.
///
/// * Data longer than a short APDU takes goes as one extended APDU when
///   `caps.extended_length`, otherwise as a chain of short commands (CLA `| 0x10` on all but
///   the last); a command neither fits is refused up front.
/// * `61xx` → GET RESPONSE (`00 C0 00 00 xx`) until the card has no more, data concatenated.
/// * `6Cxx` → the command again with Le = `xx` (once); for a chain, only its last link (the
///   command the card answered), never the whole data as one APDU.
pub fn transmit<T: CardTransaction + ?Sized>(
    tx: &mut T,
    cmd: &Command,
    caps: CardCaps,
) -> Result<Response, Error> {
    let data = cmd.data.bytes();
    // The command actually sent last (the whole command, or the last link of a chain) and
    // whether it went in extended form: a `6Cxx` re-sends only that.
    let (mut first, last_sent, extended) = if cmd.needs_extended() && caps.extended_length {
        (send(tx, &cmd.to_bytes(true)?, caps)?, cmd.clone(), true)
    } else if data.len() > 255 {
        if !caps.chaining {
            return Err(Error::Unsupported {
                what: format!(
                    "a {}-byte command: the card takes neither extended length nor chaining",
                    data.len()
                ),
            });
        }
        let mut chunks = data.chunks(255).peekable();
        let mut last = None;
        while let Some(chunk) = chunks.next() {
            let is_last = chunks.peek().is_none();
            let mut part = Command::new(
                if is_last { cmd.cla } else { cmd.cla | 0x10 },
                cmd.ins,
                cmd.p1,
                cmd.p2,
            );
            part.data = match &cmd.data {
                crate::Payload::Plain(_) => crate::Payload::Plain(chunk.to_vec()),
                crate::Payload::Sensitive(_) => {
                    crate::Payload::Sensitive(token_core::SecretBytes::new(chunk))
                }
            };
            if is_last {
                part.le = cmd.le.map(|le| le.min(crate::apdu::SHORT_MAX));
            }
            let r = send(tx, &part.to_bytes(false)?, caps)?;
            if !is_last && !r.sw().is_ok() {
                return Ok(r);
            }
            last = Some((r, part));
        }
        let (r, part) = last.ok_or_else(|| Error::Malformed {
            what: "command APDU",
            at: None,
            reason: "empty chain".into(),
        })?;
        (r, part, false)
    } else {
        let mut short = cmd.clone();
        short.le = cmd.le.map(|le| le.min(crate::apdu::SHORT_MAX));
        (send(tx, &short.to_bytes(false)?, caps)?, short, false)
    };

    if let Outcome::WrongLe(le) = first.sw().outcome() {
        let mut again = last_sent;
        again.le = Some(if le == 0 { 256 } else { usize::from(le) });
        first = send(tx, &again.to_bytes(extended)?, caps)?;
    }

    let mut rounds = 0;
    // Response data may be secret (keys, PIN-protected objects): the accumulator is wiped on
    // every path, and grown by the announced amount so few reallocations leave copies.
    let mut data = Zeroizing::new(Vec::new());
    let mut current = first;
    while let Outcome::MoreData(n) = current.sw().outcome() {
        rounds += 1;
        if rounds > MAX_GET_RESPONSE_ROUNDS {
            return Err(Error::Malformed {
                what: "response APDU",
                at: None,
                reason: "the card keeps answering 61xx".into(),
            });
        }
        let le = if n == 0 { 256 } else { usize::from(n) };
        reserve_wiped(&mut data, current.data().len() + le);
        data.extend_from_slice(current.data());
        let get = Command::new(cmd.cla & !0x10, 0xC0, 0, 0).with_le(le);
        current = send(tx, &get.to_bytes(false)?, caps)?;
    }
    if data.is_empty() {
        Ok(current)
    } else {
        reserve_wiped(&mut data, current.data().len());
        data.extend_from_slice(current.data());
        Ok(Response::new(core::mem::take(&mut *data), current.sw()))
    }
}

/// Makes room for `additional` more bytes; when that needs a new allocation, the bytes are
/// copied into it by hand and the old buffer is wiped (a plain `reserve` would free it
/// unwiped).
fn reserve_wiped(buf: &mut Zeroizing<Vec<u8>>, additional: usize) {
    if buf.capacity() - buf.len() >= additional {
        return;
    }
    let want = (buf.len() + additional).max(buf.capacity() * 2);
    let mut bigger = Vec::with_capacity(want);
    bigger.extend_from_slice(buf);
    // Dropping the old value through `Zeroizing` wipes it.
    *buf = Zeroizing::new(bigger);
}

fn send<T: CardTransaction + ?Sized>(
    tx: &mut T,
    apdu: &[u8],
    caps: CardCaps,
) -> Result<Response, Error> {
    if apdu.len() > caps.max_command_len {
        return Err(Error::Unsupported {
            what: format!(
                "a {}-byte APDU (the transport takes {})",
                apdu.len(),
                caps.max_command_len
            ),
        });
    }
    let raw = tx.transmit_raw(apdu)?;
    let r = Response::from_bytes(&raw);
    let mut raw = raw;
    zeroize::Zeroize::zeroize(&mut raw);
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A scripted transaction: checks each sent APDU and answers from the script.
    struct Script {
        steps: VecDeque<(Vec<u8>, Vec<u8>)>,
        caps: CardCaps,
    }

    impl CardTransaction for Script {
        fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
            let (expect, answer) = self.steps.pop_front().expect("unexpected APDU");
            assert_eq!(apdu, expect.as_slice());
            Ok(answer)
        }
        fn caps(&self) -> CardCaps {
            self.caps
        }
    }

    fn script(steps: &[(&[u8], &[u8])], caps: CardCaps) -> Script {
        Script {
            steps: steps
                .iter()
                .map(|(a, b)| (a.to_vec(), b.to_vec()))
                .collect(),
            caps,
        }
    }

    #[test]
    fn get_response_loop() {
        let mut tx = script(
            &[
                (&[0, 0xCA, 1, 1, 0], &[0x61, 0x03]),
                (&[0, 0xC0, 0, 0, 3], &[1, 2, 3, 0x61, 0x02]),
                (&[0, 0xC0, 0, 0, 2], &[4, 5, 0x90, 0x00]),
            ],
            CardCaps::default(),
        );
        let r = tx
            .transmit(&Command::new(0, 0xCA, 1, 1).with_le(256))
            .unwrap();
        assert_eq!(r.data(), &[1, 2, 3, 4, 5]);
        assert!(r.sw().is_ok());
        assert!(tx.steps.is_empty());
    }

    #[test]
    fn wrong_le_resend() {
        let mut tx = script(
            &[
                (&[0, 0x84, 0, 0, 16], &[0x6C, 0x08]),
                (&[0, 0x84, 0, 0, 8], &[9, 9, 9, 9, 9, 9, 9, 9, 0x90, 0]),
            ],
            CardCaps::default(),
        );
        let r = tx
            .transmit(&Command::new(0, 0x84, 0, 0).with_le(16))
            .unwrap();
        assert_eq!(r.data().len(), 8);
    }

    #[test]
    fn wrong_le_on_a_chain_resends_only_the_last_link() {
        let data = vec![0x55; 300];
        let mut first = vec![0x10, 0xDA, 0, 0, 255];
        first.extend_from_slice(&data[..255]);
        let mut last = vec![0x00, 0xDA, 0, 0, 45];
        last.extend_from_slice(&data[255..]);
        let mut last_again = last.clone();
        last.push(0x00); // Le 256
        last_again.push(0x10); // Le 16, as the card asked
        let mut answer = vec![0xAB; 16];
        answer.extend_from_slice(&[0x90, 0]);
        let mut tx = script(
            &[
                (&first, &[0x90, 0]),
                (&last, &[0x6C, 0x10]),
                (&last_again, &answer),
            ],
            CardCaps::default(),
        );
        let r = tx
            .transmit(&Command::new(0, 0xDA, 0, 0).with_data(&data).with_le(256))
            .unwrap();
        assert!(r.sw().is_ok());
        assert_eq!(r.data(), &[0xAB; 16]);
        assert!(tx.steps.is_empty());
    }

    #[test]
    fn chaining_and_extended() {
        let data = vec![0x55; 300];
        let mut first = vec![0x10, 0xDA, 0, 0, 255];
        first.extend_from_slice(&data[..255]);
        let mut second = vec![0x00, 0xDA, 0, 0, 45];
        second.extend_from_slice(&data[255..]);
        let mut tx = script(
            &[(&first, &[0x90, 0]), (&second, &[0x90, 0])],
            CardCaps::default(),
        );
        let r = tx
            .transmit(&Command::new(0, 0xDA, 0, 0).with_data(&data))
            .unwrap();
        assert!(r.sw().is_ok());
        assert!(tx.steps.is_empty());

        let caps = CardCaps {
            extended_length: true,
            max_command_len: 65_544,
            ..CardCaps::default()
        };
        let mut ext = vec![0x00, 0xDA, 0, 0, 0, 0x01, 0x2C];
        ext.extend_from_slice(&data);
        let mut tx = script(&[(&ext, &[0x90, 0])], caps);
        assert!(
            tx.transmit(&Command::new(0, 0xDA, 0, 0).with_data(&data))
                .is_ok()
        );

        let no_chain = CardCaps {
            chaining: false,
            ..CardCaps::default()
        };
        let mut tx = script(&[], no_chain);
        assert!(matches!(
            tx.transmit(&Command::new(0, 0xDA, 0, 0).with_data(&data)),
            Err(Error::Unsupported { .. })
        ));
    }

    #[test]
    fn short_garbage_is_a_typed_error() {
        let mut tx = script(&[(&[0, 0xB0, 0, 0], &[0x90])], CardCaps::default());
        assert!(matches!(
            tx.transmit(&Command::new(0, 0xB0, 0, 0)),
            Err(Error::Malformed { .. })
        ));
    }

    #[test]
    fn endless_61xx_is_bounded() {
        struct Loop;
        impl CardTransaction for Loop {
            fn transmit_raw(&mut self, _: &[u8]) -> Result<Vec<u8>, Error> {
                Ok(vec![0x61, 0x01])
            }
            fn caps(&self) -> CardCaps {
                CardCaps::default()
            }
        }
        assert!(
            Loop.transmit(&Command::new(0, 0xB0, 0, 0).with_le(1))
                .is_err()
        );
    }
}
