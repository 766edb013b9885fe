//! Picking the leading master among ZooKeeper group members, and reading its address.
//!
//! Members are the children `json.info_<seq>` (JSON `MasterInfo`, Mesos >= 0.24) and
//! `info_<seq>` (binary `MasterInfo`, older masters); the leader has the numerically smallest
//! sequence number across both labels. Anything else (`log_replicas`, ...) is not a member.

use std::net::Ipv4Addr;

use prost::Message as _;

use crate::driver::error::DriverError;
use crate::driver::master_url::{Endpoint, Scheme};
use crate::proto::mesos::MasterInfo;

/// How a member's data is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `json.info_<seq>`: JSON MasterInfo.
    Json,
    /// `info_<seq>`: protobuf MasterInfo.
    Protobuf,
}

/// One group member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// The child's name.
    pub name: String,
    /// Its sequence number.
    pub seq: u64,
    /// How its data is encoded.
    pub format: Format,
}

/// Parses a child name; `None` for non-members.
pub fn member(name: &str) -> Option<Member> {
    let (label, seq) = name.rsplit_once('_')?;
    if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let seq: u64 = seq.parse().ok()?;
    let format = match label {
        "json.info" => Format::Json,
        "info" => Format::Protobuf,
        _ => return None,
    };
    Some(Member {
        name: name.to_string(),
        seq,
        format,
    })
}

/// The member with the numerically smallest sequence number.
pub fn leader<S: AsRef<str>>(children: &[S]) -> Option<Member> {
    children
        .iter()
        .filter_map(|c| member(c.as_ref()))
        .min_by_key(|m| m.seq)
}

/// The scheduler endpoint of a member, from its znode data.
pub fn endpoint(member: &Member, data: &[u8], scheme: Scheme) -> Result<Endpoint, DriverError> {
    match member.format {
        Format::Json => endpoint_from_json(data, scheme),
        Format::Protobuf => {
            let info = MasterInfo::decode(data).map_err(|e| {
                DriverError::ZooKeeper(format!("{}: undecodable MasterInfo: {e}", member.name))
            })?;
            endpoint_from_info(&info, scheme)
        }
    }
}

fn bad(msg: impl Into<String>) -> DriverError {
    DriverError::ZooKeeper(msg.into())
}

fn endpoint_from_parts(host: &str, port: i64, scheme: Scheme) -> Option<Endpoint> {
    let port = u16::try_from(port).ok().filter(|p| *p != 0)?;
    if host.is_empty() {
        return None;
    }
    Some(Endpoint {
        scheme,
        host: host.to_string(),
        port,
        prefix: String::new(),
    })
}

/// `master@ip:port` → endpoint.
fn from_pid(pid: &str, scheme: Scheme) -> Option<Endpoint> {
    let (_, addr) = pid.split_once('@')?;
    let (host, port) = addr.rsplit_once(':')?;
    endpoint_from_parts(host, port.parse().ok()?, scheme)
}

/// MasterInfo.ip is the IPv4 address in network byte order read as a host-order integer.
fn from_packed_ip(ip: u32) -> String {
    Ipv4Addr::from(ip.to_le_bytes()).to_string()
}

/// Reads JSON MasterInfo: `address.ip`/`address.hostname` + `address.port`, else `pid`, else
/// the packed `ip` + `port`.
pub fn endpoint_from_json(data: &[u8], scheme: Scheme) -> Result<Endpoint, DriverError> {
    let v: serde_json::Value =
        serde_json::from_slice(data).map_err(|e| bad(format!("MasterInfo is not JSON: {e}")))?;
    let address = &v["address"];
    if let Some(port) = address["port"].as_i64() {
        for key in ["ip", "hostname"] {
            if let Some(ep) = address[key]
                .as_str()
                .and_then(|h| endpoint_from_parts(h, port, scheme))
            {
                return Ok(ep);
            }
        }
    }
    if let Some(ep) = v["pid"].as_str().and_then(|p| from_pid(p, scheme)) {
        return Ok(ep);
    }
    if let (Some(ip), Some(port)) = (v["ip"].as_u64(), v["port"].as_i64()) {
        if let Some(ep) = u32::try_from(ip)
            .ok()
            .and_then(|ip| endpoint_from_parts(&from_packed_ip(ip), port, scheme))
        {
            return Ok(ep);
        }
    }
    Err(bad("MasterInfo JSON names no usable address"))
}

