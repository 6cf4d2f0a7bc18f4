//! Containers (flow U02): the key and certificate objects sharing one `CKA_ID`, listed, read,
//! deleted, and given a certificate. Private objects are invisible before login, so a
//! container then lists with `has_private_key == false`; changing a container needs the user
//! logged in, as on the soft token.

use std::collections::BTreeMap;

use cryptoki::object::{Attribute, AttributeType, ObjectClass, ObjectHandle};
use cryptoki::session::Session;
use token_core::{ContainerId, ContainerInfo, Error, PublicKey, Result};

use super::Pkcs11Carrier;
use super::objects::{KeyKind, attr_bool, attr_bytes, certificate_template, key_type_of, kind_of};
use crate::consts::{CKA_GOSTR3410_PARAMS, CKA_GOSTR3411_PARAMS};
use crate::convert;
use crate::error::ck;

/// The objects of one container: its keys and certificates, found by `CKA_ID`.
#[derive(Default)]
pub(super) struct Group {
    /// The private key, where visible (after login).
    pub(super) private: Option<ObjectHandle>,
    /// The public key.
    pub(super) public: Option<ObjectHandle>,
    /// The certificates, in the order the token lists them.
    pub(super) certs: Vec<ObjectHandle>,
    /// The first non-empty `CKA_LABEL` among the objects.
    pub(super) label: Option<String>,
}

impl Pkcs11Carrier {
    /// The public key of a container, from its public key object, else the private key object
    /// (RSA private keys carry modulus and exponent), else the first certificate.
    pub(super) fn public_key_of(
        &self,
        s: &Session,
        g: &Group,
    ) -> Result<Option<(PublicKey, Option<KeyKind>)>> {
        for h in [g.public, g.private].into_iter().flatten() {
            let a = self.get(s, h, &[AttributeType::KeyType])?;
            let Some(kind) = key_type_of(&a).and_then(kind_of) else {
                // Other key types (EdDSA, DSA, secret keys): token-core has no KeyAlgorithm.
                return Ok(None);
            };
            match kind {
                KeyKind::Rsa => {
                    let a = self.get(
                        s,
                        h,
                        &[AttributeType::Modulus, AttributeType::PublicExponent],
                    )?;
                    if let (Some(n), Some(e)) = (
                        attr_bytes(&a, AttributeType::Modulus),
                        attr_bytes(&a, AttributeType::PublicExponent),
                    ) {
                        return Ok(Some((convert::rsa_spki(&n, &e)?, Some(kind))));
                    }
                }
                // The point lives on the public key object only.
                KeyKind::Ec if Some(h) == g.public => {
                    let a = self.get(s, h, &[AttributeType::EcParams, AttributeType::EcPoint])?;
                    if let (Some(params), Some(point)) = (
                        attr_bytes(&a, AttributeType::EcParams),
                        attr_bytes(&a, AttributeType::EcPoint),
                    ) {
                        return Ok(Some((convert::ec_spki(&params, &point)?, Some(kind))));
                    }
                }
                KeyKind::Ec => {}
                KeyKind::Gost256 | KeyKind::Gost512 => {
                    if Some(h) == g.public {
                        let value = self.get(s, h, &[AttributeType::Value])?;
                        let p3410 = self.raw_attr(s, h, CKA_GOSTR3410_PARAMS)?;
                        let p3411 = self.raw_attr(s, h, CKA_GOSTR3411_PARAMS)?;
                        if let (Some(v), Some(p)) =
                            (attr_bytes(&value, AttributeType::Value), p3410)
                        {
                            return Ok(Some((
                                convert::gost_spki(&v, &p, p3411.as_deref())?,
                                Some(kind),
                            )));
                        }
                    }
                }
            }
        }
        if let Some(&c) = g.certs.first() {
            let a = self.get(s, c, &[AttributeType::Value])?;
            if let Some(der) = attr_bytes(&a, AttributeType::Value) {
                let info = token_core::CertificateInfo::from_der(&der)?;
                return Ok(Some((info.public_key, None)));
            }
        }
        Ok(None)
    }

    pub(super) fn groups(&self, s: &Session) -> Result<BTreeMap<Vec<u8>, Group>> {
        let mut groups: BTreeMap<Vec<u8>, Group> = BTreeMap::new();
        for class in [
            ObjectClass::PRIVATE_KEY,
            ObjectClass::PUBLIC_KEY,
            ObjectClass::CERTIFICATE,
        ] {
            for h in self.find(s, &[Attribute::Class(class)])? {
                let a = self.get(s, h, &[AttributeType::Id, AttributeType::Label])?;
                let id = attr_bytes(&a, AttributeType::Id).unwrap_or_default();
                let g = groups.entry(id).or_default();
                if g.label.is_none() {
                    g.label = attr_bytes(&a, AttributeType::Label)
                        .map(|l| String::from_utf8_lossy(&l).into_owned())
                        .filter(|l| !l.is_empty());
                }
                match class {
                    ObjectClass::PRIVATE_KEY => g.private = Some(h),
                    ObjectClass::PUBLIC_KEY => g.public = Some(h),
                    _ => g.certs.push(h),
                }
            }
        }
        Ok(groups)
    }

