//! Unit tests of the bin-packing core: satyr's golden table, the weight formula, fixed point,
//! the fast paths against straightforward reference implementations, and the portfolio.

use super::problem::{fits, to_fixed, to_float};
use super::weight::{share, weigh};
use super::*;

const CPUS_MEM: [(usize, f64); 2] = [(0, 1.0), (1, 1.0)];

fn vectors(rows: &[[f64; 3]]) -> Vectors {
    let flat: Vec<f64> = rows.iter().flatten().copied().collect();
    Vectors::from_f64(3, &flat).unwrap()
}

/// satyr's test fixture: offers O0..O3 and tasks T0..T6 as (cpus, mem, disk).
fn golden() -> Problem {
    let offers = vectors(&[
        [1.1, 2048.0, 0.0],
        [2.0, 512.0, 0.0],
        [0.8, 1024.0, 0.0],
        [1.6, 2048.0, 0.0],
    ]);
    let tasks = vectors(&[
        [0.1, 128.0, 0.0],
        [1.0, 256.0, 0.0],
        [3.0, 4096.0, 0.0],
        [0.2, 64.0, 0.0],
        [1.4, 1024.0, 0.0],
        [0.5, 128.0, 0.0],
        [0.1, 128.0, 0.0],
    ]);
    Problem::new(tasks, offers).unwrap()
}

/// Bins' contents in placement order and the skipped items in processing order.
fn layout(p: &Packing, bins: usize) -> (Vec<Vec<usize>>, Vec<usize>) {
    let mut out = vec![Vec::new(); bins];
    let mut skip = Vec::new();
    for &i in &p.order {
        match p.assignment[i] {
            Some(b) => out[b].push(i),
            None => skip.push(i),
        }
    }
    (out, skip)
}

fn run(method: Method) -> (Vec<Vec<usize>>, Vec<usize>) {
    let problem = golden();
    let w = Weights::new(CPUS_MEM.to_vec(), 3).unwrap();
    let p = pack(method, &problem, Some(&w)).unwrap();
    p.validate(&problem).unwrap();
    layout(&p, 4)
}

#[test]
fn golden_ff() {
    assert_eq!(
        run(Method::Ff),
        (vec![vec![0, 1], vec![3, 5, 6], vec![], vec![4]], vec![2])
    );
}

#[test]
fn golden_ffd() {
    assert_eq!(
        run(Method::Ffd),
        (vec![vec![1, 0], vec![5, 3, 6], vec![], vec![4]], vec![2])
    );
}

#[test]
fn golden_mr() {
    assert_eq!(
        run(Method::Mr),
        (vec![vec![3, 5], vec![6], vec![], vec![0, 1]], vec![2, 4])
    );
}

#[test]
fn golden_bf() {
    assert_eq!(
        run(Method::Bf),
        (vec![vec![1], vec![], vec![0, 3, 5], vec![4, 6]], vec![2])
    );
}

#[test]
fn golden_bfd() {
    assert_eq!(
        run(Method::Bfd),
        (vec![vec![1], vec![], vec![5, 3, 0], vec![4, 6]], vec![2])
    );
}

#[test]
fn golden_weights() {
    let p = golden();
    let w = weigh(p.items().data(), 3, &CPUS_MEM);
    let expected = [0.0379, 0.2027, 1.1795, 0.0427, 0.3980, 0.1013, 0.0379];
    for (got, want) in w.iter().zip(expected) {
        assert!((got - want).abs() < 5e-5, "{got} vs {want}");
    }
    let offers = p.bins().data();
    let total = |terms: &[(usize, f64)]| weigh(offers, 3, terms).iter().sum::<f64>();
    assert!((total(&[(0, 1.0)]) - 1.0).abs() < 1e-12);
    assert!((total(&CPUS_MEM) - 2.0).abs() < 1e-12);
    assert!((total(&[(0, 4.0), (1, 1.5)]) - 5.5).abs() < 1e-12);
}

