//! How the token's contents are laid out as stored objects: a container is a private key object,
//! a public key object and certificate objects sharing one `CKA_ID`; private key material is
//! sealed under the token key with that id bound in ([`aad`]).

use der::asn1::OctetString;
use token_core::{BackendEvidence, ContainerId, ContainerInfo, Error, PinRole, PublicKey, Result};

use crate::attr;
use crate::crypto;
use crate::keys;
use crate::store::{StoredAttribute, StoredObject, TokenFile};

/// A stored attribute value.
pub(crate) fn octets(v: Vec<u8>) -> Result<OctetString> {
    OctetString::new(v).map_err(|e| Error::malformed_der("soft token value", e))
}

/// Reads an attribute's clear value.
pub(crate) fn get(obj: &StoredObject, kind: u64) -> Option<&[u8]> {
    obj.attributes
        .iter()
        .find(|a| a.kind == kind && !a.sealed)
        .map(|a| a.value.as_bytes())
}

/// An object's `CKA_CLASS`.
pub(crate) fn class_of(obj: &StoredObject) -> Option<u64> {
    get(obj, attr::CLASS).and_then(attr::read_ulong)
}

/// A clear (not sealed) attribute.
pub(crate) fn clear(kind: u64, value: Vec<u8>) -> Result<StoredAttribute> {
    Ok(StoredAttribute {
        kind,
        value: octets(value)?,
        sealed: false,
    })
}

/// The containers of a token state: key objects grouped by `CKA_ID`, with their certificates.
pub(crate) fn containers_of(state: &TokenFile) -> Result<Vec<ContainerInfo>> {
    let mut out: Vec<ContainerInfo> = Vec::new();
    for obj in &state.objects {
        let (Some(class), Some(id)) = (class_of(obj), get(obj, attr::ID)) else {
            continue;
        };
        let id = ContainerId::new(id.to_vec());
        let label = get(obj, attr::LABEL).map(|l| String::from_utf8_lossy(l).into_owned());
        if class == attr::CKO_PRIVATE_KEY || class == attr::CKO_PUBLIC_KEY {
            let Some(spki) = get(obj, attr::KC_SPKI) else {
                continue;
            };
            let public_key = PublicKey::from_spki_der(spki)?;
            let flag = |kind| get(obj, kind).is_some_and(|v| v == [1]);
            let entry = match out.iter_mut().find(|c| c.id == id) {
                Some(entry) => entry,
                None => {
                    out.push(ContainerInfo {
                        id: id.clone(),
                        label: label.clone(),
                        algorithm: public_key.algorithm(),
                        public_key,
                        certificates: Vec::new(),
                        has_private_key: false,
                        extractable: false,
                        sensitive: false,
                    });
                    out.last_mut().ok_or_else(|| Error::NotFound {
                        what: "container".into(),
                    })?
                }
            };
            if class == attr::CKO_PRIVATE_KEY {
                entry.has_private_key = true;
                entry.extractable = flag(attr::EXTRACTABLE);
                entry.sensitive = flag(attr::SENSITIVE);
                if label.is_some() {
                    entry.label = label;
                }
            }
        }
    }
    for obj in &state.objects {
        if class_of(obj) != Some(attr::CKO_CERTIFICATE) {
            continue;
        }
        let (Some(id), Some(der)) = (get(obj, attr::ID), get(obj, attr::VALUE)) else {
            continue;
        };
        if let Some(entry) = out.iter_mut().find(|c| c.id.as_bytes() == id) {
            entry.certificates.push(der.to_vec());
        }
    }
    Ok(out)
}

