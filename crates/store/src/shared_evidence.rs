//! Evidence files kept in PostgreSQL (`evidence_chunks`), so that every instance of an
//! installation reads what any of them stored: written in chunks of [`CHUNK`] bytes in one
//! transaction, read back chunk by chunk (see [`crate::blobs`]).

use std::path::Path;

use sqlx::PgPool;

use crate::error::{Result, StoreError};

/// Files are kept in chunks of this many bytes.
const CHUNK: usize = 1024 * 1024;

/// Keeps the file at `file`, named `sha256`, in chunks, in one transaction (once).
pub(crate) async fn put(pool: &PgPool, sha256: &str, file: &Path) -> Result<()> {
    use tokio::io::AsyncReadExt;
    let stored: (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM evidence_chunks WHERE sha256 = $1 AND n = 0")
            .bind(sha256)
            .fetch_one(pool)
            .await?;
    if stored.0 > 0 {
        return Ok(());
    }
    let io = |e: std::io::Error| {
        StoreError::Corrupt(format!("cannot read the evidence file {sha256}: {e}"))
    };
    let mut f = tokio::fs::File::open(file).await.map_err(io)?;
    let mut tx = pool.begin().await?;
    let mut n: i64 = 0;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        while chunk.len() < CHUNK {
            let read = (&mut f)
                .take((CHUNK - chunk.len()) as u64)
                .read_to_end(&mut chunk)
                .await
                .map_err(io)?;
            if read == 0 {
                break;
            }
        }
        if chunk.is_empty() && n > 0 {
            break;
        }
        let last = chunk.len() < CHUNK;
        sqlx::query(
            "INSERT INTO evidence_chunks (sha256, n, bytes) VALUES ($1, $2, $3) \
             ON CONFLICT (sha256, n) DO NOTHING",
        )
        .bind(sha256)
        .bind(n)
        .bind(chunk)
        .execute(&mut *tx)
        .await?;
        n += 1;
        if last {
            break;
        }
    }
    tx.commit().await?;
    Ok(())
}

/// Every evidence file the database holds.
pub(crate) async fn list(pool: &PgPool) -> Result<Vec<String>> {
    let rows: Vec<(String,)> =
        sqlx::query_as("SELECT sha256 FROM evidence_chunks WHERE n = 0 ORDER BY sha256")
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().map(|(s,)| s).collect())
}

/// Writes the file named `sha256` to `to`, chunk by chunk; `false` when the database has none.
pub(crate) async fn fetch(pool: &PgPool, sha256: &str, to: &Path) -> Result<bool> {
    use tokio::io::AsyncWriteExt;
    let io = |e: std::io::Error| {
        StoreError::Corrupt(format!("cannot write the evidence file {sha256}: {e}"))
    };
    let mut out: Option<tokio::fs::File> = None;
    let mut n: i64 = 0;
    loop {
        let chunk: Option<(Vec<u8>,)> =
            sqlx::query_as("SELECT bytes FROM evidence_chunks WHERE sha256 = $1 AND n = $2")
                .bind(sha256)
                .bind(n)
                .fetch_optional(pool)
                .await?;
        let Some((bytes,)) = chunk else { break };
        if out.is_none() {
            out = Some(tokio::fs::File::create(to).await.map_err(io)?);
        }
        if let Some(f) = out.as_mut() {
            f.write_all(&bytes).await.map_err(io)?;
        }
        n += 1;
    }
    match out {
        Some(mut f) => {
            f.flush().await.map_err(io)?;
            f.sync_all().await.map_err(io)?;
            Ok(true)
        }
        None => Ok(false),
    }
}
