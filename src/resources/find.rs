//! Turning a demand ("1 cpu for role a") into the concrete offered entries that satisfy it.
//!
//! The algebra compares whole reservation stacks, so a demand written as a bare role
//! (`role: "a"`, a STATIC reservation) would not match a DYNAMIC reservation for `a` with a
//! principal. [`take`] bridges that: a demand whose reservation levels carry no principal and no
//! labels matches any offered entry reserved for the same current role, whatever its stack;
//! unreserved demand matches only unreserved entries, as everywhere else.

use super::resource::below_zero;
use super::{Resource, ResourceKey, Resources, Value};
use crate::{Error, Result};

/// True when the demand's reservation names roles only (no principal, no labels).
fn role_only(key: &ResourceKey) -> bool {
    key.reservations
        .iter()
        .all(|r| r.principal.is_none() && r.labels.is_empty())
}

/// True when `offered` can serve `demand`.
fn serves(demand: &ResourceKey, offered: &ResourceKey) -> bool {
    if demand.name != offered.name
        || demand.disk != offered.disk
        || demand.revocable != offered.revocable
        || demand.shared != offered.shared
        || demand.provider_id != offered.provider_id
    {
        return false;
    }
    if role_only(demand) {
        demand.role() == offered.role()
    } else {
        demand.reservations == offered.reservations
    }
}

/// Why a demand could not be taken.
enum Outcome<E> {
    Taken(Resources<E>, Resources<E>),
    Short(Error),
}

/// The work behind [`take`] and [`find`]; kind errors are `Err`, a shortfall is `Short`.
fn draw<E: Clone, F>(available: &Resources<E>, demand: &Resources<F>) -> Result<Outcome<E>> {
    // Kind errors first, as for the other operations.
    demand.contains_in(available)?;
    let mut left: Vec<Resource<E>> = available.entries().to_vec();
    let mut pieces: Vec<Vec<Resource<E>>> = vec![Vec::new(); demand.len()];
    // Demands naming an exact reservation can only be served by it, so they go first; bare-role
    // demands can use any entry of their role and take what is left (preferring their own key).
    let exact = demand
        .iter()
        .enumerate()
        .filter(|(_, w)| !role_only(&w.key));
    let bare = demand.iter().enumerate().filter(|(_, w)| role_only(&w.key));
    for (i, want) in exact.chain(bare) {
        let order = left
            .iter()
            .enumerate()
            .filter(|(_, have)| have.key == want.key)
            .chain(
                left.iter()
                    .enumerate()
                    .filter(|(_, have)| have.key != want.key),
            )
            .map(|(j, _)| j)
            .collect::<Vec<_>>();
        let mut missing = want.value.clone();
        let mut offered: Option<Value> = None;
        for j in order {
            let have = &mut left[j];
            if !serves(&want.key, &have.key) {
                continue;
            }
            offered = Some(match offered {
                None => have.value.clone(),
                Some(v) => v.add(&have.value).unwrap_or(v),
            });
            if missing.is_zero() {
                continue;
            }
            let Some(take) = have.value.common(&missing) else {
                continue;
            };
            if take.is_zero() {
                continue;
            }
            // `take` is within both by construction, so these subtractions succeed.
            if let (Some(rest), Some(still)) =
                (have.value.checked_sub(&take), missing.checked_sub(&take))
            {
                have.value = rest;
                missing = still;
                pieces[i].push(have.with_value(take));
            }
        }
        if !missing.is_zero() {
            // What this demand could draw on: the serving entries as they were at its turn.
            let have = offered.unwrap_or_else(|| Value::zero(want.value.kind()));
            return Ok(Outcome::Short(below_zero(&want.key, &have, &want.value)));
        }
    }
    let taken = Resources::from_entries(pieces.into_iter().flatten())?;
    let rest = Resources::from_entries(left)?;
    Ok(Outcome::Taken(taken, rest))
}

/// Draws `demand` from `available`: returns `(taken, rest)`, the pieces of `available` entries
/// that serve the demand (keeping their keys and `extra`, ready to echo in a TaskInfo, in demand
/// order) and what remains of `available`. Exact-reservation demands are served first, then
/// bare-role and unreserved ones (from an entry with their own key first, then in `available`
/// order; several entries may be used, e.g. a STATIC and a DYNAMIC reservation for one role).
/// A demand that does not fit is a [`Error::Resource`] naming the resource, what it could draw
/// on and the shortfall; the same name with two value kinds is a kind error.
pub fn take<E: Clone, F>(
    available: &Resources<E>,
    demand: &Resources<F>,
) -> Result<(Resources<E>, Resources<E>)> {
    match draw(available, demand)? {
        Outcome::Taken(taken, rest) => Ok((taken, rest)),
        Outcome::Short(err) => Err(err),
    }
}

