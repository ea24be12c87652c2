//! mkdir, rmdir, unlink and rename, and the cache staying right after each.

mod common;
use common::BucketFs as _;

use common::{MIB, bucket, random_bytes};
use docproc_s3fs::{CreateMode, Error, Kind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mkdir_and_rmdir() {
    let b = bucket("mkdir").await;
    b.put("full/file", b"x".to_vec()).await;
    let fs = b.fs();

    fs.mkdir("new").await.unwrap();
    assert!(
        b.keys().await.contains(&"new/".to_owned()),
        "marker written"
    );
    assert_eq!(fs.stat("new").await.unwrap().kind, Kind::Directory);
    assert!(fs.read_dir("new").await.unwrap().is_empty());
    assert!(matches!(fs.mkdir("new").await, Err(Error::Exists(_))));
    assert!(matches!(fs.mkdir("full/file").await, Err(Error::Exists(_))));
    assert!(matches!(fs.mkdir("").await, Err(Error::Exists(_))));
    assert!(matches!(fs.mkdir("no/such").await, Err(Error::NotFound(_))));
    fs.mkdir("new/sub").await.unwrap();
    // A directory that exists through its keys alone exists.
    assert!(matches!(fs.mkdir("full").await, Err(Error::Exists(_))));

    assert!(matches!(fs.rmdir("new").await, Err(Error::NotEmpty(_))));
    assert!(matches!(fs.rmdir("full").await, Err(Error::NotEmpty(_))));
    assert!(matches!(fs.rmdir("full/file").await, Err(Error::NotDir(_))));
    assert!(matches!(fs.rmdir("ghost").await, Err(Error::NotFound(_))));
    assert!(matches!(fs.rmdir("").await, Err(Error::Invalid(_))));

    fs.rmdir("new/sub").await.unwrap();
    fs.rmdir("new").await.unwrap();
    assert!(matches!(fs.stat("new").await, Err(Error::NotFound(_))));
    assert!(matches!(fs.read_dir("new").await, Err(Error::NotFound(_))));
    assert_eq!(b.keys().await, ["full/file"]);
}

/// Sharded runs start many instances over one S3Fs, each making the same directories: one
/// of them creates each, the others are told it exists, and S3 sees one marker PUT.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_mkdirs_of_one_path_send_one_put() {
    let b = bucket("mkdir-race").await;
    let fs = b.fs();
    let before = fs.metrics();
    let results = futures::future::join_all((0..8).map(|_| fs.mkdir("processed"))).await;
    let created = results.iter().filter(|r| r.is_ok()).count();
    let existed = results
        .iter()
        .filter(|r| matches!(r, Err(Error::Exists(_))))
        .count();
    assert_eq!((created, existed), (1, 7), "{results:?}");
    assert_eq!((fs.metrics() - before).put, 1);
    assert_eq!(b.keys().await, ["processed/"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlink_keeps_the_cache_right() {
    let b = bucket("unlink").await;
    b.put("d/a", b"a".to_vec()).await;
    b.put("d/b", b"b".to_vec()).await;
    let fs = b.fs();
    assert_eq!(fs.read_dir("d").await.unwrap().len(), 2);

    fs.unlink("d/a").await.unwrap();
    assert!(matches!(fs.stat("d/a").await, Err(Error::NotFound(_))));
    assert!(matches!(fs.unlink("d/a").await, Err(Error::NotFound(_))));
    assert!(matches!(fs.unlink("d").await, Err(Error::IsDir(_))));
    assert_eq!(b.keys().await, ["d/b"]);

    // On S3 the last key of a directory without a marker takes the directory with it;
    // SeaweedFS keeps the emptied directory. Either way stat and read_dir must agree.
    fs.unlink("d/b").await.unwrap();
    let root = fs.read_dir("").await.unwrap();
    match fs.stat("d").await {
        Err(Error::NotFound(_)) => assert!(root.is_empty(), "{root:?}"),
        Ok(attr) => {
            assert_eq!(attr.kind, Kind::Directory);
            assert_eq!(root.len(), 1);
            assert_eq!(
                (root[0].name.as_str(), root[0].attr.kind),
                ("d", Kind::Directory)
            );
            assert!(fs.read_dir("d").await.unwrap().is_empty());
            fs.rmdir("d").await.unwrap();
            assert!(fs.read_dir("").await.unwrap().is_empty());
        }
        Err(e) => panic!("{e:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_a_file() {
    let b = bucket("rename-file").await;
    b.put("src/a.txt", b"content a".to_vec()).await;
    b.put("dst/old.txt", b"to be replaced".to_vec()).await;
    b.put("dst/sub/x", b"x".to_vec()).await;
    let fs = b.fs();

    let before = fs.metrics();
    fs.rename("src/a.txt", "dst/b.txt").await.unwrap();
    let used = fs.metrics() - before;
    assert_eq!((used.copy, used.delete), (1, 1), "{used:?}");
    assert_eq!(b.get("dst/b.txt").await.unwrap(), b"content a");
    assert_eq!(b.get("src/a.txt").await, None);
    assert!(matches!(
        fs.stat("src/a.txt").await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(fs.stat("dst/b.txt").await.unwrap().size, 9);

    // Over an existing file: replaced.
    fs.rename("dst/b.txt", "dst/old.txt").await.unwrap();
    assert_eq!(b.get("dst/old.txt").await.unwrap(), b"content a");
    assert_eq!(
        fs.read_dir("dst")
            .await
            .unwrap()
            .iter()
            .map(|e| e.name.as_str())
            .collect::<Vec<_>>(),
        ["old.txt", "sub"]
    );

    assert!(matches!(
        fs.rename("dst/old.txt", "dst/sub").await,
        Err(Error::IsDir(_))
    ));
    assert!(matches!(
        fs.rename("ghost", "dst/g").await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        fs.rename("dst/old.txt", "nowhere/x").await,
        Err(Error::NotFound(_))
    ));
}

/// What process-inbox does per document: both directories listed once, then each file
/// moved. The listing already says the target is free, so a move sends nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moves_into_a_listed_directory_send_only_copy_and_delete() {
    let b = bucket("rename-listed").await;
    for name in ["a", "b", "c"] {
        b.put(&format!("inbox/{name}"), name.as_bytes().to_vec())
            .await;
    }
    b.put("processed/sub/x", b"x".to_vec()).await;
    let fs = b.fs();
    fs.read_dir("inbox").await.unwrap();
    fs.read_dir("processed").await.unwrap();

    let before = fs.metrics();
    for name in ["a", "b", "c"] {
        fs.rename(&format!("inbox/{name}"), &format!("processed/{name}"))
            .await
            .unwrap();
    }
    let used = fs.metrics() - before;
    assert_eq!(
        used,
        docproc_s3fs::MetricsSnapshot {
            copy: 3,
            delete: 3,
            ..Default::default()
        }
    );
    assert_eq!(b.get("processed/b").await.unwrap(), b"b");
    // The listing also knows what is there: a directory still refuses a file.
    assert!(matches!(
        fs.rename("processed/a", "processed/sub").await,
        Err(Error::IsDir(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_a_directory() {
    let b = bucket("rename-dir").await;
    let files = ["tree/a.txt", "tree/sub/b.txt", "tree/sub/deep/c.txt"];
    for key in files {
        b.put(key, key.as_bytes().to_vec()).await;
    }
    b.put("tree/empty/", Vec::new()).await;
    b.put("other/", Vec::new()).await;
    b.put("file", b"f".to_vec()).await;
    let fs = b.fs();
    fs.read_dir("tree").await.unwrap();

    fs.rename("tree", "other/moved").await.unwrap();
    let mut keys = b.keys().await;
    keys.sort();
    assert_eq!(
        keys,
        [
            "file",
            "other/",
            "other/moved/a.txt",
            "other/moved/empty/",
            "other/moved/sub/b.txt",
            "other/moved/sub/deep/c.txt"
        ]
    );
    assert_eq!(
        b.get("other/moved/sub/deep/c.txt").await.unwrap(),
        b"tree/sub/deep/c.txt"
    );
    assert!(matches!(fs.stat("tree").await, Err(Error::NotFound(_))));
    assert!(matches!(
        fs.stat("tree/a.txt").await,
        Err(Error::NotFound(_))
    ));
    assert_eq!(
        fs.read_dir("other/moved")
            .await
            .unwrap()
            .iter()
            .map(|e| (e.name.as_str(), e.attr.kind))
            .collect::<Vec<_>>(),
        [
            ("a.txt", Kind::File),
            ("empty", Kind::Directory),
            ("sub", Kind::Directory)
        ]
    );

    assert!(matches!(
        fs.rename("other", "other/moved/inside").await,
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        fs.rename("other/moved", "file").await,
        Err(Error::NotDir(_))
    ));
    assert!(matches!(
        fs.rename("other/moved/sub", "other").await,
        Err(Error::NotEmpty(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_above_the_copy_threshold_uses_part_copies() {
    let b = bucket("rename-mp").await;
    let data = random_bytes(12 * MIB, 12);
    let fs = b.fs_with(|c| {
        c.multipart_copy_threshold = 8 * MIB as u64;
        c.copy_part_size = 5 * MIB as u64;
        c.upload_part_size = 5 * MIB;
    });
    let mut w = fs.create("big", CreateMode::Create).await.unwrap();
    w.write(0, &data).await.unwrap();
    w.finish().await.unwrap();

    let before = fs.metrics();
    fs.rename("big", "moved").await.unwrap();
    let used = fs.metrics() - before;
    assert_eq!(used.create_multipart, 1, "{used:?}");
    assert_eq!(
        used.copy, 3,
        "three UploadPartCopy of 5, 5 and 2 MiB: {used:?}"
    );
    assert_eq!(used.complete_multipart, 1, "{used:?}");
    assert!(b.get("moved").await.unwrap() == data);
    assert_eq!(b.get("big").await, None);
}
