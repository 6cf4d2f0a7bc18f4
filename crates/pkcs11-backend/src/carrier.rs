//! [`Pkcs11Carrier`]: one token in one slot, as a token-core [`Carrier`].

mod decrypt;
mod import;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;

use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::vendor_defined::VendorDefinedMechanism;
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{
    Attribute, AttributeType, CertificateType, KeyType, ObjectClass, ObjectHandle,
};
use cryptoki::session::{Session, UserType};
use cryptoki::slot::TokenInfo;
use cryptoki::types::{AuthPin, RawAuthPin, Ulong};
use sha2::{Digest as _, Sha256};
use token_core::{
    AdminPin, Approved, CancelToken, Carrier, CarrierInfo, ContainerId, ContainerInfo, Error,
    FinalTry, GostKeySize, KeyAgreement, KeyAlgorithm, KeyDecryption, KeyImport, NewContainer, Pin,
    PinRole, PinStatus, Progress, ProgressSink, PublicKey, Result, SecretBytes, SignInput,
    SignRequest, SignatureScheme, Stage,
};

use crate::convert::{self, sha256_digest_info};
use crate::error::{ck, ck_as, from_cryptoki, is_ckr, map_ckr};
use crate::module::{Module, carrier_info};
use crate::raw::RawAttribute;
use crate::session::SessionPool;

/// PKCS#11 numbers cryptoki 0.12 has no typed names for (reference gost.md §6), typed with
/// `cryptoki-sys`'s `CK_*` aliases (`CK_ULONG` is 32 bits where `c_ulong` is).
pub mod consts {
    use cryptoki_sys::{CK_ATTRIBUTE_TYPE, CK_KEY_TYPE, CK_MECHANISM_TYPE};

    /// `CKK_GOSTR3410` (256-bit GOST R 34.10 keys, 2001 and 2012).
    pub const CKK_GOSTR3410: CK_KEY_TYPE = 0x30;
    /// `CKK_GOSTR3410_512` (TC26 vendor key type).
    pub const CKK_GOSTR3410_512: CK_KEY_TYPE = 0xD432_1003;
    /// `CKM_GOSTR3410_KEY_PAIR_GEN`.
    pub const CKM_GOSTR3410_KEY_PAIR_GEN: CK_MECHANISM_TYPE = 0x1200;
    /// `CKM_GOSTR3410`: sign a 32-byte digest, `s ‖ r` out.
    pub const CKM_GOSTR3410: CK_MECHANISM_TYPE = 0x1201;
    /// `CKM_GOSTR3410_512_KEY_PAIR_GEN` (TC26).
    pub const CKM_GOSTR3410_512_KEY_PAIR_GEN: CK_MECHANISM_TYPE = 0xD432_1005;
    /// `CKM_GOSTR3410_512`: sign a 64-byte digest (TC26).
    pub const CKM_GOSTR3410_512: CK_MECHANISM_TYPE = 0xD432_1006;
    /// `CKM_GOSTR3410_WITH_GOSTR3411_12_256`: hash with Streebog-256 on the token, then sign.
    pub const CKM_GOSTR3410_WITH_GOSTR3411_12_256: CK_MECHANISM_TYPE = 0xD432_1008;
    /// `CKM_GOSTR3410_WITH_GOSTR3411_12_512`.
    pub const CKM_GOSTR3410_WITH_GOSTR3411_12_512: CK_MECHANISM_TYPE = 0xD432_1009;
    /// `CKA_GOSTR3410_PARAMS`: DER OID of the curve.
    pub const CKA_GOSTR3410_PARAMS: CK_ATTRIBUTE_TYPE = 0x250;
    /// `CKA_GOSTR3411_PARAMS`: DER OID of the Streebog variant.
    pub const CKA_GOSTR3411_PARAMS: CK_ATTRIBUTE_TYPE = 0x251;
}

use consts::*;
use cryptoki_sys::{CK_ATTRIBUTE_TYPE, CK_FLAGS, CK_KEY_TYPE, CK_MECHANISM_TYPE, CK_ULONG};

/// Which kind of private key a container holds, as far as signing is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyKind {
    Rsa,
    Gost256,
    Gost512,
    Ec,
}

/// Options of a [`Pkcs11Carrier`].
#[derive(Debug, Clone, Copy, Default)]
pub struct CarrierOptions {
    /// Hash messages on the token (`CKM_SHA256_RSA_PKCS`, `CKM_SHA256_RSA_PKCS_PSS`, the GOST
    /// with-Streebog mechanisms) when it offers the mechanism, instead of hashing on the host.
    /// ECDSA always hashes on the host.
    pub hash_on_token: bool,
    /// At most this many sessions open on the token at once (signing threads beyond it wait
    /// for a free session, up to 30 s). The token's own `ulMaxRwSessionCount` caps the pool
    /// too, where it reports one; `None` leaves only that limit.
    pub max_sessions: Option<usize>,
}

/// One token in one slot of a PKCS#11 module. `Send + Sync`: share `&Pkcs11Carrier` between
/// signing threads; each call takes a session of its own from an internal pool.
#[derive(Debug)]
pub struct Pkcs11Carrier {
    pool: SessionPool,
    /// The serial read when the carrier was opened, to notice it being pulled or replaced.
    serial: Mutex<Option<String>>,
    mechanisms: HashSet<CK_MECHANISM_TYPE>,
    keys: Mutex<HashMap<ContainerId, (ObjectHandle, KeyKind)>>,
    options: CarrierOptions,
    /// The token's `ulMaxRwSessionCount`, where it reports one.
    token_max: Option<usize>,
}

/// The token's read-write session limit, where it reports a finite one.
fn token_session_limit(t: &TokenInfo) -> Option<usize> {
    match t.max_rw_session_count() {
        cryptoki::slot::Limit::Max(n) => usize::try_from(n).ok(),
        _ => None,
    }
}

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

/// `CKA_LABEL` bytes of an object template: the label's UTF-8.
fn label_bytes(s: &str) -> Vec<u8> {
    s.as_bytes().to_vec()
}

/// The longest token label PKCS#11 can hold (`CK_TOKEN_INFO.label` is 32 bytes, blank padded).
const TOKEN_LABEL_LEN: usize = 32;

fn auth_pin(bytes: &[u8]) -> Result<AuthPin> {
    let text = core::str::from_utf8(bytes).map_err(|_| Error::Unsupported {
        what: "a PIN that is not UTF-8 for this operation".into(),
    })?;
    Ok(AuthPin::from(text.to_string()))
}

