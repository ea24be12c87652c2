//! read_dir and stat against a real SeaweedFS: pagination, nesting, markers, skipped keys,
//! and the requests a walk costs.

mod common;
use common::BucketFs as _;

use common::bucket;
use docproc_s3fs::{Error, Kind};

fn names(entries: &[docproc_s3fs::DirEntry]) -> Vec<(&str, Kind)> {
    entries
        .iter()
        .map(|e| (e.name.as_str(), e.attr.kind))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn walk_of_many_files_lists_every_page_and_never_heads() {
    const N: usize = 2_500;
    let b = bucket("walk").await;
    let keys: Vec<String> = (0..N).map(|i| format!("many/f{i:05}.txt")).collect();
    b.put_many(keys.clone()).await;
    let fs = b.fs();

    let before = fs.metrics();
    let entries = fs.read_dir("many").await.expect("read_dir");
    assert_eq!(entries.len(), N);
    let listed: Vec<String> = entries.iter().map(|e| format!("many/{}", e.name)).collect();
    assert_eq!(listed, keys, "every key, sorted by name");
    for (entry, key) in entries.iter().zip(&keys) {
        assert_eq!(entry.attr.kind, Kind::File);
        assert_eq!(entry.attr.size, key.len() as u64);
        assert!(entry.attr.mtime.is_some());
    }
    // The walk: stat and open every file found.
    for entry in &entries {
        let path = format!("many/{}", entry.name);
        assert_eq!(fs.stat(&path).await.expect("stat"), entry.attr);
        let reader = fs.open_read(&path).await.expect("open");
        assert_eq!(reader.size(), entry.attr.size);
    }
    let used = fs.metrics() - before;
    assert_eq!(used.list, N.div_ceil(1000) as u64, "{used:?}");
    assert_eq!(used.head, 0, "{used:?}");
    assert_eq!(used.requests(), used.list, "{used:?}");
}

/// A directory of many pages reaches its reader a page at a time, the next page already
/// asked for, and each entry is still cached when the reader stats it (as a walk does),
/// though the cache holds less than the directory. What is evicted is asked for again, and
/// what this S3Fs writes, it reads back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_directory_streams_by_the_page_within_a_bounded_cache() {
    const N: usize = 2_500;
    let b = bucket("stream").await;
    // "x" and "x/" sort with every "x-NNNN" between them: the directory that hides the
    // file is two pages after it.
    b.put_many((0..N).map(|i| format!("big/x-{i:04}"))).await;
    // One after the other: SeaweedFS loses one of a file and a directory of the same name
    // written at the same time (once in CI, the directory).
    b.put("big/x", "big/x").await;
    b.put("big/x/inner", "big/x/inner").await;
    // Room for about two pages of entries, not for the directory.
    let fs = b.fs_with(|c| c.metadata_cache_bytes = 512 * 1024);

    let before = fs.metrics();
    let mut dir = fs
        .open_dir("big", std::time::Instant::now())
        .await
        .expect("open");
    let first = dir.next().await.expect("next").expect("an entry");
    let used = fs.metrics() - before;
    assert!(
        used.list <= 2,
        "the first page, and the next on its way: {used:?}"
    );

    let mut next = Some(first);
    let mut seen = Vec::new();
    while let Some(entry) = next {
        let path = format!("big/{}", entry.name);
        assert_eq!(fs.stat(&path).await.expect("stat"), entry.attr, "{path}");
        seen.push(entry);
        next = dir.next().await.expect("next");
    }
    let used = fs.metrics() - before;
    assert_eq!(used.list, 3, "three pages, nothing else: {used:?}");
    assert_eq!(used.requests(), used.list, "{used:?}");

    let mut names: Vec<&str> = seen.iter().map(|e| e.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), N + 1, "each entry once");
    let x: Vec<_> = seen.iter().filter(|e| e.name == "x").collect();
    assert_eq!(x.len(), 1);
    assert_eq!(
        x[0].attr.kind,
        Kind::Directory,
        "the directory hides the file"
    );
    assert!(fs.skipped_keys().contains(&"big/x".to_owned()));

    // The first page's entries were evicted: asked for again, and right.
    let before = fs.metrics();
    assert_eq!(fs.stat("big/x-0000").await.expect("stat").size, 10);
    assert!((fs.metrics() - before).requests() >= 1);
    let mut w = fs
        .create("big/new", docproc_s3fs::CreateMode::Truncate)
        .await
        .expect("create");
    w.write(0, b"written").await.expect("write");
    w.finish().await.expect("finish");
    assert_eq!(fs.stat("big/new").await.expect("stat").size, 7);
    assert_eq!(fs.read_dir("big").await.expect("read_dir").len(), N + 2);
}

