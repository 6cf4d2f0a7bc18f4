//! GOST 28147-89 in its own byte order (RFC 5830, as CryptoPro and gost-engine use it) on top of
//! the RustCrypto `magma` crate, which follows GOST R 34.12-2015's order: the key's 32-bit
//! words are read little-endian instead of big-endian, and a block's two halves are
//! little-endian words with N1 first. So the key words and the block bytes are reversed on the
//! way in and out. The 16-round function of the MAC (IMIT) is not in the crate and lives here,
//! on the crate's S-box table.
//!
//! Side channels: the S-box is applied by table lookups (like gost-engine and the `magma`
//! crate); not cache-timing hardened.

use core::marker::PhantomData;

use magma::cipher::consts::U8;
use magma::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use magma::{Gost89 as Gost89Generic, Gost89CryptoProA, Magma, Sbox};
use zeroize::{Zeroize, Zeroizing};

use crate::key::SecretKey;

use super::Gost89Sbox;

/// The CryptoPro key meshing constant C (RFC 4357 §2.3.2).
const KEY_MESHING: [u8; 32] = [
    0x69, 0x00, 0x72, 0x22, 0x64, 0xC9, 0x04, 0x23, 0x8D, 0x3A, 0xDB, 0x96, 0x46, 0xE9, 0x2A, 0xC4,
    0x18, 0xFE, 0xAC, 0x94, 0x00, 0xED, 0x07, 0x12, 0xC0, 0x86, 0xDC, 0xC2, 0xEF, 0x4C, 0xA9, 0x2B,
];

/// The S-box table behind a `magma::Gost89<S>` type (the S-box types themselves are private
/// to that crate; its type aliases name them).
const fn sbox_of<S: Sbox>(_: PhantomData<Gost89Generic<S>>) -> [[u8; 16]; 8] {
    S::SBOX
}

const SBOX_A: [[u8; 16]; 8] = sbox_of(PhantomData::<Gost89CryptoProA>);
const SBOX_Z: [[u8; 16]; 8] = sbox_of(PhantomData::<Magma>);

enum Inner {
    A(Gost89CryptoProA),
    Z(Magma),
}

/// A keyed GOST 28147-89 block cipher (28147 byte order). Round keys zeroized on drop.
pub(crate) struct Gost89 {
    sbox: Gost89Sbox,
    inner: Inner,
    /// The key as the eight little-endian words K1..K8 (for the MAC rounds).
    words: Zeroizing<[u32; 8]>,
}

impl Gost89 {
    /// The cipher keyed with `key` (32 bytes, 28147 order).
    pub(crate) fn new(sbox: Gost89Sbox, key: &SecretKey) -> Self {
        let mut swapped = Zeroizing::new([0u8; 32]);
        let mut words = Zeroizing::new([0u32; 8]);
        for ((dst, src), w) in swapped
            .chunks_exact_mut(4)
            .zip(key.as_bytes().chunks_exact(4))
            .zip(words.iter_mut())
        {
            let mut le = [0u8; 4];
            le.copy_from_slice(src);
            *w = u32::from_le_bytes(le);
            le.reverse();
            dst.copy_from_slice(&le);
            le.zeroize();
        }
        let k = Array::from(*swapped);
        let inner = match sbox {
            Gost89Sbox::CryptoProA => Inner::A(Gost89CryptoProA::new(&k)),
            Gost89Sbox::Tc26Z => Inner::Z(Magma::new(&k)),
        };
        Self { sbox, inner, words }
    }

    /// The S-box.
    pub(crate) fn sbox(&self) -> Gost89Sbox {
        self.sbox
    }

    /// Encrypts one block in place (32 rounds).
    pub(crate) fn encrypt(&self, block: &mut [u8; 8]) {
        block.reverse();
        if let Ok(b) = <&mut Array<u8, U8>>::try_from(block.as_mut_slice()) {
            match &self.inner {
                Inner::A(c) => c.encrypt_block(b),
                Inner::Z(c) => c.encrypt_block(b),
            }
        }
        block.reverse();
    }

    /// Decrypts one block in place.
    pub(crate) fn decrypt(&self, block: &mut [u8; 8]) {
        block.reverse();
        if let Ok(b) = <&mut Array<u8, U8>>::try_from(block.as_mut_slice()) {
            match &self.inner {
                Inner::A(c) => c.decrypt_block(b),
                Inner::Z(c) => c.decrypt_block(b),
            }
        }
        block.reverse();
    }

    /// The 16 rounds of the MAC (K1..K8 twice) on `block` in place.
    pub(crate) fn mac_rounds(&self, block: &mut [u8; 8]) {
        let table = match self.sbox {
            Gost89Sbox::CryptoProA => &SBOX_A,
            Gost89Sbox::Tc26Z => &SBOX_Z,
        };
        let g = |x: u32| -> u32 {
            let mut y = 0u32;
            for (i, row) in table.iter().enumerate() {
                let nibble = ((x >> (4 * i)) & 0xf) as usize;
                y |= u32::from(row.get(nibble).copied().unwrap_or(0)) << (4 * i);
            }
            y.rotate_left(11)
        };
        let [b0, b1, b2, b3, b4, b5, b6, b7] = *block;
        let mut n1 = u32::from_le_bytes([b0, b1, b2, b3]);
        let mut n2 = u32::from_le_bytes([b4, b5, b6, b7]);
        for _ in 0..2 {
            for pair in self.words.chunks_exact(2) {
                if let [k1, k2] = pair {
                    n2 ^= g(n1.wrapping_add(*k1));
                    n1 ^= g(n2.wrapping_add(*k2));
                }
            }
        }
        let (lo, hi) = block.split_at_mut(4);
        lo.copy_from_slice(&n1.to_le_bytes());
        hi.copy_from_slice(&n2.to_le_bytes());
        n1.zeroize();
        n2.zeroize();
    }

    /// CryptoPro key meshing (RFC 4357 §2.3.2): the cipher under `K' = D_K(C)`.
    pub(crate) fn meshed(&self) -> Self {
        let mut next = Zeroizing::new(KEY_MESHING);
        for chunk in next.chunks_exact_mut(8) {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            self.decrypt(&mut b);
            chunk.copy_from_slice(&b);
            b.zeroize();
        }
        Self::new(self.sbox, &SecretKey::from_array(*next))
    }
}
