//! GOST recipients (R 1323565.1.025-2019 and RFC 4490): recovering the content key with the
//! recipient's key on its carrier, and protecting it for a recipient's certificate.
//!
//! Opening: the carrier computes the VKO shared key ([`Carrier::agree_key`]) with the
//! sender's ephemeral public key; the host runs KEG and KImp15 (the KExp15 profiles) or the
//! CryptoPro key unwrap (the older `-gost89` profile) on it. Sealing: an ephemeral key on the
//! recipient's curve, VKO with the recipient's public key, then KEG and KExp15 or the
//! CryptoPro key wrap.

use cms::enveloped_data::{
    KeyAgreeRecipientInfo, KeyTransRecipientInfo, OriginatorIdentifierOrKey,
};
use der::asn1::OctetString;
use der::{Decode, Encode};
use gost_cipher::gost89::{Gost89Sbox, cryptopro_key_unwrap, cryptopro_key_wrap};
use gost_cipher::{BlockCipher, KegKeySize, SecretKey, keg_finish, keg_vko_ukm, kexp15, kimp15};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use token_core::{
    Carrier, ContainerId, Error, GostKeySize, KeyAgreement, KeyAlgorithm, PublicKey, Result,
    SecretBytes, VkoHash, oid,
};
use zeroize::Zeroizing;

use crate::asn1::{
    Gost28147EncryptedKey, GostR3410KeyTransport, GostR3410TransportParameters, KeyWrapParameters,
    PsKeyTransport,
};
use crate::gost_content::{gost_err, sbox};

fn malformed(what: &'static str, reason: &str) -> Error {
    Error::Malformed {
        what,
        at: None,
        reason: reason.into(),
    }
}

fn gost_key_size(key: &PublicKey) -> Result<GostKeySize> {
    match key.algorithm() {
        KeyAlgorithm::Gost(set) => Ok(set.key_size()),
        other => Err(Error::Unsupported {
            what: format!("a {other:?} key in a GOST key transport"),
        }),
    }
}

fn keg_size(size: GostKeySize) -> (KegKeySize, VkoHash) {
    match size {
        GostKeySize::Bits256 => (KegKeySize::Bits256, VkoHash::Streebog256),
        GostKeySize::Bits512 => (KegKeySize::Bits512, VkoHash::Streebog512),
    }
}

/// The UKM of KEG: 32 bytes in CMS (the first 24 are used).
fn keg_h(ukm: Option<&OctetString>) -> Result<&[u8]> {
    let h = ukm
        .map(OctetString::as_bytes)
        .ok_or_else(|| malformed("GOST key transport", "no UKM"))?;
    if h.len() != 32 {
        return Err(malformed("GOST key transport", "the UKM is not 32 bytes"));
    }
    Ok(h)
}

/// KEG with the VKO on the carrier, then KImp15 of `wrapped`.
fn keg_kimp15(
    carrier: &dyn Carrier,
    container: &ContainerId,
    sender: &PublicKey,
    h: &[u8],
    block: BlockCipher,
    wrapped: &[u8],
) -> Result<SecretBytes> {
    let (size, hash) = keg_size(gost_key_size(sender)?);
    let vko_ukm = keg_vko_ukm(h).map_err(gost_err("KEG UKM"))?;
    let vko = carrier.agree_key(&KeyAgreement {
        container,
        peer: sender,
        ukm: &vko_ukm,
        hash,
    })?;
    let keys = keg_finish(size, h, vko.expose()).map_err(gost_err("KEG"))?;
    let iv = h
        .get(24..24 + block.iv_len())
        .ok_or_else(|| malformed("GOST key transport", "UKM too short for the IV"))?;
    let cek = kimp15(block, wrapped, &keys, iv).map_err(gost_err("the wrapped content key"))?;
    Ok(SecretBytes::new(cek.as_bytes()))
}

