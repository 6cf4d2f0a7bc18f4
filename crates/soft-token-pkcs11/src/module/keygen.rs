//! C_GenerateKeyPair: token pairs through the soft token, pairs with a session half made here.

use std::sync::Arc;

use cryptoki_sys::*;
use soft_token::objects::{PrivateKey, new_key_pair};
use token_core::{GostKeySize, KeyAlgorithm};

use super::Module;
use crate::attributes::{
    Attr, digest_oid_der, find_attr, gost_set_from, read_native_ulong, template_bool,
    template_ulong,
};
use crate::consts::{CKK_GOSTR3410_512, CKM_GOSTR3410_512_KEY_PAIR_GEN};
use crate::create;
use crate::errors::{R, ck, new_keys_allowed};

impl Module {
    /// C_GenerateKeyPair; returns (public, private) handles.
    pub(crate) fn generate_key_pair(
        &mut self,
        h: CK_SESSION_HANDLE,
        mechanism: CK_MECHANISM_TYPE,
        public: &[Attr],
        private: &[Attr],
    ) -> R<(u64, u64)> {
        let both = || public.iter().chain(private.iter());
        let one = |kind| -> Option<&[u8]> {
            find_attr(private, kind).or_else(|| find_attr(public, kind))
        };
        // Each half is a token object unless its template says CKA_TOKEN = false (the module's
        // default is the token, as in C_CreateObject).
        let public_on_token = template_bool(public, CKA_TOKEN)?.unwrap_or(true);
        let private_on_token = template_bool(private, CKA_TOKEN)?.unwrap_or(true);
        let (algorithm, key_type) = match mechanism {
            CKM_GOSTR3410_KEY_PAIR_GEN | CKM_GOSTR3410_512_KEY_PAIR_GEN => {
                let set = gost_set_from(one(CKA_GOSTR3410_PARAMS))?;
                let (size, key_type) = if mechanism == CKM_GOSTR3410_KEY_PAIR_GEN {
                    (GostKeySize::Bits256, CKK_GOSTR3410)
                } else {
                    (GostKeySize::Bits512, CKK_GOSTR3410_512)
                };
                if set.key_size() != size {
                    return Err(CKR_TEMPLATE_INCONSISTENT);
                }
                let digest = digest_oid_der(set);
                for (kind, value) in both() {
                    if *kind == CKA_GOSTR3411_PARAMS && **value != digest {
                        return Err(CKR_ATTRIBUTE_VALUE_INVALID);
                    }
                    if *kind == CKA_GOSTR3410_PARAMS {
                        gost_set_from(Some(value))
                            .ok()
                            .filter(|s| *s == set)
                            .ok_or(CKR_TEMPLATE_INCONSISTENT)?;
                    }
                }
                (KeyAlgorithm::Gost(set), key_type)
            }
            CKM_RSA_PKCS_KEY_PAIR_GEN => {
                let bits = template_ulong(public, CKA_MODULUS_BITS)?
                    .or(template_ulong(private, CKA_MODULUS_BITS)?)
                    .ok_or(CKR_TEMPLATE_INCOMPLETE)?;
                if ![2048, 3072, 4096].contains(&bits) {
                    return Err(CKR_KEY_SIZE_RANGE);
                }
                if let Some(e) = find_attr(public, CKA_PUBLIC_EXPONENT) {
                    let trimmed: Vec<u8> = e.iter().copied().skip_while(|b| *b == 0).collect();
                    if trimmed != [1, 0, 1] {
                        return Err(CKR_ATTRIBUTE_VALUE_INVALID);
                    }
                }
                let bits = u32::try_from(bits).map_err(|_| CKR_KEY_SIZE_RANGE)?;
                (KeyAlgorithm::Rsa { bits }, CKK_RSA)
            }
            _ => return Err(CKR_MECHANISM_INVALID),
        };
        for (kind, value) in both() {
            if *kind == CKA_KEY_TYPE && read_native_ulong(value)? != key_type {
                return Err(CKR_TEMPLATE_INCONSISTENT);
            }
            if *kind == CKA_CLASS {
                let c = read_native_ulong(value)?;
                if c != CKO_PUBLIC_KEY && c != CKO_PRIVATE_KEY {
                    return Err(CKR_TEMPLATE_INCONSISTENT);
                }
            }
        }
        self.check_writable(h, public_on_token || private_on_token, true)?;
        // Session-only pairs too: the rule does not hang on CKA_TOKEN.
        new_keys_allowed(self.token(h)?)?;
        let id = one(CKA_ID).map(<[u8]>::to_vec);
        let label = |t: &[Attr]| {
            find_attr(t, CKA_LABEL)
                .map(|l| String::from_utf8_lossy(l).into_owned())
                .unwrap_or_default()
        };
        let extractable = template_bool(private, CKA_EXTRACTABLE)?.unwrap_or(false);
        if public_on_token && private_on_token {
            let (private_uid, public_uid) = ck(self.token(h)?.generate_key_pair(
                algorithm,
                id,
                &label(private),
                &label(public),
                extractable,
            ))?;
            return Ok((public_uid, private_uid));
        }
        // At least one session half: generate here, write the token half (if any) first.
        let pair = ck(new_key_pair(
            algorithm,
            id,
            &label(private),
            &label(public),
            extractable,
        ))?;
        let secret = create::Secret {
            key: Arc::new(ck(PrivateKey::from_pkcs8_der(&pair.pkcs8))?),
            pkcs8: pair.pkcs8,
        };
        let token = self.token(h)?;
        let (private_uid, public_uid) = match (private_on_token, public_on_token) {
            (true, _) => {
                let mut attrs = pair.private;
                attrs.push(ck(token.seal_private_key(&pair.id, &secret.pkcs8))?);
                let private_uid = ck(token.add_object(attrs))?;
                (private_uid, self.add_session_object(h, pair.public, None)?)
            }
            (false, true) => {
                let public_uid = ck(token.add_object(pair.public))?;
                (
                    self.add_session_object(h, pair.private, Some(secret))?,
                    public_uid,
                )
            }
            (false, false) => (
                self.add_session_object(h, pair.private, Some(secret))?,
                self.add_session_object(h, pair.public, None)?,
            ),
        };
        Ok((public_uid, private_uid))
    }
}
