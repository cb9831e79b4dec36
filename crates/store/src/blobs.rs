//! Content-addressed file storage for evidence: files live under `ROOT/sha256/ab/abcdef…`, named
//! by the SHA-256 computed while they are written, and are re-hashed before every read.
//!
//! On a store that shares evidence (PostgreSQL, where several instances serve one installation)
//! every file is also written into the database as it is stored, and the directory is each
//! instance's cache: a file another instance stored is fetched from the database on its first
//! read.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::Store;

/// Why storing or reading a file failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The upload is larger than allowed; nothing was kept.
    #[error("the file is larger than the {max} bytes allowed")]
    TooLarge { max: u64 },
    /// No stored file has this hash.
    #[error("no stored file has SHA-256 {0}; it was deleted from the evidence directory")]
    Missing(String),
    /// The stored file no longer hashes to its name: it was altered on disk.
    #[error(
        "the stored file no longer matches its SHA-256 (expected {expected}, found {actual}): it was altered on disk and must not be used; restore it from a backup"
    )]
    Mismatch { expected: String, actual: String },
    /// The hash is not 64 lower-case hex digits.
    #[error("`{0}` is not a SHA-256 hash")]
    BadHash(String),
    #[error("evidence storage failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A stored file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub sha256: String,
    pub size: u64,
}

/// The evidence directory.
#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
    /// The store that shares the files among instances, when it does.
    shared: Option<Arc<dyn Store>>,
}

/// A file being written: hashed as it arrives, kept only when [`BlobWriter::finish`] succeeds.
#[derive(Debug)]
pub struct BlobWriter {
    root: PathBuf,
    shared: Option<Arc<dyn Store>>,
    temp: PathBuf,
    file: Option<tokio::fs::File>,
    hasher: Sha256,
    size: u64,
    max: u64,
}

