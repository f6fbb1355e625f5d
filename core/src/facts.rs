//! Facts about a host: probed from the running machine, or read back from JSON to
//! replay a decision for another host.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

/// Prefix of the environment variables that set host labels:
/// `MUSTER_LABEL_network=online` sets the label `network` to `online`.
pub const LABEL_ENV_PREFIX: &str = "MUSTER_LABEL_";

/// Environment variable overriding the host identity (see [`Facts::host_id`]).
pub const HOST_ID_ENV: &str = "MUSTER_HOST_ID";

/// The longest host identity accepted, in bytes.
pub const MAX_HOST_ID_BYTES: usize = 256;

/// What is known about a host when choosing plugin versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// Host name.
    pub hostname: String,
    /// A stable identity of the host, what staged rollouts bucket by: `MUSTER_HOST_ID`
    /// when set, else the OS's machine id (`/etc/machine-id`), else the host name.
    /// A facts file without it (written before host ids existed) uses `hostname`.
    #[serde(default, deserialize_with = "deserialize_host_id")]
    pub host_id: String,
    /// Operating system, as `std::env::consts::OS` spells it (`linux`).
    pub os: String,
    /// Architecture, as `std::env::consts::ARCH` spells it (`x86_64`).
    pub arch: String,
    /// CPU features detected at run time (`avx2`, `sse4.2`, ...).
    pub cpu_features: BTreeSet<String>,
    /// Logical cores available to this process.
    pub logical_cores: u32,
    /// Total memory in MiB (0 when unknown).
    pub memory_mb: u64,
    /// Operator-defined labels (`MUSTER_LABEL_<key>=<value>`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// A facts file could not be read or is not valid.
#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    /// The file could not be read.
    #[error("cannot read facts file {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The JSON is malformed or has wrong types or unknown keys.
    #[error("invalid facts in {origin}: {source}")]
    Json {
        /// Where the JSON came from.
        origin: String,
        /// What serde_json said, with line and column.
        source: serde_json::Error,
    },
    /// The JSON parses but describes an impossible host.
    #[error("invalid facts in {origin}: {problem}")]
    Impossible {
        /// Where the JSON came from.
        origin: String,
        /// What is wrong.
        problem: String,
    },
}

impl Facts {
    /// Probes the running host: os, arch, CPU features, cores, memory, hostname,
    /// and labels from `MUSTER_LABEL_*` environment variables.
    pub fn probe() -> Facts {
        let hostname = hostname();
        Facts {
            host_id: std::env::var(HOST_ID_ENV)
                .ok()
                .or_else(machine_id)
                .unwrap_or_else(|| hostname.clone()),
            hostname,
            os: std::env::consts::OS.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            cpu_features: cpu_features(),
            logical_cores: std::thread::available_parallelism()
                .map_or(1, |n| u32::try_from(n.get()).unwrap_or(u32::MAX)),
            memory_mb: memory_mb(),
            labels: labels_from(std::env::vars_os().filter_map(|(k, v)| {
                // Only label variables are converted (and copied into the map).
                if !k
                    .as_encoded_bytes()
                    .starts_with(LABEL_ENV_PREFIX.as_bytes())
                {
                    return None;
                }
                Some((k.into_string().ok()?, v.into_string().ok()?))
            })),
        }
    }

    /// Parses facts from JSON (as written by [`Facts::to_json`]); `origin` names the
    /// source in errors. Unknown keys and impossible values are rejected.
    pub fn from_json(text: &str, origin: &str) -> Result<Facts, FactsError> {
        let facts: Facts = serde_json::from_str(text).map_err(|source| FactsError::Json {
            origin: origin.to_owned(),
            source,
        })?;
        Facts::checked(facts, origin)
    }

    /// Facts from an already-parsed JSON value (e.g. embedded in another tool's
    /// document); the same checks as [`Facts::from_json`].
    pub fn from_json_value(value: serde_json::Value, origin: &str) -> Result<Facts, FactsError> {
        let facts: Facts = serde_json::from_value(value).map_err(|source| FactsError::Json {
            origin: origin.to_owned(),
            source,
        })?;
        Facts::checked(facts, origin)
    }

    /// Fills a missing host id from the host name and validates.
    fn checked(mut facts: Facts, origin: &str) -> Result<Facts, FactsError> {
        if facts.host_id.is_empty() {
            facts.host_id.clone_from(&facts.hostname);
        }
        facts.validate().map_err(|problem| FactsError::Impossible {
            origin: origin.to_owned(),
            problem,
        })?;
        Ok(facts)
    }