fn raw_pin(bytes: &[u8]) -> RawAuthPin {
    RawAuthPin::new(Box::new(bytes.to_vec()))
}

fn user_type(role: PinRole) -> UserType {
    match role {
        PinRole::User => UserType::User,
        PinRole::Admin => UserType::So,
    }
}

fn pin_status_from(t: &TokenInfo, role: PinRole) -> PinStatus {
    use cryptoki_sys as c;
    // cryptoki exposes the flags one by one; put them back into a CK_FLAGS word.
    let bits = [
        (t.user_pin_count_low(), c::CKF_USER_PIN_COUNT_LOW),
        (t.user_pin_final_try(), c::CKF_USER_PIN_FINAL_TRY),
        (t.user_pin_locked(), c::CKF_USER_PIN_LOCKED),
        (t.user_pin_to_be_changed(), c::CKF_USER_PIN_TO_BE_CHANGED),
        (t.so_pin_count_low(), c::CKF_SO_PIN_COUNT_LOW),
        (t.so_pin_final_try(), c::CKF_SO_PIN_FINAL_TRY),
        (t.so_pin_locked(), c::CKF_SO_PIN_LOCKED),
        (t.so_pin_to_be_changed(), c::CKF_SO_PIN_TO_BE_CHANGED),
    ];
    let flags = bits
        .into_iter()
        .filter(|(on, _)| *on)
        .fold(0, |acc, (_, f)| acc | f);
    pin_status_from_flags(flags, role)
}

/// A [`PinStatus`] from the `CKF_*_PIN_*` bits of `CK_TOKEN_INFO.flags`.
///
/// Standard PKCS#11 reports flags, not counts; the flags pin down two exact values: final try
/// = 1 attempt left, locked = 0.
pub fn pin_status_from_flags(flags: CK_FLAGS, role: PinRole) -> PinStatus {
    use cryptoki_sys as c;
    let (count_low, final_try, locked, to_be_changed) = match role {
        PinRole::User => (
            c::CKF_USER_PIN_COUNT_LOW,
            c::CKF_USER_PIN_FINAL_TRY,
            c::CKF_USER_PIN_LOCKED,
            c::CKF_USER_PIN_TO_BE_CHANGED,
        ),
        PinRole::Admin => (
            c::CKF_SO_PIN_COUNT_LOW,
            c::CKF_SO_PIN_FINAL_TRY,
            c::CKF_SO_PIN_LOCKED,
            c::CKF_SO_PIN_TO_BE_CHANGED,
        ),
    };
    let on = |f: CK_FLAGS| flags & f != 0;
    PinStatus {
        role,
        retries_left: if on(locked) {
            Some(0)
        } else if on(final_try) {
            Some(1)
        } else {
            None
        },
        max_retries: None,
        count_low: on(count_low),
        final_try: on(final_try),
        locked: on(locked),
        must_change: on(to_be_changed),
        default_pin: None,
    }
}

fn attr_bytes(attrs: &[Attribute], want: AttributeType) -> Option<Vec<u8>> {
    attrs.iter().find_map(|a| match (a, want) {
        (Attribute::Id(v), AttributeType::Id)
        | (Attribute::Label(v), AttributeType::Label)
        | (Attribute::Value(v), AttributeType::Value)
        | (Attribute::Modulus(v), AttributeType::Modulus)
        | (Attribute::EcParams(v), AttributeType::EcParams)
        | (Attribute::EcPoint(v), AttributeType::EcPoint)
        | (Attribute::PublicExponent(v), AttributeType::PublicExponent) => Some(v.clone()),
        _ => None,
    })
}

fn attr_bool(attrs: &[Attribute], want: AttributeType) -> Option<bool> {
    attrs.iter().find_map(|a| match (a, want) {
        (Attribute::Extractable(b), AttributeType::Extractable)
        | (Attribute::Sensitive(b), AttributeType::Sensitive) => Some(*b),
        _ => None,
    })
}

fn key_type_of(attrs: &[Attribute]) -> Option<KeyType> {
    attrs.iter().find_map(|a| match a {
        Attribute::KeyType(k) => Some(*k),
        _ => None,
    })
}

fn kind_of(k: KeyType) -> Option<KeyKind> {
    let v: CK_KEY_TYPE = k.into();
    match v {
        _ if k == KeyType::RSA => Some(KeyKind::Rsa),
        _ if k == KeyType::EC => Some(KeyKind::Ec),
        CKK_GOSTR3410 => Some(KeyKind::Gost256),
        CKK_GOSTR3410_512 => Some(KeyKind::Gost512),
        _ => None,
    }
}

#[derive(Default)]
struct Group {
    private: Option<ObjectHandle>,
    public: Option<ObjectHandle>,
    certs: Vec<ObjectHandle>,
    label: Option<String>,
}

impl Pkcs11Carrier {
    pub(crate) fn open(module: Module, slot: cryptoki::slot::Slot) -> Result<Self> {
        let slot_info = module
            .0
            .ctx
            .get_slot_info(slot)
            .map_err(ck("C_GetSlotInfo"))?;
        if !slot_info.token_present() {
            return Err(Error::CarrierAbsent);
        }
        let mechanisms = module
            .0
            .raw
            .mechanism_list(slot.into())
            .map_err(Error::from)?
            .into_iter()
            .collect();
        let info = module.0.ctx.get_token_info(slot).ok();
        let serial = info
            .as_ref()
            .filter(|t| t.token_initialized())
            .map(|t| t.serial_number().trim().to_string());
        let token_max = info.as_ref().and_then(token_session_limit);
        Ok(Self {
            serial: Mutex::new(serial),
            token_max,
            pool: SessionPool::new(module, slot, token_max)?,
            mechanisms,
            keys: Mutex::new(HashMap::new()),
            options: CarrierOptions::default(),
        })
    }

    /// Sets options (hash on the token or on the host, session cap).
    pub fn with_options(mut self, options: CarrierOptions) -> Self {
        let max = match (options.max_sessions, self.token_max) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.pool.set_max(max);
        self.options = options;
        self
    }

    /// The slot id.
    pub fn slot(&self) -> u64 {
        self.pool.slot().id()
    }

    /// The module this carrier lives in.
    pub fn module(&self) -> &Module {
        self.pool.module()
    }

