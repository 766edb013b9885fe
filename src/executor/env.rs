//! The environment the agent gives an executor (`MESOS_*` variables, reference §2.1).

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use super::duration;
use super::error::ExecutorError;
use crate::driver::Endpoint;

/// Default `MESOS_RECOVERY_TIMEOUT` (agent flag `--recovery_timeout`).
pub const DEFAULT_RECOVERY_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Default `MESOS_SUBSCRIPTION_BACKOFF_MAX` (agent flag `--executor_reregistration_timeout`).
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(2);
/// The agent never allows a longer re-registration window than this.
pub const MAX_BACKOFF_MAX: Duration = Duration::from_secs(15);
/// Default `MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD`.
pub const DEFAULT_SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// What the agent told this executor through its environment.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecutorEnv {
    /// `MESOS_FRAMEWORK_ID`: goes in every call.
    pub framework_id: String,
    /// `MESOS_EXECUTOR_ID`: goes in every call.
    pub executor_id: String,
    /// `MESOS_AGENT_ENDPOINT` (`ip:port`): where `/api/v1/executor` is.
    pub agent_endpoint: Endpoint,
    /// `MESOS_SLAVE_ID`, when given.
    pub agent_id: Option<String>,
    /// `MESOS_DIRECTORY`: the sandbox path on the agent's host (what `/files` serves).
    pub directory: Option<PathBuf>,
    /// `MESOS_SANDBOX`: the sandbox path as this process sees it (inside a container), falling
    /// back to `MESOS_DIRECTORY`.
    pub sandbox: Option<PathBuf>,
    /// `MESOS_CHECKPOINT == "1"`: reconnect after a disconnection instead of shutting down.
    pub checkpoint: bool,
    /// `MESOS_RECOVERY_TIMEOUT`: how long to keep trying to reconnect (checkpointing only).
    pub recovery_timeout: Duration,
    /// `MESOS_SUBSCRIPTION_BACKOFF_MAX`: the longest wait between two connection attempts.
    pub backoff_max: Duration,
    /// `MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD`: time to exit after SHUTDOWN.
    pub shutdown_grace: Duration,
    /// `MESOS_EXECUTOR_AUTHENTICATION_TOKEN`: sent as `Authorization: Bearer <token>`.
    pub auth_token: Option<String>,
    /// `MESOS_LOCAL` is set: executor and agent may share a process group, so the shutdown
    /// guard must not kill the group.
    pub local: bool,
}

impl ExecutorEnv {
    /// Reads this process's environment.
    pub fn from_env() -> Result<Self, ExecutorError> {
        let vars = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)));
        Self::from_vars(vars)
    }

    /// Reads the given variables (tests, or an environment built by hand).
    pub fn from_vars<I, K, V>(vars: I) -> Result<Self, ExecutorError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let get = |name: &str| vars.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let required = |name: &str| {
            get(name).map(str::to_string).ok_or_else(|| {
                ExecutorError::Env(format!(
                    "{name} is not set: satyr-executor must be started by a Mesos agent \
                     (it reads MESOS_FRAMEWORK_ID, MESOS_EXECUTOR_ID and MESOS_AGENT_ENDPOINT)"
                ))
            })
        };
        let duration = |name: &str, default: Duration| match get(name) {
            None => Ok(default),
            Some(text) => {
                duration::parse(text).map_err(|e| ExecutorError::Env(format!("{name}: {e}")))
            }
        };
        let framework_id = required("MESOS_FRAMEWORK_ID")?;
        let executor_id = required("MESOS_EXECUTOR_ID")?;
        let agent_endpoint = parse_endpoint(&required("MESOS_AGENT_ENDPOINT")?)?;
        let checkpoint = match get("MESOS_CHECKPOINT") {
            None | Some("0") => false,
            Some("1") => true,
            Some(other) => {
                return Err(ExecutorError::Env(format!(
                    "MESOS_CHECKPOINT must be \"0\" or \"1\", not {other:?}"
                )))
            }
        };
        let backoff_max =
            duration("MESOS_SUBSCRIPTION_BACKOFF_MAX", DEFAULT_BACKOFF_MAX)?.min(MAX_BACKOFF_MAX);
        let directory = get("MESOS_DIRECTORY").map(PathBuf::from);
        Ok(ExecutorEnv {
            framework_id,
            executor_id,
            agent_endpoint,
            agent_id: get("MESOS_SLAVE_ID")
                .or(get("MESOS_AGENT_ID"))
                .map(str::to_string),
            sandbox: get("MESOS_SANDBOX")
                .map(PathBuf::from)
                .or_else(|| directory.clone()),
            directory,
            checkpoint,
            recovery_timeout: duration("MESOS_RECOVERY_TIMEOUT", DEFAULT_RECOVERY_TIMEOUT)?,
            backoff_max,
            shutdown_grace: duration(
                "MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD",
                DEFAULT_SHUTDOWN_GRACE,
            )?,
            auth_token: get("MESOS_EXECUTOR_AUTHENTICATION_TOKEN").map(str::to_string),
            local: vars.contains_key("MESOS_LOCAL"),
        })
    }
}