    /// Reads and parses a facts file.
    pub fn from_file(path: &Path) -> Result<Facts, FactsError> {
        let read_err = |source| FactsError::Read {
            path: path.display().to_string(),
            source,
        };
        let bytes =
            crate::input::read_input_file(path, crate::input::MAX_INPUT_BYTES).map_err(read_err)?;
        let text = String::from_utf8(bytes).map_err(|e| {
            read_err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("not valid UTF-8 (byte {})", e.utf8_error().valid_up_to()),
            ))
        })?;
        Facts::from_json(&text, &path.display().to_string())
    }

    /// Pretty JSON, the format [`Facts::from_json`] reads.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("facts always serialize")
    }

    /// Checks that the facts describe a possible host.
    pub fn validate(&self) -> Result<(), String> {
        if self.logical_cores == 0 {
            return Err("`logical_cores` must be at least 1".to_owned());
        }
        if self.os.trim().is_empty() {
            return Err("`os` must not be empty".to_owned());
        }
        if self.arch.trim().is_empty() {
            return Err("`arch` must not be empty".to_owned());
        }
        check_host_id(&self.host_id)?;
        if let Some(key) = self.labels.keys().find(|k| k.is_empty()) {
            return Err(format!("label key {key:?} must not be empty"));
        }
        Ok(())
    }
}

/// Checks a host identity: not empty (or blank), at most [`MAX_HOST_ID_BYTES`]
/// bytes, no control characters.
pub(crate) fn check_host_id(id: &str) -> Result<(), String> {
    if id.trim().is_empty() {
        return Err("`host_id` must not be empty".to_owned());
    }
    if id.len() > MAX_HOST_ID_BYTES {
        return Err(format!(
            "`host_id` is {} bytes long; at most {MAX_HOST_ID_BYTES} are allowed",
            id.len()
        ));
    }
    if id.chars().any(char::is_control) {
        return Err(format!("`host_id` {id:?} contains control characters"));
    }
    Ok(())
}

/// A present `host_id` must be a valid one; an absent one defaults (to the host name).
fn deserialize_host_id<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let id = String::deserialize(d)?;
    check_host_id(&id).map_err(serde::de::Error::custom)?;
    Ok(id)
}

/// The OS's machine id (systemd's `/etc/machine-id`, or D-Bus's copy), if any.
fn machine_id() -> Option<String> {
    ["/etc/machine-id", "/var/lib/dbus/machine-id"]
        .into_iter()
        .find_map(|path| {
            let id = std::fs::read_to_string(path).ok()?;
            let id = id.trim();
            (!id.is_empty() && check_host_id(id).is_ok()).then(|| id.to_owned())
        })
}

/// Labels from `(name, value)` environment pairs: `MUSTER_LABEL_network=online`.
pub(crate) fn labels_from(
    vars: impl IntoIterator<Item = (String, String)>,
) -> BTreeMap<String, String> {
    vars.into_iter()
        .filter_map(|(k, v)| {
            let key = k.strip_prefix(LABEL_ENV_PREFIX)?;
            (!key.is_empty()).then(|| (key.to_owned(), v))
        })
        .collect()
}

