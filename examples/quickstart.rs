//! keycarrier quickstart: what a bank client application does with a key carrier.
//!
//! Run with `cargo run --example quickstart`. It needs no hardware and no network.
//!
//! Today this example shows the parts that exist: the PIN rules a bank gives its clients
//! (flow U04), reading a code typed from paper, the retry-counter rule (U08) and the key
//! algorithms with their OIDs. The full story (create a soft token, generate a GOST key,
//! request and install a certificate, sign a payment order, rotate) joins here as the soft
//! token, request and CMS crates land.

#![allow(clippy::print_stdout)] // an example program talks to its user

use keycarrier::{
    CodeAlphabet, ErrorCode, FinalTry, GostParamSet, KeyAlgorithm, Pin, PinPolicy, PinRole,
    PinStatus, normalize_code,
};

fn main() -> Result<(), keycarrier::Error> {
    println!("keycarrier quickstart\n");

    // U04: the bank's PIN rules, checked before anything reaches a token.
    let policy = PinPolicy::default();
    println!("1. Choosing a new user PIN (at least 8 Latin letters/digits, no runs, no defaults)");
    for candidate in ["12345678", "abc1", "Rx7mQ2wz"] {
        match policy.approve(Pin::new(candidate), None) {
            Ok(_) => println!("   {candidate:<10} accepted"),
            Err(violations) => println!("   {candidate:<10} refused: {violations}"),
        }
    }

    // U04/U07: a code read from an OTP card or dictated by the bank's support desk.
    println!("\n2. A code typed from paper (no letter O in this alphabet: every O is a zero)");
    let typed = "k7fo-2ai9 xq";
    let code = normalize_code(typed, &CodeAlphabet::WITHOUT_O)?;
    println!("   typed {typed:?} -> {:?}", code.as_str());

    // U08: never spend the last PIN attempt without the user's explicit consent.
    println!("\n3. One PIN attempt left");
    let status = PinStatus {
        retries_left: Some(1),
        ..PinStatus::unknown(PinRole::User)
    };
    match status.guard(FinalTry::Refuse) {
        Ok(()) => println!("   would try the PIN"),
        Err(e) => println!("   refused without consent: {e} [{}]", e.code()),
    }
    println!(
        "   with consent: {}",
        if status.guard(FinalTry::Allow).is_ok() {
            "the PIN is sent"
        } else {
            "refused"
        }
    );

    // U09: the algorithms a new key can use.
    println!("\n4. Key algorithms a new container can use");
    for set in [
        GostParamSet::Tc26_256A,
        GostParamSet::CryptoProA,
        GostParamSet::Tc26_512A,
    ] {
        let alg = KeyAlgorithm::Gost(set);
        println!(
            "   {alg}: key OID {}, curve OID {}",
            alg.key_oid(),
            set.oid()
        );
    }
    println!("   {}", KeyAlgorithm::Rsa { bits: 2048 });

    println!("\nDone. Next: the soft token, requests, CMS and rotation (see README).");
    Ok(())
}