fn kexp15_block(o: &der::asn1::ObjectIdentifier) -> Result<BlockCipher> {
    if *o == oid::TC26_KUZNYECHIK_KEXP15 {
        Ok(BlockCipher::Kuznyechik)
    } else if *o == oid::TC26_MAGMA_KEXP15 {
        Ok(BlockCipher::Magma)
    } else {
        Err(Error::Unsupported {
            what: format!("key wrap {o}"),
        })
    }
}

fn public_key(spki: &SubjectPublicKeyInfoOwned) -> Result<PublicKey> {
    PublicKey::from_spki_der(
        &spki
            .to_der()
            .map_err(|e| Error::malformed_der("ephemeral key", e))?,
    )
}

/// The content key of a KeyTransRecipientInfo with `PSKeyTransport` (KExp15).
pub(crate) fn open_kexp15(
    ktri: &KeyTransRecipientInfo,
    carrier: &dyn Carrier,
    container: &ContainerId,
) -> Result<SecretBytes> {
    let block = kexp15_block(&ktri.key_enc_alg.oid)?;
    let pst = PsKeyTransport::from_der(ktri.enc_key.as_bytes())
        .map_err(|e| Error::malformed_der("PSKeyTransport", e))?;
    let sender = public_key(&pst.ephemeral_public_key)?;
    let h = keg_h(pst.ukm.as_ref())?;
    keg_kimp15(carrier, container, &sender, h, block, pst.psexp.as_bytes())
}

/// The content key of recipient `index` of a GOST KeyAgreeRecipientInfo: KEG with the
/// originator's key and the info's UKM, then KImp15.
pub(crate) fn open_agreement(
    kari: &KeyAgreeRecipientInfo,
    index: usize,
    carrier: &dyn Carrier,
    container: &ContainerId,
    sender_certificate: Option<&[u8]>,
) -> Result<SecretBytes> {
    let block = kexp15_block(&kari.key_enc_alg.oid)?;
    let spki = match &kari.originator {
        OriginatorIdentifierOrKey::OriginatorKey(key) => SubjectPublicKeyInfoOwned {
            algorithm: key.algorithm.clone(),
            subject_public_key: key.public_key.clone(),
        },
        named => {
            let der = sender_certificate.ok_or_else(|| Error::NotFound {
                what: "the sender's certificate (the envelope names a static sender key: open \
                       it with open_from_sender)"
                    .into(),
            })?;
            let cert = x509_cert::Certificate::from_der(der)
                .map_err(|e| Error::malformed_der("sender certificate", e))?;
            if !originator_names(named, &cert) {
                return Err(Error::CertificateMismatch);
            }
            cert.tbs_certificate().subject_public_key_info().clone()
        }
    };
    let sender = public_key(&spki)?;
    let h = keg_h(kari.ukm.as_ref())?;
    let wrapped = kari
        .recipient_enc_keys
        .get(index)
        .ok_or_else(|| malformed("KeyAgreeRecipientInfo", "recipient index"))?;
    keg_kimp15(
        carrier,
        container,
        &sender,
        h,
        block,
        wrapped.enc_key.as_bytes(),
    )
}

/// Whether the originator identifier names `cert`.
fn originator_names(id: &OriginatorIdentifierOrKey, cert: &x509_cert::Certificate) -> bool {
    let tbs = cert.tbs_certificate();
    match id {
        OriginatorIdentifierOrKey::IssuerAndSerialNumber(ias) => {
            ias.issuer == *tbs.issuer() && ias.serial_number == *tbs.serial_number()
        }
        OriginatorIdentifierOrKey::SubjectKeyIdentifier(ski) => {
            crate::recipient::subject_key_id(cert).is_some_and(|k| k == ski.0.as_bytes())
        }
        OriginatorIdentifierOrKey::OriginatorKey(_) => false,
    }
}

