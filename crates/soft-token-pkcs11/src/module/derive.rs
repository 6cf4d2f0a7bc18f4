//! C_DeriveKey with GOST VKO (flow U17, opening a GOST envelope): the shared key of the token's
//! private key and the sender's public key becomes a session secret-key object.
//!
//! Two mechanisms, as the TC26 headers define them (reference gost.md §6.2):
//!
//! * `CKM_GOSTR3410_12_DERIVE` with CK_GOSTR3410_DERIVE_PARAMS, `kdf` =
//!   `CKD_KDF_GOSTR3411_2012_256`: VKO_GOSTR3410_2012_256, a 32-byte key. No header defines a
//!   Streebog-512 `kdf` for this mechanism.
//! * `CKM_VKO_GOSTR3410_2012_512` with CK_ECDH1_DERIVE_PARAMS, `kdf` = `CKD_NULL`, the UKM as
//!   `pSharedData`: VKO_GOSTR3410_2012_512, a 64-byte key (Rutoken's samples).
//!
//! `pPublicData` is the peer's point as a public key object's CKA_VALUE holds it, `X_le ‖ Y_le`
//! (64 or 128 bytes, the base key's size); the UKM is the integer's little-endian bytes, as
//! OpenSSL's gost engine reads `ukmhex`. The new object is a CKO_SECRET_KEY (CKK_GENERIC_SECRET
//! unless the template names another type of the same length, e.g. CKK_GOST28147 for a KEK)
//! that lives in memory with the session; its CKA_VALUE can be read only when the template
//! made it extractable and not sensitive (both default to the safe side).

use cryptoki_sys::*;
use token_core::VkoHash;
use zeroize::Zeroizing;

use super::Module;
use crate::attributes::Attr;
use crate::consts::{
    CKD_KDF_GOSTR3411_2012_256, CKK_GOSTR3410_512, CKM_GOSTR3410_12_DERIVE,
    CKM_VKO_GOSTR3410_2012_512,
};
use crate::crypt::RawParam;
use crate::errors::R;
use crate::secret_key::{ValueSource, secret_key_attributes};

/// The VKO a mechanism and its parameter ask for: the hash, the peer's point, the UKM.
fn vko_request(mech: CK_MECHANISM_TYPE, param: &RawParam) -> R<(VkoHash, &[u8], &[u8])> {
    let hash = match mech {
        CKM_GOSTR3410_12_DERIVE => VkoHash::Streebog256,
        CKM_VKO_GOSTR3410_2012_512 => VkoHash::Streebog512,
        _ => return Err(CKR_MECHANISM_INVALID),
    };
    let RawParam::Derive { kdf, public, ukm } = param else {
        return Err(CKR_MECHANISM_PARAM_INVALID);
    };
    let kdf_ok = match hash {
        VkoHash::Streebog256 => *kdf == CKD_KDF_GOSTR3411_2012_256,
        VkoHash::Streebog512 => *kdf == CKD_NULL,
    };
    if !kdf_ok || ukm.is_empty() || ukm.len() > gost::MAX_UKM_LEN {
        return Err(CKR_MECHANISM_PARAM_INVALID);
    }
    Ok((hash, public, ukm))
}

impl Module {
    /// C_DeriveKey: GOST VKO with a private key object; returns the new session key's handle.
    pub(crate) fn derive_key(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        param: &RawParam,
        base: CK_OBJECT_HANDLE,
        template: &[Attr],
    ) -> R<CK_OBJECT_HANDLE> {
        self.session(h)?;
        let (hash, public, ukm) = vko_request(mechanism, param)?;
        if !self.user_logged_in(h)? {
            return Err(CKR_USER_NOT_LOGGED_IN);
        }
        let (class, key_type) = self
            .with_object(h, base, |o| (o.ulong(CKA_CLASS), o.ulong(CKA_KEY_TYPE)))
            .map_err(|_| CKR_KEY_HANDLE_INVALID)?;
        if class != Some(CKO_PRIVATE_KEY)
            || !matches!(key_type, Some(CKK_GOSTR3410 | CKK_GOSTR3410_512))
        {
            return Err(CKR_KEY_TYPE_INCONSISTENT);
        }
        let (attrs, _) = secret_key_attributes(
            template,
            CKK_GENERIC_SECRET,
            hash.output_len(),
            ValueSource::Mechanism,
        )?;
        let key = self.private_key_of(h, base)?;
        let set = key.as_gost().ok_or(CKR_KEY_TYPE_INCONSISTENT)?.param_set();
        // The peer's point on the base key's curve (validated: on the curve, in the subgroup).
        let peer = gost::VerifyingKey::from_raw_le(set, public)
            .ok()
            .and_then(|k| k.to_spki_der().ok())
            .and_then(|spki| token_core::PublicKey::from_spki_der(&spki).ok())
            .ok_or(CKR_MECHANISM_PARAM_INVALID)?;
        let agreed = key
            .agree_key(&peer, ukm, hash)
            .map_err(|_| CKR_FUNCTION_FAILED)?;
        let uid = self.add_session_object(h, attrs, None)?;
        if let Some(o) = self.session_objects.get_mut(&uid) {
            o.value = Some(Zeroizing::new(agreed.expose().to_vec()));
        }
        Ok(uid)
    }
}