    /// Whether the token offers mechanism `ckm` (raw `CKM_*` number).
    pub fn has_mechanism(&self, ckm: CK_MECHANISM_TYPE) -> bool {
        self.mechanisms.contains(&ckm)
    }

    /// Whether the carrier has a PIN pad (protected authentication path): the PIN is then
    /// typed on the device and [`Self::login_on_device`] is used instead of [`Carrier::login`].
    pub fn has_pin_pad(&self) -> Result<bool> {
        Ok(self.token_info()?.protected_authentication_path())
    }

    /// Logs in with the PIN typed on the carrier's own PIN pad (protected authentication path).
    /// The final-try guard applies as for a typed PIN.
    pub fn login_on_device(&mut self, role: PinRole, final_try: FinalTry) -> Result<()> {
        self.pin_status(role)?.guard(final_try)?;
        self.logout_before_login()?;
        let r = self.pool.run(|s| {
            s.login(user_type(role), None)
                .map_err(ck_as("C_Login", role))
        });
        self.finish_login(role, r)
    }

    fn token_info(&self) -> Result<TokenInfo> {
        let known = self
            .serial
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        match self.module().0.ctx.get_token_info(self.pool.slot()) {
            Ok(t) => {
                let serial = t.serial_number().trim();
                match known {
                    Some(k) if t.token_initialized() && k != serial => Err(Error::CarrierRemoved),
                    _ => Ok(t),
                }
            }
            Err(e) => {
                // CKR_DEVICE_REMOVED and CKR_TOKEN_NOT_PRESENT already map to CarrierRemoved.
                let e = ck("C_GetTokenInfo")(e);
                if is_ckr(&e, cryptoki_sys::CKR_SLOT_ID_INVALID)
                    || (is_ckr(&e, cryptoki_sys::CKR_GENERAL_ERROR) && self.gone(known.as_deref()))
                {
                    Err(Error::CarrierRemoved)
                } else {
                    Err(e)
                }
            }
        }
    }

    /// After `CKR_GENERAL_ERROR` from `C_GetTokenInfo`: whether the carrier is gone, i.e. the
    /// slot is no longer listed with a token, or the carrier opened here (`serial`) is no
    /// longer among the module's readable carriers. SoftHSM with its token deleted keeps the
    /// slot listed, token present, and answers CKR_GENERAL_ERROR; the serial check sees that.
    /// `false` when the lists themselves cannot be read: the original error is then the better
    /// evidence.
    fn gone(&self, serial: Option<&str>) -> bool {
        let id = self.pool.slot().id();
        let slot_listed = self
            .module()
            .0
            .ctx
            .get_slots_with_token()
            .map_or(true, |slots| slots.iter().any(|s| s.id() == id));
        if !slot_listed {
            return true;
        }
        match serial {
            Some(serial) => self
                .module()
                .carriers()
                .is_ok_and(|list| list.iter().all(|(_, c)| c.serial != serial)),
            None => false,
        }
    }

    /// Turns a "not found" after a failure into [`Error::CarrierRemoved`] when the carrier is
    /// gone: objects vanish with their token.
    fn explain(&self, e: Error) -> Error {
        match e {
            Error::NotFound { .. } | Error::Backend(_) => match self.token_info() {
                Err(Error::CarrierRemoved) => Error::CarrierRemoved,
                _ => e,
            },
            e => e,
        }
    }

    /// After a PIN call: a wrong PIN is reported with what the token's flags say about the
    /// attempts left.
    ///
    /// `CKR_USER_ALREADY_LOGGED_IN` is *not* success: modules (SoftHSM among them) return it
    /// before they look at the PIN, so taking it as success would accept any PIN while logged
    /// in. [`Self::login_as`] logs out first, so the PIN is always checked.
    fn finish_login(&self, role: PinRole, r: Result<()>) -> Result<()> {
        match r {
            Ok(()) => Ok(()),
            Err(Error::WrongPin { role: r2, .. }) => {
                let status = self.pin_status(r2)?;
                if status.is_locked() {
                    Err(Error::PinLocked { role: r2 })
                } else {
                    Err(Error::WrongPin {
                        role: r2,
                        retries_left: status.retries_left,
                    })
                }
            }
            Err(e) => Err(e.with_role(role)),
        }
    }

    /// Logs in as `role`; the final-try guard runs first, then any login of this application
    /// (as either role) is ended, so `C_Login` always checks the PIN.
    fn login_as(&self, role: PinRole, pin: &[u8], final_try: FinalTry) -> Result<()> {
        self.pin_status(role)?.guard(final_try)?;
        self.logout_before_login()?;
        let r = self.pool.run(|s| {
            s.login_with_raw(user_type(role), &raw_pin(pin))
                .map_err(ck_as("C_Login", role))
        });
        self.finish_login(role, r)
    }

    /// Ends the application's login (if any) before a new `C_Login`: a module answers
    /// `CKR_USER_ALREADY_LOGGED_IN` without checking the PIN, and
    /// `CKR_USER_ANOTHER_ALREADY_LOGGED_IN` when the other role is logged in.
    fn logout_before_login(&self) -> Result<()> {
        // Private key handles may not survive a change of login state.
        self.forget_keys();
        self.logout_quietly()
    }

