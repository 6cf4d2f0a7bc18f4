//! Challenge-response unblock, both sides (flow U07).
//!
//! The JaCarta procedure banks describe: the token shows a **request** code ("Запрос"), the
//! client dictates it to the bank's support desk, support answers with a **response** code
//! ("Ответ"), the client types it, and the user PIN is set anew. The request is bound to the
//! card session: close the window (or let the card be reset) and a new request is needed.
//!
//! # Scheme
//!
//! * [`UnblockScheme::Tdes`]: the Microsoft smart card minidriver card-admin-key
//!   challenge-response. The card gives an 8-byte challenge (GET CHALLENGE); the response is
//!   the challenge enciphered with the 24-byte card-admin key under 3DES-EDE (three-key,
//!   K1‖K2‖K3) in ECB mode, one block, no padding.
//! * [`UnblockScheme::Aes128`] / [`UnblockScheme::Aes256`]: the same with a 16-byte challenge
//!   and AES-128 / AES-256 in ECB mode, one block (the shape of the minidriver's AES
//!   card-admin keys: one block, no padding, no diversification).
//!
//! The client side: GET CHALLENGE → [`ClientUnblock::request_code`] → the user types the
//! response → [`ClientUnblock::complete`] checks the code, sends EXTERNAL AUTHENTICATE with the
//! card-admin key reference of the [`PinProfile`], then RESET RETRY COUNTER (P1 `02`) with the
//! new user PIN. The bank side: [`BankResponder::respond`].
//!
//! # Codes for dictation
//!
//! Bytes become Crockford base-32 characters `0-9 A-H J K M N P-T V-Z` (no `O`, `I`, `L`,
//! `U`: an `O` heard or typed is a zero, `I`/`L` a one), followed by one check character
//! (Luhn mod 32 over the code's characters), shown in groups of four: an 8-byte value is
//! 13 + 1 characters (`XXXX XXXX XXXX XX`), a 16-byte value 26 + 1. Input is normalised with
//! [`token_core::normalize_code`] (spaces and dashes dropped, lower case and Cyrillic
//! look-alikes accepted). Any single mis-heard or mis-typed character makes the check fail
//! *before* anything reaches the card, so a typo never spends an attempt of the card-admin key.
//!
//! ```
//! use keycarrier_pcsc_apdu::unblock::{decode_code, encode_code};
//! let code = encode_code(&[0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02, 0x03, 0x04]);
//! assert_eq!(code.len(), 17); // 14 characters in groups of 4
//! assert_eq!(*decode_code(&code.to_lowercase(), 8).unwrap(), [0xDE, 0xAD, 0xBE, 0xEF, 1, 2, 3, 4]);
//! ```

use core::fmt;

use aes::cipher::{BlockEncrypt, KeyInit, generic_array::GenericArray};
use token_core::{Approved, CodeAlphabet, Error, Pin, SecretBytes, normalize_code};
use zeroize::Zeroizing;

use crate::CardTransaction;
use crate::pin::{self, PinProfile};

/// The 32 characters of the code, Crockford's base-32 alphabet.
pub const CODE_SYMBOLS: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The alphabet for [`normalize_code`]: digits and the 22 letters of [`CODE_SYMBOLS`]; `O` is
/// read as `0`, `I` and `L` as `1`.
pub const CODE_ALPHABET: CodeAlphabet = CodeAlphabet {
    digits: true,
    letters: "ABCDEFGHJKMNPQRSTVWXYZ",
};

/// Characters per group when a code is shown.
pub const GROUP: usize = 4;

/// The cipher of the card-admin key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnblockScheme {
    /// 3DES-EDE, 24-byte key, 8-byte challenge (Microsoft minidriver card-admin key).
    Tdes,
    /// AES-128, 16-byte key, 16-byte challenge.
    Aes128,
    /// AES-256, 32-byte key, 16-byte challenge.
    Aes256,
}

impl UnblockScheme {
    /// Challenge (and response) length in bytes.
    pub const fn challenge_len(self) -> usize {
        match self {
            Self::Tdes => 8,
            Self::Aes128 | Self::Aes256 => 16,
        }
    }

    /// Key length in bytes.
    pub const fn key_len(self) -> usize {
        match self {
            Self::Tdes => 24,
            Self::Aes128 => 16,
            Self::Aes256 => 32,
        }
    }
}

/// A card-admin key. Zeroized on drop; `Debug` shows only the scheme.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminKey {
    scheme: UnblockScheme,
    key: SecretBytes,
}

impl fmt::Debug for AdminKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AdminKey({:?}, ***)", self.scheme)
    }
}

