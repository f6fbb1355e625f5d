//! Declarative requirements a plugin version places on the host (`requires = [...]`).

use std::borrow::Cow;

use serde::Serialize;

use crate::Facts;

/// One requirement from `#[plugin(requires = [...])]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Requirement {
    /// `os = "linux"`: the host's operating system (`std::env::consts::OS`).
    Os(&'static str),
    /// `arch = "x86_64"`: the host's architecture (`std::env::consts::ARCH`).
    Arch(&'static str),
    /// `cpu = "sse4.2"`: a CPU feature detected at run time.
    CpuFeature(&'static str),
    /// `min_cores = 4`: at least this many logical cores.
    MinCores(u32),
    /// `min_memory_mb = 512`: at least this much total memory, in MiB.
    MinMemoryMb(u64),
    /// `label(network = "online")`: the host label `key` equals `value`.
    Label {
        /// Label name (`MUSTER_LABEL_<key>`).
        key: &'static str,
        /// Required value.
        value: &'static str,
    },
}

impl Requirement {
    /// Checks the requirement against `facts`; the error says what is missing.
    pub fn check(&self, facts: &Facts) -> Result<(), String> {
        match *self {
            Requirement::Os(os) if facts.os != os => {
                Err(format!("requires os {os}, host runs {}", facts.os))
            }
            Requirement::Arch(arch) if facts.arch != arch => {
                Err(format!("requires arch {arch}, host is {}", facts.arch))
            }
            Requirement::CpuFeature(feature) if !facts.cpu_features.contains(feature) => {
                Err(format!("requires cpu feature {feature}, host lacks it"))
            }
            Requirement::MinCores(n) if facts.logical_cores < n => Err(format!(
                "requires at least {n} logical cores, host has {}",
                facts.logical_cores
            )),
            Requirement::MinMemoryMb(n) if facts.memory_mb < n => Err(format!(
                "requires at least {n} MiB of memory, host has {}",
                facts.memory_mb
            )),
            Requirement::Label { key, value } => match facts.labels.get(key) {
                Some(v) if v == value => Ok(()),
                Some(v) => Err(format!("requires label {key}={value}, host has {key}={v}")),
                None => Err(format!(
                    "requires label {key}={value}, host has no {key} label"
                )),
            },
            _ => Ok(()),
        }
    }
}

impl Requirement {
    /// The fact this requirement reads, as reason reports name it: `os`, `arch`,
    /// `cpu_features`, `logical_cores`, `memory_mb` or `labels.KEY`.
    pub fn fact(&self) -> Cow<'static, str> {
        match self {
            Requirement::Os(_) => Cow::Borrowed("os"),
            Requirement::Arch(_) => Cow::Borrowed("arch"),
            Requirement::CpuFeature(_) => Cow::Borrowed("cpu_features"),
            Requirement::MinCores(_) => Cow::Borrowed("logical_cores"),
            Requirement::MinMemoryMb(_) => Cow::Borrowed("memory_mb"),
            Requirement::Label { key, .. } => Cow::Owned(format!("labels.{key}")),
        }
    }
}

impl std::fmt::Display for Requirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Requirement::Os(v) => write!(f, "os={v}"),
            Requirement::Arch(v) => write!(f, "arch={v}"),
            Requirement::CpuFeature(v) => write!(f, "cpu={v}"),
            Requirement::MinCores(n) => write!(f, "cores>={n}"),
            Requirement::MinMemoryMb(n) => write!(f, "memory>={n}MiB"),
            Requirement::Label { key, value } => write!(f, "label:{key}={value}"),
        }
    }
}
