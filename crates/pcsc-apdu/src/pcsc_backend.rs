//! The PC/SC implementation of [`Transport`] over the `pcsc` crate (feature `pcsc`; needs
//! libpcsclite at build and run time on Linux, winscard on Windows).
//!
//! * [`PcscContext::list_readers`], [`PcscContext::connect`] (shared mode, T=0 or T=1).
//! * [`PcscCard`] implements [`Transport`]: each [`Transport::transaction`] is an
//!   `SCardBeginTransaction`; if the card was reset by someone else (`SCARD_W_RESET_CARD`) the
//!   card is reconnected and the transaction reports [`CardTransaction::was_reset`]; the card
//!   counts resets ([`Transport::reset_count`]) so a later transaction still knows.
//! * [`PcscContext::wait_for_change`]: reader and card events through `SCardGetStatusChange`
//!   with a timeout, cancellable with a [`CancelToken`] (checked every 100 ms).
//!
//! Errors: `SCARD_W_REMOVED_CARD` (or a failed transmit after which the card is gone) →
//! [`Error::CarrierRemoved`]; `SCARD_E_NO_SMARTCARD` at connect → [`Error::CarrierAbsent`];
//! `SCARD_E_CANCELLED` → [`Error::Cancelled`]; anything else →
//! [`BackendEvidence::Pcsc`] with the `SCARD_*` code.

use std::ffi::CString;
use std::time::{Duration, Instant};

use token_core::{BackendEvidence, CancelToken, Error};

use crate::{CardCaps, CardTransaction, Transport};

/// `SCARD_E_NO_SERVICE`: pcscd is not running.
pub const SCARD_E_NO_SERVICE: u32 = 0x8010_001D;

/// Maps a PC/SC error to keycarrier's error.
pub fn map_error(e: pcsc::Error) -> Error {
    match e {
        pcsc::Error::RemovedCard => Error::CarrierRemoved,
        pcsc::Error::NoSmartcard => Error::CarrierAbsent,
        pcsc::Error::Cancelled => Error::Cancelled,
        other => Error::Backend(BackendEvidence::Pcsc { code: other as u32 }),
    }
}

/// A PC/SC resource-manager context.
pub struct PcscContext {
    ctx: pcsc::Context,
}

impl core::fmt::Debug for PcscContext {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("PcscContext")
    }
}

/// A reader's state as `SCardGetStatusChange` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderStatus {
    /// The reader name.
    pub reader: String,
    /// A card is in the reader.
    pub present: bool,
    /// The card's ATR (empty when none).
    pub atr: Vec<u8>,
    /// Some application is connected to the card.
    pub in_use: bool,
    /// Some application holds the card exclusively.
    pub exclusive: bool,
    /// The card does not answer (mute).
    pub mute: bool,
    /// The reader is gone or unavailable.
    pub unavailable: bool,
    /// Insertions and removals counted by pcsc-lite.
    pub event_count: u32,
    raw: u64,
}

/// What [`PcscContext::wait_for_change`] saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderEvent {
    /// The state changed (card inserted or removed, reader gone, …): the new state.
    Changed(ReaderStatus),
    /// Nothing changed before the timeout.
    Timeout,
}

fn status_of(rs: &pcsc::ReaderState) -> ReaderStatus {
    let s = rs.event_state();
    let raw = u64::from(s.bits() as u32 & 0xFFFF) | (u64::from(rs.event_count()) << 16);
    ReaderStatus {
        reader: rs.name().to_string_lossy().into_owned(),
        present: s.contains(pcsc::State::PRESENT),
        atr: rs.atr().to_vec(),
        in_use: s.contains(pcsc::State::INUSE),
        exclusive: s.contains(pcsc::State::EXCLUSIVE),
        mute: s.contains(pcsc::State::MUTE),
        unavailable: s.intersects(pcsc::State::UNAVAILABLE | pcsc::State::UNKNOWN),
        event_count: rs.event_count(),
        raw,
    }
}

fn cstring(reader: &str) -> Result<CString, Error> {
    CString::new(reader).map_err(|_| Error::Malformed {
        what: "reader name",
        at: None,
        reason: "contains a NUL byte".into(),
    })
}