impl AdminKey {
    /// A key for `scheme`; [`Error::Malformed`] when the length is wrong.
    pub fn new(scheme: UnblockScheme, key: &[u8]) -> Result<Self, Error> {
        if key.len() != scheme.key_len() {
            return Err(Error::Malformed {
                what: "card-admin key",
                at: None,
                reason: format!("{:?} needs {} bytes", scheme, scheme.key_len()),
            });
        }
        Ok(Self {
            scheme,
            key: SecretBytes::new(key),
        })
    }

    /// The scheme.
    pub fn scheme(&self) -> UnblockScheme {
        self.scheme
    }

    /// The response to a challenge: one ECB block under the key.
    pub fn respond(&self, challenge: &[u8]) -> Result<SecretBytes, Error> {
        if challenge.len() != self.scheme.challenge_len() {
            return Err(Error::Malformed {
                what: "challenge",
                at: None,
                reason: format!(
                    "{:?} needs {} bytes",
                    self.scheme,
                    self.scheme.challenge_len()
                ),
            });
        }
        let bad_key = |_| Error::Malformed {
            what: "card-admin key",
            at: None,
            reason: "wrong length".into(),
        };
        let mut block = challenge.to_vec();
        match self.scheme {
            UnblockScheme::Tdes => {
                let c = des::TdesEde3::new_from_slice(self.key.expose()).map_err(bad_key)?;
                c.encrypt_block(GenericArray::from_mut_slice(&mut block));
            }
            UnblockScheme::Aes128 => {
                let c = aes::Aes128::new_from_slice(self.key.expose()).map_err(bad_key)?;
                c.encrypt_block(GenericArray::from_mut_slice(&mut block));
            }
            UnblockScheme::Aes256 => {
                let c = aes::Aes256::new_from_slice(self.key.expose()).map_err(bad_key)?;
                c.encrypt_block(GenericArray::from_mut_slice(&mut block));
            }
        }
        Ok(SecretBytes::from_vec(block))
    }
}

fn symbol_value(c: u8) -> Option<usize> {
    CODE_SYMBOLS.iter().position(|s| *s == c)
}

/// Luhn mod 32 check character over code characters (all in [`CODE_SYMBOLS`]).
fn check_symbol(chars: &[u8]) -> u8 {
    const N: usize = 32;
    let mut sum = 0usize;
    let mut double = true;
    for c in chars.iter().rev() {
        let v = symbol_value(*c).unwrap_or(0);
        let mut addend = if double { v * 2 } else { v };
        addend = addend / N + addend % N;
        sum += addend;
        double = !double;
    }
    let check = (N - sum % N) % N;
    CODE_SYMBOLS.get(check).copied().unwrap_or(b'0')
}

/// Encodes bytes as a dictation code: base-32 characters, a check character, groups of four
/// separated by spaces. Zeroized on drop: a response code is a secret.
pub fn encode_code(bytes: &[u8]) -> Zeroizing<String> {
    let mut chars = Zeroizing::new(Vec::with_capacity(code_chars(bytes.len()) + 1));
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for b in bytes {
        acc = (acc << 8) | u32::from(*b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            let idx = ((acc >> bits) & 0x1F) as usize;
            chars.push(CODE_SYMBOLS.get(idx).copied().unwrap_or(b'0'));
        }
        acc &= (1 << bits) - 1;
    }
    if bits > 0 {
        let idx = ((acc << (5 - bits)) & 0x1F) as usize;
        chars.push(CODE_SYMBOLS.get(idx).copied().unwrap_or(b'0'));
    }
    let check = check_symbol(&chars);
    chars.push(check);
    let mut out = Zeroizing::new(String::with_capacity(chars.len() + chars.len() / GROUP));
    for (i, c) in chars.iter().enumerate() {
        if i > 0 && i % GROUP == 0 {
            out.push(' ');
        }
        out.push(char::from(*c));
    }
    out
}

/// Number of code characters (without the check character) for `len` bytes.
pub const fn code_chars(len: usize) -> usize {
    (len * 8).div_ceil(5)
}

fn code_error(reason: &str, at: Option<usize>) -> Error {
    Error::Malformed {
        what: "unblock code",
        at,
        reason: reason.into(),
    }
}

