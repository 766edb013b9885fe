//! Settings of the local cluster, and the agents' resources: parsed from Mesos's text form
//! (`cpus:2;mem:2048;ports:[31000-32000]`) or taken from this machine.

use std::path::PathBuf;
use std::time::Duration;

use super::error::LocalError;
use crate::resources::{ItemSet, Quantity, Range, Ranges, Resource, ResourceKey, Resources, Value};

/// Everything the local cluster can be told; [`ClusterConfig::default`] is a one-agent cluster
/// with this machine's cpus and memory on ephemeral ports.
#[derive(Debug, Clone)]
pub struct ClusterConfig {
    /// Master port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Number of agents (each on its own ephemeral port).
    pub agents: usize,
    /// Each agent's resources in Mesos's text form (`cpus:2;mem:2048;disk:4096;ports:[31000-32000]`,
    /// `name(role):value` for a static reservation). `None`: this machine's cpus, memory and
    /// free disk, ports 31000-32000.
    pub resources: Option<String>,
    /// Where sandboxes go. `None`: a fresh temporary folder, removed when the cluster stops.
    pub work_dir: Option<PathBuf>,
    /// Period of the allocator's offer cycle (Mesos: 1 s). Offers are also made at once when
    /// resources are freed, a framework subscribes or revives.
    pub allocation_interval: Duration,
    /// Interval between HEARTBEAT events (Mesos: 15 s).
    pub heartbeat_interval: Duration,
    /// First resend interval of unacknowledged status updates (Mesos: 10 s, doubling to 10 min).
    pub status_update_retry: Duration,
    /// A custom executor that has not subscribed after this long is killed (Mesos: 1 min).
    pub executor_registration_timeout: Duration,
    /// Time between SHUTDOWN (or SIGTERM) and SIGKILL of an executor, unless its
    /// `ExecutorInfo.shutdown_grace_period` says otherwise (Mesos: 5 s).
    pub executor_shutdown_grace_period: Duration,
    /// Time a command task gets between SIGTERM and SIGKILL after a KILL, unless its kill policy
    /// says otherwise (Mesos's command executor: 3 s).
    pub kill_grace_period: Duration,
    /// Time executors get between SIGTERM and SIGKILL when the cluster stops.
    pub stop_grace_period: Duration,
    /// Executors and command tasks inherit this process's environment (PATH, HOME, a
    /// virtualenv, ...) under the `MESOS_*` variables a real agent sets. A real agent gives
    /// executors a clean environment; `false` does the same.
    pub inherit_env: bool,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        ClusterConfig {
            port: 0,
            agents: 1,
            resources: None,
            work_dir: None,
            allocation_interval: Duration::from_secs(1),
            heartbeat_interval: Duration::from_secs(15),
            status_update_retry: Duration::from_secs(10),
            executor_registration_timeout: Duration::from_secs(60),
            executor_shutdown_grace_period: Duration::from_secs(5),
            kill_grace_period: Duration::from_secs(3),
            stop_grace_period: Duration::from_secs(2),
            inherit_env: true,
        }
    }
}

impl ClusterConfig {
    /// Checks the settings; returns each agent's resources.
    pub(crate) fn validate(&self) -> Result<Resources, LocalError> {
        if self.agents == 0 || self.agents > 1000 {
            return Err(LocalError::config(
                "agents",
                format!("{} is not between 1 and 1000", self.agents),
            ));
        }
        for (name, d) in [
            ("allocation_interval", self.allocation_interval),
            ("heartbeat_interval", self.heartbeat_interval),
            ("status_update_retry", self.status_update_retry),
        ] {
            if d.is_zero() {
                return Err(LocalError::config(name, "must be positive"));
            }
        }
        let resources = match &self.resources {
            Some(text) => parse_resources(text)?,
            None => machine_resources(self.work_dir.as_deref()),
        };
        if resources.is_empty() {
            return Err(LocalError::config("resources", "no resources given"));
        }
        Ok(resources)
    }
}

/// Parses Mesos's text form: `name[(role)]:value` separated by `;`, where a value is a number,
/// `[a-b, c-d]` ranges or `{x,y}` a set.
pub fn parse_resources(text: &str) -> Result<Resources, LocalError> {
    let bad = |reason: String| LocalError::config("resources", reason);
    let mut entries = Vec::new();
    for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (head, value) = part
            .split_once(':')
            .ok_or_else(|| bad(format!("{part:?} is not name:value")))?;
        let head = head.trim();
        let (name, role) = match head.split_once('(') {
            Some((name, rest)) => {
                let role = rest
                    .strip_suffix(')')
                    .ok_or_else(|| bad(format!("{head:?}: role must end with ')'")))?;
                (name.trim(), role.trim())
            }
            None => (head, "*"),
        };
        if name.is_empty() || name.chars().any(|c| c.is_whitespace() || c == ':') {
            return Err(bad(format!("{head:?} is not a resource name")));
        }
        let key = if role == "*" || role.is_empty() {
            ResourceKey::unreserved(name)
        } else {
            ResourceKey::reserved_for(name, role).map_err(|e| bad(format!("{head:?}: {e}")))?
        };
        let value = parse_value(value.trim()).map_err(|e| bad(format!("{part:?}: {e}")))?;
        entries.push(Resource::new(key, value));
    }
    Resources::from_entries(entries).map_err(|e| bad(e.to_string()))
}

