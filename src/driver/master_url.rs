//! Parsing every form of master address: `http(s)://host:port`, `host:port`, `master@ip:port`,
//! comma-separated lists of those, `zk://[user:pass@]h1:p1,h2:p2/path` and `file:///path`.

use std::fmt;
use std::path::PathBuf;

use super::error::DriverError;

/// Port a Mesos master listens on when the address names none.
pub const DEFAULT_MASTER_PORT: u16 = 5050;
/// Port a ZooKeeper server listens on when the address names none.
pub const DEFAULT_ZK_PORT: u16 = 2181;

/// Plain HTTP or HTTP over TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// `http://`
    Http,
    /// `https://` (rustls)
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// One master: where to send `POST <prefix>/api/v1/scheduler`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// http or https.
    pub scheme: Scheme,
    /// Host name or IP address (IPv6 without brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
    /// Path before `/api/v1/scheduler` (e.g. behind a proxy); empty for a plain master.
    pub prefix: String,
}

impl Endpoint {
    /// A plain `http://host:port` endpoint.
    pub fn http(host: impl Into<String>, port: u16) -> Self {
        Endpoint {
            scheme: Scheme::Http,
            host: host.into(),
            port,
            prefix: String::new(),
        }
    }

    /// `host:port`, with brackets around an IPv6 address.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// The scheduler API URL of this master.
    pub fn scheduler_url(&self) -> String {
        format!(
            "{}://{}{}/api/v1/scheduler",
            self.scheme.as_str(),
            self.authority(),
            self.prefix
        )
    }

    /// The endpoint named by a 307 `Location` (usually protocol-relative `//host:port/path`),
    /// keeping this endpoint's scheme and path prefix.
    pub fn follow_location(&self, location: &str) -> Result<Endpoint, DriverError> {
        let rest = if let Some(r) = location.strip_prefix("//") {
            r
        } else if let Some((_, r)) = location.split_once("://") {
            r
        } else {
            location
        };
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let (host, port) = split_host_port(location, authority, self.port)?;
        Ok(Endpoint {
            scheme: self.scheme,
            host,
            port,
            prefix: self.prefix.clone(),
        })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.authority(),
            self.prefix
        )
    }
}

/// A `zk://` address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZkUrl {
    /// `(host, port)` of each ZooKeeper server.
    pub servers: Vec<(String, u16)>,
    /// `digest` credentials `(user, password)`, if the URL had `user:pass@`.
    pub credentials: Option<(String, String)>,
    /// The znode the masters register under, e.g. `/mesos`.
    pub path: String,
}

/// Where the leading master is found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterSpec {
    /// Fixed masters, tried in turn; 307 redirects lead to the leader.
    Endpoints(Vec<Endpoint>),
    /// The leader is the smallest-sequence `json.info_` member under a ZooKeeper path.
    ZooKeeper(ZkUrl),
    /// A file holding one of the other forms (read at detection time).
    File(PathBuf),
}

