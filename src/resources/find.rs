//! Turning a demand ("1 cpu for role a") into the concrete offered entries that satisfy it.
//!
//! The algebra compares whole reservation stacks, so a demand written as a bare role
//! (`role: "a"`, a STATIC reservation) would not match a DYNAMIC reservation for `a` with a
//! principal. [`find`] bridges that: a demand whose reservation levels carry no principal and no
//! labels matches any offered entry reserved for the same current role, whatever its stack;
//! unreserved demand matches only unreserved entries, as everywhere else.

use super::{Resource, ResourceKey, Resources};
use crate::Result;

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

/// Picks, from `available`, entries covering `demand`: each demand entry is drawn from the
/// entries that serve it, in `available` order (several may be used, e.g. a STATIC and a
/// DYNAMIC reservation for the same role). Returns the taken pieces, keeping the keys and
/// `extra` of the `available` entries they came from (ready to echo in a TaskInfo), or `None`
/// when the demand does not fit. The same name with two value kinds is a kind error.
pub fn find<E: Clone, F>(
    available: &Resources<E>,
    demand: &Resources<F>,
) -> Result<Option<Resources<E>>> {
    // Kind errors first, as for the other operations.
    demand.contains_in(available)?;
    let mut left: Vec<Resource<E>> = available.entries().to_vec();
    let mut taken: Vec<Resource<E>> = Vec::new();
    for want in demand.iter() {
        let mut missing = want.value.clone();
        for have in left.iter_mut() {
            if missing.is_zero() {
                break;
            }
            if !serves(&want.key, &have.key) {
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
                taken.push(have.with_value(take));
            }
        }
        if !missing.is_zero() {
            return Ok(None);
        }
    }
    Resources::from_entries(taken).map(Some)
}

/// True when `demand` can be served by `available` under [`find`]'s role matching.
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
}
