//! The curve arithmetic against reference paths: complete formulas against each other, the
//! comb against the ladder, Edwards against Weierstrass, split tables against the plain wNAF.
#![allow(
    clippy::indexing_slicing,
    clippy::panic,
    clippy::unwrap_used,
    reason = "tests"
)]

use super::params::{AnyCurve, curve};
use super::*;
use crate::field::limbs_from_hex;
use crate::params::CurveId;
use crate::recode::WNAF_KEY;

fn check<const N: usize>(c: &Curve<N>) {
    let (gx, gy) = c.to_affine(&c.g).unwrap();
    assert!(c.is_on_curve(&gx, &gy));
    // Doubling agrees with addition, and stays on the curve.
    let d = c.double(&c.g);
    let (dx, dy) = c.to_affine(&d).unwrap();
    assert!(c.is_on_curve(&dx, &dy), "2G on curve");
    let d2 = c.add(&c.g, &c.g);
    let (dx, dy) = c.to_affine(&d2).unwrap();
    assert!(c.is_on_curve(&dx, &dy), "G+G on curve");
    assert!(c.eq(&d, &d2));
    let t = c.add(&d, &c.g);
    let (tx, ty) = c.to_affine(&t).unwrap();
    assert!(c.is_on_curve(&tx, &ty), "3G on curve");
    // q·G = O.
    assert!(
        bool::from(c.is_identity(&c.mul_vartime(&c.g, &c.q.m))),
        "qG"
    );
    // Fixed-base (constant-time) agrees with the generic ladder.
    let mut k = c.q.m;
    k[0] ^= 0x1234_5678;
    k[N - 1] >>= 1;
    let a = c.mul_base_ct(&k);
    let b = c.mul_vartime(&c.g, &k);
    assert!(c.eq(&a, &b));
    // Scalars with long runs of ones and zeros exercise the signed-digit carries.
    let mut ones = [u64::MAX; N];
    ones[N - 1] >>= 3;
    let mut qm1 = c.q.m;
    qm1[0] -= 1;
    for s in [ones, qm1, [0x5555_5555_5555_5555; N].map(|x| x >> 2), k] {
        assert!(c.eq(&c.mul_base_ct(&s), &c.mul_vartime(&c.g, &s)));
        // The Edwards comb (cofactor-4 curves) equals the Weierstrass comb.
        assert!(c.eq(&c.mul_base_ct(&s), &c.mul_base_ct_weierstrass(&s)));
    }
    // k = 0 gives the identity on every path.
    assert!(bool::from(c.is_identity(&c.mul_base_ct(&[0; N]))));
    assert!(c.is_identity_strict(&c.mul_base_ct(&[0; N])));
    // Small scalars, including digits that are zero.
    for small in [1u64, 2, 31, 32, 33, 63, 64, 65, 4096] {
        let mut s = [0u64; N];
        s[0] = small;
        assert!(
            c.eq(&c.mul_base_ct(&s), &c.mul_vartime(&c.g, &s)),
            "{small}"
        );
    }
    // u1·G + u2·P via Jacobian/wNAF equals the complete-formula result.
    let p = c.mul_vartime(&c.g, &[7u64; N].map(|x| x & 0xffff));
    let mut u2 = c.q.m;
    u2[0] ^= 0xdead_beef;
    u2[N - 1] >>= 2;
    let expect = c.add(&c.mul_vartime(&c.g, &k), &c.mul_vartime(&p, &u2));
    let (ex, _) = c.to_affine(&expect).unwrap();
    let x = c.p.retrieve(&ex);
    assert_eq!(c.mul2_vartime_x(&k, &p, &u2), Some(x));
    // The inversion-free check agrees: x mod q matches, a neighbour does not.
    let r = c.q.retrieve(&c.q.to_mont(&x));
    assert!(
        c.mul2_vartime_matches_r(&k, &p, &u2, &r),
        "p={:x?} x={x:x?} r={r:x?}",
        c.p.m
    );
    let mut r2 = r;
    r2[0] ^= 1;
    assert!(!c.mul2_vartime_matches_r(&k, &p, &u2, &r2));
    check_split(c, &p, [k, u2, ones, qm1]);
    // The constant-time variable-base multiplication of key agreement agrees with the ladder
    // (on the cofactor-4 curves it runs in Edwards form).
    let mut one = [0u64; N];
    one[0] = 1;
    for s in [
        k,
        u2,
        ones,
        qm1,
        one,
        [0xf0f0_f0f0_f0f0_f0f0; N].map(|x| x >> 4),
    ] {
        assert!(c.eq(&c.mul_ct(&p, &s), &c.mul_vartime(&p, &s)));
    }
    assert!(bool::from(c.is_identity(&c.mul_ct(&p, &[0; N]))));
    assert!(bool::from(c.is_identity(&c.mul_ct(&p, &c.q.m))));
    let (ax, ay) = c.to_affine(&a).unwrap();
    assert!(c.is_on_curve(&ax, &ay));
    // Identity handling.
    let o = c.identity();
    assert!(c.eq(&c.add(&o, &c.g), &c.g));
    assert!(bool::from(c.is_identity(&c.double(&o))));
    let neg = Point {
        x: c.g.x,
        y: c.p.neg(&c.g.y),
        z: c.g.z,
    };
    assert!(bool::from(c.is_identity(&c.add(&neg, &c.g))));
}