/// Instances sharing one S3Fs list the same inbox at once: they share one listing, and a
/// listing asked for after it finished is a new one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_listings_of_one_directory_share_one_list() {
    let b = bucket("list-together").await;
    b.put_many((0..30).map(|i| format!("inbox/d{i:02}.txt")))
        .await;
    let fs = b.fs();
    let before = fs.metrics();
    let listings = futures::future::join_all((0..8).map(|_| fs.read_dir("inbox"))).await;
    for listing in &listings {
        let listing = listing.as_ref().unwrap();
        assert_eq!(listing.len(), 30);
        assert_eq!(listing[7].name, "d07.txt");
    }
    assert_eq!((fs.metrics() - before).list, 1);
    b.put("inbox/late.txt", b"late".to_vec()).await;
    assert_eq!(fs.read_dir("inbox").await.unwrap().len(), 31);
    assert_eq!((fs.metrics() - before).list, 2);
}

/// An open of a directory (a guest's read_dir is open, then readdir) looks it up with a
/// HEAD and a LIST at once; when the directory fits one page, that LIST is its listing, so
/// the readdir sends nothing. A readdir asked for later lists afresh.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_opened_then_read_costs_one_round_trip() {
    open_then_read("open-then-read", 30, 1).await;
}

/// A directory bigger than a page: the open's LIST is still the listing's first page, so
/// opening and reading a big inbox asks for each page once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_directory_opened_then_read_asks_for_each_page_once() {
    open_then_read("open-then-read-big", 2_100, 3).await;
}

