//! Reads: sequential readers prefetch parallel ranged GETs, random reads fetch exactly what
//! they ask, small objects are one GET.

mod common;
use common::BucketFs as _;

use std::time::Instant;

use common::{MIB, bucket, random_bytes};
use docproc_s3fs::Error;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sequential_read_of_64_mib_through_parallel_ranges_round_trips() {
    let b = bucket("seq64").await;
    let data = random_bytes(64 * MIB, 64);
    b.put("big.bin", data.clone()).await;
    let fs = b.fs(); // 8 MiB parts, 8 in flight

    let before = fs.metrics();
    let started = Instant::now();
    let mut reader = fs.open_read("big.bin").await.expect("open");
    assert_eq!(reader.size(), data.len() as u64);
    let mut got = Vec::with_capacity(data.len());
    loop {
        let chunk = reader
            .read(got.len() as u64, 1024 * 1024)
            .await
            .expect("read");
        if chunk.is_empty() {
            break;
        }
        got.extend_from_slice(&chunk);
    }
    let elapsed = started.elapsed();
    assert!(got == data, "64 MiB differ after the round trip");
    let used = fs.metrics() - before;
    assert_eq!(used.get, 8, "one GET per 8 MiB part: {used:?}");
    assert_eq!(used.bytes_read, data.len() as u64);
    println!(
        "sequential read of 64 MiB: {:.0} MiB/s ({} ms, debug build)",
        64.0 / elapsed.as_secs_f64(),
        elapsed.as_millis()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reads_larger_than_a_part_and_tight_memory_still_round_trip() {
    let b = bucket("tight").await;
    let data = random_bytes(10 * MIB + 12_345, 7);
    b.put("f.bin", data.clone()).await;
    // The limit fits less than one part: every part past the first is refused memory, and
    // the reader must still make progress one part at a time.
    let fs = b.fs_with(|c| {
        c.read_part_size = MIB;
        c.read_concurrency = 4;
        c.memory_limit = MIB / 2;
    });
    let mut reader = fs.open_read("f.bin").await.unwrap();
    let mut got = Vec::new();
    loop {
        // 3 MiB reads span several parts each.
        let chunk = reader.read(got.len() as u64, 3 * MIB).await.unwrap();
        if chunk.is_empty() {
            break;
        }
        got.extend_from_slice(&chunk);
    }
    assert!(got == data);
    assert_eq!(fs.metrics().get, 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_reads_fetch_exactly_the_range() {
    let b = bucket("random").await;
    let data = random_bytes(20 * MIB, 3);
    b.put("r.bin", data.clone()).await;
    let fs = b.fs();
    let mut reader = fs.open_read("r.bin").await.unwrap();

    for (offset, len) in [(10 * MIB + 123, 1000), (5, 4096), (19 * MIB, MIB + 77)] {
        let before = fs.metrics();
        let got = reader.read(offset as u64, len).await.unwrap();
        let end = (offset + len).min(data.len());
        assert_eq!(&got[..], &data[offset..end]);
        let used = fs.metrics() - before;
        assert_eq!(used.get, 1, "{used:?}");
        assert_eq!(used.bytes_read, (end - offset) as u64, "{used:?}");
    }
    assert!(reader.read(data.len() as u64, 10).await.unwrap().is_empty());
    assert!(reader.read(u64::MAX, 10).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_object_is_one_get() {
    let b = bucket("small").await;
    let data = random_bytes(100_000, 1);
    b.put("s.bin", data.clone()).await;
    b.put("empty", Vec::new()).await;
    let fs = b.fs();
    let mut reader = fs.open_read("s.bin").await.unwrap();
    let before = fs.metrics();
    assert_eq!(
        &reader.read(50_000, 10).await.unwrap()[..],
        &data[50_000..50_010]
    );
    assert_eq!(&reader.read(0, 100).await.unwrap()[..], &data[..100]);
    assert_eq!(
        &reader.read(99_990, 100).await.unwrap()[..],
        &data[99_990..]
    );
    assert_eq!((fs.metrics() - before).get, 1);

    let mut empty = fs.open_read("empty").await.unwrap();
    assert_eq!(empty.size(), 0);
    assert!(empty.read(0, 10).await.unwrap().is_empty());
    assert_eq!(
        (fs.metrics() - before).get,
        1,
        "an empty object needs no GET"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_read_errors() {
    let b = bucket("open-errors").await;
    b.put("d/f", b"x".to_vec()).await;
    let fs = b.fs();
    assert!(matches!(fs.open_read("d").await, Err(Error::IsDir(_))));
    assert!(matches!(fs.open_read("").await, Err(Error::IsDir(_))));
    assert!(matches!(fs.open_read("d/g").await, Err(Error::NotFound(_))));
    assert!(matches!(
        fs.open_read("d/../f").await,
        Err(Error::Invalid(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reader_fails_loudly_if_the_object_changes_under_it() {
    let b = bucket("changed").await;
    b.put("c.bin", random_bytes(3 * MIB, 1)).await;
    let fs = b.fs_with(|c| c.read_part_size = MIB);
    let mut reader = fs.open_read("c.bin").await.unwrap();
    b.put("c.bin", random_bytes(3 * MIB, 2)).await;
    match reader.read(0, 10).await {
        Err(Error::Io { key, message }) => {
            assert_eq!(key, "c.bin");
            assert!(
                message.contains("412") || message.contains("changed"),
                "{message}"
            );
        }
        other => panic!("expected an error for a replaced object, got {other:?}"),
    }
}