/// The content key of a KeyTransRecipientInfo with `GostR3410-KeyTransport` (RFC 4490):
/// VKO with Streebog-256 (GOST 2012 keys, as OpenSSL's gost engine does for both sizes) and
/// the 8-byte UKM, then the CryptoPro key unwrap.
pub(crate) fn open_cryptopro(
    ktri: &KeyTransRecipientInfo,
    carrier: &dyn Carrier,
    container: &ContainerId,
) -> Result<SecretBytes> {
    if ktri.key_enc_alg.oid == oid::GOST_R3410_2001 {
        return Err(Error::Unsupported {
            what: "GOST R 34.10-2001 key transport (VKO with GOST R 34.11-94)".into(),
        });
    }
    let gkt = GostR3410KeyTransport::from_der(ktri.enc_key.as_bytes())
        .map_err(|e| Error::malformed_der("GostR3410-KeyTransport", e))?;
    let params = gkt
        .transport_parameters
        .as_ref()
        .ok_or_else(|| Error::Unsupported {
            what: "GOST key transport without an ephemeral key (static keys)".into(),
        })?;
    let eph = params
        .ephemeral_public_key
        .as_ref()
        .ok_or_else(|| Error::Unsupported {
            what: "GOST key transport without an ephemeral key (static keys)".into(),
        })?;
    let sender = public_key(eph)?;
    let ukm = params.ukm.as_bytes();
    let key = &gkt.session_encrypted_key;
    if ukm.len() != 8
        || key.encrypted_key.as_bytes().len() != 32
        || key.mac_key.as_bytes().len() != 4
    {
        return Err(malformed(
            "GostR3410-KeyTransport",
            "field lengths (UKM 8, key 32, MAC 4)",
        ));
    }
    let kek = carrier.agree_key(&KeyAgreement {
        container,
        peer: &sender,
        ukm,
        hash: VkoHash::Streebog256,
    })?;
    let mut wrapped = Zeroizing::new(Vec::with_capacity(44));
    wrapped.extend_from_slice(ukm);
    wrapped.extend_from_slice(key.encrypted_key.as_bytes());
    wrapped.extend_from_slice(key.mac_key.as_bytes());
    let kek = SecretKey::from_slice(kek.expose()).map_err(gost_err("VKO output"))?;
    let cek = cryptopro_key_unwrap(sbox(&params.encryption_param_set)?, &kek, &wrapped)
        .map_err(gost_err("the wrapped content key"))?;
    Ok(SecretBytes::new(cek.as_bytes()))
}

/// A fresh ephemeral key on the recipient's parameter set, and the recipient's key.
fn ephemeral_for(spki_der: &[u8]) -> Result<(gost::SigningKey, gost::VerifyingKey)> {
    let recipient = gost::VerifyingKey::from_spki_der(spki_der).map_err(Error::from)?;
    let eph = gost::SigningKey::generate(recipient.param_set()).map_err(Error::from)?;
    Ok((eph, recipient))
}

fn eph_spki(eph: &gost::SigningKey) -> Result<SubjectPublicKeyInfoOwned> {
    let der = eph.verifying_key().to_spki_der().map_err(Error::from)?;
    SubjectPublicKeyInfoOwned::from_der(&der).map_err(|e| Error::malformed_der("ephemeral key", e))
}

fn any_of(value: &impl Encode) -> Result<der::Any> {
    der::Any::from_der(
        &value
            .to_der()
            .map_err(|e| Error::malformed_der("parameters", e))?,
    )
    .map_err(|e| Error::malformed_der("parameters", e))
}

