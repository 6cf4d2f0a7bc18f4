//! KEG (R 1323565.1.020-2018 §6.4.5.1; RFC 9189 §8.2.1): the export keys of a CMS recipient or
//! a TLS 1.2 key exchange, from a VKO key agreement and a 32-byte UKM `H`.
//!
//! * `UKM = H[0..16]` read as a big-endian integer (1 when it is zero);
//! * 512-bit keys: `K_EXP = VKO_GOSTR3410_2012_512(d, Q, UKM)`;
//! * 256-bit keys: `K_EXP = KDF_TREE_256(VKO_GOSTR3410_2012_256(d, Q, UKM), "kdf tree",
//!   H[16..24], R = 1)`, 64 bytes;
//! * `K_EXP_MAC ‖ K_EXP_ENC = K_EXP` ([`ExportKeys`]). The KExp15 IV is `H[24..24 + n/2]`.
//!
//! The private key may live on a token (PKCS#11 tokens compute VKO with `C_DeriveKey`), so KEG
//! is split: [`keg_vko_ukm`] gives the UKM to ask the token's VKO for, and [`keg_finish`] turns
//! the raw VKO output into the export keys on the host. [`keg`] does both with a VKO closure
//! (for instance `gost::SigningKey::vko`).

use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::kdf::kdf_tree_256;
use crate::kexp15::ExportKeys;

/// The size of the GOST R 34.10-2012 keys behind the agreement: it decides the VKO hash and
/// whether KDF_TREE follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KegKeySize {
    /// 256-bit keys: VKO with Streebog-256, then KDF_TREE to 64 bytes.
    Bits256,
    /// 512-bit keys: VKO with Streebog-512, used as it is.
    Bits512,
}

impl KegKeySize {
    /// Length of the VKO output KEG needs (32 or 64 bytes): VKO_GOSTR3410_2012_256 or _512.
    pub const fn vko_len(self) -> usize {
        match self {
            Self::Bits256 => 32,
            Self::Bits512 => 64,
        }
    }
}

/// Length of the KEG input `H` used (the CMS `ukm` is 32 bytes; KEG reads its first 24).
pub const KEG_H_MIN_LEN: usize = 24;

fn check_h(h: &[u8]) -> Result<()> {
    if h.len() < KEG_H_MIN_LEN {
        return Err(Error::length(
            "KEG UKM (H)",
            h.len(),
            format!("at least {KEG_H_MIN_LEN} (32 in CMS)"),
        ));
    }
    Ok(())
}

/// The UKM for the VKO step, as **little-endian** bytes (16): `H[0..16]` reversed, so that the
/// integer is `H[0..16]` read big-endian — the form `gost::SigningKey::vko` and the PKCS#11
/// `CKD` parameters take. An all-zero `H[0..16]` gives the integer 1, as R 1323565.1.020 says
/// (gost-engine 3.x passes 2^120 there instead; the case has probability 2^-128).
pub fn keg_vko_ukm(h: &[u8]) -> Result<[u8; 16]> {
    check_h(h)?;
    let mut ukm = [0u8; 16];
    for (dst, src) in ukm.iter_mut().zip(h.iter().take(16).rev()) {
        *dst = *src;
    }
    if ukm.iter().all(|b| *b == 0) {
        ukm[0] = 1;
    }
    Ok(ukm)
}

/// KEG from the raw VKO output (32 bytes for 256-bit keys, 64 for 512-bit keys), computed
/// wherever the private key lives with the UKM of [`keg_vko_ukm`].
pub fn keg_finish(size: KegKeySize, h: &[u8], vko: &[u8]) -> Result<ExportKeys> {
    check_h(h)?;
    if vko.len() != size.vko_len() {
        return Err(Error::length(
            "VKO output",
            vko.len(),
            size.vko_len().to_string(),
        ));
    }
    match size {
        KegKeySize::Bits512 => ExportKeys::from_keg_output(vko),
        KegKeySize::Bits256 => {
            let seed = h.get(16..24).unwrap_or_default();
            let k_exp = kdf_tree_256(vko, b"kdf tree", seed, 1, 64)?;
            ExportKeys::from_keg_output(&k_exp)
        }
    }
}

/// KEG with the VKO step as a closure `vko(ukm_le, size)` returning the VKO output
/// (VKO_GOSTR3410_2012_256 for [`KegKeySize::Bits256`], _512 for [`KegKeySize::Bits512`]).
///
/// ```
/// use keycarrier_gost_cipher::{keg, KegKeySize};
/// // A stand-in VKO; real code calls `gost::SigningKey::vko` or a token.
/// let h = [5u8; 32];
/// let keys = keg(KegKeySize::Bits256, &h, |ukm, size| {
///     assert_eq!(ukm[15], 5);
///     Ok::<_, std::convert::Infallible>(zeroize::Zeroizing::new(vec![7u8; size.vko_len()]))
/// })?;
/// assert_ne!(keys.mac, keys.enc);
/// # Ok::<(), keycarrier_gost_cipher::Error>(())
/// ```
pub fn keg<E: core::fmt::Display>(
    size: KegKeySize,
    h: &[u8],
    vko: impl FnOnce(&[u8], KegKeySize) -> core::result::Result<Zeroizing<Vec<u8>>, E>,
) -> Result<ExportKeys> {
    let ukm = keg_vko_ukm(h)?;
    let shared = vko(&ukm, size).map_err(|e| Error::KeyAgreement(e.to_string()))?;
    keg_finish(size, h, &shared)
}
