//! Resource identity: which entries are "the same kind of resource" and so combine.
//!
//! Two entries combine (are added, subtracted, compared) only when their [`ResourceKey`]s are
//! equal: same name, same reservation stack, same disk identity, same revocable/shared flags,
//! same resource provider. `allocation_info` is not part of the key (the master injects it), and
//! neither is a disk's `volume` (it says how a task mounts the disk, as in Mesos).

use std::fmt;

use crate::{Error, Result};

/// The role of unreserved resources.
pub const UNRESERVED_ROLE: &str = "*";

/// `Resource.ReservationInfo.Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ReservationType {
    Static,
    Dynamic,
}

impl ReservationType {
    /// Parses the enum name; `UNKNOWN` (and unset) is `None`, to be inferred.
    pub fn from_name(name: &str) -> Result<Option<ReservationType>> {
        match name {
            "STATIC" => Ok(Some(ReservationType::Static)),
            "DYNAMIC" => Ok(Some(ReservationType::Dynamic)),
            "UNKNOWN" => Ok(None),
            other => Err(Error::Resource(format!(
                "unknown reservation type {other:?} (expected STATIC or DYNAMIC)"
            ))),
        }
    }

    /// The enum name.
    pub const fn name(self) -> &'static str {
        match self {
            ReservationType::Static => "STATIC",
            ReservationType::Dynamic => "DYNAMIC",
        }
    }
}

/// A `Label` (`key`, optional `value`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    pub key: String,
    pub value: Option<String>,
}

/// One level of a reservation stack, in the RESERVATION_REFINEMENT form.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Reservation {
    pub kind: ReservationType,
    pub role: String,
    pub principal: Option<String>,
    /// Sorted, so label order does not matter (as in Mesos' `Labels` equality).
    pub labels: Vec<Label>,
}

impl Reservation {
    /// A reservation level. An unset type is inferred the way the legacy format implies it:
    /// DYNAMIC when a principal or labels are given, STATIC otherwise. `"*"` or an empty role is
    /// an error (only unreserved resources have role `"*"`).
    pub fn new(
        kind: Option<ReservationType>,
        role: impl Into<String>,
        principal: Option<String>,
        mut labels: Vec<Label>,
    ) -> Result<Reservation> {
        let role = role.into();
        if role.is_empty() || role == UNRESERVED_ROLE {
            return Err(Error::Resource(format!(
                "a reservation needs a role other than {role:?}"
            )));
        }
        labels.sort();
        let kind = kind.unwrap_or(if principal.is_some() || !labels.is_empty() {
            ReservationType::Dynamic
        } else {
            ReservationType::Static
        });
        Ok(Reservation {
            kind,
            role,
            principal,
            labels,
        })
    }
}

/// The legacy (pre-refinement) `role` + `reservation` fields as a reservation stack, the way
/// Mesos converts them: `"*"` is unreserved; a role alone is a STATIC reservation; a role with a
/// `reservation` (principal, labels) is a DYNAMIC one.
pub fn legacy_reservations(
    role: &str,
    dynamic: Option<(Option<String>, Vec<Label>)>,
) -> Result<Vec<Reservation>> {
    match (role, dynamic) {
        (UNRESERVED_ROLE, None) => Ok(Vec::new()),
        (UNRESERVED_ROLE, Some(_)) => Err(Error::Resource(
            "a 'reservation' needs a 'role' other than \"*\"".into(),
        )),
        (role, None) => Ok(vec![Reservation::new(
            Some(ReservationType::Static),
            role,
            None,
            Vec::new(),
        )?]),
        (role, Some((principal, labels))) => Ok(vec![Reservation::new(
            Some(ReservationType::Dynamic),
            role,
            principal,
            labels,
        )?]),
    }
}

/// Identity of a disk resource: its persistent volume id and its source (an opaque canonical
/// fingerprint of `DiskInfo.source`, compared whole).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DiskKey {
    pub persistence_id: Option<String>,
    pub source: Option<String>,
}

/// Everything that makes two resource entries the same kind of resource (except the value kind,
/// which must agree for equal names anyway).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceKey {
    pub name: String,
    /// Empty for unreserved resources; the last level is the current reservation.
    pub reservations: Vec<Reservation>,
    /// `Some` when the entry has a `disk` field at all (as in Mesos, `disk {}` differs from none).
    pub disk: Option<DiskKey>,
    pub revocable: bool,
    pub shared: bool,
    pub provider_id: Option<String>,
}

impl ResourceKey {
    /// The key of a plain unreserved resource.
    pub fn unreserved(name: impl Into<String>) -> ResourceKey {
        ResourceKey {
            name: name.into(),
            reservations: Vec::new(),
            disk: None,
            revocable: false,
            shared: false,
            provider_id: None,
        }
    }

    /// The same key reserved for `role` with a STATIC reservation (the legacy `role` field).
    pub fn reserved_for(name: impl Into<String>, role: &str) -> Result<ResourceKey> {
        let mut key = ResourceKey::unreserved(name);
        key.reservations = legacy_reservations(role, None)?;
        Ok(key)
    }

