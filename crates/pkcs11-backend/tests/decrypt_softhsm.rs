//! RSA key transport opened on SoftHSM2 through `Carrier::decrypt_key` (`C_Decrypt` with
//! CKM_RSA_PKCS and CKM_RSA_PKCS_OAEP), the ciphertexts made by `openssl pkeyutl -encrypt`.
//! SoftHSM 2.6 knows OAEP with SHA-1 only; the other hashes must fail with its CKR as evidence.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code

mod common;
mod envelope;

#[test]
fn u17_rsa_key_transport_opens_on_softhsm() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("decrypt");
    let dir = tempfile::tempdir().unwrap();
    // SoftHSM 2.6 implements OAEP with SHA-1 only (CKR_ARGUMENTS_BAD otherwise).
    envelope::rsa_round(&mut c, dir.path(), true);
}