#[test]
fn zero_sum_attribute_contributes_nothing() {
    let p = golden();
    // disk is 0 everywhere: weighting by it alone gives zeros, with cpus it changes nothing.
    assert!(weigh(p.items().data(), 3, &[(2, 1.0)])
        .iter()
        .all(|&w| w == 0.0));
    assert_eq!(
        weigh(p.items().data(), 3, &[(0, 1.0), (2, 7.0)]),
        weigh(p.items().data(), 3, &[(0, 1.0)])
    );
}

#[test]
fn fixed_point_fits_exactly() {
    // 0.1 + 0.2 > 0.3 in binary floating point, but not in Mesos' fixed point.
    let items = Vectors::from_f64(1, &[0.1, 0.2]).unwrap();
    let bins = Vectors::from_f64(1, &[0.3]).unwrap();
    let p = satyr::ff(&Problem::new(items, bins).unwrap());
    assert_eq!(p.assignment, vec![Some(0), Some(0)]);
    assert_eq!(
        to_fixed(0.1).unwrap() + to_fixed(0.2).unwrap(),
        to_fixed(0.3).unwrap()
    );
    assert_eq!(to_float(to_fixed(0.1).unwrap()), 0.1);
    assert_eq!(to_fixed(1.0005).unwrap(), 1001); // rounds half away from zero, like llround
}

#[test]
fn bad_input_is_rejected() {
    assert!(to_fixed(-1.0).is_err());
    assert!(to_fixed(f64::NAN).is_err());
    assert!(to_fixed(f64::INFINITY).is_err());
    assert!(to_fixed(1e300).is_err());
    assert!(Vectors::from_f64(2, &[1.0, 2.0, 3.0]).is_err());
    assert!(Vectors::from_f64(0, &[]).is_err());
    assert!(Vectors::new(1, vec![-5]).is_err());
    let items = Vectors::from_f64(2, &[1.0, 1.0]).unwrap();
    let bins = Vectors::from_f64(3, &[1.0, 1.0, 1.0]).unwrap();
    assert!(Problem::new(items, bins).is_err());
    assert!(Weights::new(vec![], 3).is_err());
    assert!(Weights::new(vec![(3, 1.0)], 3).is_err());
    assert!(Weights::new(vec![(0, f64::NAN)], 3).is_err());
    assert!(Method::from_name("nope")
        .unwrap_err()
        .to_string()
        .contains("ffd"));
    for m in [Method::Ffd, Method::Mr, Method::Bf, Method::Bfd] {
        assert!(pack(m, &golden(), None)
            .unwrap_err()
            .to_string()
            .contains("weights"));
    }
    assert!(portfolio::best(&golden(), &[], None).is_err());
}

#[test]
fn method_names_round_trip() {
    for m in Method::ALL {
        assert_eq!(Method::from_name(m.name()).unwrap(), m);
    }
}

/// A small deterministic generator (no external crates needed for tests).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

/// Random instance with coarse values so that ties and equal leftovers are frequent.
fn random_problem(rng: &mut Lcg, items: usize, bins: usize, dims: usize, coarse: bool) -> Problem {
    let q = |rng: &mut Lcg, hi: u64| {
        if coarse {
            rng.next(hi / 250 + 1) as i64 * 250
        } else {
            rng.next(hi) as i64
        }
    };
    let it: Vec<i64> = (0..items * dims).map(|_| q(rng, 3000)).collect();
    let bn: Vec<i64> = (0..bins * dims).map(|_| q(rng, 12000)).collect();
    Problem::new(
        Vectors::new(dims, it).unwrap(),
        Vectors::new(dims, bn).unwrap(),
    )
    .unwrap()
}

