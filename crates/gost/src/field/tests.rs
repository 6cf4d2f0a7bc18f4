//! Field arithmetic against reference paths: pseudo-Mersenne and sparse Montgomery against the
//! generic Montgomery code, the variable-time inversion against Fermat.
#![allow(clippy::indexing_slicing, reason = "tests")]

use super::*;

#[test]
fn small_modulus_arithmetic() {
    // m = 2^255 - 19, check 3 * 5 = 15 and inversion.
    let m: [u64; 4] =
        limbs_from_hex("7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffed");
    let f = Modulus::new(m);
    let three = f.to_mont(&[3, 0, 0, 0]);
    let five = f.to_mont(&[5, 0, 0, 0]);
    assert_eq!(f.retrieve(&f.mul(&three, &five)), [15, 0, 0, 0]);
    let inv = f.invert(&three);
    assert_eq!(f.retrieve(&f.mul(&inv, &three)), [1, 0, 0, 0]);
    assert_eq!(f.retrieve(&f.sub(&three, &five)), {
        let mut x = m;
        x[0] -= 2;
        x
    });
    // Reduction of an integer above m.
    let big = [u64::MAX; 4];
    assert_eq!(f.retrieve(&f.to_mont(&big)), [18 + 19, 0, 0, 0]);
}

#[test]
fn pseudo_mersenne_matches_montgomery() {
    for hex in ["FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97"] {
        let m: [u64; 4] = limbs_from_hex(hex);
        let mont = Modulus::new(m);
        let pm = Modulus::new_field(m);
        assert!(pm.pm_c.is_some());
        let mut x = [0x1234_5678_9abc_def0u64, u64::MAX, 7, u64::MAX - 5];
        let mut y = [u64::MAX; 4];
        for _ in 0..200 {
            let a = mont.retrieve(&mont.mul(&mont.to_mont(&x), &mont.to_mont(&y)));
            let b = pm.retrieve(&pm.mul(&pm.to_mont(&x), &pm.to_mont(&y)));
            assert_eq!(a, b);
            let sq = mont.retrieve(&mont.square(&mont.to_mont(&x)));
            assert_eq!(sq, pm.retrieve(&pm.square(&pm.to_mont(&x))));
            let inv = pm.invert(&pm.to_mont(&x));
            assert_eq!(pm.retrieve(&pm.mul(&inv, &pm.to_mont(&x))), [1, 0, 0, 0]);
            // The addition chain equals the generic exponentiation.
            assert_eq!(inv, pm.pow_public(&pm.to_mont(&x), &pm.m_minus_2));
            y = x;
            x = a;
            x[3] ^= 0xffff_0000_0000_0000;
        }
        // -1 · -1 = 1 and the near-2^256 edge.
        let mut minus1 = m;
        minus1[0] -= 1;
        let a = pm.to_mont(&minus1);
        assert_eq!(pm.retrieve(&pm.mul(&a, &a)), [1, 0, 0, 0]);
        assert_eq!(pm.retrieve(&pm.to_mont(&[u64::MAX; 4])), [616, 0, 0, 0]);
        assert_eq!(pm.invert(&a), a);
        assert_eq!(pm.invert(&pm.zero()), pm.zero());
        assert_eq!(pm.invert(&pm.one()), pm.one());
    }
    let m: [u64; 8] = limbs_from_hex(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
    );
    let mont = Modulus::new(m);
    let pm = Modulus::new_field(m);
    assert!(pm.pm_c.is_some());
    let mut x = [u64::MAX - 1; 8];
    let mut y = [0x0123_4567_89ab_cdefu64; 8];
    for _ in 0..200 {
        let a = mont.retrieve(&mont.mul(&mont.to_mont(&x), &mont.to_mont(&y)));
        let b = pm.retrieve(&pm.mul(&pm.to_mont(&x), &pm.to_mont(&y)));
        assert_eq!(a, b);
        let sq = mont.retrieve(&mont.square(&mont.to_mont(&x)));
        assert_eq!(sq, pm.retrieve(&pm.square(&pm.to_mont(&x))));
        let inv = pm.invert(&pm.to_mont(&x));
        assert_eq!(inv, pm.pow_public(&pm.to_mont(&x), &pm.m_minus_2));
        assert_eq!(pm.mul(&inv, &pm.to_mont(&x)), pm.one());
        y = x;
        x = a;
        x[7] |= 0xfff0_0000_0000_0000;
    }
}

/// Deterministic xorshift64 for test inputs.
fn xorshift(s: &mut u64) -> u64 {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    *s
}

