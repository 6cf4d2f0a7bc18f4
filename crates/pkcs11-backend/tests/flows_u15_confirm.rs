//! U15: a confirmation step before the key is used; Reject leaves no signature.
#![allow(missing_docs)]
// Helpers outside #[test] fns fail by panicking too.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::sync::Mutex;

use token_core::{
    CancelToken, Carrier, Confirm, ContainerSigner, Decision, ErrorCode, KeyAlgorithm,
    NewContainer, NoProgress, SignInput, SignRequest, SignatureScheme,
};

struct Screen {
    answer: Decision,
    shown: Mutex<Vec<String>>,
}

impl Confirm for Screen {
    fn confirm(&self, request: &SignRequest<'_>) -> Decision {
        self.shown
            .lock()
            .unwrap()
            .push(request.description.unwrap_or("").to_string());
        self.answer
    }
}

#[test]
fn u15_reject_means_no_signature_and_approve_signs() {
    let _g = common::serial();
    let (mut c, _) = common::logged_in("U15");
    let key = c
        .generate(
            &NewContainer::new("k", KeyAlgorithm::Rsa { bits: 2048 }),
            &mut NoProgress,
            &CancelToken::new(),
        )
        .unwrap();
    let order = b"Payment order 118";
    let reject = Screen {
        answer: Decision::Reject,
        shown: Mutex::new(vec![]),
    };
    let request = SignRequest {
        container: &key.id,
        scheme: SignatureScheme::RsaPkcs1Sha256,
        input: SignInput::Message(order),
        description: Some("Payment order 118 for 15 000.00 RUB"),
        confirmation: Some(&reject),
    };
    assert_eq!(c.sign(&request).unwrap_err().code(), "KC-REJECTED");
    assert_eq!(
        *reject.shown.lock().unwrap(),
        ["Payment order 118 for 15 000.00 RUB"]
    );
    // The hook runs before anything touches the key: even a container that does not exist
    // is rejected, not "not found".
    let ghost = "00".parse().unwrap();
    let r2 = SignRequest {
        container: &ghost,
        ..request
    };
    assert_eq!(c.sign(&r2).unwrap_err().code(), "KC-REJECTED");

    let approve = Screen {
        answer: Decision::Approve,
        shown: Mutex::new(vec![]),
    };
    let ok = SignRequest {
        confirmation: Some(&approve),
        ..request
    };
    let sig = c.sign(&ok).unwrap();
    common::openssl_verify_rsa(&key.public_key.to_der().unwrap(), order, &sig, false);
    // Same through the RustCrypto signer adapter.
    let signer = ContainerSigner::new(&c, &key.id)
        .unwrap()
        .with_confirmation(&reject, "CSR for Ivanov");
    assert_eq!(
        signer.sign_message(order).unwrap_err().code(),
        "KC-REJECTED"
    );
    let signer = ContainerSigner::new(&c, &key.id)
        .unwrap()
        .with_confirmation(&approve, "CSR for Ivanov");
    assert_eq!(
        signer.sign_message(order).unwrap().as_bytes(),
        sig.as_slice()
    );
    assert_eq!(approve.shown.lock().unwrap().len(), 2);
}
