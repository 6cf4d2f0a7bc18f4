//! The object identifiers the validator reads come from the workspace's one OID table,
//! `token_core::oid` (extensions, CRL and OCSP identifiers, purposes, the Russian sign-tool
//! statements). Which extensions count as understood is listed in `cert.rs`.

pub(crate) use token_core::oid::*;