    /// `C_Logout`, where "not logged in" (`CKR_USER_NOT_LOGGED_IN`, mapped to
    /// `LoginRequired`) counts as done.
    fn logout_quietly(&self) -> Result<()> {
        match self.pool.run(|s| s.logout().map_err(ck("C_Logout"))) {
            Ok(()) | Err(Error::LoginRequired { .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    fn find(&self, s: &Session, template: &[Attribute]) -> Result<Vec<ObjectHandle>> {
        s.find_objects(template).map_err(ck("C_FindObjects"))
    }

    fn get(&self, s: &Session, h: ObjectHandle, types: &[AttributeType]) -> Result<Vec<Attribute>> {
        s.get_attributes(h, types)
            .map_err(ck("C_GetAttributeValue"))
    }

    fn raw_attr(
        &self,
        s: &Session,
        h: ObjectHandle,
        kind: CK_ATTRIBUTE_TYPE,
    ) -> Result<Option<Vec<u8>>> {
        self.module().0.raw.get_attribute(s, h, kind)
    }

    /// The public key of a container, from its public key object, else the private key object
    /// (RSA private keys carry modulus and exponent), else the first certificate.
    fn public_key_of(
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

    fn groups(&self, s: &Session) -> Result<BTreeMap<Vec<u8>, Group>> {
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

    fn container_from(&self, s: &Session, id: &[u8], g: &Group) -> Result<Option<ContainerInfo>> {
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

    /// The private key handle for `id`, cached (object handles are valid in every session of
    /// the application).
    fn key(&self, s: &Session, id: &ContainerId) -> Result<(ObjectHandle, KeyKind)> {
        if let Some(k) = self.keys.lock().unwrap_or_else(|p| p.into_inner()).get(id) {
            return Ok(*k);
        }
        let found = self.find(
            s,
            &[
                Attribute::Class(ObjectClass::PRIVATE_KEY),
                Attribute::Id(id.as_bytes().to_vec()),
            ],
        )?;
        let Some(&h) = found.first() else {
            // Private objects are invisible before login: say so, as the soft token does,
            // rather than "not found".
            let logged_in = s.get_session_info().is_ok_and(|i| {
                !matches!(
                    i.session_state(),
                    cryptoki::session::SessionState::RoPublic
                        | cryptoki::session::SessionState::RwPublic
                )
            });
            return Err(if logged_in {
                Error::NotFound {
                    what: format!("private key of container {id}"),
                }
            } else {
                Error::LoginRequired {
                    role: PinRole::User,
                }
            });
        };
        let a = self.get(s, h, &[AttributeType::KeyType])?;
        let kind = key_type_of(&a)
            .and_then(kind_of)
            .ok_or_else(|| Error::Unsupported {
                what: format!("key type of container {id}"),
            })?;
        let _ = self
            .keys
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.clone(), (h, kind));
        Ok((h, kind))
    }

    fn forget_keys(&self) {
        self.keys.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn vendor(ckm: CK_MECHANISM_TYPE) -> Result<Mechanism<'static>> {
        let t = MechanismType::new_vendor_defined(ckm).map_err(|_| Error::Unsupported {
            what: format!("mechanism 0x{ckm:08X}"),
        })?;
        Ok(Mechanism::VendorDefined(VendorDefinedMechanism::new::<()>(
            t, None,
        )))
    }

    fn sign_with(
        &self,
        s: &Session,
        key: ObjectHandle,
        kind: KeyKind,
        scheme: SignatureScheme,
        input: SignInput<'_>,
    ) -> Result<Vec<u8>> {
        let pss = PkcsPssParams {
            hash_alg: MechanismType::SHA256,
            mgf: PkcsMgfType::MGF1_SHA256,
            s_len: Ulong::from(32),
        };
        let on_token =
            |ckm: CK_MECHANISM_TYPE| self.options.hash_on_token && self.has_mechanism(ckm);
        let typed = |m: &Mechanism<'_>, data: &[u8]| s.sign(m, key, data).map_err(ck("C_Sign"));
        match (kind, scheme, input) {
            (KeyKind::Rsa, SignatureScheme::RsaPkcs1Sha256, SignInput::Message(m))
                if on_token(cryptoki_sys::CKM_SHA256_RSA_PKCS) =>
            {
                typed(&Mechanism::Sha256RsaPkcs, m)
            }
            (KeyKind::Rsa, SignatureScheme::RsaPkcs1Sha256, input) => {
                let digest = host_digest(SignatureScheme::RsaPkcs1Sha256, input)?;
                typed(&Mechanism::RsaPkcs, &sha256_digest_info(&digest))
            }
            (KeyKind::Rsa, SignatureScheme::RsaPssSha256, SignInput::Message(m))
                if on_token(cryptoki_sys::CKM_SHA256_RSA_PKCS_PSS) =>
            {
                typed(&Mechanism::Sha256RsaPkcsPss(pss), m)
            }
            (KeyKind::Rsa, SignatureScheme::RsaPssSha256, input) => typed(
                &Mechanism::RsaPkcsPss(pss),
                &host_digest(SignatureScheme::RsaPssSha256, input)?,
            ),
            (KeyKind::Gost256, SignatureScheme::Gost256, SignInput::Message(m))
                if on_token(CKM_GOSTR3410_WITH_GOSTR3411_12_256) =>
            {
                typed(&Self::vendor(CKM_GOSTR3410_WITH_GOSTR3411_12_256)?, m)
            }
            (KeyKind::Gost512, SignatureScheme::Gost512, SignInput::Message(m))
                if on_token(CKM_GOSTR3410_WITH_GOSTR3411_12_512) =>
            {
                typed(&Self::vendor(CKM_GOSTR3410_WITH_GOSTR3411_12_512)?, m)
            }
            // Streebog on the host (or the caller's digest), then the raw GOST mechanism.
            (KeyKind::Gost256, SignatureScheme::Gost256, input) => {
                Ok(self
                    .module()
                    .0
                    .raw
                    .sign(s, CKM_GOSTR3410, key, &host_digest(scheme, input)?)?)
            }
            (KeyKind::Gost512, SignatureScheme::Gost512, input) => typed(
                &Self::vendor(CKM_GOSTR3410_512)?,
                &host_digest(scheme, input)?,
            ),
            // ECDSA: SHA-2 on the host (the only path: SoftHSM2 2.6, the test module, has no
            // CKM_ECDSA_SHA*), `r ‖ s` from the token, DER Ecdsa-Sig-Value out.
            (KeyKind::Ec, SignatureScheme::EcdsaSha256 | SignatureScheme::EcdsaSha384, input) => {
                convert::ecdsa_der(&typed(&Mechanism::Ecdsa, &host_digest(scheme, input)?)?)
            }
            (kind, scheme, _) => Err(Error::Unsupported {
                what: format!("{scheme:?} with a {kind:?} key"),
            }),
        }
    }

    /// Destroys every handle, going on past failures; returns the first failure.
    fn delete_objects(&self, s: &Session, handles: &[ObjectHandle]) -> Result<()> {
        let mut first = None;
        for h in handles {
            if let Err(e) = s.destroy_object(*h).map_err(ck("C_DestroyObject")) {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }

    fn generate_pair(
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
                    .0
                    .raw
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

    fn generate_in(
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

    fn finish_generation(
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
}

/// The error of a failed generation or import whose cleanup failed too: objects may be left on the
/// carrier, which the caller must learn. The original error's text and code are kept in the
/// evidence, followed by the cleanup's. A removed carrier stays `CarrierRemoved` (its objects
/// went with it).
fn with_cleanup_failure(original: Error, cleanup: &Error) -> Error {
    use token_core::{BackendEvidence, ErrorCode};
    if matches!(original, Error::CarrierRemoved) {
        return original;
    }
    let cleanup = match cleanup {
        Error::Backend(evidence) => evidence.to_string(),
        other => format!("{other} [{}]", other.code()),
    };
    Error::Backend(BackendEvidence::Other(format!(
        "{original} [{}]; deleting the objects made so far then failed, objects may be left \
         on the carrier: {cleanup}",
        original.code()
    )))
}

/// The template of an X.509 certificate object in container `id`.
fn certificate_template(id: &ContainerId, label: &str, der: &[u8]) -> Result<Vec<Attribute>> {
    use token_core::der::{Decode, Encode};
    let parsed = token_core::x509_cert::Certificate::from_der(der)
        .map_err(|e| Error::malformed_der("certificate", e))?;
    let tbs = parsed.tbs_certificate();
    let enc =
        |r: token_core::der::Result<Vec<u8>>| r.map_err(|e| Error::malformed_der("certificate", e));
    Ok(vec![
        Attribute::Class(ObjectClass::CERTIFICATE),
        Attribute::CertificateType(CertificateType::X_509),
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Id(id.as_bytes().to_vec()),
        Attribute::Label(label_bytes(label)),
        Attribute::Subject(enc(tbs.subject().to_der())?),
        Attribute::Issuer(enc(tbs.issuer().to_der())?),
        Attribute::SerialNumber(enc(tbs.serial_number().to_der())?),
        Attribute::Value(der.to_vec()),
    ])
}

/// The digest to sign for `scheme`: the caller's, or the message hashed on the host with the
/// scheme's digest (Streebog-256/512 for GOST, as the hash outputs it).
fn host_digest(scheme: SignatureScheme, input: SignInput<'_>) -> Result<Vec<u8>> {
    use token_core::DigestAlgorithm;
    match input {
        SignInput::Digest(d) => Ok(d.to_vec()),
        SignInput::Message(m) => match scheme.digest() {
            DigestAlgorithm::Streebog256 => Ok(gost::Streebog256::digest(m).to_vec()),
            DigestAlgorithm::Streebog512 => Ok(gost::Streebog512::digest(m).to_vec()),
            DigestAlgorithm::Sha256 => Ok(Sha256::digest(m).to_vec()),
            DigestAlgorithm::Sha384 => Ok(sha2::Sha384::digest(m).to_vec()),
            other => Err(Error::Unsupported {
                what: format!("hashing with {other:?} on the host"),
            }),
        },
    }
}

trait WithRole {
    fn with_role(self, role: PinRole) -> Self;
}

impl WithRole for Error {
    fn with_role(self, role: PinRole) -> Self {
        match self {
            Error::PinLocked { .. } => Error::PinLocked { role },
            Error::LoginRequired { .. } => Error::LoginRequired { role },
            e => e,
        }
    }
}

impl Carrier for Pkcs11Carrier {
    fn info(&self) -> Result<CarrierInfo> {
        Ok(carrier_info(&self.token_info()?))
    }

    fn pin_status(&self, role: PinRole) -> Result<PinStatus> {
        Ok(pin_status_from(&self.token_info()?, role))
    }

    fn login(&mut self, pin: &Pin, final_try: FinalTry) -> Result<()> {
        self.login_as(PinRole::User, pin.expose(), final_try)
    }

    fn login_admin(&mut self, pin: &AdminPin, final_try: FinalTry) -> Result<()> {
        self.login_as(PinRole::Admin, pin.expose(), final_try)
    }

    fn logout(&mut self) -> Result<()> {
        self.forget_keys();
        self.logout_quietly()
    }

    fn change_pin(&mut self, old: &Pin, new: &Approved<Pin>, final_try: FinalTry) -> Result<()> {
        self.pin_status(PinRole::User)?.guard(final_try)?;
        let (old, new) = (auth_pin(old.expose())?, auth_pin(new.expose())?);
        // C_SetPIN changes the PIN of whoever is logged in, the user PIN in a public session.
        let logged_in_as_so = self.pool.run(|s| {
            Ok(s.get_session_info()
                .map_err(ck("C_GetSessionInfo"))?
                .session_state()
                == cryptoki::session::SessionState::RwSecurityOfficer)
        })?;
        if logged_in_as_so {
            self.logout_quietly()?;
        }
        let r = self.pool.run(|s| {
            s.set_pin(&old, &new)
                .map_err(ck_as("C_SetPIN", PinRole::User))
        });
        self.finish_login(PinRole::User, r)
    }

    fn change_admin_pin(
        &mut self,
        old: &AdminPin,
        new: &Approved<AdminPin>,
        final_try: FinalTry,
    ) -> Result<()> {
        // The guard runs before anything changes, so a refused final try leaves the current
        // login in place; `login_as` then ends it before C_Login.
        self.pin_status(PinRole::Admin)?.guard(final_try)?;
        let new = auth_pin(new.expose())?;
        let old_auth = auth_pin(old.expose())?;
        self.login_as(PinRole::Admin, old.expose(), final_try)?;
        let r = self.pool.run(|s| {
            s.set_pin(&old_auth, &new)
                .map_err(ck_as("C_SetPIN", PinRole::Admin))
        });
        let r = self.finish_login(PinRole::Admin, r);
        let out = self.logout_quietly();
        r.and(out)
    }

    fn reset_pin(
        &mut self,
        admin: &AdminPin,
        new_user_pin: &Approved<Pin>,
        final_try: FinalTry,
    ) -> Result<()> {
        // As in `change_admin_pin`: guard first, before the current login is ended.
        self.pin_status(PinRole::Admin)?.guard(final_try)?;
        let new = auth_pin(new_user_pin.expose())?;
        self.login_as(PinRole::Admin, admin.expose(), final_try)?;
        let r = self
            .pool
            // C_InitPIN runs in the SO's login: a login error there concerns the admin.
            .run(|s| s.init_pin(&new).map_err(ck_as("C_InitPIN", PinRole::Admin)));
        let out = self.logout_quietly();
        r.and(out)
    }

    /// `true` when the module exports Rutoken's `C_EX_GetFunctionListExtended` with a
    /// `C_EX_UnblockUserPIN` entry (resolved once, when the module is loaded).
    fn can_unblock_pin(&self) -> bool {
        self.module().0.raw.has_vendor_unblock()
    }

    /// SO login, then the vendor `C_EX_UnblockUserPIN` on the SO's read-write session, then
    /// logout. Without the vendor function: [`Error::Unsupported`] before any PIN is sent.
    fn unblock_pin(&mut self, admin: &AdminPin, final_try: FinalTry) -> Result<()> {
        if !self.can_unblock_pin() {
            return Err(Error::Unsupported {
                what: format!(
                    "unblocking the user PIN while keeping it: {} has no C_EX_UnblockUserPIN \
                     (reset_pin sets a new user PIN instead)",
                    self.module().path().display()
                ),
            });
        }
        self.login_as(PinRole::Admin, admin.expose(), final_try)?;
        let raw = &self.module().0.raw;
        let r = self.pool.run(|s| match raw.unblock_user_pin(s) {
            Some(r) => r.map_err(|e| map_ckr(e.function, e.ckr, PinRole::Admin)),
            None => Err(Error::Unsupported {
                what: "C_EX_UnblockUserPIN".into(),
            }),
        });
        let out = self.logout_quietly();
        r.and(out)
    }

    fn containers(&self) -> Result<Vec<ContainerInfo>> {
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

    fn container(&self, id: &ContainerId) -> Result<ContainerInfo> {
        self.pool.run(|s| {
            let mut groups = self.groups(s)?;
            let g = groups.remove(id.as_bytes()).unwrap_or_default();
            self.container_from(s, id.as_bytes(), &g)?
                .ok_or_else(|| Error::NotFound {
                    what: format!("container {id}"),
                })
        })
    }

    fn delete_container(&mut self, id: &ContainerId) -> Result<()> {
        self.forget_keys();
        self.pool.run(|s| {
            let handles = self.find(s, &[Attribute::Id(id.as_bytes().to_vec())])?;
            if handles.is_empty() {
                return Err(Error::NotFound {
                    what: format!("container {id}"),
                });
            }
            self.delete_objects(s, &handles)
        })
    }

    fn wipe(&mut self, admin: &AdminPin, new_label: Option<&str>) -> Result<()> {
        let info = self.token_info()?;
        if info.token_initialized() {
            self.pin_status(PinRole::Admin)?.guard(FinalTry::Refuse)?;
        }
        let label = match new_label {
            // cryptoki would cut a longer label silently; refuse it instead.
            Some(l) if l.len() > TOKEN_LABEL_LEN => {
                return Err(Error::Malformed {
                    what: "carrier label",
                    at: Some(TOKEN_LABEL_LEN),
                    reason: format!(
                        "{} bytes of UTF-8; a PKCS#11 token label holds {TOKEN_LABEL_LEN}",
                        l.len()
                    ),
                });
            }
            Some(l) => l.to_string(),
            None => info.label().trim().to_string(),
        };
        let pin = auth_pin(admin.expose())?;
        self.forget_keys();
        // C_InitToken refuses to run while this application has sessions on the token.
        self.pool.close_all();
        let r = self
            .module()
            .0
            .ctx
            .init_token(self.pool.slot(), &pin, &label)
            .map_err(|e| from_cryptoki("C_InitToken", e, PinRole::Admin));
        self.finish_login(PinRole::Admin, r)?;
        // A blank carrier gets its serial now.
        let serial = self
            .module()
            .0
            .ctx
            .get_token_info(self.pool.slot())
            .ok()
            .map(|t| t.serial_number().trim().to_string());
        *self.serial.lock().unwrap_or_else(|p| p.into_inner()) = serial;
        Ok(())
    }

    /// Generates a key pair (flow U09). Cancel is checked before `C_GenerateKeyPair` and after
    /// it: a running `C_GenerateKeyPair` cannot be interrupted (PKCS#11 has no way to), and a
    /// generation cancelled after the call deletes the objects it made.
    fn generate(
        &mut self,
        spec: &NewContainer,
        progress: &mut dyn ProgressSink,
        cancel: &CancelToken,
    ) -> Result<ContainerInfo> {
        progress.report(Progress {
            stage: Stage::Preparing,
            percent: Some(0),
        });
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

    /// Creates, with `C_CreateObject`, the public key, the certificates and then the private
    /// key, all under one `CKA_ID` (the requested one, or SHA-1 of the public key bits as for
    /// generated keys) and the import's label. The private key is `CKA_TOKEN`, `CKA_PRIVATE`,
    /// `CKA_SENSITIVE`, not extractable. The end-entity certificate (the first) must certify
    /// the key. If any object fails, those already created are destroyed; the private key
    /// comes last, so a missing login (`LoginRequired`) leaves nothing behind.
    fn import(&mut self, key: KeyImport) -> Result<ContainerInfo> {
        let mut objects = import::key_objects(key.private_key_pkcs8.expose())?;
        if let Some(first) = key.certificates.first() {
            let cert = token_core::CertificateInfo::from_der(first)?;
            if !cert.public_key.same_key(&objects.public_key) {
                return Err(Error::CertificateMismatch);
            }
        }
        let id = key
            .id
            .clone()
            .unwrap_or_else(|| ContainerId::derived_from(&objects.public_key));
        objects.name(id.as_bytes(), &key.label);
        let certificates = key
            .certificates
            .iter()
            .map(|der| certificate_template(&id, &key.label, der))
            .collect::<Result<Vec<_>>>()?;
        let raw = &self.module().0.raw;
        self.pool.run(|s| {
            if !self
                .find(s, &[Attribute::Id(id.as_bytes().to_vec())])?
                .is_empty()
            {
                return Err(Error::AlreadyExists {
                    what: format!("container {id}"),
                });
            }
            let mut created = Vec::new();
            let mut create_all = || -> Result<()> {
                created.push(raw.create_object(s, objects.public.clone())?);
                for t in &certificates {
                    created.push(s.create_object(t).map_err(ck("C_CreateObject"))?);
                }
                created.push(raw.create_object(s, objects.private.clone())?);
                Ok(())
            };
            match create_all() {
                Ok(()) => Ok(()),
                Err(e) => match self.delete_objects(s, &created) {
                    Ok(()) => Err(e),
                    Err(cleanup) => Err(with_cleanup_failure(e, &cleanup)),
                },
            }
        })?;
        self.container(&id)
    }

    fn write_certificate(&mut self, id: &ContainerId, certificate_der: &[u8]) -> Result<()> {
        let cert = token_core::CertificateInfo::from_der(certificate_der)?;
        let container = self.container(id)?;
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

    fn sign(&self, request: &SignRequest<'_>) -> Result<Vec<u8>> {
        request.check_digest_len()?;
        // U15: the hook decides before the key is looked up or used.
        request.confirm()?;
        let id = request.container;
        self.pool
            .run(|s| {
                let (key, kind) = self.key(s, id)?;
                match self.sign_with(s, key, kind, request.scheme, request.input) {
                    Err(e)
                        if is_ckr(&e, cryptoki_sys::CKR_KEY_HANDLE_INVALID)
                            || is_ckr(&e, cryptoki_sys::CKR_OBJECT_HANDLE_INVALID) =>
                    {
                        // The cached handle went stale (objects re-created); look it up again.
                        self.forget_keys();
                        let (key, kind) = self.key(s, id)?;
                        self.sign_with(s, key, kind, request.scheme, request.input)
                    }
                    r => r,
                }
            })
            .map_err(|e| self.explain(e))
    }

    /// `C_Decrypt` on the token (see `carrier/decrypt.rs`).
    fn decrypt_key(&self, request: &KeyDecryption<'_>) -> Result<SecretBytes> {
        self.pool
            .run(|s| {
                let (key, kind) = self.key(s, request.container)?;
                decrypt::decrypt_key(s, key, kind, request)
            })
            .map_err(|e| self.explain(e))
    }

    /// `C_DeriveKey` with GOST VKO on the token (see `carrier/decrypt.rs`).
    fn agree_key(&self, request: &KeyAgreement<'_>) -> Result<SecretBytes> {
        self.pool
            .run(|s| {
                let (key, kind) = self.key(s, request.container)?;
                decrypt::agree_key(s, key, kind, request)
            })
            .map_err(|e| self.explain(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use token_core::ErrorCode;

    /// GOST messages are hashed on the host with the scheme's Streebog (reference values from
    /// the streebog crate's documentation); digests pass through unchanged.
    #[test]
    fn gost_messages_hash_with_the_schemes_streebog() {
        fn hex(s: &str) -> Vec<u8> {
            (0..s.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap(), 16).unwrap())
                .collect()
        }
        let fox = b"The quick brown fox jumps over the lazy dog";
        let d256 = host_digest(SignatureScheme::Gost256, SignInput::Message(fox)).unwrap();
        assert_eq!(
            d256,
            hex("3e7dea7f2384b6c5a3d0e24aaa29c05e89ddd762145030ec22c71a6db8b2c1f4")
        );
        let d512 = host_digest(SignatureScheme::Gost512, SignInput::Message(fox)).unwrap();
        assert_eq!(
            d512,
            hex(concat!(
                "d2b793a0bb6cb5904828b5b6dcfb443bb8f33efc06ad09368878ae4cdc8245b9",
                "7e60802469bed1e7c21a64ff0b179a6a1e0bb74d92965450a0adab69162c00fe"
            ))
        );
        assert_eq!(
            host_digest(SignatureScheme::Gost512, SignInput::Digest(&d512)).unwrap(),
            d512
        );
        assert_eq!(
            host_digest(SignatureScheme::RsaPkcs1Sha256, SignInput::Message(fox)).unwrap(),
            Sha256::digest(fox).to_vec()
        );
    }

    #[test]
    fn cleanup_failure_keeps_both_pieces_of_evidence() {
        let cleanup = crate::error::map_ckr(
            "C_DestroyObject",
            cryptoki_sys::CKR_DEVICE_ERROR,
            PinRole::User,
        );
        let e = with_cleanup_failure(Error::Cancelled, &cleanup);
        let text = e.to_string();
        assert_eq!(e.code(), "KC-BACKEND", "{e:?}");
        assert!(text.contains("cancelled [KC-CANCELLED]"), "{text}");
        assert!(
            text.contains("C_DestroyObject returned CKR 0x00000030"),
            "{text}"
        );
        assert!(matches!(
            with_cleanup_failure(Error::CarrierRemoved, &cleanup),
            Error::CarrierRemoved
        ));
    }

    #[test]
    fn flags_to_pin_status_and_guard() {
        use cryptoki_sys as c;
        let s = pin_status_from_flags(
            c::CKF_USER_PIN_FINAL_TRY | c::CKF_USER_PIN_COUNT_LOW,
            PinRole::User,
        );
        assert!(s.final_try && s.count_low && !s.locked);
        assert_eq!(s.retries_left, Some(1));
        assert_eq!(
            s.guard(FinalTry::Refuse).unwrap_err().code(),
            "KC-PIN-FINAL-TRY"
        );
        assert!(s.guard(FinalTry::Allow).is_ok());
        // The SO bits do not leak into the user status and vice versa.
        let so = pin_status_from_flags(c::CKF_USER_PIN_FINAL_TRY, PinRole::Admin);
        assert!(so.guard(FinalTry::Refuse).is_ok());
        let locked = pin_status_from_flags(c::CKF_SO_PIN_LOCKED, PinRole::Admin);
        assert_eq!(
            locked.guard(FinalTry::Allow).unwrap_err().code(),
            "KC-PIN-LOCKED"
        );
        let change = pin_status_from_flags(c::CKF_USER_PIN_TO_BE_CHANGED, PinRole::User);
        assert!(change.must_change);
        // SoftHSM's count-low flag alone does not stop a login.
        let low = pin_status_from_flags(c::CKF_USER_PIN_COUNT_LOW, PinRole::User);
        assert_eq!(low.retries_left, None);
        assert!(low.guard(FinalTry::Refuse).is_ok());
    }

    /// The raw cryptoki-sys path (used for GOST) run for real on SoftHSM with RSA mechanism
    /// numbers: the same FFI code, templates and two-pass attribute reads, checked against
    /// cryptoki's typed calls. Only the GOST numbers themselves stay untested here.
    #[test]
    #[allow(unsafe_code)]
    fn raw_path_matches_typed_calls_on_softhsm() {
        use crate::module::Module;
        use cryptoki_sys as c;
        use token_core::{AdminPin, PinPolicy};

        let module_path = "/usr/lib/softhsm/libsofthsm2.so";
        assert!(
            std::path::Path::new(module_path).is_file(),
            "SoftHSM2 is required: apt-get install softhsm2"
        );
        let dir = std::env::temp_dir().join(format!("kc-p11-unit-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("tokens")).unwrap();
        let conf = dir.join("softhsm2.conf");
        std::fs::write(
            &conf,
            format!(
                "directories.tokendir = {}\nobjectstore.backend = file\n",
                dir.join("tokens").display()
            ),
        )
        .unwrap();
        // SAFETY: the only unit test that touches the environment or loads a module; set
        // before the module is loaded.
        unsafe { std::env::set_var("SOFTHSM2_CONF", &conf) };
        let m = Module::open(module_path).unwrap();
        let slot = m
            .slots()
            .unwrap()
            .into_iter()
            .find(|s| s.carrier.as_ref().is_some_and(|c| !c.initialized))
            .unwrap()
            .slot;
        let mut carrier = m.carrier(slot).unwrap();
        carrier
            .wipe(&AdminPin::new("Ad9mQ4kz"), Some("raw"))
            .unwrap();
        let serial = carrier.info().unwrap().serial;
        drop(carrier);
        let mut carrier = m.carrier_by_serial(&serial).unwrap();
        let user = PinPolicy::default()
            .approve(Pin::new("Rx7mQ2wz"), None)
            .unwrap();
        carrier
            .reset_pin(&AdminPin::new("Ad9mQ4kz"), &user, FinalTry::Refuse)
            .unwrap();
        carrier
            .login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)
            .unwrap();

        let raw = &m.0.raw;
        carrier
            .pool
            .run(|s| {
                let id = b"raw-1";
                let public = vec![
                    RawAttribute::ulong(c::CKA_CLASS, c::CKO_PUBLIC_KEY),
                    RawAttribute::ulong(c::CKA_KEY_TYPE, c::CKK_RSA),
                    RawAttribute::bool(c::CKA_TOKEN, true),
                    RawAttribute::bool(c::CKA_VERIFY, true),
                    RawAttribute::ulong(c::CKA_MODULUS_BITS, 2048),
                    RawAttribute::bytes(c::CKA_PUBLIC_EXPONENT, &[1, 0, 1]),
                    RawAttribute::bytes(c::CKA_ID, id),
                ];
                let private = vec![
                    RawAttribute::ulong(c::CKA_CLASS, c::CKO_PRIVATE_KEY),
                    RawAttribute::ulong(c::CKA_KEY_TYPE, c::CKK_RSA),
                    RawAttribute::bool(c::CKA_TOKEN, true),
                    RawAttribute::bool(c::CKA_PRIVATE, true),
                    RawAttribute::bool(c::CKA_SENSITIVE, true),
                    RawAttribute::bool(c::CKA_EXTRACTABLE, false),
                    RawAttribute::bool(c::CKA_SIGN, true),
                    RawAttribute::bytes(c::CKA_ID, id),
                ];
                let (pub_h, priv_h) = raw
                    .generate_key_pair(s, c::CKM_RSA_PKCS_KEY_PAIR_GEN, public, private)
                    .unwrap();
                // Two-pass read of a variable-length attribute equals cryptoki's.
                let modulus = raw
                    .get_attribute(s, pub_h, c::CKA_MODULUS)
                    .unwrap()
                    .unwrap();
                let typed = s.get_attributes(pub_h, &[AttributeType::Modulus]).unwrap();
                assert_eq!(
                    Some(modulus.clone()),
                    attr_bytes(&typed, AttributeType::Modulus)
                );
                assert_eq!(modulus.len(), 256);
                // An attribute the object does not have (the GOST one) reads as None.
                assert_eq!(
                    raw.get_attribute(s, pub_h, CKA_GOSTR3410_PARAMS).unwrap(),
                    None
                );
                // A sensitive one too.
                assert_eq!(
                    raw.get_attribute(s, priv_h, c::CKA_PRIVATE_EXPONENT)
                        .unwrap(),
                    None
                );
                // Single-part raw sign equals the typed sign (PKCS#1 v1.5 is deterministic).
                let di = sha256_digest_info(&Sha256::digest(b"order"));
                let raw_sig = raw.sign(s, c::CKM_RSA_PKCS, priv_h, &di).unwrap();
                let typed_sig = s.sign(&Mechanism::RsaPkcs, priv_h, &di).unwrap();
                assert_eq!(raw_sig, typed_sig);
                // Errors come back typed, naming the function (and the CK_RV where no typed
                // error fits).
                let e = raw.sign(s, 0x1201, priv_h, &[0u8; 32]).unwrap_err();
                assert!(
                    matches!(&e, Error::Unsupported { what } if what.contains("C_SignInit")),
                    "{e:?}"
                );
                // Signing with the public key: refused in C_SignInit, with its CK_RV.
                let e = raw.sign(s, c::CKM_RSA_PKCS, pub_h, &di).unwrap_err();
                assert!(
                    matches!(
                        e,
                        Error::Backend(token_core::BackendEvidence::Pkcs11 {
                            function: "C_SignInit",
                            ckr,
                        }) if ckr != 0
                    ),
                    "{e:?}"
                );
                // Deleting goes on past a failure and reports the first one: a second pair,
                // its public handle twice (the second time it is stale), then the private.
                let (pub2, priv2) = raw
                    .generate_key_pair(
                        s,
                        c::CKM_RSA_PKCS_KEY_PAIR_GEN,
                        vec![
                            RawAttribute::ulong(c::CKA_MODULUS_BITS, 2048),
                            RawAttribute::bytes(c::CKA_ID, b"raw-2"),
                        ],
                        vec![
                            RawAttribute::bool(c::CKA_TOKEN, true),
                            RawAttribute::bytes(c::CKA_ID, b"raw-2"),
                        ],
                    )
                    .unwrap();
                let e = carrier.delete_objects(s, &[pub2, pub2, priv2]).unwrap_err();
                assert!(
                    matches!(
                        e,
                        Error::Backend(token_core::BackendEvidence::Pkcs11 {
                            function: "C_DestroyObject",
                            ..
                        })
                    ),
                    "{e:?}"
                );
                let left = s.find_objects(&[Attribute::Id(b"raw-2".to_vec())]).unwrap();
                assert!(left.is_empty(), "{left:?}");
                Ok(())
            })
            .unwrap();
        // The container made through the raw path lists like any other.
        let listed = carrier.containers().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].algorithm, KeyAlgorithm::Rsa { bits: 2048 });
        assert!(listed[0].sensitive && !listed[0].extractable);
    }
}
