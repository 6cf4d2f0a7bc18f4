//! Block-level Streebog cores and the RustCrypto `digest` wrappers around them.

use core::fmt;

use digest::block_api::{
    AlgorithmName, Block, BlockSizeUser, Buffer, BufferKindUser, Eager, FixedOutputCore,
    OutputSizeUser, Reset, UpdateCore,
};
use digest::consts::{U32, U64};
use digest::{HashMarker, Output};
use zeroize::Zeroize;

use super::lps::{add_small, add512, g};

/// h, N and Σ of GOST R 34.11-2012 §8, as little-endian 64-bit words.
#[derive(Clone)]
struct State {
    h: [u64; 8],
    n: [u64; 8],
    sigma: [u64; 8],
}

impl State {
    const fn new(iv: u64) -> Self {
        Self {
            h: [iv; 8],
            n: [0; 8],
            sigma: [0; 8],
        }
    }

    /// Stage 2 of the standard for one block `m` holding `bits` message bits.
    #[inline(always)]
    fn compress(&mut self, m: &[u64; 8], bits: u64) {
        g(&mut self.h, &self.n, m);
        add_small(&mut self.n, bits);
        add512(&mut self.sigma, m);
    }

    #[inline]
    fn update_blocks(&mut self, blocks: &[Block<Streebog512Core>]) {
        // (The block and buffer types are the same for both cores.)
        // The chaining values live in locals for the whole run of blocks (written back once),
        // so the compiler keeps them out of `self` while the blocks are hashed.
        let (mut h, mut n, mut sigma) = (self.h, self.n, self.sigma);
        for block in blocks {
            let m = words(block);
            g(&mut h, &n, &m);
            add_small(&mut n, 512);
            add512(&mut sigma, &m);
        }
        self.h = h;
        self.n = n;
        self.sigma = sigma;
        h.zeroize();
        n.zeroize();
        sigma.zeroize();
    }

    /// Stage 3: pad the partial block (`… ‖ 1 ‖ 0…0` in the standard's order, i.e. a 0x01 byte
    /// after the data in memory), compress it, then h = g_0(h, N), h = g_0(h, Σ).
    fn finalize(&mut self, buffer: &mut Buffer<Streebog512Core>) -> [u8; 64] {
        let pos = buffer.get_pos();
        let mut block = buffer.pad_with_zeros();
        if let Some(b) = block.get_mut(pos) {
            *b = 1;
        }
        let mut m = words(&block);
        block.zeroize();
        // pos < 64, so the bit count fits in a u64 with room to spare.
        self.compress(&m, 8 * pos as u64);
        m.zeroize();
        let zero = [0u64; 8];
        let n = self.n;
        g(&mut self.h, &zero, &n);
        let sigma = self.sigma;
        g(&mut self.h, &zero, &sigma);
        let mut out = [0u8; 64];
        for (chunk, w) in out.chunks_exact_mut(8).zip(&self.h) {
            chunk.copy_from_slice(&w.to_le_bytes());
        }
        out
    }
}

impl Drop for State {
    fn drop(&mut self) {
        self.h.zeroize();
        self.n.zeroize();
        self.sigma.zeroize();
    }
}

/// A 64-byte block as eight little-endian words.
#[inline(always)]
fn words(block: &[u8]) -> [u64; 8] {
    let mut m = [0u64; 8];
    for (w, chunk) in m.iter_mut().zip(block.chunks_exact(8)) {
        let mut b = [0u8; 8];
        b.copy_from_slice(chunk);
        *w = u64::from_le_bytes(b);
    }
    m
}

macro_rules! streebog_core {
    ($core:ident, $out:ty, $iv:expr, $bytes:literal, $name:literal, $doc:literal) => {
        #[doc = $doc]
        ///
        /// Block-level core: use it through the buffered wrapper (which implements
        /// `digest::Digest` and works with `hmac::Hmac` and `pbkdf2`).
        #[derive(Clone)]
        pub struct $core(State);

        impl Default for $core {
            #[inline]
            fn default() -> Self {
                Self(State::new($iv))
            }
        }

        impl HashMarker for $core {}

        impl BlockSizeUser for $core {
            type BlockSize = U64;
        }

        impl BufferKindUser for $core {
            type BufferKind = Eager;
        }

        impl OutputSizeUser for $core {
            type OutputSize = $out;
        }

        impl UpdateCore for $core {
            #[inline]
            fn update_blocks(&mut self, blocks: &[Block<Self>]) {
                self.0.update_blocks(blocks);
            }
        }

        impl FixedOutputCore for $core {
            #[inline]
            fn finalize_fixed_core(&mut self, buffer: &mut Buffer<Self>, out: &mut Output<Self>) {
                let mut full = self.0.finalize(buffer);
                // Streebog-256 is the most significant half of the final h: the last 32 bytes.
                if let Some(tail) = full.get(64 - $bytes..) {
                    out.copy_from_slice(tail);
                }
                full.zeroize();
            }
        }

        impl Reset for $core {
            #[inline]
            fn reset(&mut self) {
                *self = Self::default();
            }
        }

        impl AlgorithmName for $core {
            fn write_alg_name(f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($name)
            }
        }

        impl fmt::Debug for $core {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($core), " { ... }"))
            }
        }
    };
}

streebog_core!(
    Streebog256Core,
    U32,
    0x0101_0101_0101_0101,
    32,
    "Streebog256",
    "Streebog-256 (GOST R 34.11-2012, 256-bit output): IV = 0x01 in every byte."
);
streebog_core!(
    Streebog512Core,
    U64,
    0,
    64,
    "Streebog512",
    "Streebog-512 (GOST R 34.11-2012, 512-bit output): IV = 0."
);

digest::buffer_fixed!(
    /// Streebog-256 hasher (GOST R 34.11-2012, 32-byte output; OID 1.2.643.7.1.1.2.2).
    ///
    /// Implements `digest::Digest`; `hmac::Hmac<Streebog256>` and
    /// `pbkdf2::pbkdf2_hmac::<Streebog256>` work with it. Output bytes are in the order the
    /// hash produces them (what `openssl dgst -md_gost12_256 -binary` prints).
    pub struct Streebog256(Streebog256Core);
    impl: BaseFixedTraits AlgorithmName Default Clone HashMarker Reset FixedOutputReset;
);

digest::buffer_fixed!(
    /// Streebog-512 hasher (GOST R 34.11-2012, 64-byte output; OID 1.2.643.7.1.1.2.3).
    ///
    /// Implements `digest::Digest`; `hmac::Hmac<Streebog512>` and
    /// `pbkdf2::pbkdf2_hmac::<Streebog512>` work with it.
    pub struct Streebog512(Streebog512Core);
    impl: BaseFixedTraits AlgorithmName Default Clone HashMarker Reset FixedOutputReset;
);
