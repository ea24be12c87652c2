//! The function: one plain async fn over the event, a small context and the
//! state built once per execution environment. `main` only wires it to the
//! Lambda runtime, so tests call it directly.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant, SystemTime};

use docproc_host::HostError;
use docproc_host::runtime::CacheOutcome;
use docproc_host::status::Status;
use docproc_host::{Backend, RunReport, Runtime, RuntimeOptions, Shards};
use serde::Serialize;
use serde_json::Value;
use tracing::{Instrument, error, info, info_span, warn};

use crate::config::{self, Approach, BackendConfig, EventScope};
use crate::delivery::{Delivery, Settled};
use crate::error::{ErrorKind, HandlerError};
use crate::event::{Event, Mode, Plan};
use crate::metrics::Metrics;
use crate::trigger::{Source, Trigger};
use crate::{emf, summary};
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse};

/// Lists in the response stop here, to stay far below Lambda's 6 MB
/// response limit; the report written to `reports/` has them all.
pub const RESPONSE_LIST_LIMIT: usize = 100;

/// What outlives one invocation: the compiled component and, for S3, the
/// connected client.
pub struct State {
    runtime: Arc<Runtime>,
    /// A bad environment fails each invocation with a clear error, instead
    /// of an init failure that Lambda reports only as `Runtime.ExitError`.
    config: Result<BackendConfig, String>,
    /// Which keys the root shows, for events that name keys; `None` until told (the
    /// mount's bucket and prefix come from the deployment).
    scope: Option<EventScope>,
    s3: tokio::sync::OnceCell<Arc<Backend>>,
    init_ms: f64,
    served: AtomicBool,
}

/// The part of Lambda's invocation context the handler uses.
#[derive(Debug, Clone)]
pub struct Invocation {
    pub request_id: String,
    /// When Lambda stops this invocation, if known.
    pub deadline: Option<SystemTime>,
}

/// Past its deadline an invocation is gone, so its claims may be taken over once the time
/// it had left has passed, plus this margin for clocks.
const LEASE_MARGIN: Duration = Duration::from_secs(30);