/// The host name: `uname(2)`'s node name (what `/proc/sys/kernel/hostname`
/// holds, without opening a file), else `/etc/hostname`, else the environment.
fn hostname() -> String {
    #[cfg(unix)]
    {
        let uname = rustix::system::uname();
        let name = uname.nodename().to_string_lossy();
        let name = name.trim();
        if !name.is_empty() {
            return name.to_owned();
        }
    }
    if let Ok(name) = std::fs::read_to_string("/etc/hostname") {
        let name = name.trim();
        if !name.is_empty() {
            return name.to_owned();
        }
    }
    std::env::var("HOSTNAME")
        .or_else(|_| std::env::var("COMPUTERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Total memory in MiB: `sysinfo(2)` on Linux (the figure `/proc/meminfo` shows as
/// `MemTotal`, without the kernel formatting that file), 0 where unknown.
fn memory_mb() -> u64 {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let info = rustix::system::sysinfo();
        // `totalram` is a C `unsigned long`: 32 bits on some Linux targets.
        #[allow(clippy::useless_conversion)]
        let total = u64::from(info.totalram).saturating_mul(u64::from(info.mem_unit.max(1)));
        total / (1024 * 1024)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        0
    }
}

/// `probe_arch`: checks each CPU feature of the list `muster_names` writes once
/// (`std::arch::is_*_feature_detected!` takes literals only, hence the callback macros).
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
macro_rules! probe_x86 {
    ($($name:tt),*) => {
        fn probe_arch(found: &mut Vec<&'static str>) {
            $(if std::arch::is_x86_feature_detected!($name) { found.push($name); })*
        }
    };
}
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
muster_names::cpu_features_x86!(probe_x86);

#[cfg(target_arch = "aarch64")]
macro_rules! probe_aarch64 {
    ($($name:tt),*) => {
        fn probe_arch(found: &mut Vec<&'static str>) {
            $(if std::arch::is_aarch64_feature_detected!($name) { found.push($name); })*
        }
    };
}
#[cfg(target_arch = "aarch64")]
muster_names::cpu_features_aarch64!(probe_aarch64);

/// No runtime detection on other architectures.
#[cfg(not(any(target_arch = "x86", target_arch = "x86_64", target_arch = "aarch64")))]
fn probe_arch(_found: &mut Vec<&'static str>) {}

fn cpu_features() -> BTreeSet<String> {
    let mut found: Vec<&str> = Vec::new();
    probe_arch(&mut found);
    found.into_iter().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use crate::Facts;
    use crate::facts::labels_from;

    /// What `Facts::probe` can report is what `requires` accepts (`muster_names`).
    #[test]
    fn probed_names_are_the_shared_lists() {
        assert!(muster_names::OSES.contains(&std::env::consts::OS));
        assert!(muster_names::ARCHES.contains(&std::env::consts::ARCH));
        for feature in &Facts::probe().cpu_features {
            assert!(
                muster_names::CPU_FEATURES.contains(&feature.as_str()),
                "{feature}"
            );
        }
    }

    #[test]
    fn probe_round_trips_through_json() {
        let facts = Facts::probe();
        let back = Facts::from_json(&facts.to_json(), "test").unwrap();
        assert_eq!(facts, back);
        assert_eq!(facts.os, std::env::consts::OS);
        assert!(facts.logical_cores >= 1);
    }

    /// The system calls give what the files this used to parse give.
    #[cfg(target_os = "linux")]
    #[test]
    fn probe_agrees_with_proc() {
        let facts = Facts::probe();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap();
        let line = meminfo
            .lines()
            .find(|l| l.starts_with("MemTotal:"))
            .unwrap();
        let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
        assert_eq!(facts.memory_mb, kb / 1024, "{line}");
        let name = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
        assert_eq!(facts.hostname, name.trim());
    }

    #[test]
    fn labels_come_from_prefixed_variables() {
        let labels = labels_from([
            ("MUSTER_LABEL_network".to_owned(), "online".to_owned()),
            ("MUSTER_LABEL_".to_owned(), "ignored".to_owned()),
            ("PATH".to_owned(), "/bin".to_owned()),
        ]);
        assert_eq!(labels.len(), 1);
        assert_eq!(labels["network"], "online");
    }

    #[test]
    fn unknown_keys_wrong_types_and_impossible_values_are_rejected() {
        let good = r#"{"hostname":"h","os":"linux","arch":"x86_64","cpu_features":[],"logical_cores":2,"memory_mb":1024}"#;
        assert!(Facts::from_json(good, "f.json").is_ok());
        // Without a host id (older files), the host name is the identity.
        assert_eq!(Facts::from_json(good, "f.json").unwrap().host_id, "h");
        let with_id = good.replacen('{', r#"{"host_id":"4c4c4544","#, 1);
        assert_eq!(
            Facts::from_json(&with_id, "f.json").unwrap().host_id,
            "4c4c4544"
        );
        for bad in ["\"\"".to_owned(), format!("{:?}", "x".repeat(257))] {
            let text = good.replacen('{', &format!(r#"{{"host_id":{bad},"#), 1);
            let err = Facts::from_json(&text, "f.json").unwrap_err().to_string();
            assert!(err.contains("f.json") && err.contains("host_id"), "{err}");
        }
        let unknown = good.replace("\"memory_mb\"", "\"memory\"");
        let err = Facts::from_json(&unknown, "f.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("f.json") && err.contains("memory"), "{err}");
        let wrong_type = good.replace("\"logical_cores\":2", "\"logical_cores\":\"two\"");
        assert!(Facts::from_json(&wrong_type, "f.json").is_err());
        let impossible = good.replace("\"logical_cores\":2", "\"logical_cores\":0");
        let err = Facts::from_json(&impossible, "f.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("logical_cores"), "{err}");
    }
}