/// Every pseudo-Mersenne operation (the specialised N = 4 code, the generic N = 8 code,
/// the reduction and the add shortcut) against the generic Montgomery path, on edge values
/// (0, 1, 2^64 − 1, m − 2, m − 1, m, m + 1, 2^(64N) − 1, limbs of all ones and zeros) and
/// seeded random values, including random values just below m and unreduced inputs to
/// `mul`/`square` (allowed up to 2^(64N) − 1).
fn check_pm_against_montgomery<const N: usize>(hex: &str, seed: u64) {
    let m: [u64; N] = limbs_from_hex(hex);
    let mont = Modulus::new(m);
    let pm = Modulus::new_field(m);
    assert!(pm.pm_c.is_some(), "{hex}");
    let small = |v: u64| {
        let mut x = [0u64; N];
        x[0] = v;
        x
    };
    let plus = |d: u64| {
        let mut x = m;
        x[0] = x[0].wrapping_add(d);
        x
    };
    let mut values = vec![
        small(0),
        small(1),
        small(2),
        small(u64::MAX),
        plus(u64::MAX - 1), // m − 2
        plus(u64::MAX),     // m − 1
        m,
        plus(1),
        [u64::MAX; N],
    ];
    let mut top_only = [0u64; N];
    top_only[N - 1] = u64::MAX;
    values.push(top_only);
    let mut low_zero = [u64::MAX; N];
    low_zero[0] = 0;
    values.push(low_zero);
    let mut s = seed;
    for _ in 0..24 {
        let mut x = [0u64; N];
        for limb in x.iter_mut() {
            *limb = xorshift(&mut s);
        }
        values.push(x);
        // Just below m: the top limbs all ones.
        let mut near = m;
        near[0] = m[0].wrapping_sub(xorshift(&mut s) % (1 << 40));
        values.push(near);
    }
    let canon = |x: &[u64; N]| mont.retrieve(&mont.to_mont(x));
    for x in &values {
        let (xm, xp) = (mont.to_mont(x), pm.to_mont(x));
        assert_eq!(pm.retrieve(&xp), canon(x));
        assert!(lt_vartime(&xp.0, &m));
        let sq = mont.retrieve(&mont.square(&xm));
        assert_eq!(pm.retrieve(&pm.square(&xp)), sq, "square {x:x?}");
        // Unreduced input (x itself may be ≥ m).
        assert_eq!(pm.retrieve(&pm.square(&Fe(*x))), sq, "square raw {x:x?}");
        assert_eq!(pm.retrieve(&pm.neg(&xp)), mont.retrieve(&mont.neg(&xm)));
        for y in &values {
            let (ym, yp) = (mont.to_mont(y), pm.to_mont(y));
            let prod = mont.retrieve(&mont.mul(&xm, &ym));
            let got = pm.mul(&xp, &yp);
            assert!(lt_vartime(&got.0, &m));
            assert_eq!(pm.retrieve(&got), prod, "mul {x:x?} {y:x?}");
            assert_eq!(pm.retrieve(&pm.mul(&Fe(*x), &yp)), prod, "mul raw {x:x?}");
            let sum = pm.add(&xp, &yp);
            assert!(lt_vartime(&sum.0, &m));
            assert_eq!(pm.retrieve(&sum), mont.retrieve(&mont.add(&xm, &ym)));
            let diff = pm.sub(&xp, &yp);
            assert!(lt_vartime(&diff.0, &m));
            assert_eq!(pm.retrieve(&diff), mont.retrieve(&mont.sub(&xm, &ym)));
        }
    }
}

#[test]
fn pseudo_mersenne_ops_match_montgomery() {
    check_pm_against_montgomery::<4>(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
        0x9e37_79b9_7f4a_7c15,
    );
    check_pm_against_montgomery::<8>(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
        0x0123_4567_89ab_cdef,
    );
    // The largest c allowed (2^32 − 1, so that k·c + c cannot overflow): stresses the
    // reduction's final carries. m need not be prime for these ring operations.
    check_pm_against_montgomery::<4>(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000001",
        7,
    );
    check_pm_against_montgomery::<8>(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000001",
        11,
    );
}

