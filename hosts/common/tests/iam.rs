//! Least privilege that works: every request a run of each workload sends over S3 is allowed
//! by the role Terraform gives the S3-API function, and that role is granted nothing docproc
//! never sends. IAM has no local server, so the policy is read from the Terraform and
//! evaluated by AWS's documented rules: an Allow statement applies when the action and the
//! resource match (`*` and `?` wildcards) and every condition holds.

mod support;

use std::collections::BTreeSet;

use docproc_host::{Backend, Claims, Job, RunReport, Shard, run};
use docproc_s3fs::iam::{self, Scope};
use docproc_terraform_wiring::{Module, attr, terraform_dir};
use hcl::Value;
use hcl::eval::Evaluate;
use support::runtime;

const BUCKET_ARN: &str = "arn:aws:s3:::docproc-bucket";

struct Statement {
    actions: Vec<String>,
    resources: Vec<String>,
    /// (test, variable, values)
    conditions: Vec<(String, String, Vec<String>)>,
}

fn strings(v: Value) -> Vec<String> {
    match v {
        Value::Array(items) => items.into_iter().flat_map(strings).collect(),
        Value::String(s) => vec![s],
        other => panic!("expected strings, got {other:?}"),
    }
}

/// The static statements of the `before` role's policy document, evaluated with the bucket
/// and prefix given. Its `source_policy_documents` hold only logs and X-Ray; the dynamic
/// KMS statement exists only for SSE-KMS buckets and grants no S3 action.
fn before_policy(prefix: &str) -> Vec<Statement> {
    let module = Module::load(&terraform_dir().join("modules/lambda")).unwrap();
    let inputs = [
        ("bucket_arn", Value::from(BUCKET_ARN)),
        ("before_prefix", Value::from(prefix)),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let ctx = module.context(module.variables(&inputs));
    let doc = module
        .block("data", &["aws_iam_policy_document", "before"])
        .unwrap();
    let eval = |body: &hcl::Body, key: &str| -> Vec<String> {
        let expr = attr(body, key).unwrap_or_else(|| panic!("statement without {key}"));
        strings(expr.evaluate(&ctx).unwrap_or_else(|e| panic!("{key}: {e}")))
    };
    doc.body()
        .blocks()
        .filter(|b| b.identifier() == "statement")
        .map(|s| {
            let body = s.body();
            assert_eq!(eval(body, "effect"), ["Allow"]);
            let conditions = body
                .blocks()
                .filter(|b| b.identifier() == "condition")
                .map(|c| {
                    let one = |key| eval(c.body(), key).remove(0);
                    (one("test"), one("variable"), eval(c.body(), "values"))
                })
                .collect();
            Statement {
                actions: eval(body, "actions"),
                resources: eval(body, "resources"),
                conditions,
            }
        })
        .collect()
}

/// IAM's wildcard match: `*` any run of characters, `?` any one.
fn glob(pattern: &str, text: &str) -> bool {
    fn go(p: &[char], t: &[char]) -> bool {
        match (p.first(), t.first()) {
            (None, None) => true,
            (Some('*'), _) => go(&p[1..], t) || (!t.is_empty() && go(p, &t[1..])),
            (Some('?'), Some(_)) => go(&p[1..], &t[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &t[1..]),
            _ => false,
        }
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    go(&p, &t)
}

fn allowed(policy: &[Statement], action: &str, resource: &str, prefix: Option<&str>) -> bool {
    policy.iter().any(|s| {
        s.actions
            .iter()
            .any(|a| glob(&a.to_lowercase(), &action.to_lowercase()))
            && s.resources.iter().any(|r| glob(r, resource))
            && s.conditions.iter().all(|(test, variable, values)| {
                assert_eq!(variable, "s3:prefix", "a condition this test cannot judge");
                let Some(prefix) = prefix else { return false };
                match test.as_str() {
                    "StringLike" => values.iter().any(|v| glob(v, prefix)),
                    "StringEquals" => values.iter().any(|v| v == prefix),
                    other => panic!("condition test {other} not handled here"),
                }
            })
    })
}

/// Each directory prefix above `key` within the root, "before/" included.
fn prefixes_of(key: &str) -> Vec<String> {
    key.match_indices('/')
        .map(|(i, _)| key[..=i].to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_of_every_workload_is_granted_and_nothing_more() {
    let b = docproc_testkit::bucket("iam-coverage").await;
    let prefix = "before/";
    for (name, text) in docproc_host::seed::documents(6, 3) {
        b.put(&format!("{prefix}inbox/{name}"), text.into_bytes())
            .await;
    }
    // A bad document too, so the failed/ path's requests are among those checked.
    b.put(&format!("{prefix}inbox/latin1.txt"), &b"caf\xe9\n"[..])
        .await;
    b.put(
        &format!("{prefix}data/big.bin"),
        docproc_testkit::random_bytes(9 << 20, 1),
    )
    .await;

    let s3 = support::s3_backend(&b.name, prefix.trim_end_matches('/'), None).await;
    let jobs = [
        // As the Lambda host runs it: claims on.
        Job::ProcessInbox {
            root: String::new(),
            chunk_size: 0,
            claims: Some(Claims::default()),
            only: None,
        },
        // As an event runs it: names already done, absent, and outside inbox/ are looked up.
        Job::ProcessInbox {
            root: String::new(),
            chunk_size: 0,
            claims: Some(Claims::default()),
            only: Some(vec![
                "inbox/latin1.txt".into(),
                "inbox/missing.txt".into(),
                "processed/latin1.txt".into(),
            ]),
        },
        Job::Walk {
            root: String::new(),
        },
        Job::Hash {
            root: "data".into(),
            out_dir: "digests".into(),
            chunk_size: 0,
        },
    ];
    let mut kinds = BTreeSet::new();
    for job in &jobs {
        let report: RunReport = run(&runtime(), &Backend::S3(s3.clone()), job, Shard::ALL)
            .await
            .unwrap_or_else(|e| panic!("{job:?}: {e:#}"));
        kinds.extend(
            report
                .s3
                .expect("an S3 run reports its requests")
                .requests
                .kinds_sent(),
        );
    }
    let keys = b.keys().await;
    assert!(keys.iter().any(|k| k.starts_with("before/processed/")));
    assert!(keys.iter().any(|k| k.starts_with("before/failed/")));
    assert!(keys.iter().any(|k| k.starts_with("before/digests/")));

    let policy = before_policy(prefix);
    // 1. Every request sent is allowed, on every key and prefix the runs left behind.
    let objects: Vec<String> = keys.iter().map(|k| format!("{BUCKET_ARN}/{k}")).collect();
    let listed: BTreeSet<String> = keys.iter().flat_map(|k| prefixes_of(k)).collect();
    for kind in &kinds {
        for p in kind.permissions() {
            match p.scope {
                Scope::Object => {
                    for object in &objects {
                        assert!(
                            allowed(&policy, p.action, object, None),
                            "{kind:?} needs {} on {object}",
                            p.action
                        );
                    }
                }
                Scope::Bucket => {
                    for listed in &listed {
                        assert!(
                            allowed(&policy, p.action, BUCKET_ARN, Some(listed)),
                            "{kind:?} needs {} with s3:prefix {listed}",
                            p.action
                        );
                    }
                }
            }
        }
    }

    // 2. Nothing beyond: the role's S3 actions are exactly the table's, and the runs sent
    // a request needing each of them. AbortMultipartUpload is the one exception: it is sent
    // only to clean up after an upload that failed, which the fault tests drive.
    let granted: BTreeSet<&str> = policy
        .iter()
        .flat_map(|s| s.actions.iter().map(String::as_str))
        .filter(|a| a.starts_with("s3:"))
        .collect();
    let table: BTreeSet<&str> = iam::all_actions().into_iter().collect();
    assert_eq!(granted, table, "the role's S3 actions against the table's");
    let sent: BTreeSet<&str> = kinds
        .iter()
        .flat_map(|k| k.permissions())
        .map(|p| p.action)
        .chain(["s3:AbortMultipartUpload"])
        .collect();
    assert_eq!(sent, table, "actions granted that no run needed");

    // 3. And the grant stops at the prefix: another function's keys stay out of reach.
    assert!(!allowed(
        &policy,
        "s3:GetObject",
        &format!("{BUCKET_ARN}/other/inbox/a.txt"),
        None
    ));
    assert!(!allowed(&policy, "s3:ListBucket", BUCKET_ARN, Some("")));
    assert!(!allowed(
        &policy,
        "s3:ListBucket",
        BUCKET_ARN,
        Some("other/")
    ));
}

#[test]
fn globs_follow_iam_wildcards() {
    assert!(glob(
        "arn:aws:s3:::b/before/*",
        "arn:aws:s3:::b/before/inbox/a"
    ));
    assert!(!glob("arn:aws:s3:::b/before/*", "arn:aws:s3:::b/beforex"));
    assert!(glob("a?c", "abc"));
    assert!(!glob("a?c", "ac"));
    assert_eq!(
        prefixes_of("before/inbox/a.txt"),
        ["before/", "before/inbox/"]
    );
}