    pub(super) fn container_from(
        &self,
        s: &Session,
        id: &[u8],
        g: &Group,
    ) -> Result<Option<ContainerInfo>> {
        if g.private.is_none() && g.public.is_none() {
            // A certificate without a key (a CA certificate) is not a container.
            return Ok(None);
        }
        let Some((public_key, _)) = self.public_key_of(s, g)? else {
            return Ok(None);
        };
        let mut certificates = Vec::new();
        for &c in &g.certs {
            let a = self.get(s, c, &[AttributeType::Value])?;
            if let Some(der) = attr_bytes(&a, AttributeType::Value) {
                certificates.push(der);
            }
        }
        // End-entity (the one certifying this key) first; keys compare by value, not by
        // SPKI spelling (GOST parameter OIDs differ between certificates and tokens).
        certificates.sort_by_key(|der| {
            token_core::CertificateInfo::from_der(der)
                .map_or(true, |c| !c.public_key.same_key(&public_key))
        });
        let (extractable, sensitive) = match g.private {
            Some(h) => {
                let a = self.get(
                    s,
                    h,
                    &[AttributeType::Extractable, AttributeType::Sensitive],
                )?;
                (
                    attr_bool(&a, AttributeType::Extractable).unwrap_or(false),
                    attr_bool(&a, AttributeType::Sensitive).unwrap_or(false),
                )
            }
            None => (false, false),
        };
        Ok(Some(ContainerInfo {
            id: ContainerId::new(id.to_vec()),
            label: g.label.clone(),
            algorithm: public_key.algorithm(),
            public_key,
            certificates,
            has_private_key: g.private.is_some(),
            extractable,
            sensitive,
        }))
    }

    /// [`Carrier::containers`](token_core::Carrier::containers): every key with a type
    /// keycarrier knows, grouped by `CKA_ID`.
    pub(super) fn list_containers(&self) -> Result<Vec<ContainerInfo>> {
        let _ = self.token_info()?;
        self.pool.run(|s| {
            let mut out = Vec::new();
            for (id, g) in self.groups(s)? {
                if let Some(c) = self.container_from(s, &id, &g)? {
                    out.push(c);
                }
            }
            Ok(out)
        })
    }

    /// [`Carrier::container`](token_core::Carrier::container).
    pub(super) fn find_container(&self, id: &ContainerId) -> Result<ContainerInfo> {
        self.pool.run(|s| {
            let mut groups = self.groups(s)?;
            let g = groups.remove(id.as_bytes()).unwrap_or_default();
            self.container_from(s, id.as_bytes(), &g)?
                .ok_or_else(|| Error::NotFound {
                    what: format!("container {id}"),
                })
        })
    }

    /// [`Carrier::delete_container`](token_core::Carrier::delete_container): every object
    /// under the id. The user must be logged in: before login the private key is invisible and
    /// would be left behind, alone, while its public key and certificates went.
    pub(super) fn destroy_container(&mut self, id: &ContainerId) -> Result<()> {
        self.forget_keys();
        self.pool.run(|s| {
            self.require_user_login(s)?;
            let handles = self.find(s, &[Attribute::Id(id.as_bytes().to_vec())])?;
            if handles.is_empty() {
                return Err(Error::NotFound {
                    what: format!("container {id}"),
                });
            }
            self.delete_objects(s, &handles)
        })
    }

    /// [`Carrier::write_certificate`](token_core::Carrier::write_certificate): a certificate
    /// for the container's key, as a public token object under its id. Needs the user logged
    /// in, as on the soft token (PKCS#11 alone would let a public session add it).
    pub(super) fn store_certificate(
        &mut self,
        id: &ContainerId,
        certificate_der: &[u8],
    ) -> Result<()> {
        self.pool.run(|s| self.require_user_login(s))?;
        let cert = token_core::CertificateInfo::from_der(certificate_der)?;
        let container = self.find_container(id)?;
        if !cert.public_key.same_key(&container.public_key) {
            return Err(Error::CertificateMismatch);
        }
        let label = container.label.unwrap_or_else(|| cert.subject.clone());
        let template = certificate_template(id, &label, certificate_der)?;
        self.pool.run(|s| {
            s.create_object(&template)
                .map(|_| ())
                .map_err(ck("C_CreateObject"))
        })
    }
}
