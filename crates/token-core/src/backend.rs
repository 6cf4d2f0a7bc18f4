//! The traits every carrier backend implements: the PKCS#11 backend, the soft token, a PC/SC
//! card. Code above them (requests, CMS, rotation) is written only against these.
//!
//! One handle per opened carrier ([`Carrier`]), with verbs in the user's terms. A backend:
//! * checks [`PinStatus::guard`] before sending any PIN (flow U08);
//! * accepts new PINs only as [`Approved`] (checked by a [`PinPolicy`], flow U04);
//! * runs [`SignRequest::confirm`] before it touches the key (flow U15);
//! * checks its [`CancelToken`] between generation steps and reports [`Progress`] (flow U09).

use crate::{
    AdminPin, Approved, CancelToken, CarrierInfo, ContainerId, ContainerInfo, Error, FinalTry,
    KeyAgreement, KeyDecryption, KeyImport, NewContainer, Pin, PinRole, PinStatus, ProgressSink,
    Result, SecretBytes, SignatureScheme,
};

/// What is handed to the carrier to sign.
#[derive(Debug, Clone, Copy)]
pub enum SignInput<'a> {
    /// The message; the backend hashes it with the scheme's digest (on the host or the token).
    Message(&'a [u8]),
    /// A digest already computed with the scheme's digest algorithm, as the hash outputs it.
    Digest(&'a [u8]),
}

/// The answer of a confirmation hook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead and sign.
    Approve,
    /// Do not sign; the call fails with [`Error::Rejected`] and has no side effect.
    Reject,
}

/// A confirmation step shown before a key is used (flow U15: SafeTouch shows the document and
/// the user presses Confirm or Reject).
///
/// ```
/// use keycarrier_token_core::{Confirm, Decision, SignRequest};
/// struct AskUser;
/// impl Confirm for AskUser {
///     fn confirm(&self, request: &SignRequest<'_>) -> Decision {
///         // A real GUI shows request.description and waits for a click.
///         if request.description.is_some() { Decision::Approve } else { Decision::Reject }
///     }
/// }
/// ```
pub trait Confirm: Send + Sync {
    /// Decide on one signing request.
    fn confirm(&self, request: &SignRequest<'_>) -> Decision;
}

/// One signing call: which key, which scheme, what, and how to confirm.
#[derive(Clone, Copy)]
pub struct SignRequest<'a> {
    /// The container whose key signs.
    pub container: &'a ContainerId,
    /// The scheme; must fit the container's key.
    pub scheme: SignatureScheme,
    /// The message or digest.
    pub input: SignInput<'a>,
    /// What the user is asked to confirm, in words ("Payment order 118 for 15 000.00 RUB").
    pub description: Option<&'a str>,
    /// The confirmation hook, if the application requires one.
    pub confirmation: Option<&'a dyn Confirm>,
}

impl core::fmt::Debug for SignRequest<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("SignRequest")
            .field("container", self.container)
            .field("scheme", &self.scheme)
            .field("description", &self.description)
            .field("confirmation", &self.confirmation.is_some())
            .finish_non_exhaustive()
    }
}

impl<'a> SignRequest<'a> {
    /// A request to sign a message with no confirmation step.
    pub fn message(container: &'a ContainerId, scheme: SignatureScheme, message: &'a [u8]) -> Self {
        Self {
            container,
            scheme,
            input: SignInput::Message(message),
            description: None,
            confirmation: None,
        }
    }

    /// A request to sign a precomputed digest with no confirmation step.
    pub fn digest(container: &'a ContainerId, scheme: SignatureScheme, digest: &'a [u8]) -> Self {
        Self {
            container,
            scheme,
            input: SignInput::Digest(digest),
            description: None,
            confirmation: None,
        }
    }

    /// Runs the confirmation hook, if any. Backends call this before touching the key.
    pub fn confirm(&self) -> Result<()> {
        match self.confirmation.map(|hook| hook.confirm(self)) {
            Some(Decision::Reject) => Err(Error::Rejected),
            Some(Decision::Approve) | None => Ok(()),
        }
    }

    /// Checks that a digest input has the length of the scheme's digest.
    pub fn check_digest_len(&self) -> Result<()> {
        let want = self.scheme.digest().output_len();
        match self.input {
            SignInput::Digest(d) if d.len() != want => Err(Error::Malformed {
                what: "digest",
                at: None,
                reason: format!(
                    "{} bytes given, {want} expected for {:?}",
                    d.len(),
                    self.scheme.digest()
                ),
            }),
            _ => Ok(()),
        }
    }
}

