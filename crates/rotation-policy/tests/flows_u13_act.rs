//! Flow U13: the act of public key recognition, from a request signed on the soft token;
//! text, and printable HTML rendered by headless Chromium.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::process::Command;

use common::*;
use csr::{RequestTemplate, RequestedExtensions};
use keycarrier_rotation_policy::CivilDate;
use keycarrier_rotation_policy::act::RecognitionAct;
use token_core::{ContainerSigner, GostParamSet, KeyAlgorithm};

fn act(alg: KeyAlgorithm) -> RecognitionAct {
    let dir = tempfile::tempdir().unwrap();
    let mut t = token(dir.path(), "client");
    let id = generate(&mut t, "new", alg);
    let request = RequestTemplate::new(
        employee(),
        RequestedExtensions::signing_and_encryption("keycarrier"),
    )
    .sign(&ContainerSigner::new(&t, &id).unwrap())
    .unwrap();
    let mut act = RecognitionAct::from_request(
        "АО «Тестбанк»",
        &request,
        Some("REQ-2027-0042"),
        CivilDate::new(2027, 3, 1).unwrap(),
    )
    .unwrap();
    act.valid_from = CivilDate::new(2027, 3, 2);
    act.valid_to = CivilDate::new(2028, 3, 1);
    act
}

#[test]
fn u13_act_text() {
    let a = act(KeyAlgorithm::Gost(GostParamSet::Tc26_256A));
    let text = a.to_text();
    for needle in [
        "АКТ ПРИЗНАНИЯ ОТКРЫТОГО КЛЮЧА",
        "АО «Тестбанк»",
        "Дата: 01.03.2027",
        "Организация: ООО \"Ромашка\"",
        "ИНН: 7707083893",
        "ОГРН: 1027700132195",
        "Владелец ключа: Иванов Иван Иванович",
        "Должность: Главный бухгалтер",
        "ГОСТ Р 34.10-2012, 256 бит, набор параметров TC26-256-A (1.2.643.7.1.2.1.1.1)",
        "Номер запроса: REQ-2027-0042",
        "с 02.03.2027 по 01.03.2028",
        "Уполномоченный сотрудник  ____________________ / Иванов Иван Иванович /",
        "Руководитель организации  ____________________",
        "М.П.",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // The public key: 66 bytes (OCTET STRING of X‖Y) in lines of 16 hex pairs.
    let lines = a.public_key_lines();
    assert_eq!(a.public_key.len(), 66);
    assert_eq!(lines.len(), 5);
    assert!(lines[0].starts_with("04 40 "), "{}", lines[0]);
    assert_eq!(lines[0].split(' ').count(), 16);
    for line in &lines {
        assert!(text.contains(line.as_str()));
    }
    let rsa = act(KeyAlgorithm::Rsa { bits: 2048 });
    assert!(rsa.to_text().contains("RSA, 2048 бит"));
    let g512 = act(KeyAlgorithm::Gost(GostParamSet::Tc26_512A));
    assert!(g512.to_text().contains("512 бит"));
    assert_eq!(g512.public_key_lines().len(), 9); // 131 bytes
}

#[test]
fn u13_act_html_two_copies_escaped_and_rendered_by_chromium() {
    let mut a = act(KeyAlgorithm::Gost(GostParamSet::Tc26_256A));
    a.organisation = "ООО <Ромашка & Ко>".into();
    let html = a.to_html();
    assert_eq!(html.matches("<section class=\"copy\">").count(), 2);
    assert!(html.contains("size: A4"));
    assert!(html.contains("ООО &lt;Ромашка &amp; Ко&gt;"));
    assert!(!html.contains("<Ромашка"));
    assert!(html.contains("М.П."));

    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("act.html");
    std::fs::write(&page, &html).unwrap();
    let png = dir.path().join("act.png");
    let profile = dir.path().join("profile");
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| Command::new(c).arg("--version").output().is_ok())
        .expect("chromium is required for this test (apt-get install -y chromium)");
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=794,1123",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--screenshot={}", png.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    let bytes = std::fs::read(&png).unwrap_or_else(|e| {
        panic!(
            "no screenshot ({e}); chromium said: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    // KC_ACT_PNG=/path/act.png keeps the render for a look.
    if let Ok(keep) = std::env::var("KC_ACT_PNG") {
        std::fs::write(keep, &bytes).unwrap();
    }
    assert!(
        bytes.len() > 10_000,
        "suspiciously small render: {} bytes",
        bytes.len()
    );
}
