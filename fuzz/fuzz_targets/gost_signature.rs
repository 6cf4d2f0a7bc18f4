#![no_main]
//! Signature parsing and verification of arbitrary bytes (any r, s) must never panic.
use gost::ParamSet;
use gost::signature::hazmat::PrehashVerifier;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let set = ParamSet::ALL[usize::from(selector) % ParamSet::ALL.len()];
    let l = set.key_size().coordinate_len();
    if rest.len() < l {
        return;
    }
    let (digest, sig) = rest.split_at(l);
    if let Ok(sig) = gost::Signature::from_bytes(sig) {
        let mut d = vec![0u8; l];
        d[l - 1] = 7;
        if let Ok(key) = gost::SigningKey::from_be_bytes(set, &d) {
            let _ = key.verifying_key().verify_prehash(digest, &sig);
        }
    }
});
