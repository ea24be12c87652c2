//! The `docproc` binary end to end, as a user runs it.

mod support;

use std::path::Path;
use std::process::{Command, Output};

fn docproc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_docproc"))
        .args(args)
        .output()
        .expect("run docproc")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn dir_arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn demo_prints_the_report_and_says_where_the_files_are() {
    let out = docproc(&["demo", "--docs", "5"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "Read (5 files)",
        "Write metadata (5)",
        "Move/rename (5)",
        "Processed               5",
        "sha256:",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let results = text
        .lines()
        .find_map(|l| l.strip_prefix("Results: "))
        .and_then(|l| l.split(" (").next())
        .expect("a Results line");
    assert_eq!(std::fs::read_dir(results).unwrap().count(), 10);
    std::fs::remove_dir_all(Path::new(results).parent().unwrap()).unwrap();
}

#[test]
fn process_json_walk_and_hash_over_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let seeded = docproc(&["seed", "--dir", dir_arg(dir.path()), "--docs", "4"]);
    assert!(seeded.status.success(), "{}", stderr(&seeded));

    let out = docproc(&["process", "--dir", dir_arg(dir.path()), "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["report"]["workload"], "process-inbox");
    assert_eq!(v["report"]["processed"], 4);
    assert_eq!(v["component_sha256"].as_str().unwrap().len(), 64);

    let out = docproc(&["walk", "--dir", dir_arg(dir.path()), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["report"]["files"], 8);

    let out = docproc(&[
        "hash",
        "--dir",
        dir_arg(dir.path()),
        "--root",
        "processed",
        "--out-dir",
        "digests",
        "--shards",
        "3",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("Files hashed            8"),
        "{}",
        stdout(&out)
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("digests"))
            .unwrap()
            .count(),
        8
    );
}

#[test]
fn failed_documents_exit_3_and_are_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("inbox")).unwrap();
    std::fs::write(dir.path().join("inbox/bad.txt"), b"\xff\xfe").unwrap();
    let out = docproc(&["process", "--dir", dir_arg(dir.path())]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stdout(&out).contains("failed: bad.txt: not valid UTF-8 at byte 0"),
        "{}",
        stdout(&out)
    );
}

/// A document the user may not read goes to failed/ with the reason, and the batch goes
/// on. Root reads everything, so as root the run drops to `nobody` for a real EACCES.
#[test]
fn an_unreadable_file_goes_to_failed_and_is_named() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt, chown};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("inbox")).unwrap();
    std::fs::create_dir_all(root.join("cache")).unwrap();
    std::fs::write(root.join("inbox/ok.txt"), "fine words\n").unwrap();
    std::fs::write(root.join("inbox/secret.txt"), "hidden words\n").unwrap();
    let secret = root.join("inbox/secret.txt");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();

    let binary = env!("CARGO_BIN_EXE_docproc");
    let args = ["process", "--dir", dir_arg(root)];
    let mut cmd = if std::fs::metadata("/proc/self").unwrap().uid() == 0 {
        const NOBODY: u32 = 65534;
        for p in ["", "inbox", "inbox/ok.txt", "inbox/secret.txt", "cache"] {
            chown(root.join(p), Some(NOBODY), Some(NOBODY)).unwrap();
        }
        let mut cmd = Command::new("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(binary);
        cmd
    } else {
        Command::new(binary)
    };
    let out = cmd
        .args(args)
        .env("DOCPROC_CACHE_DIR", root.join("cache"))
        .env("HOME", root)
        .output()
        .expect("run docproc");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("failed: secret.txt: "), "{text}");
    assert!(text.to_lowercase().contains("permission denied"), "{text}");
    assert!(root.join("failed/secret.txt.error.json").exists());
    assert!(root.join("failed/secret.txt").exists(), "moved, not lost");
    assert!(root.join("processed/ok.txt.meta.json").exists());
}

