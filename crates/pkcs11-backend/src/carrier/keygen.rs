//! Key pair generation (flow U09): RSA, GOST R 34.10-2012 (raw mechanisms) and EC templates,
//! progress and cancel, and the temporary-id dance that gives the pair its derived id.

use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, ObjectHandle};
use cryptoki::session::Session;
use cryptoki::types::Ulong;
use cryptoki_sys::CK_ULONG;
use token_core::{
    CancelToken, ContainerId, ContainerInfo, Error, GostKeySize, KeyAlgorithm, NewContainer,
    Progress, ProgressSink, Result, Stage,
};

use super::Pkcs11Carrier;
use super::containers::Group;
use super::objects::{label_bytes, with_cleanup_failure};
use crate::consts::{
    CKA_GOSTR3410_PARAMS, CKA_GOSTR3411_PARAMS, CKK_GOSTR3410, CKK_GOSTR3410_512,
    CKM_GOSTR3410_512_KEY_PAIR_GEN, CKM_GOSTR3410_KEY_PAIR_GEN,
};
use crate::error::ck;
use crate::raw::RawAttribute;

/// The safe templates for a generated key pair (token objects, the private key sensitive
/// and non-extractable unless asked, one CKA_ID and label on both halves); `public_extra`
/// carries what the mechanism needs (modulus size, curve).
fn keygen_templates<const K: usize>(
    spec: &NewContainer,
    id: &[u8],
    label: Vec<u8>,
    public_extra: [Attribute; K],
) -> (Vec<Attribute>, Vec<Attribute>) {
    let mut public = vec![
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
    ];
    public.extend(public_extra);
    public.extend([Attribute::Id(id.to_vec()), Attribute::Label(label.clone())]);
    let private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(spec.extractable),
        Attribute::Sign(true),
        Attribute::Id(id.to_vec()),
        Attribute::Label(label),
    ];
    (public, private)
}

impl Pkcs11Carrier {
    pub(super) fn generate_pair(
        &self,
        s: &Session,
        spec: &NewContainer,
        temp_id: &[u8],
    ) -> Result<(ObjectHandle, ObjectHandle)> {
        let label = label_bytes(&spec.label);
        match spec.algorithm {
            KeyAlgorithm::Rsa { bits } => {
                if !matches!(bits, 2048 | 3072 | 4096) {
                    return Err(Error::Unsupported {
                        what: format!("RSA {bits}"),
                    });
                }
                let (public, private) = keygen_templates(
                    spec,
                    temp_id,
                    label,
                    [
                        Attribute::ModulusBits(Ulong::from(CK_ULONG::from(bits))),
                        Attribute::PublicExponent(vec![0x01, 0x00, 0x01]),
                    ],
                );
                s.generate_key_pair(&Mechanism::RsaPkcsKeyPairGen, &public, &private)
                    .map_err(ck("C_GenerateKeyPair"))
            }
            KeyAlgorithm::Gost(set) => {
                use cryptoki_sys as c;
                use token_core::der::Encode;
                let (mech, key_type, digest_oid) = match set.key_size() {
                    GostKeySize::Bits256 => (
                        CKM_GOSTR3410_KEY_PAIR_GEN,
                        CKK_GOSTR3410,
                        token_core::oid::TC26_GOST_3411_12_256,
                    ),
                    GostKeySize::Bits512 => (
                        CKM_GOSTR3410_512_KEY_PAIR_GEN,
                        CKK_GOSTR3410_512,
                        token_core::oid::TC26_GOST_3411_12_512,
                    ),
                };
                if !self.has_mechanism(mech) {
                    return Err(Error::Unsupported {
                        what: format!("GOST key generation ({set}) on this carrier"),
                    });
                }
                let der = |o: token_core::const_oid::ObjectIdentifier| {
                    o.to_der().map_err(|e| Error::malformed_der("OID", e))
                };
                let p3410 = der(set.oid())?;
                let p3411 = der(digest_oid)?;
                let common = |private: bool| {
                    vec![
                        RawAttribute::ulong(
                            c::CKA_CLASS,
                            if private {
                                c::CKO_PRIVATE_KEY
                            } else {
                                c::CKO_PUBLIC_KEY
                            },
                        ),
                        RawAttribute::ulong(c::CKA_KEY_TYPE, key_type),
                        RawAttribute::bool(c::CKA_TOKEN, true),
                        RawAttribute::bytes(c::CKA_ID, temp_id),
                        RawAttribute::bytes(c::CKA_LABEL, spec.label.as_bytes()),
                        RawAttribute::bytes(CKA_GOSTR3410_PARAMS, &p3410),
                        RawAttribute::bytes(CKA_GOSTR3411_PARAMS, &p3411),
                    ]
                };
                let mut public = common(false);
                public.push(RawAttribute::bool(c::CKA_PRIVATE, false));
                public.push(RawAttribute::bool(c::CKA_VERIFY, true));
                let mut private = common(true);
                private.extend([
                    RawAttribute::bool(c::CKA_PRIVATE, true),
                    RawAttribute::bool(c::CKA_SENSITIVE, true),
                    RawAttribute::bool(c::CKA_EXTRACTABLE, spec.extractable),
                    RawAttribute::bool(c::CKA_SIGN, true),
                ]);
                Ok(self
                    .module()
                    .raw()
                    .generate_key_pair(s, mech, public, private)?)
            }
            KeyAlgorithm::Ec(curve) => {
                use token_core::der::Encode;
                let params = curve
                    .oid()
                    .to_der()
                    .map_err(|e| Error::malformed_der("OID", e))?;
                let (public, private) =
                    keygen_templates(spec, temp_id, label, [Attribute::EcParams(params)]);
                s.generate_key_pair(&Mechanism::EccKeyPairGen, &public, &private)
                    .map_err(ck("C_GenerateKeyPair"))
            }
            other => Err(Error::Unsupported {
                what: format!("key generation for {other}"),
            }),
        }
    }

