//! The local S3 server (SeaweedFS through scripts/s3-server), stopped when dropped.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::s3::Creds;

pub struct LocalServer {
    script: PathBuf,
    dir: PathBuf,
    pub endpoint: String,
    pub creds: Creds,
    pub region: String,
    pub filer_port: u16,
}

impl LocalServer {
    /// `scripts/s3-server start DIR`: every port free and on 127.0.0.1, random credentials.
    pub fn start(script: &Path, dir: &Path) -> Result<LocalServer> {
        let out = Command::new(script)
            .arg("start")
            .arg(dir)
            .output()
            .with_context(|| format!("running {}", script.display()))?;
        if !out.status.success() {
            bail!(
                "{} start failed:\n{}{}",
                script.display(),
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // From here on the guard stops it, whatever fails next.
        let mut server = LocalServer {
            script: script.to_path_buf(),
            dir: dir.to_path_buf(),
            endpoint: String::new(),
            creds: Creds {
                access_key: String::new(),
                secret_key: String::new(),
            },
            region: String::new(),
            filer_port: 0,
        };
        let env = read_env(&dir.join("env"))?;
        let get = |k: &str| {
            env.get(k)
                .cloned()
                .with_context(|| format!("the server's env file has no {k}"))
        };
        server.endpoint = get("AWS_ENDPOINT_URL")?;
        server.creds = Creds {
            access_key: get("AWS_ACCESS_KEY_ID")?,
            secret_key: get("AWS_SECRET_ACCESS_KEY")?,
        };
        server.region = get("AWS_REGION")?;
        server.filer_port = get("DOCPROC_FILER_PORT")?
            .parse()
            .context("DOCPROC_FILER_PORT")?;
        Ok(server)
    }

    /// host:port of the S3 endpoint.
    pub fn s3_addr(&self) -> Result<std::net::SocketAddr> {
        self.endpoint
            .strip_prefix("http://")
            .and_then(|a| a.parse().ok())
            .with_context(|| format!("{}: not http://IP:PORT", self.endpoint))
    }
}

impl Drop for LocalServer {
    fn drop(&mut self) {
        let _ = Command::new(&self.script)
            .arg("stop")
            .arg(&self.dir)
            .output();
    }
}

fn read_env(path: &Path) -> Result<HashMap<String, String>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect())
}
