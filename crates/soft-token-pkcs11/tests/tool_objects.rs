//! Listing and deleting objects and listing mechanisms with OpenSC's `pkcs11-tool` (U06).
//! Missing tools fail the tests loudly.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)] // test code

mod common;
use common::tool::*;

#[test]
fn u06_list_and_delete_objects_and_mechanisms() {
    let f = Fixture::initialised("11223344");
    let login = ["--login", "--pin", "11223344"];
    let mut args = login.to_vec();
    args.extend([
        "--keypairgen",
        "--key-type",
        "GOSTR3410-2012-256:B",
        "--id",
        "0a",
        "--label",
        "k1",
    ]);
    f.ok(&args);

    // Without login only the public key is visible.
    let public = f.ok(&["-O"]);
    assert!(
        public.contains("Public Key Object") && !public.contains("Private Key Object"),
        "{public}"
    );
    let mut args = login.to_vec();
    args.push("-O");
    let all = f.ok(&args);
    assert!(
        all.contains("Private Key Object") && all.contains("sensitive"),
        "{all}"
    );

    // A data object and a relabel.
    std::fs::write(f.path("note.txt"), "hello").unwrap();
    let mut args = login.to_vec();
    args.extend([
        "--write-object",
        "note.txt",
        "--type",
        "data",
        "--label",
        "note",
    ]);
    f.ok(&args);
    let out = f.tool(&["--read-object", "--type", "data", "--label", "note"]);
    assert_eq!(out.stdout, b"hello");

    let mut args = login.to_vec();
    args.extend(["--delete-object", "--type", "privkey", "--id", "0a"]);
    f.ok(&args);
    let mut args = login.to_vec();
    args.extend(["--delete-object", "--type", "pubkey", "--id", "0a"]);
    f.ok(&args);
    let mut args = login.to_vec();
    args.push("-O");
    let left = f.ok(&args);
    assert!(
        !left.contains("Key Object") && left.contains("Data object"),
        "{left}"
    );

    let mechs = f.ok(&["--list-mechanisms"]);
    for m in [
        "GOSTR3410-KEY-PAIR-GEN",
        "GOSTR3410-512-KEY-PAIR-GEN",
        "GOSTR3410, keySize={256,256}, sign, verify",
        "GOSTR3410_512",
        "GOSTR3410-WITH-GOSTR3411-12-256",
        "GOSTR3410-WITH-GOSTR3411-12-512",
        "GOSTR3411-12-256, digest",
        "GOSTR3411-12-512, digest",
        "RSA-PKCS-KEY-PAIR-GEN",
        "SHA256-RSA-PKCS",
        "RSA-PKCS-PSS",
    ] {
        assert!(mechs.contains(m), "{m} missing from\n{mechs}");
    }
}