/// An opened key carrier (token, card, soft token) and what can be done with it.
///
/// Methods take `&self` where the operation does not change the carrier's state as the user
/// sees it (reading, signing), so one handle can serve many signing threads when the backend
/// allows it.
pub trait Carrier {
    /// Model, serial, label, blank or not, memory (flow U01).
    fn info(&self) -> Result<CarrierInfo>;

    /// Retry counters and flags of one PIN, read without spending an attempt (flow U08).
    fn pin_status(&self, role: PinRole) -> Result<PinStatus>;

    /// Logs in as the key owner. Refuses the final try unless `final_try` allows it.
    fn login(&mut self, pin: &Pin, final_try: FinalTry) -> Result<()>;

    /// Logs in as the administrator. Refuses the final try unless `final_try` allows it.
    fn login_admin(&mut self, pin: &AdminPin, final_try: FinalTry) -> Result<()>;

    /// Logs out whoever is logged in. Logging out when nobody is logged in is fine.
    fn logout(&mut self) -> Result<()>;

    /// Changes the user PIN (flow U05).
    fn change_pin(&mut self, old: &Pin, new: &Approved<Pin>, final_try: FinalTry) -> Result<()>;

    /// Changes the administrator PIN (flow U05).
    fn change_admin_pin(
        &mut self,
        old: &AdminPin,
        new: &Approved<AdminPin>,
        final_try: FinalTry,
    ) -> Result<()>;

    /// Sets a new user PIN with the administrator PIN, unblocking it (flow U06). Keys and
    /// certificates stay.
    fn reset_pin(
        &mut self,
        admin: &AdminPin,
        new_user_pin: &Approved<Pin>,
        final_try: FinalTry,
    ) -> Result<()>;

    /// Whether [`Carrier::unblock_pin`] is available: the carrier can unblock the user PIN
    /// with the administrator PIN *keeping* the user PIN (a vendor function such as Rutoken's
    /// `C_EX_UnblockUserPIN`). Standard PKCS#11 has no such call; callers then offer
    /// [`Carrier::reset_pin`] instead. The default is `false`.
    fn can_unblock_pin(&self) -> bool {
        false
    }

    /// Unblocks the user PIN with the administrator PIN, keeping it (flow U06, vendor unblock):
    /// the retry counter is reset and the user logs in with the PIN they had. Unlike
    /// [`Carrier::reset_pin`], no new PIN is set. Refuses the administrator's final try unless
    /// `final_try` allows it.
    ///
    /// Carriers without such a function return [`Error::Unsupported`] without touching the
    /// carrier (no PIN is sent); see [`Carrier::can_unblock_pin`]. That is the default.
    fn unblock_pin(&mut self, admin: &AdminPin, final_try: FinalTry) -> Result<()> {
        let _ = (admin, final_try);
        Err(Error::Unsupported {
            what: "unblocking the user PIN while keeping it, on this carrier (reset_pin sets \
                   a new one)"
                .into(),
        })
    }

    /// All containers (flow U02).
    fn containers(&self) -> Result<Vec<ContainerInfo>>;

    /// One container.
    fn container(&self, id: &ContainerId) -> Result<ContainerInfo> {
        self.containers()?
            .into_iter()
            .find(|c| &c.id == id)
            .ok_or_else(|| Error::NotFound {
                what: format!("container {id}"),
            })
    }

    /// Deletes a container: its keys and certificates (flow U02, "partial cleaning").
    fn delete_container(&mut self, id: &ContainerId) -> Result<()>;

    /// Erases everything on the carrier with the administrator PIN, keeping the label unless a
    /// new one is given (flow U02, "full cleaning"). The user PIN must be set again afterwards.
    fn wipe(&mut self, admin: &AdminPin, new_label: Option<&str>) -> Result<()>;

    /// Generates a key pair into a new container (flow U09), reporting progress and stopping
    /// when `cancel` is triggered (leaving no half-made container). A carrier may refuse new
    /// keys in its present state with [`Error::NotAllowed`]; the soft token does while its
    /// admin PIN is a vendor default (so does [`Carrier::import`]).
    fn generate(
        &mut self,
        spec: &NewContainer,
        progress: &mut dyn ProgressSink,
        cancel: &CancelToken,
    ) -> Result<ContainerInfo>;