impl PcscContext {
    /// Connects to the PC/SC service (`SCardEstablishContext`, user scope). Without pcscd
    /// this is [`BackendEvidence::Pcsc`] with [`SCARD_E_NO_SERVICE`].
    pub fn establish() -> Result<Self, Error> {
        pcsc::Context::establish(pcsc::Scope::User)
            .map(|ctx| Self { ctx })
            .map_err(map_error)
    }

    /// The readers' names; empty when there are none.
    pub fn list_readers(&self) -> Result<Vec<String>, Error> {
        match self.ctx.list_readers_owned() {
            Ok(names) => Ok(names
                .into_iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect()),
            Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(e) => Err(map_error(e)),
        }
    }

    /// Connects to the card in `reader` (shared mode, T=0 or T=1). No card is
    /// [`Error::CarrierAbsent`].
    pub fn connect(&self, reader: &str) -> Result<PcscCard, Error> {
        let name = cstring(reader)?;
        let card = self
            .ctx
            .connect(&name, pcsc::ShareMode::Shared, pcsc::Protocols::ANY)
            .map_err(|e| match e {
                pcsc::Error::RemovedCard => Error::CarrierAbsent,
                other => map_error(other),
            })?;
        Ok(PcscCard {
            card,
            reader: reader.to_owned(),
            caps: CardCaps::default(),
            resets: 0,
        })
    }

    /// The reader's current state, without waiting.
    pub fn reader_status(&self, reader: &str) -> Result<ReaderStatus, Error> {
        let mut states = [pcsc::ReaderState::new(
            cstring(reader)?,
            pcsc::State::UNAWARE,
        )];
        self.ctx
            .get_status_change(Duration::ZERO, &mut states)
            .map_err(map_error)?;
        states
            .first()
            .map(status_of)
            .ok_or_else(|| Error::Backend(BackendEvidence::Other("no reader state".into())))
    }

    /// Waits until the reader's state differs from `known` (or from "unknown" when `None`,
    /// which returns at once), at most `timeout`. `cancel` is checked every 100 ms:
    /// [`Error::Cancelled`] once it is cancelled.
    pub fn wait_for_change(
        &self,
        reader: &str,
        known: Option<&ReaderStatus>,
        timeout: Duration,
        cancel: &CancelToken,
    ) -> Result<ReaderEvent, Error> {
        let current = known.map_or(pcsc::State::UNAWARE, |k| {
            pcsc::State::from_bits_retain(k.raw as _)
        });
        let mut states = [pcsc::ReaderState::new(cstring(reader)?, current)];
        let deadline = Instant::now() + timeout;
        loop {
            cancel.check()?;
            let left = deadline.saturating_duration_since(Instant::now());
            let slice = left.min(Duration::from_millis(100));
            match self.ctx.get_status_change(slice, &mut states) {
                Ok(()) => {
                    if let Some(rs) = states.first()
                        && (rs.event_state().contains(pcsc::State::CHANGED)
                            || current == pcsc::State::UNAWARE)
                    {
                        return Ok(ReaderEvent::Changed(status_of(rs)));
                    }
                }
                Err(pcsc::Error::Timeout) => {}
                Err(e) => return Err(map_error(e)),
            }
            if left.is_zero() {
                return Ok(ReaderEvent::Timeout);
            }
        }
    }

    /// Waits until a card is present in `reader` (or `timeout` / cancel).
    pub fn wait_for_card(
        &self,
        reader: &str,
        timeout: Duration,
        cancel: &CancelToken,
    ) -> Result<ReaderStatus, Error> {
        let deadline = Instant::now() + timeout;
        let mut known = self.reader_status(reader)?;
        while !known.present {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Error::CarrierAbsent);
            }
            match self.wait_for_change(reader, Some(&known), left, cancel)? {
                ReaderEvent::Changed(s) => known = s,
                ReaderEvent::Timeout => return Err(Error::CarrierAbsent),
            }
        }
        Ok(known)
    }
}

/// A card connected through PC/SC.
pub struct PcscCard {
    card: pcsc::Card,
    reader: String,
    caps: CardCaps,
    /// Resets seen on this connection (ours, and others' found at transaction start).
    resets: u64,
}