/// The sparse Montgomery reduction (`m = 2^(64N−1) + m₀`) against the generic CIOS, on
/// edge and seeded values (first operand up to 2^(64N) − 1, as `mul` allows), and exact
/// small products through `to_mont`/`retrieve`.
fn check_sparse_montgomery<const N: usize>(hex: &str, seed: u64) {
    let m: [u64; N] = limbs_from_hex(hex);
    let f = Modulus::new_field(m);
    assert!(f.sparse && f.pm_c.is_none(), "{hex}");
    let small = |v: u64| {
        let mut x = [0u64; N];
        x[0] = v;
        x
    };
    let minus = |d: u64| {
        let mut x = m;
        x[0] = x[0].wrapping_sub(d);
        x
    };
    let mut values = vec![small(0), small(1), small(u64::MAX), minus(1), minus(2)];
    values.push(f.one);
    values.push(f.r2);
    let mut s = seed;
    for _ in 0..30 {
        let mut x = [0u64; N];
        for limb in x.iter_mut() {
            *limb = xorshift(&mut s);
        }
        // Random values below m (top bit clear) and just below m.
        x[N - 1] >>= 1;
        values.push(x);
        values.push(minus(xorshift(&mut s) % (1 << 40) + 1));
    }
    for x in &values {
        for y in &values {
            let got = f.mont_mul_sparse(x, y);
            assert_eq!(got, f.mont_mul_generic(x, y), "{x:x?} {y:x?}");
            assert!(lt_vartime(&got, &m));
        }
        // Any a < 2^(64N) in the first operand.
        let top = [u64::MAX; N];
        assert_eq!(f.mont_mul_sparse(&top, x), f.mont_mul_generic(&top, x));
    }
    let three = f.to_mont(&small(3));
    let five = f.to_mont(&small(5));
    assert_eq!(f.retrieve(&f.mul(&three, &five)), small(15));
    let minus1 = f.to_mont(&minus(1));
    assert_eq!(f.retrieve(&f.square(&minus1)), small(1));
    // Only the sparse shape takes the sparse path.
    let mut other = m;
    other[1] = 1;
    assert!(!Modulus::new(other).sparse);
}

#[test]
fn sparse_montgomery_matches_generic() {
    check_sparse_montgomery::<4>(
        "8000000000000000000000000000000000000000000000000000000000000C99",
        0x5151_5151_0000_0001,
    );
    check_sparse_montgomery::<8>(
        "8000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000006F",
        0xdead_beef_0bad_cafe,
    );
    // The largest m₀ (odd): exercises the carries out of the k·m₀ product.
    check_sparse_montgomery::<4>(
        "800000000000000000000000000000000000000000000000FFFFFFFFFFFFFFFF",
        3,
    );
}

fn check_invert_vartime<const N: usize>(hex: &str) {
    let m: [u64; N] = limbs_from_hex(hex);
    for f in [Modulus::new(m), Modulus::new_field(m)] {
        assert_eq!(f.invert_vartime(&f.zero()), f.zero());
        let mut minus1 = m;
        minus1[0] -= 1;
        let mut x = [0x0123_4567_89ab_cdefu64; N];
        x[N - 1] >>= 2;
        let mut edge = vec![[0u64; N], minus1, [u64::MAX; N]];
        edge[0][0] = 1;
        let mut two = [0u64; N];
        two[0] = 2;
        edge.push(two);
        for i in 0..100 {
            let a = f.to_mont(edge.get(i).unwrap_or(&x));
            let inv = f.invert_vartime(&a);
            assert_eq!(inv, f.invert(&a), "{hex} {i}");
            assert_eq!(f.mul(&inv, &a), f.one());
            x = f.retrieve(&f.add(&f.square(&f.to_mont(&x)), &f.one()));
        }
    }
}

#[test]
fn invert_vartime_matches_fermat() {
    // Near 2^256 and 2^512 (carry out of x + m), a 255-bit q, a generic 256-bit p, a
    // 510-bit q.
    check_invert_vartime::<4>("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97");
    check_invert_vartime::<4>("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893");
    check_invert_vartime::<4>("400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67");
    check_invert_vartime::<4>("9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D759B");
    check_invert_vartime::<8>(
        "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
    );
    check_invert_vartime::<8>(
        "3FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC98CDBA46506AB004C33A9FF5147502CC8EDA9E7A769A12694623CEF47F023ED",
    );
}

#[test]
fn modulus_near_word_size() {
    // 2^256 - 617 exercises the carry word.
    let m: [u64; 4] =
        limbs_from_hex("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97");
    let f = Modulus::new(m);
    let mut x = m;
    x[0] -= 1; // -1
    let a = f.to_mont(&x);
    assert_eq!(f.retrieve(&f.mul(&a, &a)), [1, 0, 0, 0]);
    assert_eq!(f.retrieve(&f.add(&a, &a)), {
        let mut y = m;
        y[0] -= 2;
        y
    });
}