/// Opens `inbox/` of `n` documents as a guest does, reads it whole and checks that this cost
/// one HEAD and `pages` LISTs; a read after a new document lists afresh.
async fn open_then_read(bucket_name: &str, n: usize, pages: u64) {
    let b = bucket(bucket_name).await;
    b.put_many((0..n).map(|i| format!("inbox/d{i:04}.txt")))
        .await;
    let fs = b.fs();
    let before = fs.metrics();
    let opened = std::time::Instant::now();
    assert_eq!(fs.stat_dir("inbox").await.unwrap().kind, Kind::Directory);
    let listing = fs.open_dir("inbox", opened).await.unwrap();
    let listing = listing.collect().await.unwrap();
    assert_eq!(listing.len(), n);
    assert_eq!(listing[0].name, "d0000.txt");
    assert_eq!(listing[n - 1].name, format!("d{:04}.txt", n - 1));
    let used = fs.metrics() - before;
    assert_eq!((used.head, used.list), (1, pages), "{used:?}");

    let before = fs.metrics();
    b.put("inbox/late.txt", b"late".to_vec()).await;
    assert_eq!(
        fs.read_dir("inbox").await.unwrap().len(),
        n + 1,
        "listed afresh"
    );
    assert_eq!((fs.metrics() - before).list, pages);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nested_prefixes_and_markers() {
    let b = bucket("nested").await;
    for key in ["top.txt", "a/d.txt", "a/b/c.txt", "a/b/deeper/x.bin"] {
        b.put(key, key.as_bytes().to_vec()).await;
    }
    b.put("a/empty/", Vec::new()).await; // marker of an empty directory
    b.put("marked/", Vec::new()).await; // marker of a directory with content
    b.put("marked/in.txt", b"in".to_vec()).await;
    let fs = b.fs();

    let root = fs.read_dir("").await.expect("root");
    assert_eq!(
        names(&root),
        [
            ("a", Kind::Directory),
            ("marked", Kind::Directory),
            ("top.txt", Kind::File)
        ]
    );
    let a = fs.read_dir("a").await.expect("a");
    assert_eq!(
        names(&a),
        [
            ("b", Kind::Directory),
            ("d.txt", Kind::File),
            ("empty", Kind::Directory)
        ]
    );
    assert!(fs.read_dir("a/empty").await.expect("empty dir").is_empty());
    assert_eq!(
        names(&fs.read_dir("marked").await.expect("marked")),
        [("in.txt", Kind::File)],
        "the marker itself is not an entry"
    );
    assert_eq!(
        names(&fs.read_dir("a/b").await.expect("a/b")),
        [("c.txt", Kind::File), ("deeper", Kind::Directory)]
    );

    // Everything was learnt from listings: no stat below sends a request.
    let before = fs.metrics();
    assert_eq!(fs.stat("a/b/c.txt").await.unwrap().size, 9);
    assert_eq!(fs.stat("a/empty").await.unwrap().kind, Kind::Directory);
    assert_eq!(fs.stat("a/b/deeper").await.unwrap().kind, Kind::Directory);
    assert_eq!(fs.stat("").await.unwrap().kind, Kind::Directory);
    assert_eq!((fs.metrics() - before).requests(), 0);

    // Opening uses the listing's size and ETag: one GET, no HEAD.
    let mut reader = fs.open_read("a/b/c.txt").await.unwrap();
    assert_eq!(&reader.read(0, 100).await.unwrap()[..], b"a/b/c.txt");
    let used = fs.metrics() - before;
    assert_eq!((used.head, used.get), (0, 1), "{used:?}");

    assert!(matches!(fs.read_dir("nope").await, Err(Error::NotFound(_))));
    assert!(matches!(
        fs.read_dir("top.txt").await,
        Err(Error::NotDir(_))
    ));
    assert!(matches!(
        fs.read_dir("a/b/c.txt").await,
        Err(Error::NotDir(_))
    ));
}

/// A lookup nothing listed before asks one LIST with the key as its prefix: a file, and a
/// missing path (the metadata process-inbox looks for before it writes it), cost one round
/// trip and no HEAD, also beside a million other keys.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stat_without_a_listing_asks_one_listing_of_the_key() {
    let b = bucket("stat-cold").await;
    b.put("dir/f.txt", b"12345".to_vec()).await;
    b.put("dir/f.txt.bak", b"old".to_vec()).await;
    b.put("marker-only/", Vec::new()).await;
    // Siblings that sort between "sib" and "sib/" fill the lookup's page.
    b.put_many((0..12).map(|i| format!("sib-{i:02}"))).await;
    b.put("sib/in.txt", b"in".to_vec()).await;
    let fs = b.fs();

    let before = fs.metrics();
    let attr = fs.stat("dir/f.txt").await.expect("file");
    assert_eq!((attr.kind, attr.size), (Kind::File, 5));
    let used = fs.metrics() - before;
    assert_eq!((used.head, used.list), (0, 1), "{used:?}");

    // Implied by dir/f.txt, so already known.
    let before = fs.metrics();
    assert_eq!(fs.stat("dir").await.unwrap().kind, Kind::Directory);
    assert_eq!((fs.metrics() - before).requests(), 0);

    let before = fs.metrics();
    assert!(matches!(fs.stat("dir/f").await, Err(Error::NotFound(_))));
    assert!(matches!(
        fs.stat("dir/f.txt.meta.json").await,
        Err(Error::NotFound(_))
    ));
    let used = fs.metrics() - before;
    assert_eq!((used.head, used.list), (0, 2), "one each: {used:?}");

    // A directory is confirmed by its own listing, as read_dir sees it.
    let before = fs.metrics();
    assert_eq!(fs.stat("marker-only").await.unwrap().kind, Kind::Directory);
    assert_eq!(fs.stat("sib").await.unwrap().kind, Kind::Directory);
    assert_eq!(fs.stat("sib-11").await.unwrap().kind, Kind::File);
    let used = fs.metrics() - before;
    assert_eq!((used.head, used.list), (0, 5), "{used:?}");

    assert!(matches!(fs.stat("ghost").await, Err(Error::NotFound(_))));
    for bad in ["/abs", "a//b", "a/../b", "./a", "trailing/", "nul\0"] {
        assert!(
            matches!(fs.stat(bad).await, Err(Error::Invalid(_))),
            "{bad:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn root_prefix_scopes_the_view() {
    let b = bucket("prefix").await;
    for key in [
        "outside.txt",
        "tenant/in.txt",
        "tenant/sub/deep.txt",
        "tenantx/no.txt",
    ] {
        b.put(key, b"x".to_vec()).await;
    }
    let fs = b.fs_with(|c| c.prefix = "tenant".into());
    assert_eq!(fs.config().prefix, "tenant/");
    assert_eq!(
        names(&fs.read_dir("").await.expect("root")),
        [("in.txt", Kind::File), ("sub", Kind::Directory)]
    );
    assert!(matches!(
        fs.stat("outside.txt").await,
        Err(Error::NotFound(_))
    ));
    let mut w = fs
        .create("sub/new.txt", docproc_s3fs::CreateMode::Create)
        .await
        .expect("create");
    w.write(0, b"new").await.unwrap();
    w.finish().await.unwrap();
    assert_eq!(
        b.get("tenant/sub/new.txt").await.as_deref(),
        Some(&b"new"[..])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmappable_keys_are_skipped_and_reported() {
    let b = bucket("unmappable").await;
    b.put("dir/ok.txt", b"ok".to_vec()).await;

    // SeaweedFS's S3 gateway refuses most unmappable keys outright ("a/./b", "a/../b", ".",
    // "..", NUL, components over 255 bytes, keys over 1,024 bytes all answer 400) and
    // normalises "a//b" to "a/b" and "/a" to "a". Its filer API takes some of them, and the S3
    // listing then shows them: those are what this test can really put in a bucket.
    let long_key = format!("dir/{}/long.txt", vec!["m".repeat(250); 5].join("/"));
    assert!(long_key.len() > 1024);
    b.put_unmappable(&long_key, b"long").await;
    let nul_key = "dir/nul\0name.txt";
    b.put_unmappable(nul_key, b"nul").await;

    // "a//b" through S3: check what the server really stores.
    b.put("dir/double//slash.txt", b"dbl".to_vec()).await;
    let stored = b.keys().await;
    let double_slash_kept = stored.iter().any(|k| k == "dir/double//slash.txt");
    if !double_slash_kept {
        assert!(
            stored.iter().any(|k| k == "dir/double/slash.txt"),
            "{stored:?}"
        );
    }

    let fs = b.fs();
    let dir = fs
        .read_dir("dir")
        .await
        .expect("listing survives unmappable keys");
    let first = &long_key[4..254]; // the long key's first component is a fine name
    let mut expected = vec![
        ("double", Kind::Directory),
        (first, Kind::Directory),
        ("ok.txt", Kind::File),
    ];
    expected.sort_by_key(|(name, _)| *name);
    assert_eq!(names(&dir), expected);
    let skipped = fs.skipped_keys();
    assert!(skipped.contains(&nul_key.to_owned()), "{skipped:?}");

    // Walking down: the fifth level's prefix is over 1,024 bytes, so the fourth level's
    // listing leaves it out, reporting the common prefix.
    let five = &long_key[..long_key.rfind('/').unwrap()];
    let four = &five[..five.rfind('/').unwrap()];
    let mut path = String::from("dir");
    for component in four[4..].split('/') {
        path = format!("{path}/{component}");
        fs.read_dir(&path).await.expect("walk down");
    }
    assert!(fs.read_dir(four).await.unwrap().is_empty());
    assert!(fs.skipped_keys().contains(&format!("{five}/")));
    // Listing the hidden level directly reports the key itself.
    assert!(fs.read_dir(five).await.unwrap().is_empty());
    let skipped = fs.skipped_keys();
    assert!(skipped.contains(&long_key), "{skipped:?}");

    let double = fs.read_dir("dir/double").await.expect("double");
    if double_slash_kept {
        // As AWS stores it: "dir/double//" is a prefix with an empty component.
        assert!(double.is_empty());
        let skipped = fs.skipped_keys();
        assert!(skipped.contains(&"dir/double//".to_owned()), "{skipped:?}");
    } else {
        assert_eq!(names(&double), [("slash.txt", Kind::File)]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_hides_file_of_the_same_name() {
    let b = bucket("shadow").await;
    b.put("same/inner.txt", b"i".to_vec()).await;
    // SeaweedFS accepts a file key equal to an existing directory's name, as S3 does.
    b.put("same", b"file".to_vec()).await;
    if !b.keys().await.contains(&"same".to_owned()) {
        eprintln!("server refused file 'same' next to directory 'same/'; nothing to check");
        return;
    }
    let fs = b.fs();
    assert_eq!(
        names(&fs.read_dir("").await.unwrap()),
        [("same", Kind::Directory)]
    );
    assert_eq!(fs.skipped_keys(), ["same"]);
}