/// `ip:port`, `host:port` or `[v6]:port`, optionally with an `http://` prefix.
fn parse_endpoint(text: &str) -> Result<Endpoint, ExecutorError> {
    let bad = |why: &str| ExecutorError::Env(format!("MESOS_AGENT_ENDPOINT {text:?}: {why}"));
    let rest = text
        .strip_prefix("http://")
        .unwrap_or(text)
        .trim_end_matches('/');
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| bad("expected ip:port"))?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() {
        return Err(bad("no host"));
    }
    let port: u16 = port
        .parse()
        .map_err(|_| bad("the port is not a number in 1..65535"))?;
    if port == 0 {
        return Err(bad("port 0"));
    }
    Ok(Endpoint::http(host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![
            ("MESOS_FRAMEWORK_ID", "fw-1"),
            ("MESOS_EXECUTOR_ID", "ex-1"),
            ("MESOS_AGENT_ENDPOINT", "10.0.0.5:5051"),
        ]
    }

    fn with(extra: &[(&'static str, &'static str)]) -> Result<ExecutorEnv, ExecutorError> {
        let mut v = base();
        v.extend_from_slice(extra);
        ExecutorEnv::from_vars(v)
    }

    #[test]
    fn case_37_checkpoint_and_durations() {
        let off = with(&[("MESOS_CHECKPOINT", "0")]).unwrap();
        assert!(!off.checkpoint);
        assert_eq!(off.backoff_max, DEFAULT_BACKOFF_MAX);
        assert_eq!(off.recovery_timeout, DEFAULT_RECOVERY_TIMEOUT);
        assert_eq!(off.shutdown_grace, DEFAULT_SHUTDOWN_GRACE);
        let on = with(&[
            ("MESOS_CHECKPOINT", "1"),
            ("MESOS_RECOVERY_TIMEOUT", "15mins"),
            ("MESOS_SUBSCRIPTION_BACKOFF_MAX", "1.5secs"),
            ("MESOS_EXECUTOR_SHUTDOWN_GRACE_PERIOD", "250ms"),
        ])
        .unwrap();
        assert!(on.checkpoint);
        assert_eq!(on.recovery_timeout, Duration::from_secs(900));
        assert_eq!(on.backoff_max, Duration::from_millis(1500));
        assert_eq!(on.shutdown_grace, Duration::from_millis(250));
        assert_eq!(on.agent_endpoint, Endpoint::http("10.0.0.5", 5051));
        let two = with(&[("MESOS_SUBSCRIPTION_BACKOFF_MAX", "2secs")]).unwrap();
        assert_eq!(two.backoff_max, Duration::from_secs(2));
        // The agent caps its re-registration window at 15 s; so do we.
        let long = with(&[("MESOS_SUBSCRIPTION_BACKOFF_MAX", "5mins")]).unwrap();
        assert_eq!(long.backoff_max, MAX_BACKOFF_MAX);
    }

    #[test]
    fn case_37_missing_or_bad_variables_are_clear_errors() {
        let err = ExecutorEnv::from_vars(vec![
            ("MESOS_EXECUTOR_ID", "e"),
            ("MESOS_AGENT_ENDPOINT", "127.0.0.1:5051"),
        ])
        .unwrap_err()
        .to_string();
        assert!(err.contains("MESOS_FRAMEWORK_ID is not set"), "{err}");
        let err = with(&[("MESOS_CHECKPOINT", "true")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("MESOS_CHECKPOINT"), "{err}");
        let err = with(&[("MESOS_RECOVERY_TIMEOUT", "15minutes")])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("MESOS_RECOVERY_TIMEOUT") && err.contains("unknown unit"),
            "{err}"
        );
        for bad in ["nohost", ":5051", "h:0", "h:99999", "h:x"] {
            let mut v = base();
            v[2] = ("MESOS_AGENT_ENDPOINT", bad);
            assert!(ExecutorEnv::from_vars(v).is_err(), "{bad}");
        }
    }

    #[test]
    fn sandbox_token_local_and_ipv6() {
        let e = with(&[
            ("MESOS_DIRECTORY", "/var/lib/mesos/slaves/x/run"),
            ("MESOS_EXECUTOR_AUTHENTICATION_TOKEN", "jwt"),
            ("MESOS_LOCAL", "1"),
            ("MESOS_SLAVE_ID", "S1"),
        ])
        .unwrap();
        assert_eq!(e.sandbox, e.directory);
        assert_eq!(e.auth_token.as_deref(), Some("jwt"));
        assert!(e.local);
        assert_eq!(e.agent_id.as_deref(), Some("S1"));
        let mut v = base();
        v[2] = ("MESOS_AGENT_ENDPOINT", "[::1]:5051");
        v.push(("MESOS_SANDBOX", "/mnt/mesos/sandbox"));
        let e = ExecutorEnv::from_vars(v).unwrap();
        assert_eq!(e.agent_endpoint, Endpoint::http("::1", 5051));
        assert_eq!(e.sandbox, Some(PathBuf::from("/mnt/mesos/sandbox")));
        assert!(!e.local);
    }
}