fn check_edwards<const N: usize>(c: &Curve<N>, u_hex: &str, v_hex: &str) {
    let f = &c.p;
    let ed = c.edwards().unwrap();
    // d is a non-square (a = 1 is a square): the Edwards addition is complete.
    let mut half = f.m;
    half[0] -= 1;
    let mut carry = 0;
    for l in half.iter_mut().rev() {
        let next = *l & 1;
        *l = (*l >> 1) | (carry << 63);
        carry = next;
    }
    let (s, t) = ed.s_t();
    // a = s² − 3t², b = 2t³ − t·s² (RFC 7836 §A).
    let t2 = f.square(&t);
    let a = f.sub(&f.square(&s), &f.add(&f.add(&t2, &t2), &t2));
    assert_eq!(a, c.a);
    let t3 = f.mul(&t2, &t);
    let b = f.sub(&f.add(&t3, &t3), &f.mul(&t, &f.square(&s)));
    assert_eq!(b, c.b);
    // The generator maps to the reference (u, v).
    let (u, v) = ed.g_affine(f);
    assert_eq!(f.retrieve(&u), limbs_from_hex::<N>(u_hex));
    assert_eq!(f.retrieve(&v), limbs_from_hex::<N>(v_hex));
    // Random-looking scalars: Edwards comb = Weierstrass comb = ladder.
    let mut k = c.q.m;
    for i in 0..20u64 {
        k[(i as usize) % N] ^= 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(i + 1);
        k[N - 1] &= u64::MAX >> 3;
        let a = c.mul_base_ct(&k);
        assert!(c.eq(&a, &c.mul_base_ct_weierstrass(&k)), "{i}");
        let (x, y) = c.to_affine(&a).unwrap();
        assert!(c.is_on_curve(&x, &y));
    }
    // Verification in Edwards form agrees with the Jacobian (Weierstrass) path, including
    // short scalars and a public point with a non-trivial Z.
    let p = c.mul_base_ct(&[0x0bad_cafe; N]);
    for i in 0..12u64 {
        let mut u1 = k;
        let mut u2 = c.q.m;
        u2[0] ^= i.wrapping_mul(0x1234_5678_9abc_def1);
        u2[N - 1] >>= 1 + (i as u32 % 3);
        if i % 4 == 1 {
            u1 = [0; N];
            u1[0] = i + 1;
        }
        if i % 4 == 2 {
            u2 = [0; N];
            u2[0] = 3 * i;
        }
        let x = c.mul2_vartime_x(&u1, &p, &u2).unwrap();
        let r = c.q.retrieve(&c.q.to_mont(&x));
        assert!(c.mul2_vartime_matches_r(&u1, &p, &u2, &r), "{i}");
        let mut r2 = r;
        r2[0] ^= 2;
        assert!(!c.mul2_vartime_matches_r(&u1, &p, &u2, &r2), "{i}");
        k[0] = k[0].rotate_left(7) ^ i;
    }
    // d^((p−1)/2) = −1.
    let dpow = f.pow_public(&ed_d(ed), &half);
    assert_eq!(dpow, f.neg(&f.one()));
}

fn ed_d<const N: usize>(ed: &Edwards<N>) -> Fe<N> {
    ed.d()
}

#[test]
fn edwards_forms_match_the_reference() {
    let AnyCurve::C256(c) = curve(CurveId::Tc26_256A) else {
        panic!()
    };
    check_edwards(
        c,
        "0D",
        "60CA1E32AA475B348488C38FAB07649CE7EF8DBE87F22E81F92B2592DBA300E7",
    );
    let AnyCurve::C512(c) = curve(CurveId::Tc26_512C) else {
        panic!()
    };
    check_edwards(
        c,
        "12",
        "469AF79D1FB1F5E16B99592B77A01E2A0FDFB0D01794368D9A56117F7B38669522DD4B650CF789EEBF068C5D139732F0905622C04B2BAAE7600303EE73001A3D",
    );
    for gc in [CurveId::CryptoProA, CurveId::Tc26_512A] {
        match curve(gc) {
            AnyCurve::C256(c) => assert!(c.edwards().is_none()),
            AnyCurve::C512(c) => assert!(c.edwards().is_none()),
        }
    }
}