impl core::fmt::Debug for PcscCard {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PcscCard")
            .field("reader", &self.reader)
            .field("caps", &self.caps)
            .field("resets", &self.resets)
            .finish_non_exhaustive()
    }
}

impl PcscCard {
    /// The reader this card is in.
    pub fn reader(&self) -> &str {
        &self.reader
    }

    /// Narrows or widens the capabilities (reader quirks, extended-length cards).
    pub fn set_caps(&mut self, caps: CardCaps) {
        self.caps = caps;
    }

    /// Resets the card (`SCardReconnect` with `SCARD_RESET_CARD`): every application's
    /// security state on it is gone.
    pub fn reset(&mut self) -> Result<(), Error> {
        // Counted even if the reconnect fails: the reset may have happened.
        self.resets += 1;
        self.card
            .reconnect(
                pcsc::ShareMode::Shared,
                pcsc::Protocols::ANY,
                pcsc::Disposition::ResetCard,
            )
            .map_err(map_error)
    }
}

/// A PC/SC transaction (`SCardBeginTransaction` … `SCardEndTransaction`).
pub struct PcscTransaction<'a> {
    tx: pcsc::Transaction<'a>,
    caps: CardCaps,
    was_reset: bool,
    reset_count: u64,
}

impl core::fmt::Debug for PcscTransaction<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("PcscTransaction")
            .field("caps", &self.caps)
            .field("was_reset", &self.was_reset)
            .field("reset_count", &self.reset_count)
            .finish_non_exhaustive()
    }
}

impl Transport for PcscCard {
    fn transaction(&mut self) -> Result<Box<dyn CardTransaction + '_>, Error> {
        let caps = self.caps;
        let mut was_reset = false;
        let resets = &mut self.resets;
        let mut card = &mut self.card;
        for _ in 0..3 {
            match card.transaction2() {
                Ok(tx) => {
                    return Ok(Box::new(PcscTransaction {
                        tx,
                        caps,
                        was_reset,
                        reset_count: *resets,
                    }));
                }
                Err((c, pcsc::Error::ResetCard)) => {
                    *resets += 1;
                    c.reconnect(
                        pcsc::ShareMode::Shared,
                        pcsc::Protocols::ANY,
                        pcsc::Disposition::LeaveCard,
                    )
                    .map_err(map_error)?;
                    was_reset = true;
                    card = c;
                }
                Err((_, e)) => return Err(map_error(e)),
            }
        }
        Err(map_error(pcsc::Error::ResetCard))
    }

    fn caps(&self) -> CardCaps {
        self.caps
    }

    fn reset_count(&self) -> u64 {
        self.resets
    }

    fn atr(&self) -> Result<Vec<u8>, Error> {
        self.card
            .status2_owned()
            .map(|st| st.atr().to_vec())
            .map_err(map_error)
    }
}

impl PcscTransaction<'_> {
    /// Whether the card is gone: asks pcscd a few times over about a second, since it notices
    /// a pulled card at its next presence poll (vpcd: every 400 ms).
    fn card_gone(&self) -> bool {
        for _ in 0..12 {
            match self.tx.status2_owned() {
                Err(pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard) => return true,
                Ok(st) if !st.status().contains(pcsc::Status::PRESENT) => return true,
                Err(_) => return false,
                Ok(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
        false
    }
}

impl CardTransaction for PcscTransaction<'_> {
    fn transmit_raw(&mut self, apdu: &[u8]) -> Result<Vec<u8>, Error> {
        let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        let result = self.tx.transmit(apdu, &mut buf).map(<[u8]>::to_vec);
        zeroize::Zeroize::zeroize(&mut buf);
        match result {
            // A reader that lost its card may hand back an empty answer (vpcd does).
            Ok(r) if r.len() < 2 && self.card_gone() => Err(Error::CarrierRemoved),
            Ok(r) => Ok(r),
            Err(pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard) => Err(Error::CarrierRemoved),
            // Some readers report a pulled card as a communication error: ask.
            Err(_) if self.card_gone() => Err(Error::CarrierRemoved),
            Err(e) => Err(map_error(e)),
        }
    }

    fn caps(&self) -> CardCaps {
        self.caps
    }

    fn was_reset(&self) -> bool {
        self.was_reset
    }

    fn reset_count(&self) -> u64 {
        self.reset_count
    }
}
