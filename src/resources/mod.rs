//! The Mesos resource algebra: scalars, ranges and sets, role and reservation aware.
//!
//! Rules (the Python natives `satyr._satyr.resources_*` follow them too):
//!
//! * **Scalars** are fixed point with three decimals ([`Quantity`], thousandths), rounded to the
//!   nearest thousandth (halves away from zero) as Mesos does, so `0.1 + 0.2 == 0.3`.
//!   **Ranges** are inclusive `u64` intervals, normalized; `+` is union, `-` difference, fitting
//!   is subset. **Sets** likewise with strings.
//! * **Identity.** Two entries combine only when their [`ResourceKey`]s are equal: same name,
//!   same reservation stack, same disk identity (persistence id and source; not the volume),
//!   same revocable and shared flags, same provider id. Value kind must agree for a name:
//!   `cpus` as SCALAR and as RANGES is a kind error. `allocation_info` is not part of the key.
//! * **Reservations.** The key holds the reservation stack in the RESERVATION_REFINEMENT form:
//!   legacy `role: "a"` is `reservations: [{type: STATIC, role: "a"}]`, legacy `role: "a"` with
//!   `reservation: {principal, labels}` is `[{type: DYNAMIC, role: "a", principal, labels}]`, and
//!   `"*"` is unreserved (empty stack). The last level is the current role. The whole stack is
//!   compared (type, role, principal, labels), exactly as Mesos does, so whatever the algebra
//!   merges can be echoed back to the master. Hence resources reserved for role `a` are never
//!   counted for role `b` nor for unreserved demand, and unreserved resources never count for a
//!   reserved demand.
//! * **Zero.** Results never hold zero entries (scalar 0, no ranges, no items); zero entries on
//!   input are accepted and mean "nothing" (a zero demand always fits; zero equals absent).
//! * **Errors.** [`crate::Error::Resource`] for bad values and for subtraction below zero (the
//!   message names the resource and both amounts); [`crate::Error::ResourceKind`] for mixing
//!   kinds (`cpus + mem` on single resources, one name with two value kinds).
//! * **Extra.** Each entry carries an opaque `extra` naming the entry it came from, so results
//!   keep every other field of their source (the left operand's for shared keys): `offer - task`
//!   keeps the offer's metadata.

mod find;
mod key;
mod quantity;
mod ranges;
mod resource;
#[allow(clippy::module_inception)] // the collection type is named after the module
mod resources;
mod set;
mod value;

#[cfg(test)]
mod tests;

pub use find::{find, fits, take};
pub use key::{
    legacy_reservations, DiskKey, Label, Reservation, ReservationType, ResourceKey, UNRESERVED_ROLE,
};
pub use quantity::{Quantity, SCALE};
pub use ranges::{Range, Ranges};
pub use resource::Resource;
pub use resources::Resources;
pub use set::ItemSet;
pub use value::{Value, ValueKind};