impl BlobStore {
    /// The directory alone (tests, tools).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            shared: None,
        }
    }

    /// The directory of an instance of `store`'s installation: the files are shared through
    /// the store when it shares evidence, the directory being this instance's cache.
    pub fn of(root: impl Into<PathBuf>, store: &Arc<dyn Store>) -> Self {
        Self {
            root: root.into(),
            shared: store.shares_evidence().then(|| store.clone()),
        }
    }

    fn path_of(&self, sha256: &str) -> Result<PathBuf, BlobError> {
        if sha256.len() != 64
            || !sha256
                .bytes()
                .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        {
            return Err(BlobError::BadHash(sha256.to_string()));
        }
        Ok(self.root.join("sha256").join(&sha256[..2]).join(sha256))
    }

    /// Starts writing a new file of at most `max` bytes.
    pub async fn writer(&self, max: u64) -> Result<BlobWriter, BlobError> {
        let tmp_dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir).await?;
        let temp = tmp_dir.join(format!("upload-{}", uuid::Uuid::now_v7().simple()));
        let file = tokio::fs::File::create(&temp).await?;
        Ok(BlobWriter {
            root: self.root.clone(),
            shared: self.shared.clone(),
            temp,
            file: Some(file),
            hasher: Sha256::new(),
            size: 0,
            max,
        })
    }

    /// Re-hashes the stored file and returns its path only if it still matches.
    pub async fn verified_path(&self, sha256: &str) -> Result<PathBuf, BlobError> {
        let path = self.path_of(sha256)?;
        if let Some(store) = &self.shared
            && !tokio::fs::try_exists(&path).await?
        {
            self.fetch(store, sha256, &path).await?;
        }
        let mut file = match tokio::fs::File::open(&path).await {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(BlobError::Missing(sha256.to_string()));
            }
            Err(e) => return Err(e.into()),
        };
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = file.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
        }
        let actual = hex::encode(hasher.finalize());
        if actual != sha256 {
            return Err(BlobError::Mismatch {
                expected: sha256.to_string(),
                actual,
            });
        }
        Ok(path)
    }

    /// Every stored file's SHA-256, in order (for a backup): those in the directory and, when
    /// the store shares evidence, those any instance stored.
    pub async fn list(&self) -> Result<Vec<String>, BlobError> {
        let mut all = Vec::new();
        if let Some(store) = &self.shared {
            all = store
                .evidence_files()
                .await
                .map_err(|e| BlobError::Io(std::io::Error::other(e.to_string())))?;
        }
        match std::fs::read_dir(self.root.join("sha256")) {
            Ok(dirs) => {
                for dir in dirs {
                    for file in std::fs::read_dir(dir?.path())? {
                        let name = file?.file_name().to_string_lossy().into_owned();
                        if self.path_of(&name).is_ok() {
                            all.push(name);
                        }
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e.into()),
        }
        all.sort();
        all.dedup();
        Ok(all)
    }

    /// Copies a file another instance stored from the store into this instance's directory.
    async fn fetch(
        &self,
        store: &Arc<dyn Store>,
        sha256: &str,
        path: &Path,
    ) -> Result<(), BlobError> {
        let tmp_dir = self.root.join("tmp");
        tokio::fs::create_dir_all(&tmp_dir).await?;
        let temp = tmp_dir.join(format!("fetch-{}", uuid::Uuid::now_v7().simple()));
        let found = store
            .fetch_evidence(sha256, &temp)
            .await
            .map_err(|e| BlobError::Io(std::io::Error::other(e.to_string())))?;
        if !found {
            let _ = tokio::fs::remove_file(&temp).await;
            return Err(BlobError::Missing(sha256.to_string()));
        }
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        tokio::fs::rename(&temp, path).await?;
        Ok(())
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl BlobWriter {
    /// Appends a chunk; over the limit, the partial file is deleted and `TooLarge` returned.
    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), BlobError> {
        self.size += chunk.len() as u64;
        if self.size > self.max {
            self.abort().await;
            return Err(BlobError::TooLarge { max: self.max });
        }
        self.hasher.update(chunk);
        if let Some(f) = self.file.as_mut() {
            f.write_all(chunk).await?;
        }
        Ok(())
    }

    /// Syncs the file to disk and moves it to its content address.
    pub async fn finish(mut self) -> Result<Stored, BlobError> {
        let Some(mut file) = self.file.take() else {
            return Err(BlobError::Io(std::io::Error::other(
                "the upload was aborted",
            )));
        };
        file.flush().await?;
        file.sync_all().await?;
        drop(file);
        let sha256 = hex::encode(self.hasher.clone().finalize());
        let dir = self.root.join("sha256").join(&sha256[..2]);
        tokio::fs::create_dir_all(&dir).await?;
        let dest = dir.join(&sha256);
        if tokio::fs::try_exists(&dest).await? {
            // Same content already stored: keep the existing file.
            let _ = tokio::fs::remove_file(&self.temp).await;
        } else {
            tokio::fs::rename(&self.temp, &dest).await?;
            if let Ok(d) = tokio::fs::File::open(&dir).await {
                let _ = d.sync_all().await;
            }
        }
        // Shared before it is acknowledged: an entry naming it is readable on every instance.
        if let Some(store) = &self.shared {
            store
                .put_evidence(&sha256, &dest)
                .await
                .map_err(|e| BlobError::Io(std::io::Error::other(e.to_string())))?;
        }
        Ok(Stored {
            sha256,
            size: self.size,
        })
    }

    /// Deletes the partial file.
    pub async fn abort(&mut self) {
        self.file = None;
        let _ = tokio::fs::remove_file(&self.temp).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stores_by_hash_and_refuses_altered_files() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(dir.path());
        let mut w = blobs.writer(1024).await.unwrap();
        w.write(b"hello ").await.unwrap();
        w.write(b"world").await.unwrap();
        let stored = w.finish().await.unwrap();
        assert_eq!(
            stored.sha256,
            "b94d27b9934d3e08a52e52d7da7dabfac484efe37a5380ee9088f7ace2efcde9"
        );
        assert_eq!(stored.size, 11);
        let path = blobs.verified_path(&stored.sha256).await.unwrap();
        std::fs::write(&path, b"hello World").unwrap();
        let err = blobs.verified_path(&stored.sha256).await.unwrap_err();
        assert!(matches!(err, BlobError::Mismatch { .. }), "{err}");
        std::fs::remove_file(&path).unwrap();
        assert!(matches!(
            blobs.verified_path(&stored.sha256).await,
            Err(BlobError::Missing(_))
        ));
        assert!(matches!(
            blobs.verified_path("../../etc/passwd").await,
            Err(BlobError::BadHash(_))
        ));
    }

    #[tokio::test]
    async fn oversize_uploads_leave_nothing_behind() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobStore::new(dir.path());
        let mut w = blobs.writer(4).await.unwrap();
        assert!(matches!(
            w.write(b"12345").await,
            Err(BlobError::TooLarge { max: 4 })
        ));
        assert_eq!(
            std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
            0
        );
    }
}