/// The `taken` part of [`take`], or `None` when the demand does not fit.
pub fn find<E: Clone, F>(
    available: &Resources<E>,
    demand: &Resources<F>,
) -> Result<Option<Resources<E>>> {
    match draw(available, demand)? {
        Outcome::Taken(taken, _) => Ok(Some(taken)),
        Outcome::Short(_) => Ok(None),
    }
}

/// True when `demand` can be served by `available` under [`take`]'s role matching.
pub fn fits<E: Clone, F>(available: &Resources<E>, demand: &Resources<F>) -> Result<bool> {
    Ok(find(available, demand)?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{Reservation, ReservationType};

    fn reserved(mut r: Resource, stack: Vec<Reservation>) -> Resource {
        r.key.reservations = stack;
        r
    }

    fn dynamic(role: &str, principal: &str) -> Reservation {
        Reservation::new(
            Some(ReservationType::Dynamic),
            role,
            Some(principal.into()),
            vec![],
        )
        .unwrap()
    }

    fn fixed(role: &str) -> Reservation {
        Reservation::new(Some(ReservationType::Static), role, None, vec![]).unwrap()
    }

    fn offer() -> Resources {
        Resources::from_entries([
            Resource::scalar("cpus", 1.0).unwrap(),
            reserved(Resource::scalar("cpus", 2.0).unwrap(), vec![fixed("a")]),
            reserved(
                Resource::scalar("cpus", 2.0).unwrap(),
                vec![dynamic("a", "ops")],
            ),
            reserved(Resource::scalar("cpus", 4.0).unwrap(), vec![fixed("b")]),
            Resource::ranges("ports", [(31000, 31009)]).unwrap(),
        ])
        .unwrap()
    }

    #[test]
    fn a_bare_role_demand_draws_from_every_reservation_of_that_role() {
        let demand = Resources::from_entries([reserved(
            Resource::scalar("cpus", 3.0).unwrap(),
            vec![fixed("a")],
        )])
        .unwrap();
        let got = find(&offer(), &demand).unwrap().unwrap();
        assert_eq!(
            got.to_string(),
            "cpus(reserved for \"a\"):2; cpus(reserved for \"a\" (dynamic, principal \"ops\")):1"
        );
        // What was found is exactly contained in the offer, so it can be echoed and subtracted.
        assert!(offer().contains(&got).unwrap());
        let rest = offer().sub(&got).unwrap();
        assert_eq!(rest.scalar_total("cpus").to_f64(), 9.0 - 3.0);
    }

    #[test]
    fn roles_never_serve_each_other() {
        let too_much_a = Resources::from_entries([reserved(
            Resource::scalar("cpus", 4.5).unwrap(),
            vec![fixed("a")],
        )])
        .unwrap();
        assert_eq!(find(&offer(), &too_much_a).unwrap(), None);
        let unreserved = Resources::from_entries([Resource::scalar("cpus", 1.5).unwrap()]).unwrap();
        assert_eq!(find(&offer(), &unreserved).unwrap(), None);
        let one = Resources::from_entries([Resource::scalar("cpus", 1.0).unwrap()]).unwrap();
        assert_eq!(find(&offer(), &one).unwrap().unwrap().to_string(), "cpus:1");
    }

    #[test]
    fn a_detailed_demand_needs_the_exact_reservation() {
        let demand = Resources::from_entries([reserved(
            Resource::scalar("cpus", 2.0).unwrap(),
            vec![dynamic("a", "ops")],
        )])
        .unwrap();
        assert!(fits(&offer(), &demand).unwrap());
        let other = Resources::from_entries([reserved(
            Resource::scalar("cpus", 1.0).unwrap(),
            vec![dynamic("a", "someone")],
        )])
        .unwrap();
        assert!(!fits(&offer(), &other).unwrap());
    }

    #[test]
    fn ranges_demands_take_the_named_values() {
        let demand =
            Resources::from_entries([Resource::ranges("ports", [(31002, 31003)]).unwrap()])
                .unwrap();
        let got = find(&offer(), &demand).unwrap().unwrap();
        assert_eq!(got.to_string(), "ports:[31002-31003]");
        let outside =
            Resources::from_entries([Resource::ranges("ports", [(31009, 31010)]).unwrap()])
                .unwrap();
        assert_eq!(find(&offer(), &outside).unwrap(), None);
        let kind = Resources::from_entries([Resource::scalar("ports", 1.0).unwrap()]).unwrap();
        assert!(find(&offer(), &kind).is_err());
    }

    #[test]
    fn exact_demands_are_served_before_bare_role_ones() {
        // The DYNAMIC entry comes first, so a greedy bare-role demand would take it and leave
        // the exact DYNAMIC demand short; exact demands go first (and results keep demand order).
        let available = Resources::from_entries([
            reserved(
                Resource::scalar("cpus", 2.0).unwrap(),
                vec![dynamic("a", "ops")],
            ),
            reserved(Resource::scalar("cpus", 2.0).unwrap(), vec![fixed("a")]),
        ])
        .unwrap();
        let demand = Resources::from_entries([
            reserved(Resource::scalar("cpus", 2.0).unwrap(), vec![fixed("a")]),
            reserved(
                Resource::scalar("cpus", 2.0).unwrap(),
                vec![dynamic("a", "ops")],
            ),
        ])
        .unwrap();
        let (taken, rest) = take(&available, &demand).unwrap();
        assert_eq!(
            taken.to_string(),
            "cpus(reserved for \"a\"):2; cpus(reserved for \"a\" (dynamic, principal \"ops\")):2"
        );
        assert!(rest.is_empty());
        // Exact subtraction agrees whenever it succeeds.
        assert!(available.sub(&demand).unwrap().is_empty());
    }

    #[test]
    fn a_bare_role_demand_prefers_its_own_key() {
        let available = Resources::from_entries([
            reserved(
                Resource::scalar("cpus", 2.0).unwrap(),
                vec![dynamic("a", "ops")],
            ),
            reserved(Resource::scalar("cpus", 2.0).unwrap(), vec![fixed("a")]),
        ])
        .unwrap();
        let demand = Resources::from_entries([reserved(
            Resource::scalar("cpus", 1.0).unwrap(),
            vec![fixed("a")],
        )])
        .unwrap();
        let (taken, rest) = take(&available, &demand).unwrap();
        assert_eq!(taken.to_string(), "cpus(reserved for \"a\"):1");
        assert_eq!(rest.scalar_total("cpus").to_f64(), 3.0);
    }

    #[test]
    fn take_returns_the_rest_and_names_a_shortfall() {
        let demand = Resources::from_entries([
            reserved(Resource::scalar("cpus", 3.0).unwrap(), vec![fixed("a")]),
            Resource::ranges("ports", [(31000, 31001)]).unwrap(),
        ])
        .unwrap();
        let (taken, rest) = take(&offer(), &demand).unwrap();
        assert_eq!(taken.scalar_total("cpus").to_f64(), 3.0);
        assert_eq!(
            rest.to_string(),
            "cpus:1; cpus(reserved for \"a\" (dynamic, principal \"ops\")):1; \
             cpus(reserved for \"b\"):4; ports:[31002-31009]"
        );
        let too_much = Resources::from_entries([reserved(
            Resource::scalar("cpus", 4.5).unwrap(),
            vec![fixed("a")],
        )])
        .unwrap();
        let err = take(&offer(), &too_much).unwrap_err();
        assert!(matches!(err, Error::Resource(_)));
        assert_eq!(
            err.to_string(),
            "cannot subtract cpus(reserved for \"a\") 4.5 from 4: 0.5 short"
        );
        let ports = Resources::from_entries([Resource::ranges("ports", [(31008, 31012)]).unwrap()])
            .unwrap();
        assert_eq!(
            take(&offer(), &ports).unwrap_err().to_string(),
            "cannot subtract ports [31008-31012] from [31000-31009]: [31010-31012] short"
        );
        let gpus = Resources::from_entries([Resource::scalar("gpus", 1.0).unwrap()]).unwrap();
        assert_eq!(
            take(&offer(), &gpus).unwrap_err().to_string(),
            "cannot subtract gpus 1 from 0: 1 short"
        );
        let kind = Resources::from_entries([Resource::scalar("ports", 1.0).unwrap()]).unwrap();
        assert!(matches!(
            take(&offer(), &kind).unwrap_err(),
            Error::ResourceKind(_)
        ));
    }
}