/// Decodes a typed or dictated code of `len` bytes. Errors ([`Error::Malformed`]) name what
/// is wrong — a foreign character (with its position), the wrong number of characters, or a
/// failed check character (a character mis-heard or mis-typed) — never the code itself. The
/// bytes are zeroized on drop (a response code is a secret).
pub fn decode_code(text: &str, len: usize) -> Result<Zeroizing<Vec<u8>>, Error> {
    let norm = normalize_code(text, &CODE_ALPHABET)?;
    let chars = norm.as_bytes();
    let want = code_chars(len) + 1;
    if chars.len() != want {
        return Err(code_error(
            &format!("{} characters instead of {want}", chars.len()),
            None,
        ));
    }
    let (body, check) = chars.split_at(want - 1);
    if check.first().copied() != Some(check_symbol(body)) {
        return Err(code_error(
            "the check character does not match: a character was mis-heard or mis-typed",
            None,
        ));
    }
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    for (i, c) in body.iter().enumerate() {
        let v = symbol_value(*c).ok_or_else(|| code_error("foreign character", Some(i + 1)))?;
        acc = (acc << 5) | v as u32;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xFF) as u8);
        }
        acc &= (1 << bits) - 1;
    }
    if acc != 0 || out.len() != len {
        return Err(code_error("not a code of this length", None));
    }
    Ok(out)
}

/// The client side of U07, between showing the request and typing the response. Dropping it is
/// "closing the window": the response for its challenge is then useless (a new
/// [`ClientUnblock::begin`] asks the card for a new challenge, which voids the old one).
#[derive(Clone)]
pub struct ClientUnblock {
    profile: PinProfile,
    scheme: UnblockScheme,
    challenge: Vec<u8>,
    /// [`CardTransaction::reset_count`] when the challenge was taken.
    reset_count: u64,
}

impl fmt::Debug for ClientUnblock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientUnblock")
            .field("profile", &self.profile.name)
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl ClientUnblock {
    /// GET CHALLENGE from the card (after SELECT of the profile's application).
    pub fn begin(
        tx: &mut dyn CardTransaction,
        profile: &PinProfile,
        scheme: UnblockScheme,
    ) -> Result<Self, Error> {
        pin::select(tx, profile)?;
        let challenge = pin::get_challenge(tx, profile, scheme.challenge_len())?;
        Ok(Self {
            profile: *profile,
            scheme,
            challenge,
            reset_count: tx.reset_count(),
        })
    }

    /// The request code to show and dictate ("Запрос"). The challenge is not secret.
    pub fn request_code(&self) -> String {
        String::from(encode_code(&self.challenge).as_str())
    }

    /// Checks the response code the user typed ("Ответ") without touching the card:
    /// [`Error::Malformed`] for a typo.
    pub fn check_response_code(&self, response_code: &str) -> Result<(), Error> {
        decode_code(response_code, self.scheme.challenge_len()).map(|_| ())
    }

    /// Checks the response code and the new PIN's length, EXTERNAL AUTHENTICATEs with the
    /// response and sets the new user PIN (RESET RETRY COUNTER, P1 `02`). Consumes the session:
    /// one response, one try. A typo in the code or a PIN of the wrong length
    /// ([`Error::PinLengthRange`]) is refused before anything reaches the card.
    ///
    /// No SELECT here: the application was selected in [`Self::begin`], and a strict card may
    /// void its challenge on a new SELECT.
    ///
    /// If the card was reset since [`Self::begin`] (this transaction found a reset, or
    /// [`CardTransaction::reset_count`] moved since `begin`, also through a reset another
    /// transaction found), its challenge is gone: refused with [`Error::NotAllowed`] (request
    /// a new code) without sending EXTERNAL AUTHENTICATE, so no try of the card-admin key is
    /// spent on a dead challenge. A wrong response is [`Error::VerificationFailed`].
    pub fn complete(
        self,
        tx: &mut dyn CardTransaction,
        response_code: &str,
        new_pin: &Approved<Pin>,
    ) -> Result<(), Error> {
        let response = SecretBytes::new(&decode_code(response_code, self.scheme.challenge_len())?);
        let block = self.profile.block(new_pin.expose())?;
        if tx.was_reset() || tx.reset_count() != self.reset_count {
            return Err(Error::NotAllowed {
                reason: "the card was reset since the request was made: request a new code".into(),
            });
        }
        pin::external_authenticate(tx, &self.profile, &response)?;
        pin::reset_user_pin_block(tx, &self.profile, block)
    }
}

/// The bank side of U07: computes the response code from a dictated request code and the
/// card's admin key.
#[derive(Debug, Clone)]
pub struct BankResponder {
    key: AdminKey,
}

impl BankResponder {
    /// A responder for one card's admin key.
    pub fn new(key: AdminKey) -> Self {
        Self { key }
    }