#[test]
fn errors_name_the_path_and_use_the_documented_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let (here, missing) = (dir_arg(dir.path()), dir.path().join("missing"));
    let corrupt = dir.path().join("corrupt.wasm");
    std::fs::write(&corrupt, b"\0asm garbage").unwrap();
    let (missing, corrupt) = (dir_arg(&missing), dir_arg(&corrupt));
    let no_such_dir = format!("docproc: {missing}: no such directory");
    let not_a_component = format!("{corrupt}: not a usable docproc component");
    // (arguments, exit code, what stderr says)
    let cases: &[(&[&str], i32, &str)] = &[
        (&["walk", "--dir", missing], 1, &no_such_dir),
        (&["process", "--dir", here], 1, "no inbox/ directory"),
        (
            &["walk", "--dir", here, "--component", corrupt],
            4,
            &not_a_component,
        ),
        (
            &["walk", "--dir", here, "--component", missing],
            4,
            "cannot read component",
        ),
        (
            &["walk", "--dir", here, "--shards", "2", "--shard-index", "2"],
            2,
            "shard",
        ),
        (&["frobnicate"], 2, "frobnicate"),
    ];
    for (args, code, says) in cases {
        let out = docproc(args);
        assert_eq!(out.status.code(), Some(*code), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
    // The whole message, for the commonest mistake: nothing but the path and what is wrong.
    let out = docproc(cases[0].0);
    assert_eq!(stderr(&out).trim(), no_such_dir);
}

/// Over S3 the bucket is checked before any instance starts, so its error comes alone and
/// names the bucket, for every workload, and a missing bucket is never taken for an empty
/// inbox. (Checking beside the run's first requests would save a round trip, but each of
/// the 64 instances would log its own failure first.)
#[test]
fn a_missing_bucket_is_named_whatever_the_workload() {
    let says = "docproc: s3://docproc-no-such-bucket: no such bucket";
    for workload in ["process", "walk", "hash"] {
        let mut cmd = support::docproc();
        support::with_s3(&mut cmd).args([workload, "--s3", "s3://docproc-no-such-bucket/x"]);
        let out = cmd.output().expect("run docproc");
        assert_eq!(out.status.code(), Some(1), "{workload}: {}", stderr(&out));
        assert_eq!(stderr(&out).trim(), says, "{workload}");
        assert_eq!(stdout(&out), "", "{workload}: no report");
    }
}

#[test]
fn help_teaches_the_layout_and_exit_codes() {
    let out = docproc(&["--help"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for needle in ["inbox/", "Exit codes:", "S3 Files", "Mountpoint"] {
        assert!(text.contains(needle), "missing {needle:?}");
    }
}

#[test]
fn only_and_names_from_process_exactly_the_documents_named() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = dir.path().join("inbox");
    std::fs::create_dir(&inbox).unwrap();
    for name in ["a.txt", "b.txt", "x y+é.txt"] {
        std::fs::write(inbox.join(name), "two words\n").unwrap();
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_docproc"))
        .args(["process", "--dir", dir_arg(dir.path()), "--only", "a.txt"])
        .args(["--names-from", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all("x y+é.txt\n\nmissing.txt\n../b.txt\n".as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for needle in [
        "Processed               2",
        "Vanished                1",
        "absent: missing.txt",
        "skipped: inbox/../b.txt: not in inbox/",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let left: Vec<_> = std::fs::read_dir(&inbox)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["b.txt"]);

    let names = dir.path().join("names.txt");
    std::fs::write(&names, "a.txt\n").unwrap();
    let again = docproc(&[
        "process",
        "--dir",
        dir_arg(dir.path()),
        "--names-from",
        dir_arg(&names),
    ]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(
        stdout(&again).contains("Already done            1"),
        "{}",
        stdout(&again)
    );

    let missing = docproc(&[
        "process",
        "--dir",
        dir_arg(dir.path()),
        "--names-from",
        "/nonexistent/names",
    ]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("--names-from /nonexistent/names"),
        "{}",
        stderr(&missing)
    );
}