/// Protects `cek` for the GOST recipient `spki_der` with KEG and KExp15 (`block` wraps it);
/// returns the key-encryption algorithm and the encrypted key (a `PSKeyTransport`).
pub(crate) fn seal_kexp15(
    spki_der: &[u8],
    block: BlockCipher,
    cek: &[u8],
) -> Result<(AlgorithmIdentifierOwned, Vec<u8>)> {
    let (eph, recipient) = ephemeral_for(spki_der)?;
    let (size, agreement, digest) = match recipient.key_size() {
        GostKeySize::Bits256 => (
            KegKeySize::Bits256,
            oid::TC26_AGREEMENT_GOST_3410_12_256,
            gost::VkoDigest::Streebog256,
        ),
        GostKeySize::Bits512 => (
            KegKeySize::Bits512,
            oid::TC26_AGREEMENT_GOST_3410_12_512,
            gost::VkoDigest::Streebog512,
        ),
    };
    let h: [u8; 32] = crate::random::bytes()?;
    let vko_ukm = keg_vko_ukm(&h).map_err(gost_err("KEG UKM"))?;
    let vko = eph.vko(&recipient, &vko_ukm, digest).map_err(Error::from)?;
    let keys = keg_finish(size, &h, &vko).map_err(gost_err("KEG"))?;
    let iv = h.get(24..24 + block.iv_len()).unwrap_or_default();
    let cek = SecretKey::from_slice(cek).map_err(gost_err("content key"))?;
    let psexp = kexp15(block, &cek, &keys, iv).map_err(gost_err("KExp15"))?;
    let pst = PsKeyTransport {
        psexp: OctetString::new(psexp).map_err(|e| Error::malformed_der("PSEXP", e))?,
        ephemeral_public_key: eph_spki(&eph)?,
        ukm: Some(OctetString::new(h).map_err(|e| Error::malformed_der("UKM", e))?),
    };
    let wrap_oid = match block {
        BlockCipher::Kuznyechik => oid::TC26_KUZNYECHIK_KEXP15,
        _ => oid::TC26_MAGMA_KEXP15,
    };
    let alg = AlgorithmIdentifierOwned {
        oid: wrap_oid,
        parameters: Some(any_of(&KeyWrapParameters { agreement })?),
    };
    Ok((
        alg,
        pst.to_der()
            .map_err(|e| Error::malformed_der("PSKeyTransport", e))?,
    ))
}

/// Protects `cek` for the GOST 2012 recipient `spki` with the CryptoPro key transport
/// (RFC 4490, what `openssl cms -encrypt -gost89` writes): VKO with Streebog-256 and an 8-byte
/// UKM, the CryptoPro key wrap with the TC26 S-box.
pub(crate) fn seal_cryptopro(
    spki: &SubjectPublicKeyInfoOwned,
    cek: &[u8],
) -> Result<(AlgorithmIdentifierOwned, Vec<u8>)> {
    let spki_der = spki
        .to_der()
        .map_err(|e| Error::malformed_der("recipient key", e))?;
    let (eph, recipient) = ephemeral_for(&spki_der)?;
    let ukm: [u8; 8] = crate::random::bytes()?;
    let kek = eph
        .vko(&recipient, &ukm, gost::VkoDigest::Streebog256)
        .map_err(Error::from)?;
    let kek = SecretKey::from_slice(&kek).map_err(gost_err("VKO output"))?;
    let cek = SecretKey::from_slice(cek).map_err(gost_err("content key"))?;
    let wrapped = cryptopro_key_wrap(Gost89Sbox::Tc26Z, &kek, &ukm, &cek)
        .map_err(gost_err("CryptoPro key wrap"))?;
    let part = |r: core::ops::Range<usize>| {
        OctetString::new(wrapped.get(r).unwrap_or_default())
            .map_err(|e| Error::malformed_der("wrapped key", e))
    };
    let gkt = GostR3410KeyTransport {
        session_encrypted_key: Gost28147EncryptedKey {
            encrypted_key: part(8..40)?,
            mask_key: None,
            mac_key: part(40..44)?,
        },
        transport_parameters: Some(GostR3410TransportParameters {
            encryption_param_set: oid::TC26_GOST_28147_PARAM_Z,
            ephemeral_public_key: Some(eph_spki(&eph)?),
            ukm: OctetString::new(ukm).map_err(|e| Error::malformed_der("UKM", e))?,
        }),
    };
    Ok((
        spki.algorithm.clone(),
        gkt.to_der()
            .map_err(|e| Error::malformed_der("GostR3410-KeyTransport", e))?,
    ))
}
