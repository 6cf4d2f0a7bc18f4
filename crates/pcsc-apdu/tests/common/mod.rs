//! Shared helpers for the PC/SC integration tests: pcscd must be running with the vpcd readers
//! (`scripts/pcscd.sh start`); the card is the Rust fixture, inserted over TCP.
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use keycarrier_pcsc_apdu::fixture::{FixtureConfig, VPCD_PORT, VirtualCard};
use keycarrier_pcsc_apdu::pcsc_backend::{PcscCard, PcscContext};
use keycarrier_pcsc_apdu::unblock::{AdminKey, UnblockScheme};
use token_core::CancelToken;

/// pcscd is one per machine and each vpcd slot takes one card: tests in one binary take turns.
/// (Cargo runs test binaries one after another.)
static PCSCD: Mutex<()> = Mutex::new(());

pub(crate) const READERS: [&str; 2] = ["Virtual PCD 00 00", "Virtual PCD 00 01"];

pub(crate) struct Stack {
    pub(crate) ctx: PcscContext,
    _guard: MutexGuard<'static, ()>,
}

/// Takes the pcscd lock and checks that pcscd answers with both vpcd readers. Fails loudly
/// (never skips) when it does not.
pub(crate) fn stack() -> Stack {
    let guard = PCSCD.lock().unwrap_or_else(PoisonError::into_inner);
    let hint = "pcscd with the vsmartcard vpcd readers is not reachable: run `scripts/pcscd.sh start` \
                (after `apt-get install -y pcscd vsmartcard-vpcd libpcsclite-dev pkg-config`) before \
                `cargo test --all-features`";
    let ctx = match PcscContext::establish() {
        Ok(ctx) => ctx,
        Err(e) => panic!("{hint}: SCardEstablishContext failed: {e}"),
    };
    let readers = ctx
        .list_readers()
        .unwrap_or_else(|e| panic!("{hint}: SCardListReaders failed: {e}"));
    for r in READERS {
        assert!(
            readers.iter().any(|x| x == r),
            "{hint}: reader {r:?} missing; pcscd lists {readers:?}"
        );
    }
    Stack { ctx, _guard: guard }
}

pub(crate) fn tdes_key() -> AdminKey {
    AdminKey::new(
        UnblockScheme::Tdes,
        &[
            0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54,
            0x32, 0x10, 0x0F, 0x1E, 0x2D, 0x3C, 0x4B, 0x5A, 0x69, 0x78,
        ],
    )
    .unwrap()
}

pub(crate) fn config() -> FixtureConfig {
    FixtureConfig::new("1234", "87654321", tdes_key())
}

impl Stack {
    /// Waits until no card is in the slot (a previous test's card is gone).
    pub(crate) fn wait_absent(&self, slot: usize) {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let s = self.ctx.reader_status(READERS[slot]).unwrap();
            if !s.present {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "card in {} did not go away",
                READERS[slot]
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Inserts a card into slot 0 or 1 and waits until pcscd sees it.
    pub(crate) fn insert(&self, slot: usize, config: FixtureConfig) -> VirtualCard {
        self.wait_absent(slot);
        let port = VPCD_PORT + slot as u16;
        let card = VirtualCard::insert(port, config)
            .unwrap_or_else(|e| panic!("cannot connect the card fixture to vpcd on 127.0.0.1:{port}: {e}; run `scripts/pcscd.sh start`"));
        self.ctx
            .wait_for_card(READERS[slot], Duration::from_secs(5), &CancelToken::new())
            .expect("pcscd did not see the inserted card");
        card
    }

    pub(crate) fn connect(&self, slot: usize) -> PcscCard {
        self.ctx.connect(READERS[slot]).expect("connect")
    }
}
