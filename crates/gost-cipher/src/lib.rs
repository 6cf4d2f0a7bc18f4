//! The GOST symmetric primitives of CMS EnvelopedData and EncryptedData, each checked against
//! the standards' own examples: what the envelope layer needs to open a document a Russian
//! bank or its client encrypted, and to encrypt one that CryptoPro CSP, OpenSSL's gost engine
//! or a TC26-conformant peer can open.
//!
//! ```
//! use keycarrier_gost_cipher::{
//!     decrypt, kexp15, kimp15, BlockCipher, ContentCipher, ContentEncryptor, ExportKeys, SecretKey,
//! };
//!
//! // The sender: a fresh content-encryption key, the document encrypted in pieces.
//! let cek = SecretKey::from_array([0x42; 32]); // from a CSPRNG in real code
//! let ukm = [7u8; 16]; // IV ‖ seed, random per message
//! let mode = ContentCipher::KuznyechikCtrAcpkmOmac;
//! let mut enc = ContentEncryptor::new(mode, &cek, &ukm)?;
//! let mut document = b"payment order 42: 1000 roubles".to_vec();
//! enc.encrypt(&mut document);
//! let tag = enc.finish();
//!
//! // The CEK travels wrapped under export keys (from KEG in CMS).
//! let keys = ExportKeys::from_keg_output(&[0x11; 64])?;
//! let wrapped = kexp15(BlockCipher::Kuznyechik, &cek, &keys, &[1; 8])?;
//!
//! // The recipient: unwrap, then decrypt; plaintext only once the tag verified.
//! let cek2 = kimp15(BlockCipher::Kuznyechik, &wrapped, &keys, &[1; 8])?;
//! let plain = decrypt(mode, &cek2, &ukm, &document, tag.as_deref())?;
//! assert_eq!(plain.as_slice(), b"payment order 42: 1000 roubles");
//! # Ok::<(), keycarrier_gost_cipher::Error>(())
//! ```
//!
//! # What is here
//!
//! | item | standard |
//! | --- | --- |
//! | [`kdf_256`], [`kdf_tree_256`] | KDF_GOSTR3411_2012_256, KDF_TREE_GOSTR3411_2012_256 (RFC 7836 §4.4–4.5) |
//! | [`CtrAcpkm`] | CTR and CTR-ACPKM (GOST R 34.13-2015 §5.2, RFC 8645 §6.2.2) for Kuznyechik and Magma |
//! | [`Omac`] | OMAC = CMAC (GOST R 34.13-2015 §5.6) |
//! | [`ContentCipher`], [`ContentEncryptor`], [`ContentDecryptor`], [`decrypt`] | CMS content encryption `*-ctracpkm` and `*-ctracpkm-omac` (R 1323565.1.025-2019 as gost-engine does it) |
//! | [`kexp15`], [`kimp15`], [`ExportKeys`] | KExp15 / KImp15 (R 1323565.1.017-2018, RFC 9189 §8.2.2) |
//! | [`keg`], [`keg_vko_ukm`], [`keg_finish`] | KEG (R 1323565.1.020-2018, RFC 9189 §8.2.1), with the VKO step wherever the private key lives |
//! | [`gost89`] | GOST 28147-89 CFB with CryptoPro key meshing, the 28147 MAC, CryptoPro key diversification and key wraps (RFC 4357, RFC 4490) |
//!
//! The crate has no VKO of its own and depends on no other workspace crate: KEG takes the VKO
//! output (from `gost::SigningKey::vko`, or from a token's `C_DeriveKey`), so a private key can
//! stay on its token while the host does the rest.
//!
//! # Secrets and side channels
//!
//! Keys are [`SecretKey`] (zeroized on drop, never printed, compared in constant time);
//! intermediate keys and keystream buffers are zeroized too. MACs and wrapped keys are checked
//! in constant time, and a failed check returns [`Error::Integrity`] and nothing decrypted.
//! The block ciphers (RustCrypto `kuznyechik`, `magma`, and this crate's 16-round MAC function
//! on `magma`'s S-box) and Streebog compute with table lookups, as OpenSSL's gost engine does:
//! they are not cache-timing hardened.
//!
//! # Doubts
//!
//! The CMS section lengths of CTR-ACPKM ([`ContentCipher::section_len`]: 256 KiB for
//! Kuznyechik, 8 KiB for Magma) are the values gost-engine sets when it reads CMS parameters;
//! its 3.0.1 release then rekeys every 4 KiB / 1 KiB instead, so no independent example checks
//! content longer than that. ACPKM itself is checked against RFC 8645's examples.

mod acpkm;
mod block;
mod content;
mod error;
pub mod gost89;
mod kdf;
mod keg;
mod kexp15;
mod key;
mod omac;

pub use acpkm::CtrAcpkm;
pub use block::BlockCipher;
pub use content::{ContentCipher, ContentDecryptor, ContentEncryptor, KDF_SEED_LEN, decrypt};
pub use error::{Error, Result};
pub use kdf::{kdf_256, kdf_tree_256};
pub use keg::{KEG_H_MIN_LEN, KegKeySize, keg, keg_finish, keg_vko_ukm};
pub use kexp15::{ExportKeys, kexp15, kimp15, wrapped_len};
pub use key::SecretKey;
pub use omac::Omac;