/// The attributes of a new key pair's two objects.
pub(crate) fn key_pair_objects(
    id: &ContainerId,
    label: &str,
    spki: &PublicKey,
    sealed_pkcs8: Vec<u8>,
    extractable: bool,
    local: bool,
) -> Result<Vec<Vec<StoredAttribute>>> {
    let spki_der = spki.to_der()?;
    let (key_type, mut algorithm_attrs) = keys::pkcs11_key_attributes(spki)?;
    let mut common = vec![
        clear(attr::KEY_TYPE, attr::ulong(key_type))?,
        clear(attr::ID, id.as_bytes().to_vec())?,
        clear(attr::LABEL, label.as_bytes().to_vec())?,
        clear(attr::TOKEN, attr::bool(true))?,
        clear(attr::LOCAL, attr::bool(local))?,
        clear(attr::KC_SPKI, spki_der)?,
    ];
    common.append(&mut algorithm_attrs);
    let mut private = common.clone();
    private.extend([
        clear(attr::CLASS, attr::ulong(attr::CKO_PRIVATE_KEY))?,
        clear(attr::PRIVATE, attr::bool(true))?,
        clear(attr::SENSITIVE, attr::bool(!extractable))?,
        clear(attr::EXTRACTABLE, attr::bool(extractable))?,
        clear(attr::SIGN, attr::bool(true))?,
        StoredAttribute {
            kind: attr::KC_PKCS8,
            value: octets(sealed_pkcs8)?,
            sealed: true,
        },
    ]);
    let mut public = common;
    public.extend([
        clear(attr::CLASS, attr::ulong(attr::CKO_PUBLIC_KEY))?,
        clear(attr::PRIVATE, attr::bool(false))?,
        clear(attr::VERIFY, attr::bool(true))?,
    ]);
    if let Some(value) = keys::gost_public_value(spki) {
        public.push(clear(attr::VALUE, value)?);
    }
    Ok(vec![private, public])
}

/// The associated data sealed private key material is bound to: its container id.
pub(crate) fn aad(id: &ContainerId) -> Vec<u8> {
    let mut aad = b"keycarrier private key ".to_vec();
    aad.extend_from_slice(id.as_bytes());
    aad
}

/// Applies clear attribute values to an object; a new `CKA_ID` re-seals its key material
/// under the new id (needs the token key, i.e. the user logged in).
pub(crate) fn apply_values(
    obj: &mut StoredObject,
    values: Vec<(u64, Vec<u8>)>,
    token_key: Option<&crypto::Key>,
) -> Result<()> {
    for (kind, value) in values {
        if kind == attr::ID {
            let old_id = ContainerId::new(get(obj, attr::ID).unwrap_or_default().to_vec());
            let new_id = ContainerId::new(value.clone());
            if let Some(sealed) = obj
                .attributes
                .iter_mut()
                .find(|a| a.kind == attr::KC_PKCS8 && a.sealed)
            {
                let key = token_key.ok_or(Error::LoginRequired {
                    role: PinRole::User,
                })?;
                let plain = crypto::open(key, &aad(&old_id), sealed.value.as_bytes())
                    .ok_or_else(damaged_key)?;
                sealed.value = octets(crypto::seal(key, &aad(&new_id), &plain)?)?;
            }
        }
        obj.attributes.retain(|a| a.kind != kind);
        obj.attributes.push(clear(kind, value)?);
    }
    Ok(())
}

/// The attributes of a certificate object in container `id`.
pub(crate) fn certificate_object(
    id: &ContainerId,
    label: &str,
    der: &[u8],
) -> Result<Vec<StoredAttribute>> {
    Ok(vec![
        clear(attr::CLASS, attr::ulong(attr::CKO_CERTIFICATE))?,
        clear(attr::CERTIFICATE_TYPE, attr::ulong(attr::CKC_X_509))?,
        clear(attr::ID, id.as_bytes().to_vec())?,
        clear(attr::LABEL, label.as_bytes().to_vec())?,
        clear(attr::TOKEN, attr::bool(true))?,
        clear(attr::PRIVATE, attr::bool(false))?,
        clear(attr::VALUE, der.to_vec())?,
    ])
}

/// Sealed key material that does not open under the token key.
pub(crate) fn damaged_key() -> Error {
    Error::Backend(BackendEvidence::Other(
        "soft token: stored private key does not decrypt (damaged store)".into(),
    ))
}
