//! [`LocalDirBlobStore`]: uploaded files in a local directory, the default
//! [`BlobStore`]. Keys are checked with [`is_valid_blob_key`] before any
//! path is built (`<tenant uuid>/<uuid>.<ext>`, nothing else), so no key —
//! and no client file name, which never becomes a key — can leave the
//! directory. Files are written to a temporary name and renamed, so a
//! reader never sees half a file.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use certwatch_core::bulk_upload::{is_valid_blob_key, BlobError, BlobStore};

/// Files under one root directory (`<data_dir>/bulk_uploads` in the host).
#[derive(Debug, Clone)]
pub struct LocalDirBlobStore {
    root: PathBuf,
}

impl LocalDirBlobStore {
    /// A store under `root` (created on first write).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The root directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf, BlobError> {
        if !is_valid_blob_key(key) {
            return Err(BlobError::InvalidKey);
        }
        Ok(self.root.join(key))
    }
}

fn io(e: std::io::Error) -> BlobError {
    if e.kind() == std::io::ErrorKind::NotFound {
        BlobError::NotFound
    } else {
        BlobError::Io(e.to_string())
    }
}

#[async_trait]
impl BlobStore for LocalDirBlobStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), BlobError> {
        let path = self.path(key)?;
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
        }
        if tokio::fs::try_exists(&path).await.map_err(io)? {
            return Err(BlobError::Io(format!("blob {key} exists")));
        }
        let tmp = path.with_extension("part");
        tokio::fs::write(&tmp, bytes).await.map_err(io)?;
        tokio::fs::rename(&tmp, &path).await.map_err(io)
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, BlobError> {
        tokio::fs::read(self.path(key)?).await.map_err(io)
    }

    async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match tokio::fs::remove_file(self.path(key)?).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(io(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn round_trip_and_no_escape() {
        let root = std::env::temp_dir().join(format!("cw-blobs-{}", uuid::Uuid::new_v4().simple()));
        let store = LocalDirBlobStore::new(&root);
        let key = format!("{}/{}.pdf", uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        store.put(&key, b"%PDF-1.4").await.expect("put");
        assert_eq!(store.get(&key).await.expect("get"), b"%PDF-1.4");
        assert!(store.put(&key, b"again").await.is_err(), "no overwrite");
        for bad in ["../../etc/passwd", "/etc/passwd", "a/../../b.pdf", ""] {
            assert!(matches!(store.get(bad).await, Err(BlobError::InvalidKey)), "{bad}");
            assert!(matches!(store.put(bad, b"x").await, Err(BlobError::InvalidKey)), "{bad}");
        }
        store.delete(&key).await.expect("delete");
        assert!(matches!(store.get(&key).await, Err(BlobError::NotFound)));
        let _ = std::fs::remove_dir_all(root);
    }
}