    /// The response code for a request code; [`Error::Malformed`] when the request was
    /// mis-heard (check character) or has the wrong length for the key's scheme.
    pub fn respond(&self, request_code: &str) -> Result<Zeroizing<String>, Error> {
        let challenge = decode_code(request_code, self.key.scheme().challenge_len())?;
        let response = self.key.respond(&challenge)?;
        Ok(encode_code(response.expose()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_grouping() {
        for len in [1usize, 5, 8, 16, 32] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let code = encode_code(&bytes);
            assert!(code.split(' ').all(|g| g.len() <= GROUP));
            assert!(!code.contains('O') && !code.contains('I') && !code.contains('L'));
            assert_eq!(*decode_code(&code, len).unwrap(), bytes);
            assert_eq!(*decode_code(&code.replace(' ', "-"), len).unwrap(), bytes);
        }
        assert_eq!(encode_code(&[0; 8]).as_str(), "0000 0000 0000 00");
    }

    #[test]
    fn every_single_misheard_character_is_caught() {
        let bytes = [0x3C, 0xA5, 0x00, 0xFF, 0x12, 0x9E, 0x47, 0xB1];
        let code: Vec<u8> = encode_code(&bytes).bytes().filter(|b| *b != b' ').collect();
        for i in 0..code.len() {
            for s in CODE_SYMBOLS {
                if code[i] == *s {
                    continue;
                }
                let mut bad = code.clone();
                bad[i] = *s;
                let text = String::from_utf8(bad).unwrap();
                assert!(decode_code(&text, 8).is_err(), "{text} passed");
            }
        }
    }

    #[test]
    fn o_is_zero_and_cyrillic_is_accepted() {
        let bytes = [0u8; 8];
        let code = encode_code(&bytes);
        assert_eq!(*decode_code(&code.replace('0', "O"), 8).unwrap(), bytes);
        assert_eq!(*decode_code(&code.replace('0', "о"), 8).unwrap(), bytes);
        let err = decode_code("0000 0000 0000 0U", 8).unwrap_err();
        assert!(matches!(err, Error::Malformed { at: Some(14), .. }));
        assert!(decode_code("0000 0000 0000", 8).is_err());
    }

    #[test]
    fn tdes_known_answer() {
        // K1 = K2 = K3 reduces 3DES-EDE to single DES: FIPS 81 / classic test vector
        // DES(133457799BBCDFF1, 0123456789ABCDEF) = 85E813540F0AB405.
        let k = [0x13, 0x34, 0x57, 0x79, 0x9B, 0xBC, 0xDF, 0xF1];
        let key = AdminKey::new(UnblockScheme::Tdes, &[k, k, k].concat()).unwrap();
        let r = key
            .respond(&[0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF])
            .unwrap();
        assert_eq!(
            r.expose(),
            &[0x85, 0xE8, 0x13, 0x54, 0x0F, 0x0A, 0xB4, 0x05]
        );
        assert!(!format!("{key:?}").contains("13"));
    }

    #[test]
    fn tdes_known_answer_three_distinct_keys() {
        // Three different keys, so a wrong key order (K3‖K2‖K1, or K1 and K2 swapped) or a
        // two-key reading fails. NIST SP 800-67 rev. 1 example; the same value from
        //   printf 'The qufc' | openssl enc -des-ede3 -nopad \
        //     -K 0123456789ABCDEF23456789ABCDEF01456789ABCDEF0123 | xxd -p
        //   → a826fd8ce53b855f
        let key = AdminKey::new(
            UnblockScheme::Tdes,
            &[
                0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD,
                0xEF, 0x01, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF, 0x01, 0x23,
            ],
        )
        .unwrap();
        let r = key.respond(b"The qufc").unwrap();
        assert_eq!(
            r.expose(),
            &[0xA8, 0x26, 0xFD, 0x8C, 0xE5, 0x3B, 0x85, 0x5F]
        );
    }

    #[test]
    fn aes_known_answer() {
        // FIPS 197 appendix C.1.
        let key: Vec<u8> = (0u8..16).collect();
        let pt = [
            0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xAA, 0xBB, 0xCC, 0xDD,
            0xEE, 0xFF,
        ];
        let r = AdminKey::new(UnblockScheme::Aes128, &key)
            .unwrap()
            .respond(&pt)
            .unwrap();
        assert_eq!(
            r.expose(),
            &[
                0x69, 0xC4, 0xE0, 0xD8, 0x6A, 0x7B, 0x04, 0x30, 0xD8, 0xCD, 0xB7, 0x80, 0x70, 0xB4,
                0xC5, 0x5A
            ]
        );
        assert!(AdminKey::new(UnblockScheme::Aes256, &key).is_err());
    }

    #[test]
    fn responder_refuses_a_misheard_request() {
        let key = AdminKey::new(UnblockScheme::Tdes, &[7; 24]).unwrap();
        let bank = BankResponder::new(key);
        let req = encode_code(&[1, 2, 3, 4, 5, 6, 7, 8]);
        assert!(bank.respond(&req).is_ok());
        let mut bad = req.as_bytes().to_vec();
        bad[0] = if bad[0] == b'1' { b'2' } else { b'1' };
        assert!(bank.respond(&String::from_utf8(bad).unwrap()).is_err());
    }
}