/// First fit by a plain scan of the bins.
fn naive_ff(problem: &Problem, order: &[usize]) -> Vec<Option<usize>> {
    let d = problem.dims();
    let mut caps = problem.capacities();
    let mut out = vec![None; problem.item_count()];
    for &i in order {
        let item = problem.item(i);
        if let Some(b) = (0..problem.bin_count()).find(|&b| fits(item, &caps[b * d..(b + 1) * d])) {
            for (c, x) in caps[b * d..(b + 1) * d].iter_mut().zip(item) {
                *c -= x;
            }
            out[i] = Some(b);
        }
    }
    out
}

/// satyr's best fit written the way satyr computes it: weigh the candidates' leftovers with
/// the weight formula, take the first minimum.
fn naive_bf(problem: &Problem, w: &Weights, order: &[usize]) -> Vec<Option<usize>> {
    let d = problem.dims();
    let mut caps = problem.capacities();
    let mut out = vec![None; problem.item_count()];
    for &i in order {
        let item = problem.item(i);
        let mut cands = Vec::new();
        let mut left = Vec::new();
        for b in 0..problem.bin_count() {
            let cap = &caps[b * d..(b + 1) * d];
            if fits(item, cap) {
                cands.push(b);
                left.extend(cap.iter().zip(item).map(|(c, x)| c - x));
            }
        }
        if cands.is_empty() {
            continue;
        }
        let weights = weigh(&left, d, w.terms());
        let mut best = 0;
        for c in 1..cands.len() {
            if weights[c] < weights[best] {
                best = c;
            }
        }
        let b = cands[best];
        for (c, x) in caps[b * d..(b + 1) * d].iter_mut().zip(item) {
            *c -= x;
        }
        out[i] = Some(b);
    }
    out
}

#[test]
fn fast_paths_match_reference_implementations() {
    let mut rng = Lcg(7);
    for round in 0..60 {
        let dims = 1 + round % 5;
        let coarse = round % 2 == 0;
        let p = random_problem(&mut rng, 40 + round * 3, 1 + round % 23, dims, coarse);
        let terms: Vec<(usize, f64)> = (0..dims)
            .rev()
            .map(|a| (a, [1.0, 0.5, 3.0, 1.5, 2.0][a]))
            .collect();
        let w = Weights::new(terms, dims).unwrap();
        let identity: Vec<usize> = (0..p.item_count()).collect();
        assert_eq!(satyr::ff(&p).assignment, naive_ff(&p, &identity));
        assert_eq!(satyr::bf(&p, &w).assignment, naive_bf(&p, &w, &identity));
        let dec = satyr::decreasing(&p, &w);
        assert_eq!(satyr::ffd(&p, &w).assignment, naive_ff(&p, &dec));
        assert_eq!(satyr::bfd(&p, &w).assignment, naive_bf(&p, &w, &dec));
        for m in Method::ALL {
            let packing = pack(m, &p, Some(&w)).unwrap();
            packing.validate(&p).unwrap();
        }
    }
}

#[test]
fn real_ties_are_broken_like_satyr_floats() {
    // Small integer capacities and zero-ish demands: many candidates tie in real arithmetic
    // with different leftovers, so satyr's float rounding decides (the exact path).
    let mut rng = Lcg(3);
    for round in 0..200 {
        let dims = 2 + round % 2;
        let bins: Vec<i64> = (0..24 * dims).map(|_| rng.next(7) as i64 * 1000).collect();
        let items: Vec<i64> = (0..30 * dims).map(|_| rng.next(2) as i64 * 1000).collect();
        let p = Problem::new(
            Vectors::new(dims, items).unwrap(),
            Vectors::new(dims, bins).unwrap(),
        )
        .unwrap();
        let w = Weights::new((0..dims).map(|a| (a, 1.0)).collect(), dims).unwrap();
        let identity: Vec<usize> = (0..p.item_count()).collect();
        assert_eq!(satyr::bf(&p, &w).assignment, naive_bf(&p, &w, &identity));
    }
}

