//! Writes: PutObject for small objects, parallel multipart uploads for large ones, exclusive
//! creation, and no partial object after a failure.

mod common;
use common::BucketFs as _;

use std::time::{Duration, Instant};

use common::{MIB, bucket, random_bytes};
use docproc_s3fs::{CreateMode, Error, Kind};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multipart_write_of_20_mib_round_trips() {
    let b = bucket("multipart").await;
    let fs = b.fs_with(|c| c.upload_part_size = 5 * MIB);
    let data = random_bytes(20 * MIB, 20);

    let before = fs.metrics();
    let started = Instant::now();
    let mut w = fs.create("big.bin", CreateMode::Create).await.unwrap();
    // Odd-sized appends so parts never line up with writes.
    for (i, chunk) in data.chunks(777_777).enumerate() {
        w.write((i * 777_777) as u64, chunk).await.unwrap();
    }
    assert_eq!(w.len(), data.len() as u64);
    assert_eq!(
        b.get("big.bin").await,
        None,
        "nothing visible before finish"
    );
    w.finish().await.unwrap();
    let elapsed = started.elapsed();

    let used = fs.metrics() - before;
    assert_eq!(used.create_multipart, 1, "{used:?}");
    assert_eq!(used.upload_part, 4, "{used:?}");
    assert_eq!(used.complete_multipart, 1, "{used:?}");
    assert_eq!((used.put, used.abort_multipart), (0, 0), "{used:?}");
    assert_eq!(used.bytes_written, data.len() as u64);
    println!(
        "multipart write of 20 MiB: {:.0} MiB/s ({} ms, debug build)",
        20.0 / elapsed.as_secs_f64(),
        elapsed.as_millis()
    );

    assert!(
        b.get("big.bin").await.unwrap() == data,
        "S3 holds other bytes"
    );
    // Our own write is in the cache: no request for its stat.
    let before = fs.metrics();
    let attr = fs.stat("big.bin").await.unwrap();
    assert_eq!((attr.kind, attr.size), (Kind::File, data.len() as u64));
    assert_eq!((fs.metrics() - before).requests(), 0);

    let mut r = fs.open_read("big.bin").await.unwrap();
    let mut got = Vec::new();
    loop {
        let chunk = r.read(got.len() as u64, 4 * MIB).await.unwrap();
        if chunk.is_empty() {
            break;
        }
        got.extend_from_slice(&chunk);
    }
    assert!(got == data);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_and_exactly_one_part_writes_are_one_put() {
    let b = bucket("small-write").await;
    let fs = b.fs_with(|c| c.upload_part_size = 5 * MIB);
    for (path, len) in [("empty", 0), ("small", 1000), ("one-part", 5 * MIB)] {
        let data = random_bytes(len, len as u64);
        let before = fs.metrics();
        let mut w = fs.create(path, CreateMode::Truncate).await.unwrap();
        if len > 0 {
            w.write(0, &data).await.unwrap();
        }
        w.finish().await.unwrap();
        let used = fs.metrics() - before;
        assert_eq!(
            (used.put, used.create_multipart),
            (1, 0),
            "{path}: {used:?}"
        );
        assert_eq!(b.get(path).await.unwrap(), data, "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_inside_the_buffer_are_fine_before_it_is_not() {
    let b = bucket("overwrite").await;
    let fs = b.fs_with(|c| c.upload_part_size = 5 * MIB);
    let mut w = fs.create("f", CreateMode::Create).await.unwrap();
    w.write(0, b"hello world").await.unwrap();
    w.write(6, b"WORLD").await.unwrap();
    w.write(0, b"J").await.unwrap();
    w.write(20, b"!").await.unwrap(); // past the end: the gap reads as zeros
    w.finish().await.unwrap();
    let mut expected = b"Jello WORLD".to_vec();
    expected.resize(20, 0);
    expected.push(b'!');
    assert_eq!(b.get("f").await.unwrap(), expected);

    let mut w = fs.create("g", CreateMode::Create).await.unwrap();
    w.write(0, &random_bytes(6 * MIB, 1)).await.unwrap(); // first 5 MiB now uploading
    w.write(5 * MIB as u64 + 10, b"still buffered")
        .await
        .unwrap();
    assert!(matches!(
        w.write(10, b"too late").await,
        Err(Error::Unsupported(_))
    ));
    w.finish().await.unwrap();
    assert_eq!(b.get("g").await.unwrap().len(), 6 * MIB);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclusive_create_refuses_an_existing_key() {
    let b = bucket("exclusive").await;
    b.put("taken", b"old".to_vec()).await;
    b.put("dir/inside", b"x".to_vec()).await;
    let fs = b.fs();
    // Unknown to the cache: the conditional upload refuses it, costing no lookup first.
    let mut w = fs.create("taken", CreateMode::Exclusive).await.unwrap();
    w.write(0, b"mine").await.unwrap();
    assert!(matches!(w.finish().await, Err(Error::Exists(_))));
    assert_eq!(b.get("taken").await.unwrap(), b"old");
    fs.read_dir("").await.unwrap();
    assert!(matches!(
        fs.create("dir", CreateMode::Exclusive).await,
        Err(Error::IsDir(_))
    ));

    // Enforced by the upload itself when someone else wins the race.
    let mut w = fs.create("raced", CreateMode::Exclusive).await.unwrap();
    w.write(0, b"mine").await.unwrap();
    b.put("raced", b"theirs".to_vec()).await;
    assert!(matches!(w.finish().await, Err(Error::Exists(_))));
    assert_eq!(b.get("raced").await.unwrap(), b"theirs");

    let mut w = fs.create("fresh", CreateMode::Exclusive).await.unwrap();
    w.write(0, b"new").await.unwrap();
    w.finish().await.unwrap();
    assert_eq!(b.get("fresh").await.unwrap(), b"new");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exclusive_multipart_upload_loses_the_race_without_a_trace() {
    let b = bucket("exclusive-mp").await;
    let fs = b.fs_with(|c| c.upload_part_size = 5 * MIB);
    let mut w = fs.create("raced", CreateMode::Exclusive).await.unwrap();
    w.write(0, &random_bytes(11 * MIB, 5)).await.unwrap();
    b.put("raced", b"theirs".to_vec()).await;
    let result = w.finish().await;
    assert!(matches!(result, Err(Error::Exists(_))), "{result:?}");
    assert_eq!(b.get("raced").await.unwrap(), b"theirs");
    assert_eq!(fs.metrics().abort_multipart, 1);
    assert_eq!(b.multipart_uploads().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_upload_leaves_no_partial_object() {
    let b = bucket("failed-upload").await;
    let fs = b.fs_with(|c| c.upload_part_size = 5 * MIB);
    let mut w = fs.create("partial", CreateMode::Create).await.unwrap();
    w.write(0, &random_bytes(12 * MIB, 9)).await.unwrap();
    // Another party aborts our multipart upload: completing it must fail.
    let uploads = b
        .client
        .list_multipart_uploads()
        .bucket(&b.name)
        .send()
        .await
        .unwrap();
    let upload = uploads.uploads().first().expect("our upload is open");
    b.client
        .abort_multipart_upload()
        .bucket(&b.name)
        .key(upload.key().unwrap())
        .upload_id(upload.upload_id().unwrap())
        .send()
        .await
        .unwrap();
    let result = w.finish().await;
    assert!(matches!(result, Err(Error::Io { .. })), "{result:?}");
    if let Err(Error::Io { key, message }) = &result {
        assert_eq!(key, "partial");
        assert!(!message.contains(&common::server().secret_key));
    }
    assert_eq!(b.get("partial").await, None);
    assert!(matches!(fs.stat("partial").await, Err(Error::NotFound(_))));
    assert_eq!(b.multipart_uploads().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropped_writer_aborts_its_upload() {
    let b = bucket("dropped").await;
    let fs = b.fs_with(|c| c.upload_part_size = 5 * MIB);
    let mut w = fs.create("never", CreateMode::Create).await.unwrap();
    w.write(0, &random_bytes(11 * MIB, 4)).await.unwrap();
    assert_eq!(b.multipart_uploads().await, 1);
    drop(w);
    let deadline = Instant::now() + Duration::from_secs(10);
    while b.multipart_uploads().await > 0 {
        assert!(Instant::now() < deadline, "upload still open after drop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(fs.metrics().abort_multipart, 1);
    assert_eq!(b.get("never").await, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_needs_an_existing_parent_directory() {
    let b = bucket("create-parent").await;
    b.put("file", b"x".to_vec()).await;
    b.put("dir/", Vec::new()).await;
    let fs = b.fs();
    assert!(matches!(
        fs.create("missing/f", CreateMode::Create).await,
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        fs.create("file/f", CreateMode::Create).await,
        Err(Error::NotDir(_))
    ));
    assert!(matches!(
        fs.create("", CreateMode::Create).await,
        Err(Error::IsDir(_))
    ));
    let mut w = fs.create("dir/f", CreateMode::Create).await.unwrap();
    w.write(0, b"ok").await.unwrap();
    w.finish().await.unwrap();
    assert_eq!(b.get("dir/f").await.unwrap(), b"ok");
}