    /// The role the resource is reserved for: the last reservation's, or `"*"`.
    pub fn role(&self) -> &str {
        self.reservations
            .last()
            .map_or(UNRESERVED_ROLE, |r| r.role.as_str())
    }

    /// True when reserved for some role.
    pub fn is_reserved(&self) -> bool {
        !self.reservations.is_empty()
    }
}

/// `cpus`, `cpus(reserved for "a")`, `disk(reserved for "a", persistence "v1", revocable)`.
impl fmt::Display for ResourceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)?;
        let mut notes: Vec<String> = Vec::new();
        if let Some(r) = self.reservations.last() {
            let mut note = format!("reserved for {:?}", r.role);
            if r.kind == ReservationType::Dynamic {
                note.push_str(" (dynamic");
                if let Some(p) = &r.principal {
                    note.push_str(&format!(", principal {p:?}"));
                }
                note.push(')');
            }
            notes.push(note);
        }
        if let Some(disk) = &self.disk {
            if let Some(id) = &disk.persistence_id {
                notes.push(format!("persistence {id:?}"));
            }
            if let Some(source) = &disk.source {
                notes.push(format!("source {source}"));
            }
        }
        if self.revocable {
            notes.push("revocable".into());
        }
        if self.shared {
            notes.push("shared".into());
        }
        if let Some(p) = &self.provider_id {
            notes.push(format!("provider {p:?}"));
        }
        if !notes.is_empty() {
            write!(f, "({})", notes.join(", "))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_role_is_a_static_reservation() {
        let legacy = ResourceKey::reserved_for("cpus", "a").unwrap();
        let mut stack = ResourceKey::unreserved("cpus");
        stack.reservations = vec![Reservation::new(None, "a", None, vec![]).unwrap()];
        assert_eq!(legacy, stack);
        assert_eq!(legacy.role(), "a");
        assert!(legacy.is_reserved());
        assert_eq!(ResourceKey::reserved_for("cpus", "*").unwrap().role(), "*");
    }

    #[test]
    fn legacy_reservation_is_a_dynamic_reservation() {
        let labels = vec![Label {
            key: "k".into(),
            value: Some("v".into()),
        }];
        let legacy = legacy_reservations("a", Some((Some("p".into()), labels.clone()))).unwrap();
        let refined = vec![Reservation::new(None, "a", Some("p".into()), labels).unwrap()];
        assert_eq!(legacy, refined);
        assert_eq!(refined[0].kind, ReservationType::Dynamic);
        assert!(legacy_reservations("*", Some((None, vec![]))).is_err());
    }

    #[test]
    fn roles_keep_resources_apart() {
        let a = ResourceKey::reserved_for("cpus", "a").unwrap();
        let b = ResourceKey::reserved_for("cpus", "b").unwrap();
        let any = ResourceKey::unreserved("cpus");
        assert_ne!(a, b);
        assert_ne!(a, any);
        assert_ne!(b, any);
    }

    #[test]
    fn the_last_reservation_is_the_current_role() {
        let mut key = ResourceKey::unreserved("mem");
        key.reservations = vec![
            Reservation::new(Some(ReservationType::Static), "a", None, vec![]).unwrap(),
            Reservation::new(None, "a/b", Some("p".into()), vec![]).unwrap(),
        ];
        assert_eq!(key.role(), "a/b");
        // A refined stack is not the same reservation as its last level alone.
        assert_ne!(key, ResourceKey::reserved_for("mem", "a/b").unwrap());
        assert_eq!(
            key.to_string(),
            "mem(reserved for \"a/b\" (dynamic, principal \"p\"))"
        );
    }

    #[test]
    fn label_order_does_not_matter_and_bad_roles_are_rejected() {
        let l = |k: &str| Label {
            key: k.into(),
            value: None,
        };
        let x = Reservation::new(None, "a", None, vec![l("x"), l("y")]).unwrap();
        let y = Reservation::new(None, "a", None, vec![l("y"), l("x")]).unwrap();
        assert_eq!(x, y);
        assert!(Reservation::new(None, "*", None, vec![]).is_err());
        assert!(Reservation::new(None, "", None, vec![]).is_err());
        assert!(ReservationType::from_name("SOMETIMES").is_err());
        assert_eq!(ReservationType::from_name("UNKNOWN").unwrap(), None);
    }

    #[test]
    fn display_names_flags() {
        let mut key = ResourceKey::unreserved("disk");
        key.disk = Some(DiskKey {
            persistence_id: Some("v1".into()),
            source: None,
        });
        key.revocable = true;
        key.shared = true;
        assert_eq!(
            key.to_string(),
            "disk(persistence \"v1\", revocable, shared)"
        );
        assert_eq!(ResourceKey::unreserved("cpus").to_string(), "cpus");
    }
}
