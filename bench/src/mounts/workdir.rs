//! The run's work directory (server data, local data, mount points, logs), removed when
//! dropped, and a watchdog that cleans up even if this process is killed.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

pub struct WorkDir {
    path: PathBuf,
    keep: bool,
}

impl WorkDir {
    /// A new directory below `parent` (default: the temp dir). Kept short: SeaweedFS's unix
    /// sockets must fit in 108 bytes.
    pub fn create(parent: Option<&Path>, keep: bool) -> Result<WorkDir> {
        let parent = parent.map_or_else(std::env::temp_dir, Path::to_path_buf);
        std::fs::create_dir_all(&parent)?;
        let path = tempfile::Builder::new()
            .prefix("docproc-bench-")
            .tempdir_in(&parent)
            .with_context(|| format!("creating a work directory in {}", parent.display()))?
            .keep();
        Ok(WorkDir {
            path: path.canonicalize()?,
            keep,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn join(&self, rel: &str) -> PathBuf {
        self.path.join(rel)
    }

    /// Starts a process, in its own session so no signal of ours reaches it, that waits for
    /// this process to exit however it exits (even SIGKILL), then unmounts whatever is still
    /// mounted below the work directory, stops the server and removes the directory. After a
    /// normal exit the guards have done all that already and it finds nothing to do.
    pub fn start_watchdog(&self, server_script: &Path, fusermount: Option<&Path>) -> Result<()> {
        let script = r#"
pid="$1"; work="$2"; server="$3"; fusermount="$4"; keep="$5"
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
[ -d "$work" ] || exit 0
if [ -n "$fusermount" ]; then
    for m in $(awk -v w="$work/" 'index($5, w) == 1 { print $5 }' /proc/self/mountinfo); do
        "$fusermount" -uz "$m" 2>/dev/null
    done
fi
[ -f "$work/server/pid" ] && "$server" stop "$work/server"
if [ "$keep" != keep ] && ! awk -v w="$work/" 'index($5, w) == 1 { found = 1 } END { exit !found }' /proc/self/mountinfo; then
    rm -rf --one-file-system "$work"
fi
"#;
        let status = Command::new("setsid")
            .args(["--fork", "sh", "-c", script, "docproc-bench-watchdog"])
            .arg(std::process::id().to_string())
            .arg(&self.path)
            .arg(server_script)
            .arg(fusermount.map(Path::to_path_buf).unwrap_or_default())
            .arg(if self.keep { "keep" } else { "remove" })
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .context("starting the cleanup watchdog (setsid)")?;
        anyhow::ensure!(status.success(), "starting the cleanup watchdog: {status}");
        Ok(())
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let left = super::fuse::mounts_below(&self.path);
        if !left.is_empty() {
            // Never remove a directory through a mount: that would delete bucket contents.
            crate::ui::log(format!(
                "not removing {}: still mounted: {left:?} (the watchdog retries)",
                self.path.display()
            ));
            return;
        }
        if self.keep {
            crate::ui::log(format!("kept the work directory {}", self.path.display()));
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