#[test]
fn identical_bins_match_reference() {
    // A fleet of equal agents: bins with equal remaining capacity are handled as groups.
    let mut rng = Lcg(11);
    for round in 0..40 {
        let dims = 1 + round % 4;
        let agent: Vec<i64> = (0..dims)
            .map(|_| 4000 + rng.next(4) as i64 * 2000)
            .collect();
        let bins: Vec<i64> = (0..30).flat_map(|_| agent.clone()).collect();
        let items: Vec<i64> = (0..150 * dims).map(|_| rng.next(5) as i64 * 500).collect();
        let p = Problem::new(
            Vectors::new(dims, items).unwrap(),
            Vectors::new(dims, bins).unwrap(),
        )
        .unwrap();
        let w = Weights::new((0..dims).map(|a| (a, 1.0 + a as f64)).collect(), dims).unwrap();
        let identity: Vec<usize> = (0..p.item_count()).collect();
        assert_eq!(satyr::bf(&p, &w).assignment, naive_bf(&p, &w, &identity));
        let dec = satyr::decreasing(&p, &w);
        assert_eq!(satyr::bfd(&p, &w).assignment, naive_bf(&p, &w, &dec));
    }
}

#[test]
fn decreasing_order_is_stable() {
    // Equal weights keep input order, like Python's sorted(reverse=True).
    let items = Vectors::from_f64(1, &[1.0, 2.0, 1.0, 2.0, 1.0]).unwrap();
    let bins = Vectors::from_f64(1, &[10.0]).unwrap();
    let p = Problem::new(items, bins).unwrap();
    let w = Weights::new(vec![(0, 1.0)], 1).unwrap();
    assert_eq!(satyr::decreasing(&p, &w), vec![1, 3, 0, 2, 4]);
}

#[test]
fn share_matches_python_expression() {
    // k * (x / s), not (k * x) / s: they differ in the last bit for these values.
    // Python: 3 * (0.1 / 0.7) == 0.4285714285714286, (3 * 0.1) / 0.7 == 0.42857142857142866.
    let (k, x, s) = (3.0, 0.1, 0.7);
    assert_eq!(share(k, x, s), 0.4285714285714286);
    assert_ne!(share(k, x, s), (k * x) / s);
}

#[test]
fn vector_heuristics_fill_bins() {
    // Two complementary shapes: a good heuristic pairs them, 4 items -> 2 bins.
    let items = Vectors::from_f64(2, &[6.0, 4.0, 6.0, 4.0, 4.0, 6.0, 4.0, 6.0]).unwrap();
    let bins = Vectors::from_f64(2, &[10.0; 8]).unwrap();
    let p = Problem::new(items, bins).unwrap();
    for m in [Method::DotProduct, Method::L2, Method::BfdL2, Method::FfdL2] {
        let packing = pack(m, &p, None).unwrap();
        packing.validate(&p).unwrap();
        assert_eq!(packing.skipped(), 0, "{m:?}");
        assert_eq!(packing.bins_used(), 2, "{m:?}");
    }
}

#[test]
fn portfolio_is_never_worse_than_its_members() {
    let mut rng = Lcg(99);
    for round in 0..20 {
        let p = random_problem(&mut rng, 80, 30, 1 + round % 4, round % 2 == 1);
        let (winner, packing) = portfolio::best(&p, &portfolio::DEFAULT, None).unwrap();
        packing.validate(&p).unwrap();
        let rank = |pk: &Packing| (pk.skipped(), pk.bins_used());
        let w = Weights::uniform(p.dims());
        let ranks: Vec<_> = portfolio::DEFAULT
            .iter()
            .map(|&m| rank(&pack(m, &p, Some(&w)).unwrap()))
            .collect();
        assert!(ranks.iter().all(|r| rank(&packing) <= *r));
        // Ties go to the earliest member.
        let first = ranks.iter().position(|r| *r == rank(&packing)).unwrap();
        assert_eq!(portfolio::DEFAULT[first], winner);
    }
}
