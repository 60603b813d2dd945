//! A fixed, deliberately weak 1024-bit RSA key and a tiny PKCS#1 v1.5 signer.
//!
//! aws-lc-rs refuses to generate or import RSA keys below 2048 bits, so the
//! testkit ships one 1024-bit key (generated once with
//! `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024`) and signs with
//! it using a small, variable-time Montgomery exponentiation. This is test-only
//! code: it exists so that a verifier can be shown a *correctly signed* token
//! from a weak key and be expected to refuse the key itself.

use aws_lc_rs::digest;

/// Public modulus `n`, big-endian.
const N_HEX: &str = "bbfedf207d0c04259fb4ec8350f1630b936a9d0e15278a1df2d8aff59a150dcb\
086022ae89c2d7d479c81740f7a57f046b0b3cd23ddc536080e9684b0b57de615fd10d631ba9a3822b98b7c25f\
9a485cc84957c269eafe363486d1f4888d47caf0963d3ad2f098b5108582eb5fb98f2baf4abb211319a17b5c81\
009e02938be7";

/// Private exponent `d`, big-endian.
const D_HEX: &str = "0b8466c907c027b4e25ee42a7b57fe786414a1008edd3841f371c0fdebeda445\
af02acbd42a55431a9304ff463f7989b7daf578f8dc8a4b701cecadbe61b00fd9d42e16bfaaf06a6b932ce6600\
add0defa470b2cba9317f05052642813468dfccff648de980b5a753c113605138660ac57b2732d50a85e6d4465\
f72c9644ad71";

/// Public exponent `e` = 65537, big-endian without leading zeros.
pub(crate) const E: [u8; 3] = [0x01, 0x00, 0x01];

/// The same key as PKCS#8 (`PrivateKeyInfo`) DER.
pub(crate) const PKCS8_DER: &[u8] = include_bytes!("weak_rsa_1024.pk8.der");

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .bytes()
        .map(|c| match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => unreachable!("constant hex strings contain only lowercase hex digits"),
        })
        .collect();
    digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
}

/// The modulus as big-endian bytes without leading zeros (128 bytes).
pub(crate) fn modulus() -> Vec<u8> {
    hex(N_HEX)
}

/// Hash algorithms usable with the weak key (PKCS#1 v1.5 only).
#[derive(Clone, Copy, Debug)]
pub(crate) enum WeakHash {
    Sha256,
    Sha384,
    Sha512,
}

/// Signs `msg` with RSASSA-PKCS1-v1_5 using the fixed 1024-bit key.
pub(crate) fn sign(hash: WeakHash, msg: &[u8]) -> Vec<u8> {
    let (alg, prefix): (&'static digest::Algorithm, &[u8]) = match hash {
        WeakHash::Sha256 => (
            &digest::SHA256,
            &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
        ),
        WeakHash::Sha384 => (
            &digest::SHA384,
            &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
        ),
        WeakHash::Sha512 => (
            &digest::SHA512,
            &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        ),
    };
    let n = modulus();
    let k = n.len();
    let h = digest::digest(alg, msg);
    let t_len = prefix.len() + h.as_ref().len();
    // EM = 0x00 || 0x01 || PS (0xff..) || 0x00 || DigestInfo
    let mut em = vec![0xffu8; k];
    em[0] = 0x00;
    em[1] = 0x01;
    em[k - t_len - 1] = 0x00;
    em[k - t_len..k - h.as_ref().len()].copy_from_slice(prefix);
    em[k - h.as_ref().len()..].copy_from_slice(h.as_ref());

    let s = mod_pow(&em, &hex(D_HEX), &n);
    to_be_bytes(&s, k)
}

// ---- minimal little-endian u64-limb Montgomery arithmetic -----------------

fn from_be_bytes(bytes: &[u8], limbs: usize) -> Vec<u64> {
    let mut out = vec![0u64; limbs];
    for (i, b) in bytes.iter().rev().enumerate() {
        out[i / 8] |= u64::from(*b) << ((i % 8) * 8);
    }
    out
}

fn to_be_bytes(limbs: &[u64], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len];
    for i in 0..len {
        // Truncation to the low byte is the point here.
        #[allow(clippy::cast_possible_truncation)]
        let byte = (limbs[i / 8] >> ((i % 8) * 8)) as u8;
        out[len - 1 - i] = byte;
    }
    out
}

/// `a >= b` for equal-length limb slices.
fn ge(a: &[u64], b: &[u64]) -> bool {
    for i in (0..a.len()).rev() {
        if a[i] != b[i] {
            return a[i] > b[i];
        }
    }
    true
}

