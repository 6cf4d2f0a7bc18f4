//! A PKCS#10 request (flow U10) for a key generated on a soft token in a temporary directory.
//!
//! `cargo run --example request -- --algorithm gost256|gost512|rsa2048 --out req.pem`
//!
//! Check it with `openssl req -engine gost -in req.pem -verify -noout -text`.
#![allow(clippy::print_stdout)] // an example program talks to its user

use keycarrier::request::{RequestTemplate, RequestedExtensions, RussianSubject};
use keycarrier::soft::{SoftToken, TokenSettings};
use keycarrier::{
    AdminPin, CancelToken, Carrier, ContainerSigner, Error, FinalTry, GostParamSet, KeyAlgorithm,
    NewContainer, NoProgress, Pin, PinPolicy,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let algorithm = match value("--algorithm").as_deref().unwrap_or("gost256") {
        "gost256" => KeyAlgorithm::Gost(GostParamSet::Tc26_256A),
        "gost512" => KeyAlgorithm::Gost(GostParamSet::Tc26_512A),
        "rsa2048" => KeyAlgorithm::Rsa { bits: 2048 },
        other => return Err(format!("unknown algorithm {other}").into()),
    };
    let out = value("--out").unwrap_or_else(|| "request.pem".into());

    let dir = tempfile::tempdir()?;
    // A token of our own, so its admin PIN is not the vendor default: the soft token
    // makes no keys until that is changed (the quickstart shows a token as banks hand
    // it out).
    let admin = AdminPin::new("Adm1nQw8");
    let mut token = SoftToken::create(dir.path(), &TokenSettings::new("Example"), &admin)?;
    let pin = PinPolicy::default()
        .approve(Pin::new("Rx7mQ2wz"), None)
        .map_err(Error::from)?;
    token.reset_pin(&admin, &pin, FinalTry::Refuse)?;
    token.login(&Pin::new("Rx7mQ2wz"), FinalTry::Refuse)?;
    let id = token
        .generate(
            &NewContainer::new("example", algorithm),
            &mut NoProgress,
            &CancelToken::new(),
        )?
        .id;

    let subject = RussianSubject {
        common_name: Some("Иванов Иван Иванович".into()),
        surname: Some("Иванов".into()),
        given_name: Some("Иван Иванович".into()),
        organization: Some("ООО \"Ромашка\"".into()),
        country: Some("RU".into()),
        inn: Some("500100732259".into()),
        ogrn: Some("1027700132195".into()),
        snils: Some("11223344595".into()),
        ..Default::default()
    };
    let request = RequestTemplate::new(
        subject,
        RequestedExtensions::signing_and_encryption("keycarrier soft token"),
    )
    .sign(&ContainerSigner::new(&token, &id)?)?;
    std::fs::write(&out, request.to_pem()?)?;
    println!("{algorithm}: request written to {out}");
    Ok(())
}