/// Parses any master address form.
pub fn parse(input: &str) -> Result<MasterSpec, DriverError> {
    let s = input.trim();
    if s.is_empty() {
        return Err(DriverError::master_url(input, "empty address"));
    }
    if let Some(rest) = s.strip_prefix("zk://") {
        return parse_zk(input, rest).map(MasterSpec::ZooKeeper);
    }
    if let Some(path) = s.strip_prefix("file://") {
        if !path.starts_with('/') {
            return Err(DriverError::master_url(
                input,
                "file:// needs an absolute path",
            ));
        }
        return Ok(MasterSpec::File(PathBuf::from(path)));
    }
    let endpoints = s
        .split(',')
        .map(|part| parse_endpoint(input, part.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(MasterSpec::Endpoints(endpoints))
}

/// Parses a file:// file's content: any form but another file://.
pub fn parse_file_content(path: &str, content: &str) -> Result<MasterSpec, DriverError> {
    match parse(content)? {
        MasterSpec::File(_) => Err(DriverError::master_url(
            content.trim(),
            format!("{path} names another file:// address"),
        )),
        spec => Ok(spec),
    }
}

fn parse_endpoint(input: &str, part: &str) -> Result<Endpoint, DriverError> {
    if part.is_empty() {
        return Err(DriverError::master_url(
            input,
            "empty entry in the address list",
        ));
    }
    let (scheme, rest) = if let Some(r) = part.strip_prefix("http://") {
        (Scheme::Http, r)
    } else if let Some(r) = part.strip_prefix("https://") {
        (Scheme::Https, r)
    } else if let Some((other, _)) = part.split_once("://") {
        return Err(DriverError::master_url(
            input,
            format!("unsupported scheme {other:?} (use http, https, zk or file)"),
        ));
    } else {
        // The libprocess UPID form `master@ip:port`.
        let bare = match part.split_once('@') {
            Some((_, addr)) => addr,
            None => part,
        };
        (Scheme::Http, bare)
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(DriverError::master_url(
            input,
            "credentials in an http URL are not used; configure principal and secret",
        ));
    }
    let (host, port) = split_host_port(input, authority, DEFAULT_MASTER_PORT)?;
    let prefix = path.trim_end_matches('/').to_string();
    if prefix.contains(['?', '#']) {
        return Err(DriverError::master_url(
            input,
            "query or fragment in a master URL",
        ));
    }
    Ok(Endpoint {
        scheme,
        host,
        port,
        prefix,
    })
}

/// Splits `host[:port]` or `[v6][:port]`.
fn split_host_port(
    input: &str,
    authority: &str,
    default_port: u16,
) -> Result<(String, u16), DriverError> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let Some((host, after)) = rest.split_once(']') else {
            return Err(DriverError::master_url(
                input,
                "unclosed '[' in an IPv6 address",
            ));
        };
        match after.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if after.is_empty() => (host, None),
            None => return Err(DriverError::master_url(input, "junk after ']'")),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h, Some(p)),
            Some(_) => {
                return Err(DriverError::master_url(
                    input,
                    "an IPv6 address needs brackets: [addr]:port",
                ))
            }
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(DriverError::master_url(input, "no host"));
    }
    if host.contains(|c: char| c.is_whitespace() || c == '/' || c == '@') {
        return Err(DriverError::master_url(input, format!("bad host {host:?}")));
    }
    let port = match port {
        None => default_port,
        Some(p) => match p.parse::<u16>() {
            Ok(0) | Err(_) => {
                return Err(DriverError::master_url(input, format!("bad port {p:?}")));
            }
            Ok(n) => n,
        },
    };
    Ok((host.to_string(), port))
}

