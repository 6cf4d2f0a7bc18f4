//! Which modules are trusted with vendor extensions, decided by who made the library.
//!
//! Rutoken's extended function list (`C_EX_GetFunctionListExtended`, with
//! `C_EX_UnblockUserPIN` in its fifth slot) is not standard PKCS#11: its layout is Aktiv's,
//! declared in their `rtpkcs11.h`. Another vendor's module could export a function of the same
//! name with a different table behind it, and calling the fifth pointer of that table would
//! jump into unknown code with an SO session open. So the symbol is looked up only in modules
//! whose `C_GetInfo` manufacturer ID names a vendor known to use Aktiv's layout:
//!
//! * `Aktiv Co.`, the maker of Rutoken and of `librtpkcs11ecp.so`;
//! * `keycarrier`, this project's soft-token module (`crates/soft-token-pkcs11`), which offers a
//!   Rutoken-compatible extended list so that applications written for Rutoken can unblock a
//!   soft token the same way.
//!
//! The comparison is on the library's manufacturer ID (blank padding trimmed, ASCII case
//! ignored), not the token's: the library decides what its function table looks like, and a
//! vendor library may serve tokens labelled by resellers. A manufacturer not in the list gets
//! [`Error::Unsupported`](token_core::Error::Unsupported) from `unblock_pin`, before any PIN is
//! sent and without the symbol ever being resolved.

/// Library manufacturer IDs (`CK_INFO.manufacturerID`) of modules whose
/// `C_EX_GetFunctionListExtended` follows Aktiv's `rtpkcs11.h` layout.
pub(crate) const RUTOKEN_LAYOUT_MANUFACTURERS: &[&str] = &["Aktiv Co.", "keycarrier"];

/// Whether a module made by `library_manufacturer` may be asked for Rutoken's extended
/// function list.
pub(crate) fn has_rutoken_layout(library_manufacturer: &str) -> bool {
    let reported = library_manufacturer.trim();
    RUTOKEN_LAYOUT_MANUFACTURERS
        .iter()
        .any(|known| known.eq_ignore_ascii_case(reported))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_vendors_get_the_extended_list() {
        // CK_INFO strings arrive blank padded to 32 bytes.
        assert!(has_rutoken_layout("Aktiv Co.                       "));
        assert!(has_rutoken_layout("aktiv co."));
        assert!(has_rutoken_layout("keycarrier"));
        // SoftHSM2's and OpenSC's library manufacturer IDs.
        assert!(!has_rutoken_layout("SoftHSM"));
        assert!(!has_rutoken_layout("OpenSC Project"));
        // A prefix or a look-alike is not the vendor.
        assert!(!has_rutoken_layout("Aktiv"));
        assert!(!has_rutoken_layout("Aktiv Co. compatible"));
        assert!(!has_rutoken_layout(""));
    }
}