    pub(super) fn generate_in(
        &self,
        s: &Session,
        spec: &NewContainer,
        progress: &mut dyn ProgressSink,
        cancel: &CancelToken,
    ) -> Result<ContainerInfo> {
        // A temporary id until the public key (and so the derived id) is known.
        let temp_id = {
            let mut r = vec![0u8; 16];
            s.generate_random_slice(&mut r)
                .map_err(ck("C_GenerateRandom"))?;
            let mut id = b"kc-tmp-".to_vec();
            id.extend(r);
            id
        };
        cancel.check()?;
        progress.report(Progress {
            stage: Stage::Generating,
            percent: Some(10),
        });
        // C_GenerateKeyPair cannot be interrupted once running; cancel is honoured after it.
        let (public, private) = self.generate_pair(s, spec, &temp_id)?;
        match self.finish_generation(s, spec, public, private, progress, cancel) {
            Ok(info) => Ok(info),
            Err(e) => {
                // Leave no half-made container: a cancelled or failed generation deletes what
                // it made.
                match self.delete_objects(s, &[public, private]) {
                    Ok(()) => Err(e),
                    Err(cleanup) => Err(with_cleanup_failure(e, &cleanup)),
                }
            }
        }
    }

    pub(super) fn finish_generation(
        &self,
        s: &Session,
        spec: &NewContainer,
        public: ObjectHandle,
        private: ObjectHandle,
        progress: &mut dyn ProgressSink,
        cancel: &CancelToken,
    ) -> Result<ContainerInfo> {
        cancel.check()?;
        progress.report(Progress {
            stage: Stage::Storing,
            percent: Some(90),
        });
        let g = Group {
            private: Some(private),
            public: Some(public),
            certs: Vec::new(),
            label: Some(spec.label.clone()),
        };
        let (key, _) = self
            .public_key_of(s, &g)?
            .ok_or_else(|| Error::Unsupported {
                what: "reading the generated public key".into(),
            })?;
        let id = match &spec.id {
            Some(id) => id.clone(),
            None => ContainerId::derived_from(&key),
        };
        if !self
            .find(s, &[Attribute::Id(id.as_bytes().to_vec())])?
            .is_empty()
        {
            return Err(Error::AlreadyExists {
                what: format!("container {id}"),
            });
        }
        for h in [public, private] {
            s.update_attributes(h, &[Attribute::Id(id.as_bytes().to_vec())])
                .map_err(ck("C_SetAttributeValue"))?;
        }
        cancel.check()?;
        self.container_from(s, id.as_bytes(), &g)?
            .ok_or_else(|| Error::Unsupported {
                what: "reading the generated container".into(),
            })
    }

    /// Generates a key pair (flow U09). Cancel is checked before `C_GenerateKeyPair` and after
    /// it: a running `C_GenerateKeyPair` cannot be interrupted (PKCS#11 has no way to), and a
    /// generation cancelled after the call deletes the objects it made.
    pub(super) fn generate_container(
        &mut self,
        spec: &NewContainer,
        progress: &mut dyn ProgressSink,
        cancel: &CancelToken,
    ) -> Result<ContainerInfo> {
        progress.report(Progress {
            stage: Stage::Preparing,
            percent: Some(0),
        });
        self.pool.run(|s| self.require_user_login(s))?;
        cancel.check()?;
        let info = self
            .pool
            .run(|s| self.generate_in(s, spec, &mut *progress, cancel))?;
        progress.report(Progress {
            stage: Stage::Done,
            percent: Some(100),
        });
        Ok(info)
    }
}