/// `a -= b`, returning the borrow.
fn sub_in_place(a: &mut [u64], b: &[u64]) -> bool {
    let mut borrow = false;
    for i in 0..a.len() {
        let (d1, b1) = a[i].overflowing_sub(b[i]);
        let (d2, b2) = d1.overflowing_sub(u64::from(borrow));
        a[i] = d2;
        borrow = b1 || b2;
    }
    borrow
}

#[allow(clippy::cast_possible_truncation)]
fn mont_mul(a: &[u64], b: &[u64], n: &[u64], n0inv: u64) -> Vec<u64> {
    let s = n.len();
    let mut t = vec![0u64; s + 2];
    for &bi in b.iter().take(s) {
        let mut c: u128 = 0;
        for j in 0..s {
            let x = u128::from(t[j]) + u128::from(a[j]) * u128::from(bi) + c;
            t[j] = x as u64;
            c = x >> 64;
        }
        let x = u128::from(t[s]) + c;
        t[s] = x as u64;
        t[s + 1] = (x >> 64) as u64;

        let m = t[0].wrapping_mul(n0inv);
        let x = u128::from(t[0]) + u128::from(m) * u128::from(n[0]);
        let mut c = x >> 64;
        for j in 1..s {
            let x = u128::from(t[j]) + u128::from(m) * u128::from(n[j]) + c;
            t[j - 1] = x as u64;
            c = x >> 64;
        }
        let x = u128::from(t[s]) + c;
        t[s - 1] = x as u64;
        t[s] = t[s + 1] + (x >> 64) as u64;
        t[s + 1] = 0;
    }
    let high = t[s];
    let mut r = t[..s].to_vec();
    if high != 0 || ge(&r, n) {
        sub_in_place(&mut r, n);
    }
    r
}

/// `base^exp mod n` for an odd modulus `n`, all big-endian byte strings.
fn mod_pow(base: &[u8], exp: &[u8], n_be: &[u8]) -> Vec<u64> {
    let s = n_be.len().div_ceil(8);
    let n = from_be_bytes(n_be, s);
    // n0inv = -n[0]^-1 mod 2^64 (Newton iteration; n[0] is odd).
    let mut inv: u64 = 1;
    for _ in 0..7 {
        inv = inv.wrapping_mul(2u64.wrapping_sub(n[0].wrapping_mul(inv)));
    }
    let n0inv = inv.wrapping_neg();

    // R^2 mod n by repeated doubling, starting from 1.
    let mut r2 = vec![0u64; s];
    r2[0] = 1;
    for _ in 0..(2 * 64 * s) {
        let carry = r2[s - 1] >> 63;
        for i in (1..s).rev() {
            r2[i] = (r2[i] << 1) | (r2[i - 1] >> 63);
        }
        r2[0] <<= 1;
        if carry != 0 || ge(&r2, &n) {
            sub_in_place(&mut r2, &n);
        }
    }

    let mut one = vec![0u64; s];
    one[0] = 1;
    let base_m = mont_mul(&from_be_bytes(base, s), &r2, &n, n0inv);
    let mut acc = mont_mul(&one, &r2, &n, n0inv);
    for byte in exp {
        for bit in (0..8).rev() {
            acc = mont_mul(&acc, &acc, &n, n0inv);
            if (byte >> bit) & 1 == 1 {
                acc = mont_mul(&acc, &base_m, &n, n0inv);
            }
        }
    }
    mont_mul(&acc, &one, &n, n0inv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{
        RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
        RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY, RsaPublicKeyComponents,
    };

    #[test]
    fn weak_key_signatures_verify_with_legacy_verifier() {
        let n = modulus();
        assert_eq!(n.len(), 128);
        let pk = RsaPublicKeyComponents {
            n: n.as_slice(),
            e: &E[..],
        };
        let sig = sign(WeakHash::Sha256, b"hello.world");
        assert_eq!(sig.len(), 128);
        pk.verify(
            &RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
            b"hello.world",
            &sig,
        )
        .expect("weak RS256 signature verifies");
        assert!(
            pk.verify(
                &RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY,
                b"hello.worle",
                &sig
            )
            .is_err()
        );
        let sig = sign(WeakHash::Sha512, b"abc");
        pk.verify(
            &RSA_PKCS1_1024_8192_SHA512_FOR_LEGACY_USE_ONLY,
            b"abc",
            &sig,
        )
        .expect("weak RS512 signature verifies");
    }

    #[test]
    fn pkcs8_der_contains_the_modulus() {
        let n = modulus();
        assert!(PKCS8_DER.windows(n.len()).any(|w| w == n.as_slice()));
        // aws-lc-rs refuses to import it: that is why this module exists.
        assert!(aws_lc_rs::rsa::KeyPair::from_pkcs8(PKCS8_DER).is_err());
    }
}