    /// [`Carrier::generate`] without progress reports and without a way to cancel: for
    /// programs that simply wait.
    ///
    /// ```no_run
    /// # fn f(token: &mut dyn keycarrier_token_core::Carrier) -> keycarrier_token_core::Result<()> {
    /// use keycarrier_token_core::{GostParamSet, KeyAlgorithm, NewContainer};
    /// let spec = NewContainer::new("Signing key", KeyAlgorithm::Gost(GostParamSet::Tc26_256A));
    /// let container = token.generate_key(&spec)?;
    /// # let _ = container; Ok(()) }
    /// ```
    fn generate_key(&mut self, spec: &NewContainer) -> Result<ContainerInfo> {
        self.generate(spec, &mut crate::NoProgress, &CancelToken::new())
    }

    /// Imports a private key with its certificates into a new container (flow U03). Either
    /// everything is written or nothing.
    fn import(&mut self, key: KeyImport) -> Result<ContainerInfo>;

    /// Writes a certificate into an existing container (flow U12). The caller has checked that
    /// it matches the key; backends check again and refuse a mismatch.
    fn write_certificate(&mut self, id: &ContainerId, certificate_der: &[u8]) -> Result<()>;

    /// Signs. Returns the signature as X.509 and CMS carry it: `s ‖ r` for GOST, the PKCS#1 /
    /// PSS octets for RSA, the DER `Ecdsa-Sig-Value` for ECDSA. Runs the request's confirmation hook first (flow U15).
    fn sign(&self, request: &SignRequest<'_>) -> Result<Vec<u8>>;

    /// Decrypts an RSA-encrypted content-encryption key with the container's private key, on
    /// the carrier (flow U17). Needs a login, like signing. A damaged OAEP ciphertext is
    /// [`Error::VerificationFailed`], without saying which check failed. For PKCS#1 v1.5 a
    /// carrier may instead answer a bad padding with a pseudo-random key (implicit rejection,
    /// as the soft token does: no padding oracle at all); the content cipher then refuses that
    /// key, so callers never see plaintext either way.
    ///
    /// Carriers that cannot decrypt return [`Error::Unsupported`]; that is the default.
    fn decrypt_key(&self, request: &KeyDecryption<'_>) -> Result<SecretBytes> {
        let _ = request;
        Err(Error::Unsupported {
            what: "decrypting with a container's key on this carrier".into(),
        })
    }

    /// Computes a GOST VKO shared key with the container's private key, on the carrier (flow
    /// U17): the first step of opening a GOST envelope. Needs a login, like signing.
    ///
    /// Carriers that cannot agree keys return [`Error::Unsupported`]; that is the default.
    fn agree_key(&self, request: &KeyAgreement<'_>) -> Result<SecretBytes> {
        let _ = request;
        Err(Error::Unsupported {
            what: "GOST key agreement (VKO) with a container's key on this carrier".into(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Always(Decision);
    impl Confirm for Always {
        fn confirm(&self, _: &SignRequest<'_>) -> Decision {
            self.0
        }
    }

    #[test]
    fn confirmation_hook_decides() {
        let id = ContainerId::new(vec![1]);
        let mut req = SignRequest::message(&id, SignatureScheme::Gost256, b"order");
        assert!(req.confirm().is_ok());
        let reject = Always(Decision::Reject);
        req.confirmation = Some(&reject);
        assert!(matches!(req.confirm(), Err(Error::Rejected)));
        let approve = Always(Decision::Approve);
        req.confirmation = Some(&approve);
        assert!(req.confirm().is_ok());
    }

    #[test]
    fn digest_length_is_checked() {
        let id = ContainerId::new(vec![1]);
        let ok = [0u8; 32];
        let short = [0u8; 31];
        assert!(
            SignRequest::digest(&id, SignatureScheme::Gost256, &ok)
                .check_digest_len()
                .is_ok()
        );
        assert!(
            SignRequest::digest(&id, SignatureScheme::Gost256, &short)
                .check_digest_len()
                .is_err()
        );
        assert!(
            SignRequest::digest(&id, SignatureScheme::Gost512, &ok)
                .check_digest_len()
                .is_err()
        );
        assert!(
            SignRequest::message(&id, SignatureScheme::Gost512, &short)
                .check_digest_len()
                .is_ok()
        );
    }
}