/// The split tables (keys verified with before) give the same results as the plain
/// interleaved wNAF, directly and through the per-key cache (first, second and third use).
fn check_split<const N: usize>(c: &Curve<N>, p: &Point<N>, scalars: [[u64; N]; 4]) {
    let (px, py) = c.to_affine(p).unwrap();
    let pa = Point {
        x: px,
        y: py,
        z: c.p.one(),
    };
    let mut all = scalars.to_vec();
    // Every limb's wNAF carries into the 65th digit; zero limbs; a single top bit.
    all.push([u64::MAX; N]);
    let mut top = [0u64; N];
    top[N - 1] = 1 << 60;
    all.push(top);
    let mut sparse = [0u64; N];
    sparse[0] = 3;
    sparse[N / 2] = 0x8000_0000_0000_0001;
    all.push(sparse);
    for u1 in &all {
        for u2 in &all {
            let Some(x) = c.mul2_vartime_x(u1, &pa, u2) else {
                continue;
            };
            let r = c.q.retrieve(&c.q.to_mont(&x));
            if r == [0; N] {
                continue;
            }
            let mut wrong = r;
            wrong[0] ^= 2;
            match &c.ed {
                Some(ed) => {
                    let t = ed.key_tables(&c.p, &pa);
                    assert!(ed.mul2_split_matches_r(&c.p, &c.q.m, u1, &t, u2, &r));
                    assert!(!ed.mul2_split_matches_r(&c.p, &c.q.m, u1, &t, u2, &wrong));
                }
                None => {
                    let t = c.split_tables(&pa, 1 << (WNAF_KEY - 2)).unwrap();
                    let acc = c.mul2_split_jac(u1, &t, u2).unwrap();
                    let zi = c.p.invert(&acc.z);
                    let ax = c.p.retrieve(&c.p.mul(&acc.x, &c.p.square(&zi)));
                    assert_eq!(ax, x, "u1={u1:x?} u2={u2:x?}");
                }
            }
        }
    }
    let (u1, u2) = (scalars[0], scalars[1]);
    let x = c.mul2_vartime_x(&u1, &pa, &u2).unwrap();
    let r = c.q.retrieve(&c.q.to_mont(&x));
    let mut wrong = r;
    wrong[0] ^= 2;
    for _ in 0..3 {
        assert!(c.mul2_vartime_matches_r(&u1, &pa, &u2, &r));
        assert!(!c.mul2_vartime_matches_r(&u1, &pa, &u2, &wrong));
    }
    let key: Vec<u64> = pa.x.0.iter().chain(pa.y.0.iter()).copied().collect();
    assert!(
        matches!(c.prepared.get(&key), Some(Some(_))),
        "tables are kept after the second use"
    );
}

#[test]
fn all_curves_are_consistent() {
    for gc in [
        CurveId::Test256,
        CurveId::CryptoProA,
        CurveId::CryptoProB,
        CurveId::CryptoProC,
        CurveId::Tc26_256A,
        CurveId::Test512,
        CurveId::Tc26_512A,
        CurveId::Tc26_512B,
        CurveId::Tc26_512C,
    ] {
        match curve(gc) {
            AnyCurve::C256(c) => check(c),
            AnyCurve::C512(c) => check(c),
        }
    }
}

/// Timing probes (run with `--ignored --nocapture`).
mod timing {
    use crate::curve::params::{AnyCurve, curve};
    use crate::params::CurveId;

    #[test]
    #[ignore = "timing probe"]
    fn probe() {
        let AnyCurve::C256(c) = curve(CurveId::CryptoProA) else {
            panic!()
        };
        let mut x = c.g.y;
        let n = 1_000_000;
        let t = std::time::Instant::now();
        for _ in 0..n {
            x = c.p.mul(&x, &c.g.y);
        }
        let dt = t.elapsed();
        println!("mul256: {:?}/op {:?}", dt / n, x.0[0]);
        let mut pt = c.g;
        let t = std::time::Instant::now();
        for _ in 0..100_000 {
            pt = c.add(&pt, &c.g);
        }
        println!("add256: {:?}/op", t.elapsed() / 100_000);
        let t = std::time::Instant::now();
        for _ in 0..100_000 {
            pt = c.double(&pt);
        }
        println!("dbl256: {:?}/op {:?}", t.elapsed() / 100_000, pt.x.0[0]);
        let t = std::time::Instant::now();
        for _ in 0..1000 {
            x = c.p.invert(&x);
        }
        println!("inv256: {:?}/op", t.elapsed() / 1000);
        let k = c.q.m;
        let t = std::time::Instant::now();
        for _ in 0..1000 {
            pt = c.mul_base_ct(&k);
        }
        println!("mulbase: {:?}/op {:?}", t.elapsed() / 1000, pt.x.0[0]);
    }
}