fn parse_value(text: &str) -> Result<Value, String> {
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner.strip_suffix(']').ok_or("ranges must end with ']'")?;
        let mut ranges = Vec::new();
        for r in inner.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            let (a, b) = r.split_once('-').unwrap_or((r, r));
            let parse = |s: &str| {
                s.trim()
                    .parse::<u64>()
                    .map_err(|_| format!("{s:?} is not a port number"))
            };
            ranges.push(Range::new(parse(a)?, parse(b)?).map_err(|e| e.to_string())?);
        }
        return Ok(Value::Ranges(Ranges::from_ranges(ranges)));
    }
    if let Some(inner) = text.strip_prefix('{') {
        let inner = inner.strip_suffix('}').ok_or("sets must end with '}'")?;
        let items = inner
            .split(',')
            .map(str::trim)
            .filter(|i| !i.is_empty())
            .map(String::from);
        return Ok(Value::Set(items.collect::<ItemSet>()));
    }
    let number: f64 = text
        .parse()
        .map_err(|_| format!("{text:?} is not a number, [ranges] or {{set}}"))?;
    if !number.is_finite() || number < 0.0 {
        return Err(format!("{text:?} is not a non-negative number"));
    }
    Quantity::from_f64(number)
        .map(Value::Scalar)
        .map_err(|e| e.to_string())
}

/// This machine: all cpus, memory less 1 GiB (half when under 2 GiB), free disk of the work
/// folder's file system less 5 GiB (half when under 10 GiB), ports 31000-32000. Like a real
/// agent's defaults.
pub fn machine_resources(work_dir: Option<&std::path::Path>) -> Resources {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let mut entries = vec![Resource::new(
        ResourceKey::unreserved("cpus"),
        Value::Scalar(Quantity::from_f64(cpus).unwrap_or(Quantity::from_units(1))),
    )];
    if let Some(total) = total_memory_mb() {
        let mem = if total >= 2048.0 {
            total - 1024.0
        } else {
            total / 2.0
        };
        if let Ok(q) = Quantity::from_f64(mem.floor()) {
            entries.push(Resource::new(
                ResourceKey::unreserved("mem"),
                Value::Scalar(q),
            ));
        }
    }
    let dir = work_dir.map_or_else(std::env::temp_dir, PathBuf::from);
    if let Some(free) = super::process::signals::free_disk_mb(&dir) {
        let disk = if free >= 10240.0 {
            free - 5120.0
        } else {
            free / 2.0
        };
        if let Ok(q) = Quantity::from_f64(disk.floor()) {
            entries.push(Resource::new(
                ResourceKey::unreserved("disk"),
                Value::Scalar(q),
            ));
        }
    }
    // 31000-32000 is a valid range.
    if let Ok(r) = Range::new(31000, 32000) {
        entries.push(Resource::new(
            ResourceKey::unreserved("ports"),
            Value::Ranges(Ranges::from_ranges([r])),
        ));
    }
    Resources::from_entries(entries).unwrap_or_default()
}

fn total_memory_mb() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_mesos_text_form() {
        let r = parse_resources(
            "cpus:2;mem:2048.5; disk:4096;ports:[31000-32000, 33000-33001];gpus(a):1;x:{p,q}",
        )
        .unwrap();
        assert_eq!(r.len(), 6);
        assert_eq!(r.scalar_total("cpus").millis(), 2000);
        assert_eq!(r.scalar_total("mem").millis(), 2_048_500);
        assert_eq!(r.count("ports"), 1003);
        assert!(r
            .iter()
            .any(|e| e.key.name == "gpus" && e.key.role() == "a"));
        assert_eq!(r.count("x"), 2);
    }

    #[test]
    fn bad_text_names_the_problem() {
        for (bad, needle) in [
            ("cpus", "name:value"),
            ("cpus:two", "not a number"),
            ("cpus:-1", "non-negative"),
            ("ports:[1-", "end with ']'"),
            ("ports:[5-1]", "ports"),
            ("cpus(a:1", "role must end"),
        ] {
            let err = parse_resources(bad).unwrap_err().to_string();
            assert!(err.contains(needle), "{bad}: {err}");
            assert!(err.contains("resources"), "{err}");
        }
    }

    #[test]
    fn machine_defaults_have_cpus_mem_ports() {
        let r = machine_resources(None);
        assert!(r.scalar_total("cpus").millis() >= 1000);
        assert!(r.scalar_total("mem").millis() > 0);
        assert_eq!(r.count("ports"), 1001);
    }

    #[test]
    fn validate_refuses_zero_agents() {
        let cfg = ClusterConfig {
            agents: 0,
            ..Default::default()
        };
        assert!(cfg.validate().unwrap_err().to_string().contains("agents"));
    }
}
