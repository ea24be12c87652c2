//! The shared fixture (docproc-testkit), plus an S3Fs over a test bucket.
#![allow(dead_code)] // each test binary uses its own part of the fixture

use docproc_s3fs::{Config, S3Fs};
pub use docproc_testkit::*;

pub trait BucketFs {
    fn fs(&self) -> S3Fs {
        self.fs_with(|_| {})
    }

    fn fs_with(&self, adjust: impl FnOnce(&mut Config)) -> S3Fs;
}

impl BucketFs for TestBucket {
    fn fs_with(&self, adjust: impl FnOnce(&mut Config)) -> S3Fs {
        let mut config = Config {
            bucket: self.name.clone(),
            ..Config::default()
        };
        adjust(&mut config);
        S3Fs::new(self.client.clone(), config)
    }
}