fn parse_zk(input: &str, rest: &str) -> Result<ZkUrl, DriverError> {
    // Credentials end at the last '@' (a password may hold '@').
    let (credentials, rest) = match rest.rsplit_once('@') {
        Some((auth, r)) => {
            let Some((user, pass)) = auth.split_once(':') else {
                return Err(DriverError::master_url(
                    input,
                    "zk credentials must be user:password",
                ));
            };
            if user.is_empty() {
                return Err(DriverError::master_url(input, "empty zk user"));
            }
            (Some((user.to_string(), pass.to_string())), r)
        }
        None => (None, rest),
    };
    let Some(slash) = rest.find('/') else {
        return Err(DriverError::master_url(
            input,
            "expecting a (chroot) path after the servers",
        ));
    };
    let (hosts, path) = rest.split_at(slash);
    let path = path.trim_end_matches('/');
    if path.is_empty() {
        return Err(DriverError::master_url(
            input,
            "expecting a (chroot) path, not just '/'",
        ));
    }
    if path.contains("//") {
        return Err(DriverError::master_url(input, "empty path component"));
    }
    if hosts.is_empty() {
        return Err(DriverError::master_url(input, "no zookeeper servers"));
    }
    let servers = hosts
        .split(',')
        .map(|h| split_host_port(input, h.trim(), DEFAULT_ZK_PORT))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ZkUrl {
        servers,
        credentials,
        path: path.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> Endpoint {
        match parse(s).unwrap() {
            MasterSpec::Endpoints(mut v) if v.len() == 1 => v.remove(0),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn direct_forms() {
        assert_eq!(one("http://m1:5050"), Endpoint::http("m1", 5050));
        assert_eq!(one("m1:5051"), Endpoint::http("m1", 5051));
        assert_eq!(one("m1"), Endpoint::http("m1", 5050));
        assert_eq!(
            one("master@10.0.0.1:5050"),
            Endpoint::http("10.0.0.1", 5050)
        );
        assert_eq!(one("http://m1:5050/"), Endpoint::http("m1", 5050));
        let tls = one("https://m1:443/mesos/");
        assert_eq!(tls.scheme, Scheme::Https);
        assert_eq!(tls.prefix, "/mesos");
        assert_eq!(tls.scheduler_url(), "https://m1:443/mesos/api/v1/scheduler");
        let v6 = one("http://[::1]:5050");
        assert_eq!(v6.host, "::1");
        assert_eq!(v6.authority(), "[::1]:5050");
        match parse("m1:5050, https://m2:5050").unwrap() {
            MasterSpec::Endpoints(v) => {
                assert_eq!(v.len(), 2);
                assert_eq!(v[1].scheme, Scheme::Https);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn direct_errors() {
        for bad in [
            "",
            "http://",
            "http://:5050",
            "m1:0",
            "m1:99999",
            "m1:port",
            "ftp://m1:21",
            "::1:5050",
            "http://[::1:5050",
            "m1:5050,,m2:5050",
            "http://u:p@m1:5050",
            "file://relative",
        ] {
            assert!(
                matches!(parse(bad), Err(DriverError::MasterUrl { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn case_21_zk_url_parsing() {
        let MasterSpec::ZooKeeper(zk) = parse("zk://u:p@h1:2181,h2:2181/mesos/sub").unwrap() else {
            panic!()
        };
        assert_eq!(
            zk.servers,
            vec![("h1".to_string(), 2181), ("h2".to_string(), 2181)]
        );
        assert_eq!(zk.credentials, Some(("u".into(), "p".into())));
        assert_eq!(zk.path, "/mesos/sub");
        let MasterSpec::ZooKeeper(zk) = parse("zk://h1/mesos/").unwrap() else {
            panic!()
        };
        assert_eq!(zk.servers, vec![("h1".to_string(), 2181)]);
        assert_eq!(zk.credentials, None);
        assert_eq!(zk.path, "/mesos");
        // A password may hold '@': credentials end at the last one.
        let MasterSpec::ZooKeeper(zk) = parse("zk://u:p@ss@h1:1/m").unwrap() else {
            panic!()
        };
        assert_eq!(zk.credentials, Some(("u".into(), "p@ss".into())));
    }

    #[test]
    fn case_21_zk_url_errors() {
        for bad in [
            "zk://h1:2181/",
            "zk://h1:2181",
            "zk:///mesos",
            "zk://up@h1:2181/mesos",
            "zk://h1:x/mesos",
            "zk://h1:2181//mesos",
        ] {
            assert!(
                matches!(parse(bad), Err(DriverError::MasterUrl { .. })),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn file_form() {
        assert_eq!(
            parse("file:///etc/mesos/master").unwrap(),
            MasterSpec::File("/etc/mesos/master".into())
        );
        assert!(parse_file_content("/f", "file:///other").is_err());
        assert_eq!(
            parse_file_content("/f", " m1:5050\n").unwrap(),
            MasterSpec::Endpoints(vec![Endpoint::http("m1", 5050)])
        );
    }

    #[test]
    fn location_is_resolved_against_the_current_scheme() {
        let cur = one("https://m1:5050/p");
        let next = cur.follow_location("//m2:6060/api/v1/scheduler").unwrap();
        assert_eq!(next.scheme, Scheme::Https);
        assert_eq!((next.host.as_str(), next.port), ("m2", 6060));
        assert_eq!(next.prefix, "/p");
        let old = cur
            .follow_location("http://m3:7070/master/api/v1/scheduler")
            .unwrap();
        assert_eq!(
            (old.host.as_str(), old.port, old.scheme),
            ("m3", 7070, Scheme::Https)
        );
        let bare = cur.follow_location("//m4").unwrap();
        assert_eq!(bare.port, 5050);
        assert!(cur.follow_location("//:1/x").is_err());
    }
}
