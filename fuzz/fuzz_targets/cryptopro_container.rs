#![no_main]
//! Reading an untrusted CryptoPro container folder (U22) must never panic. The input is the
//! six files, each as a 2-byte little-endian length and its bytes (header, primary, masks,
//! name, primary2, masks2); files past the end of the input are missing. Opening tries the
//! empty PIN (two hash rounds), so the whole unlock path runs too; a real PIN's 2000 rounds
//! would make the fuzzer too slow.
use cryptopro_container::{ContainerFiles, CryptoProContainer};
use libfuzzer_sys::fuzz_target;
use token_core::{Password, SecretBytes};

fn take<'a>(data: &mut &'a [u8]) -> Option<&'a [u8]> {
    let (len, rest) = data.split_first_chunk::<2>()?;
    let len = usize::from(u16::from_le_bytes(*len));
    let (file, rest) = rest.split_at_checked(len).unwrap_or((rest, &[]));
    *data = rest;
    Some(file)
}

fuzz_target!(|data: &[u8]| {
    let mut data = data;
    let mut next = || take(&mut data);
    let header = next().unwrap_or_default().to_vec();
    let primary = SecretBytes::new(next().unwrap_or_default());
    let masks = SecretBytes::new(next().unwrap_or_default());
    let name = next().unwrap_or_default().to_vec();
    let primary2 = next().map(SecretBytes::new);
    let masks2 = next().map(SecretBytes::new);
    let files = ContainerFiles {
        header,
        primary,
        masks,
        name,
        primary2,
        masks2,
    };
    if let Ok(container) = CryptoProContainer::from_files(&files) {
        let _ = container.certificate();
        if let Ok(key) = container.unlock(&Password::new("")) {
            let _ = key.private_key_pkcs8();
        }
    }
});