fn claims_for(ctx: &Invocation) -> docproc_host::Claims {
    let left = ctx
        .deadline
        .and_then(|d| d.duration_since(SystemTime::now()).ok());
    docproc_host::Claims {
        owner: format!("lambda {}", ctx.request_id),
        lease_ms: left.map_or(docproc_host::Claims::default().lease_ms, |left| {
            (left + LEASE_MARGIN).as_millis() as u64
        }),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Response {
    pub approach: Approach,
    pub mode: Mode,
    pub request_id: String,
    pub backend: String,
    /// The same bytes on every host and both functions.
    pub component_sha256: String,
    /// First invocation of this execution environment.
    pub cold_start: bool,
    /// Time from process start to ready: logging, loading the component.
    pub init_ms: f64,
    /// Whether init found the compiled component in the /tmp cache.
    pub cache: CacheOutcome,
    /// From the event's arrival to the report being ready (its own write
    /// excluded, so the saved copy and the response agree).
    pub handler_ms: f64,
    /// The values published as EMF metrics.
    pub metrics: Metrics,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub run: Option<RunReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// Where this report was written (path or s3:// URL).
    pub report: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report_error: Option<String>,
    /// Lists were cut to RESPONSE_LIST_LIMIT entries (not in the report).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
    /// For an event from S3, SQS, EventBridge or Step Functions: what became of the
    /// objects it named.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Settled>,
}

/// What the function returns: its report, or for an SQS batch exactly the shape SQS
/// reads with `ReportBatchItemFailures` (the report is in `reports/` and the logs).
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Reply {
    Report(Box<Response>),
    Batch(SqsBatchResponse),
}

impl Reply {
    pub fn report(self) -> Option<Response> {
        match self {
            Reply::Report(r) => Some(*r),
            Reply::Batch(_) => None,
        }
    }
}

impl State {
    /// Loads the component (from the compiled cache when warm); `started`
    /// is when the process began, so `init_ms` covers all of init.
    pub fn init(
        config: Result<BackendConfig, String>,
        options: RuntimeOptions,
        started: Instant,
    ) -> anyhow::Result<State> {
        let runtime = Arc::new(Runtime::new(
            &docproc_host::ComponentSource::Embedded,
            options,
        )?);
        let scope = config
            .as_ref()
            .ok()
            .and_then(|c| EventScope::from_lookup(c, |name| std::env::var(name).ok()));
        Ok(State {
            runtime,
            config,
            scope,
            s3: tokio::sync::OnceCell::new(),
            init_ms: ms(started.elapsed()),
            served: AtomicBool::new(false),
        })
    }

    /// The bucket and prefix the root shows, where the environment does not say.
    pub fn with_event_scope(mut self, scope: EventScope) -> State {
        self.scope = Some(scope);
        self
    }

    pub fn runtime(&self) -> &Runtime {
        &self.runtime
    }

    pub fn init_ms(&self) -> f64 {
        self.init_ms
    }

    pub fn approach(&self) -> Option<Approach> {
        self.config.as_ref().ok().map(BackendConfig::approach)
    }

    async fn backend(&self, config: &BackendConfig) -> Result<Arc<Backend>, HandlerError> {
        let unavailable = |m: String| HandlerError::new(ErrorKind::BackendUnavailable, m);
        match config {
            BackendConfig::Mount(path) => config::mount_backend(path)
                .map(Arc::new)
                .map_err(unavailable),
            BackendConfig::S3(target) => {
                let backend = self
                    .s3
                    .get_or_try_init(|| async { config::s3_backend(target).await.map(Arc::new) })
                    .await
                    .map_err(unavailable)?
                    .clone();
                // Other writers (seeding, other shards' functions) change the
                // bucket between invocations; start each one from S3 itself.
                if let Backend::S3(s3) = &*backend {
                    s3.fs.invalidate_cache();
                }
                Ok(backend)
            }
        }
    }
}

pub async fn handle(
    state: &State,
    ctx: &Invocation,
    payload: Value,
) -> Result<Reply, HandlerError> {
    let started = Instant::now();
    let cold_start = !state.served.swap(true, Ordering::SeqCst);
    let span = info_span!("invocation", request_id = %ctx.request_id);
    let trigger = Trigger::parse(&payload);
    // A dimension value from the caller only when it is a known mode: each
    // distinct value would be a new metric (and a new charge).
    let mode = match payload.get("mode").and_then(Value::as_str) {
        _ if trigger.is_some() => "process".to_string(),
        Some(m @ ("process" | "status" | "walk" | "hash")) => m.to_string(),
        _ => "invalid".to_string(),
    };
    let request = match trigger {
        Some(trigger) => Request::Trigger(trigger),
        None => Request::Own(payload),
    };
    let result = invoke(state, ctx, request, cold_start, started)
        .instrument(span.clone())
        .await;
    if let Err(e) = &result {
        span.in_scope(|| {
            if e.kind.refused_before_work() {
                error!(
                    request_id = %ctx.request_id,
                    error_type = e.kind.as_str(),
                    error = %e.message,
                    "invocation refused; nothing was changed"
                )
            } else {
                error!(
                    request_id = %ctx.request_id,
                    error_type = e.kind.as_str(),
                    error = %e.message,
                    "invocation failed; finished documents stay finished, rerun to do the rest"
                )
            }
        });
        let approach = state.approach().map_or("unconfigured", Approach::as_str);
        let mut record = emf::Record::new(&[("approach", approach), ("mode", &mode)]);
        record
            .metric("Errors", emf::Unit::Count, 1.0)
            .property("request_id", ctx.request_id.as_str())
            .property("error_type", e.kind.as_str());
        cold_start_metrics(&mut record, cold_start, state.init_ms);
        record.emit();
    }
    result
}

enum Request {
    Own(Value),
    Trigger(Result<Trigger, String>),
}

/// A request checked as far as it can be before the backend is touched.
enum Parsed {
    Own(Mode, Plan),
    Trigger(Trigger),
}

async fn invoke(
    state: &State,
    ctx: &Invocation,
    request: Request,
    cold_start: bool,
    started: Instant,
) -> Result<Reply, HandlerError> {
    let bad_event = |m: String| HandlerError::new(ErrorKind::BadEvent, m);
    // Everything that can be checked is checked before the backend is
    // touched, so a refused event never moves a document.
    let parsed = match request {
        Request::Own(payload) => {
            let event = Event::parse(payload).map_err(bad_event)?;
            let mode = event.mode();
            Parsed::Own(mode, event.plan(claims_for(ctx)).map_err(bad_event)?)
        }
        Request::Trigger(trigger) => Parsed::Trigger(trigger.map_err(bad_event)?),
    };
    let config = state
        .config
        .as_ref()
        .map_err(|m| HandlerError::new(ErrorKind::Misconfigured, m.clone()))?;
    let (mode, plan, delivery) = match parsed {
        Parsed::Own(mode, plan) => (mode, plan, None),
        Parsed::Trigger(trigger) => {
            let scope = state.scope.as_ref().ok_or_else(|| {
                HandlerError::new(
                    ErrorKind::Misconfigured,
                    "an event names S3 keys, but this function does not know which bucket and \
                     prefix MOUNT_PATH shows: set EVENT_BUCKET (and EVENT_PREFIX)",
                )
            })?;
            let delivery = Delivery::new(trigger, scope);
            let (job, count) = delivery.job(claims_for(ctx));
            let plan = Plan::Run {
                job,
                count,
                only: None,
            };
            (Mode::Process, plan, Some(delivery))
        }
    };
    let backend = state.backend(config).await?;
    info!(mode = mode.as_str(), backend = %backend.describe(), cold_start, "invocation started");

    let rt = &state.runtime;
    let (run, status) = execute(rt, &backend, plan).await?;
    let settled = delivery
        .as_ref()
        .zip(run.as_ref())
        .and_then(|(d, run)| match &run.report {
            docproc_host::Report::ProcessInbox(r) => {
                Some(d.settle(r, matches!(config, BackendConfig::Mount(_))))
            }
            _ => None,
        });

    let metrics = run.as_ref().map_or_else(
        || Metrics::of_status(ms(started.elapsed())),
        Metrics::of_run,
    );
    let key = summary::key(mode.as_str(), SystemTime::now(), &ctx.request_id);
    let mut response = Response {
        approach: config.approach(),
        mode,
        request_id: ctx.request_id.clone(),
        backend: backend.describe(),
        component_sha256: rt.component_sha256.clone(),
        cold_start,
        init_ms: state.init_ms,
        cache: rt.cache,
        handler_ms: ms(started.elapsed()),
        metrics,
        run,
        status,
        report: Some(backend.locate(&key)),
        report_error: None,
        truncated: false,
        delivery: settled,
    };
    if let Err(e) = save(&backend, &key, &response).await {
        // The work is done and cannot be undone: say the report is missing
        // rather than fail an invocation whose documents already moved.
        warn!(error = %format!("{e:#}"), "could not write the report");
        response.report = None;
        response.report_error = Some(format!("{e:#}"));
    }

    publish(&response, state.init_ms);
    response.truncated = truncate(&mut response, RESPONSE_LIST_LIMIT);
    match (delivery.map(|d| d.source()), response.delivery.take()) {
        (Some(Source::Sqs), Some(settled)) => Ok(Reply::Batch(batch_reply(settled))),
        (Some(_), Some(settled)) if !settled.pending.is_empty() => {
            Err(not_ready(&settled, response.report.as_deref()))
        }
        (_, settled) => {
            response.delivery = settled;
            Ok(Reply::Report(Box::new(response)))
        }
    }
}

/// The messages SQS must deliver again; every other one it deletes.
fn batch_reply(settled: Settled) -> SqsBatchResponse {
    for note in &settled.pending {
        warn!(key = %note.key, why = %note.why, "to be delivered again");
    }
    for note in &settled.ignored {
        info!(key = %note.key, why = %note.why, "left alone");
    }
    let mut reply = SqsBatchResponse::default();
    reply.batch_item_failures = settled
        .failed_messages
        .into_iter()
        .map(|id| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            failure
        })
        .collect();
    reply
}

/// Without SQS to redeliver one message, the whole event fails after the rest is done,
/// so Lambda's async retries (or a Step Functions `Retry`) deliver it again.
fn not_ready(settled: &Settled, report: Option<&str>) -> HandlerError {
    let shown: Vec<String> = settled
        .pending
        .iter()
        .take(10)
        .map(|n| format!("{}: {}", n.key, n.why))
        .collect();
    HandlerError::new(
        ErrorKind::NotReady,
        format!(
            "{} of {} objects not processed yet ({}{}); the others are done{}",
            settled.pending.len(),
            settled.objects,
            shown.join("; "),
            if settled.pending.len() > shown.len() {
                "; ..."
            } else {
                ""
            },
            report.map_or(String::new(), |r| format!(", report at {r}")),
        ),
    )
}

/// One EMF record and one summary log line per invocation.
fn publish(response: &Response, init_ms: f64) {
    let (m, mode) = (&response.metrics, response.mode.as_str());
    let mut record = emf::Record::new(&[("approach", response.approach.as_str()), ("mode", mode)]);
    m.add_to(&mut record);
    record.property("request_id", response.request_id.as_str());
    cold_start_metrics(&mut record, response.cold_start, init_ms);
    record.emit();
    info!(
        request_id = %response.request_id,
        approach = response.approach.as_str(),
        mode,
        files_processed = m.files_processed,
        files_failed = m.files_failed,
        total_ms = m.total_ms,
        handler_ms = response.handler_ms,
        cold_start = response.cold_start,
        init_ms,
        report = response.report.as_deref().unwrap_or("-"),
        "invocation done"
    );
}

async fn execute(
    rt: &Arc<Runtime>,
    backend: &Arc<Backend>,
    plan: Plan,
) -> Result<(Option<RunReport>, Option<Status>), HandlerError> {
    let failed = |e: anyhow::Error| {
        // A root that a symlink leads out of is only found once the mount is looked at,
        // but it is the event's fault all the same.
        let outside = e.chain().any(|c| {
            matches!(
                c.downcast_ref::<HostError>(),
                Some(HostError::OutsideRoot { .. })
            )
        });
        let kind = if outside {
            ErrorKind::BadEvent
        } else {
            ErrorKind::RunFailed
        };
        HandlerError::new(kind, format!("{e:#}"))
    };
    let report = match plan {
        Plan::Status { root } => {
            let status = docproc_host::status::status(backend, &root).await;
            return Ok((None, Some(status.map_err(failed)?)));
        }
        Plan::Run { job, count, only } => {
            let parallel = std::thread::available_parallelism().map_or(1, |n| n.get());
            let shards = Shards::choose(&job, backend, Some(count), only, Some(parallel));
            docproc_host::run_job(rt.clone(), backend.clone(), job, shards, |_| {}).await
        }
    };
    Ok((Some(report.map_err(failed)?), None))
}

async fn save(backend: &Backend, key: &str, response: &Response) -> anyhow::Result<()> {
    let body = serde_json::to_vec_pretty(response)?;
    backend.make_dir(summary::DIR).await?;
    backend.write_file(key, &body).await
}

/// `InitMs` only on a cold start, so its average is the init time, not
/// diluted by warm invocations; `ColdStart` always (its sum counts them).
fn cold_start_metrics(record: &mut emf::Record, cold_start: bool, init_ms: f64) {
    record.metric(
        "ColdStart",
        emf::Unit::Count,
        if cold_start { 1.0 } else { 0.0 },
    );
    if cold_start {
        record.metric("InitMs", emf::Unit::Milliseconds, init_ms);
    }
}

fn truncate(response: &mut Response, limit: usize) -> bool {
    use docproc_host::Report;
    let mut cut = false;
    let mut keep = |len: usize| {
        cut |= len > limit;
        len.min(limit)
    };
    if let Some(run) = &mut response.run {
        match &mut run.report {
            Report::ProcessInbox(r) => r.documents.truncate(keep(r.documents.len())),
            Report::Hash(r) => r.digests.truncate(keep(r.digests.len())),
            Report::Walk(_) => {}
        }
    }
    if let Some(s) = &mut response.status {
        for dir in [&mut s.inbox, &mut s.processed, &mut s.failed] {
            dir.names.truncate(keep(dir.names.len()));
        }
    }
    cut
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