fn endpoint_from_info(info: &MasterInfo, scheme: Scheme) -> Result<Endpoint, DriverError> {
    if let Some(a) = &info.address {
        for host in [&a.ip, &a.hostname].into_iter().flatten() {
            if let Some(ep) = endpoint_from_parts(host, a.port.into(), scheme) {
                return Ok(ep);
            }
        }
    }
    if let Some(ep) = info.pid.as_deref().and_then(|p| from_pid(p, scheme)) {
        return Ok(ep);
    }
    endpoint_from_parts(&from_packed_ip(info.ip), info.port.into(), scheme)
        .ok_or_else(|| bad("MasterInfo names no usable address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_20_smallest_sequence_wins_numerically_across_labels() {
        let children = [
            "log_replicas",
            "json.info_0000000012",
            "json.info_0000000010",
            "info_0000000011",
            "json.info_abc",
            "other_0000000001",
        ];
        let l = leader(&children).unwrap();
        assert_eq!(l.name, "json.info_0000000010");
        assert_eq!(l.format, Format::Json);
        let l = leader(
            &children[..4]
                .iter()
                .filter(|c| !c.ends_with("10"))
                .collect::<Vec<_>>(),
        )
        .unwrap();
        assert_eq!((l.seq, l.format), (11, Format::Protobuf));
        // Lexicographic order would pick "json.info_..." over "info_9" wrongly.
        let l = leader(&["json.info_0000000002", "info_9"]).unwrap();
        assert_eq!(l.seq, 2);
        assert_eq!(leader(&["log_replicas"]), None);
        assert_eq!(leader::<&str>(&[]), None);
    }

    #[test]
    fn address_preference() {
        let full = br#"{"address":{"hostname":"m1.example","ip":"10.0.0.1","port":5050},
            "hostname":"m1.example","id":"x","ip":16777226,"pid":"master@10.0.0.2:5051","port":5050}"#;
        let ep = endpoint_from_json(full, Scheme::Http).unwrap();
        assert_eq!((ep.host.as_str(), ep.port), ("10.0.0.1", 5050));
        let pid_only = br#"{"id":"x","ip":16777226,"pid":"master@10.0.0.2:5051","port":5050}"#;
        let ep = endpoint_from_json(pid_only, Scheme::Https).unwrap();
        assert_eq!(
            (ep.host.as_str(), ep.port, ep.scheme),
            ("10.0.0.2", 5051, Scheme::Https)
        );
        let packed = br#"{"id":"x","ip":16777226,"port":5050}"#;
        let ep = endpoint_from_json(packed, Scheme::Http).unwrap();
        assert_eq!((ep.host.as_str(), ep.port), ("10.0.0.1", 5050));
        assert!(endpoint_from_json(b"{}", Scheme::Http).is_err());
        assert!(endpoint_from_json(b"garbage", Scheme::Http).is_err());
    }

    #[test]
    fn binary_master_info() {
        let info = MasterInfo {
            id: "x".into(),
            ip: 16777343, // 127.0.0.1
            port: 5050,
            ..Default::default()
        };
        let m = member("info_0000000001").unwrap();
        let ep = endpoint(&m, &info.encode_to_vec(), Scheme::Http).unwrap();
        assert_eq!((ep.host.as_str(), ep.port), ("127.0.0.1", 5050));
        assert!(endpoint(&m, b"\xff\xff", Scheme::Http).is_err());
    }
}
