//! One FUSE client process and its mount, unmounted and stopped when dropped.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

const MOUNT_TIMEOUT: Duration = Duration::from_secs(30);
const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

pub struct FuseMount {
    name: &'static str,
    dir: PathBuf,
    child: Child,
    fusermount: PathBuf,
}

impl FuseMount {
    /// Runs `cmd` (a client that stays in the foreground) and waits until `dir` is mounted.
    /// Its output goes to `log`.
    pub fn start(
        name: &'static str,
        mut cmd: Command,
        dir: &Path,
        log: &Path,
        fusermount: &Path,
    ) -> Result<FuseMount> {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let dir = dir.canonicalize()?;
        if is_mounted(&dir) {
            bail!("{}: something is already mounted there", dir.display());
        }
        let out = File::create(log).with_context(|| format!("creating {}", log.display()))?;
        // Its own process group: a Ctrl-C at the terminal reaches only us, and we unmount in
        // order instead of the client tearing itself down under a running workload.
        use std::os::unix::process::CommandExt;
        cmd.stdin(Stdio::null())
            .stdout(out.try_clone()?)
            .stderr(out)
            .process_group(0);
        let child = cmd.spawn().with_context(|| format!("starting {name}"))?;
        let mut mount = FuseMount {
            name,
            dir,
            child,
            fusermount: fusermount.to_path_buf(),
        };
        let started = Instant::now();
        while !is_mounted(&mount.dir) {
            if let Some(status) = mount.child.try_wait()? {
                bail!(
                    "{name} exited ({status}) before mounting; its log:\n{}",
                    tail(log, 15)
                );
            }
            if started.elapsed() > MOUNT_TIMEOUT {
                bail!(
                    "{name} did not mount {} within {MOUNT_TIMEOUT:?}; its log:\n{}",
                    mount.dir.display(),
                    tail(log, 15)
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(mount)
    }

    pub fn path(&self) -> &Path {
        &self.dir
    }
}

impl Drop for FuseMount {
    fn drop(&mut self) {
        if is_mounted(&self.dir) {
            let _ = Command::new(&self.fusermount)
                .arg("-u")
                .arg(&self.dir)
                .stderr(Stdio::null())
                .status();
        }
        if is_mounted(&self.dir) {
            // Busy (an interrupted workload still has files open): detach it now; the kernel
            // finishes once the last file is closed.
            let _ = Command::new(&self.fusermount)
                .arg("-uz")
                .arg(&self.dir)
                .stderr(Stdio::null())
                .status();
        }
        let started = Instant::now();
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) | Err(_) => break,
                Ok(None) if started.elapsed() > EXIT_TIMEOUT => {
                    crate::ui::log(format!(
                        "{} did not exit after unmounting; killing it",
                        self.name
                    ));
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
    }
}

/// Whether `dir` (canonical) is a mount point, from /proc/self/mountinfo.
pub fn is_mounted(dir: &Path) -> bool {
    mounts_below(dir).iter().any(|m| m == dir)
}

/// Mount points at or below `dir`.
pub fn mounts_below(dir: &Path) -> Vec<PathBuf> {
    let Ok(info) = std::fs::read_to_string("/proc/self/mountinfo") else {
        return Vec::new();
    };
    info.lines()
        .filter_map(|line| line.split(' ').nth(4))
        .map(|p| PathBuf::from(p.replace("\\040", " ")))
        .filter(|p| p.starts_with(dir))
        .collect()
}

fn tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
