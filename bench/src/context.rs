//! What every workload needs to know about the run: the settings, the server, where each
//! backend's data lives, and how to open a backend for one run.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Result, anyhow};
use aws_sdk_s3::Client;
use docproc_host::{Backend, Runtime};

use crate::backends::BackendKind;
use crate::backends::component;
use crate::mounts::proxy::LatencyProxy;
use crate::mounts::{FuseMount, MountSpec, Tools};
use crate::s3::{Creds, Place, Retries, S3Conn};
use crate::seed::Expected;
use crate::settings::Settings;

/// Which data set a workload uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Data {
    /// The inbox runs and the walk tree: per backend (a bucket per FUSE client).
    Small,
    /// The hash files: one shared place.
    Large,
}

pub struct Ctx {
    pub settings: Settings,
    pub conn: S3Conn,
    pub rt: Arc<Runtime>,
    pub work: PathBuf,
    pub tools: Tools,
    pub filer_port: Option<u16>,
    /// Where each S3 backend's small data lives.
    pub places: BTreeMap<BackendKind, Place>,
    pub large: Place,
    /// The local directory backend's root (walk tree, hash files, inbox runs).
    pub local_root: PathBuf,
    /// On AWS: mounts that already exist (S3 Files, Mountpoint) for these backends, with the
    /// key prefix their root shows.
    pub existing_mounts: BTreeMap<BackendKind, (PathBuf, String)>,
    pub expected: Vec<Expected>,
    /// Backends that run, in table order; the others are in `skipped`.
    pub backends: Vec<BackendKind>,
    pub skipped: BTreeMap<BackendKind, String>,
    /// A direct client of the server for seeding and checks.
    pub client: Client,
    pub on_aws: bool,
    /// On AWS: how long S3-side writes take to show on the S3 Files mount.
    pub settle: std::time::Duration,
    pub machine: crate::machine::Machine,
    /// What setting up changed or found, for the report.
    pub notes: Vec<String>,
}

/// One pass: direct to the server, or through the latency proxy.
pub struct Pass<'a> {
    pub id: &'static str,
    pub proxy: Option<&'a LatencyProxy>,
    pub runs: usize,
}

impl Pass<'_> {
    pub fn endpoint(&self) -> Option<String> {
        self.proxy.map(LatencyProxy::endpoint)
    }

    pub fn latency_ms(&self) -> u64 {
        self.proxy.map_or(0, |p| p.latency.as_millis() as u64)
    }

    /// Requests through the proxy so far (zero without one).
    pub fn stats(&self) -> docproc_s3proxy::Stats {
        self.proxy.map(LatencyProxy::stats).unwrap_or_default()
    }
}

/// A backend opened for one run. Drop it to unmount.
pub enum Opened {
    Component {
        backend: Backend,
        _mount: Option<FuseMount>,
    },
    Naive {
        client: Client,
        place: Place,
    },
}

impl Ctx {
    pub fn place(&self, kind: BackendKind, data: Data) -> Place {
        match data {
            Data::Large => self.large.clone(),
            Data::Small => self
                .places
                .get(&kind)
                .cloned()
                .unwrap_or_else(|| self.large.clone()),
        }
    }

    pub fn creds(&self) -> Creds {
        self.conn.creds.clone().unwrap_or(Creds {
            access_key: String::new(),
            secret_key: String::new(),
        })
    }

    /// A client through the pass's endpoint.
    pub async fn client_for(&self, pass: &Pass<'_>, retries: Retries) -> Client {
        self.conn.client(pass.endpoint().as_deref(), retries).await
    }

    /// Opens `kind` on `data` for one run: a fresh S3 file system (cold cache) or a fresh
    /// mount, so every run starts cold as the reference's did.
    pub async fn open(
        &self,
        pass: &Pass<'_>,
        kind: BackendKind,
        data: Data,
        tag: &str,
    ) -> Result<Opened> {
        let place = self.place(kind, data);
        let mounted = |mount: FuseMount| Opened::Component {
            backend: component::local_backend(mount.path().to_path_buf()),
            _mount: Some(mount),
        };
        if let Some((path, root_prefix)) = self.existing_mounts.get(&kind) {
            let rel = place
                .prefix
                .strip_prefix(root_prefix.as_str())
                .ok_or_else(|| {
                    anyhow!(
                        "{} is not below the mount's prefix {root_prefix}",
                        place.prefix
                    )
                })?;
            let rel = rel.trim_end_matches('/');
            let dir = if rel.is_empty() {
                path.clone()
            } else {
                path.join(rel)
            };
            return Ok(Opened::Component {
                backend: component::local_backend(dir),
                _mount: None,
            });
        }
        let endpoint = pass
            .endpoint()
            .or_else(|| self.conn.endpoint.clone())
            .unwrap_or_default();
        let creds = self.creds();
        let spec = MountSpec {
            place: &place,
            endpoint: &endpoint,
            region: &self.conn.region,
            creds: &creds,
            tag: format!("{}-{tag}", kind.id()),
            work: &self.work,
        };
        let tool = |t: &Result<PathBuf, String>| t.clone().map_err(|why| anyhow!(why));
        let fusermount = || tool(&self.tools.fuse);
        Ok(match kind {
            BackendKind::Local => Opened::Component {
                backend: component::local_backend(self.local_root.clone()),
                _mount: None,
            },
            BackendKind::Docproc => Opened::Component {
                backend: component::s3_backend(
                    self.client_for(pass, Retries::Docproc).await,
                    &place,
                ),
                _mount: None,
            },
            BackendKind::Naive => Opened::Naive {
                client: self.client_for(pass, Retries::SdkDefault).await,
                place,
            },
            BackendKind::S3fs => {
                let (bin, fm) = (tool(&self.tools.s3fs)?, fusermount()?);
                mounted(tokio::task::block_in_place(|| {
                    crate::mounts::s3fs::mount(&bin, &fm, &spec)
                })?)
            }
            BackendKind::Mountpoint => {
                let (bin, fm) = (tool(&self.tools.mountpoint)?, fusermount()?);
                mounted(tokio::task::block_in_place(|| {
                    crate::mounts::mountpoint::mount(&bin, &fm, &spec)
                })?)
            }
            BackendKind::Weed => {
                let (bin, fm) = (tool(&self.tools.weed)?, fusermount()?);
                let port = self
                    .filer_port
                    .ok_or_else(|| anyhow!("no SeaweedFS filer here"))?;
                mounted(tokio::task::block_in_place(|| {
                    crate::mounts::weed::mount(&bin, &fm, port, &spec)
                })?)
            }
        })
    }

    pub fn label(&self, kind: BackendKind) -> &'static str {
        if self.on_aws {
            kind.aws_label()
        } else {
            kind.label()
        }
    }
}
