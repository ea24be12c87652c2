//! The machine the numbers came from.

use std::process::Command;

use serde::Serialize;

#[derive(Serialize, Clone)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub os: String,
    /// Versions of the peers, where found.
    pub peers: Vec<String>,
    /// The CPU has SHA-256 instructions (x86 sha_ni, Arm sha2), which native code uses.
    pub sha_instructions: bool,
}

impl Machine {
    pub fn describe(peers: Vec<String>) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let memory_kib: f64 = std::fs::read_to_string("/proc/meminfo")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        let os = std::fs::read_to_string("/etc/os-release")
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_else(|| "unknown".into());
        Machine {
            cpu,
            cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gib: (memory_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            os,
            peers,
            sha_instructions: cpuinfo
                .lines()
                .filter(|l| l.starts_with("flags") || l.starts_with("Features"))
                .any(|l| l.split_whitespace().any(|f| f == "sha_ni" || f == "sha2")),
        }
    }

    pub fn one_line(&self) -> String {
        format!(
            "{} ({} cores), {} GiB, {}, Linux {}",
            self.cpu, self.cores, self.memory_gib, self.os, self.kernel
        )
    }
}

/// The first line of `program args...`, e.g. "Amazon Simple Storage Service File System V1.91".
pub fn version_of(program: &std::path::Path, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text = if out.stdout.is_empty() {
        out.stderr
    } else {
        out.stdout
    };
    String::from_utf8_lossy(&text)
        .lines()
        .find(|l| !l.trim().is_empty())
        .map(|l| l.trim().to_string())
}
