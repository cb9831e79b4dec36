//! `debrief backup` and `debrief restore`: the whole installation in one file — the store's
//! tables read in one consistent snapshot while the server runs, the installation key and the
//! evidence files — and back into an empty data directory or database of either backend,
//! followed by `verify`.
//!
//! The file is a ZIP archive: `manifest.json` (what made it, when, the schema version and the
//! rows per table), `tables/NAME.jsonl` (one JSON object per row), `installation.key` and
//! `evidence/SHA256`. It holds the signing key and every secret the database holds (password
//! hashes, token hashes): it is written readable by its owner only, and must be kept like the
//! key file — or encrypted (`--encrypt`): every entry AES-256 encrypted and authenticated
//! (WinZip AE-2, PBKDF2 from the passphrase in `DEBRIEF_BACKUP_PASSPHRASE`); the entries' names
//! (table names, evidence hashes) stay readable, their contents do not.

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};
use debrief_store::backup::{BackupRow, Counts, TABLES};
use debrief_store::blobs::BlobStore;
use debrief_store::verify::verify_all;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zip::write::SimpleFileOptions;

use super::open_store;
use crate::config::Settings;
use crate::exit;

/// What a backup file says about itself.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    /// Always `debrief-backup`.
    format: String,
    /// The layout of the file (this module's).
    version: u32,
    /// The Debrief release that wrote it.
    debrief: String,
    /// The backend it was read from.
    backend: String,
    made_at: String,
    /// The installation key's public half.
    public_key: String,
    #[serde(flatten)]
    counts: Counts,
    /// Evidence files (by SHA-256) and their total size.
    evidence_files: u64,
    evidence_bytes: u64,
}

const FORMAT: &str = "debrief-backup";
const VERSION: u32 = 1;

/// The environment variable that holds a backup's passphrase.
const PASSPHRASE: &str = "DEBRIEF_BACKUP_PASSPHRASE";
/// The shortest passphrase a backup is encrypted with.
const MIN_PASSPHRASE: usize = 12;

/// How every entry is written: deflated, owner-only, and encrypted when there is a passphrase.
fn options(passphrase: Option<&str>) -> zip::write::FileOptions<'_, ()> {
    let plain = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true)
        .unix_permissions(0o600);
    match passphrase {
        Some(p) => plain.with_aes_encryption(zip::AesMode::Aes256, p),
        None => plain,
    }
}

/// The passphrase from the environment, when it is set (`None` when not).
fn passphrase_from_env() -> Result<Option<String>> {
    match std::env::var(PASSPHRASE) {
        Ok(p) if p.is_empty() => Ok(None),
        Ok(p) => Ok(Some(p)),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => bail!("{PASSPHRASE} is not valid UTF-8"),
    }
}

/// Writes the backup to `output` (a new file, readable by its owner only), encrypted when asked.
pub async fn backup(output: &Path, encrypt: bool, settings: &Settings) -> Result<u8> {
    let passphrase = match (encrypt, passphrase_from_env()?) {
        (false, _) => None,
        (true, None) => bail!(
            "--encrypt needs the passphrase in {PASSPHRASE} (at least {MIN_PASSPHRASE} characters)"
        ),
        (true, Some(p)) if p.chars().count() < MIN_PASSPHRASE => bail!(
            "the passphrase in {PASSPHRASE} is too short: use at least {MIN_PASSPHRASE} characters"
        ),
        (true, Some(p)) => Some(p),
    };
    let passphrase = passphrase.as_deref();
    let (store, key) = open_store(settings).await?;
    let file = create_private(output)
        .with_context(|| format!("cannot create the backup file `{}`", output.display()))?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let mut current: Option<String> = None;
    let counts = {
        let mut sink = |table: &str, row: BackupRow| -> std::io::Result<()> {
            if current.as_deref() != Some(table) {
                zip.start_file(format!("tables/{table}.jsonl"), options(passphrase))
                    .map_err(std::io::Error::other)?;
                current = Some(table.to_string());
            }
            serde_json::to_writer(&mut zip, &row)?;
            zip.write_all(b"\n")
        };
        store
            .backup(&mut sink)
            .await
            .context("cannot read the store")?
    };
    // Evidence files are written before the journal entries that name them, and never change:
    // those of the snapshot are all there.
    let blobs = BlobStore::of(settings.data_dir.join("evidence"), &store);
    let (mut evidence_files, mut evidence_bytes) = (0u64, 0u64);
    for sha in blobs.list().await? {
        let path = blobs
            .verified_path(&sha)
            .await
            .with_context(|| format!("evidence file {sha}"))?;
        zip.start_file(format!("evidence/{sha}"), options(passphrase))?;
        let mut f = std::fs::File::open(&path)?;
        evidence_bytes += std::io::copy(&mut f, &mut zip)?;
        evidence_files += 1;
    }
    let secret = std::fs::read_to_string(settings.key_path())
        .with_context(|| format!("cannot read `{}`", settings.key_path().display()))?;
    zip.start_file("installation.key", options(passphrase))?;
    zip.write_all(secret.trim().as_bytes())?;
    let manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        debrief: env!("CARGO_PKG_VERSION").into(),
        backend: store.backend().into(),
        made_at: debrief_domain::Timestamp::now().to_string(),
        public_key: key.public_hex(),
        counts,
        evidence_files,
        evidence_bytes,
    };
    zip.start_file("manifest.json", options(passphrase))?;
    serde_json::to_writer_pretty(&mut zip, &manifest)?;
    let mut out = zip.finish()?;
    out.flush()?;
    out.get_ref().sync_all()?;
    let rows: u64 = manifest.counts.rows.values().sum();
    println!(
        "Wrote {}: {} journal entries, {} incidents, {} alerts, {rows} rows in all, {evidence_files} evidence file(s) ({evidence_bytes} bytes), the installation key.",
        output.display(),
        manifest.counts.rows.get("journal").copied().unwrap_or(0),
        manifest.counts.rows.get("incidents").copied().unwrap_or(0),
        manifest.counts.rows.get("alerts").copied().unwrap_or(0),
    );
    if passphrase.is_some() {
        println!(
            "Every entry is encrypted (AES-256) with the passphrase in {PASSPHRASE}: without it the backup cannot be restored."
        );
    } else {
        println!(
            "It holds the signing key and the password hashes: keep it as safe as the key file (or make it with --encrypt)."
        );
    }
    Ok(exit::OK)
}

fn create_private(path: &Path) -> std::io::Result<std::fs::File> {
    let mut open = std::fs::OpenOptions::new();
    open.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.mode(0o600);
    }
    open.open(path)
}

/// Restores `input` into the configured data directory and database, which must be empty,
/// then verifies the chains.
pub async fn restore(input: &Path, settings: &Settings) -> Result<u8> {
    let file = std::fs::File::open(input)
        .with_context(|| format!("cannot open the backup `{}`", input.display()))?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file))
        .with_context(|| format!("`{}` is not a Debrief backup", input.display()))?;
    let manifest_at = zip
        .index_for_name("manifest.json")
        .with_context(|| format!("`{}` has no manifest.json", input.display()))?;
    let encrypted = zip.by_index_raw(manifest_at)?.encrypted();
    let passphrase = match (encrypted, passphrase_from_env()?) {
        (false, _) => None,
        (true, None) => bail!(
            "`{}` is encrypted: give its passphrase in {PASSPHRASE}",
            input.display()
        ),
        (true, Some(p)) => Some(p),
    };
    let passphrase = passphrase.as_deref();
    let manifest: Manifest = {
        let entry = entry(&mut zip, "manifest.json", passphrase)?;
        serde_json::from_reader(entry).context("the backup's manifest.json is unreadable")?
    };
    if manifest.format != FORMAT || manifest.version > VERSION {
        bail!(
            "`{}` is a {} file of layout {}, not a Debrief backup this release reads",
            input.display(),
            manifest.format,
            manifest.version
        );
    }
    let mut secret = String::new();
    entry(&mut zip, "installation.key", passphrase)
        .context("the backup has no installation key")?
        .read_to_string(&mut secret)
        .context("the backup's installation key cannot be read: was the file altered?")?;
    std::fs::create_dir_all(&settings.data_dir)?;
    let key = debrief_store::InstallationKey::install(&settings.key_path(), &secret)?;
    if key.public_hex() != manifest.public_key {
        bail!("the backup's key does not match its manifest: the file was altered");
    }
    let (store, key) = open_store(settings).await?;
    let tables: Vec<&str> = TABLES
        .iter()
        .copied()
        .filter(|t| zip.index_for_name(&format!("tables/{t}.jsonl")).is_some())
        .collect();
    let mut next_table = tables.into_iter();
    let mut lines: Option<(String, std::vec::IntoIter<String>)> = None;
    let counts = {
        let mut source = || -> std::io::Result<Option<(String, BackupRow)>> {
            loop {
                if let Some((table, rows)) = lines.as_mut()
                    && let Some(line) = rows.next()
                {
                    let row: BackupRow = serde_json::from_str(&line)?;
                    return Ok(Some((table.clone(), row)));
                }
                let Some(table) = next_table.next() else {
                    return Ok(None);
                };
                let entry = entry(&mut zip, &format!("tables/{table}.jsonl"), passphrase)
                    .map_err(std::io::Error::other)?;
                let all: Vec<String> = std::io::BufReader::new(entry)
                    .lines()
                    .collect::<std::io::Result<_>>()?;
                lines = Some((table.to_string(), all.into_iter()));
            }
        };
        store
            .restore(&mut source, manifest.counts.schema)
            .await
            .context("cannot restore the tables")?
    };
    let written = |rows: &BTreeMap<String, u64>| -> BTreeMap<String, u64> {
        rows.iter()
            .filter(|(_, n)| **n > 0)
            .map(|(t, n)| (t.clone(), *n))
            .collect()
    };
    if written(&counts.rows) != written(&manifest.counts.rows) {
        bail!(
            "the backup's tables hold other row counts than its manifest says: {:?} against {:?}",
            counts.rows,
            manifest.counts.rows
        );
    }
    let blobs = BlobStore::of(settings.data_dir.join("evidence"), &store);
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.strip_prefix("evidence/").map(str::to_string))
        .collect();
    for sha in &names {
        let mut entry = entry(&mut zip, &format!("evidence/{sha}"), passphrase)?;
        let mut hasher = Sha256::new();
        let mut writer = blobs.writer(u64::MAX).await?;
        let mut buf = vec![0u8; 256 * 1024];
        loop {
            let n = entry.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            writer.write(&buf[..n]).await?;
        }
        if hex::encode(hasher.finalize()) != *sha {
            writer.abort().await;
            bail!("the backup's evidence file {sha} does not match its SHA-256: it was altered");
        }
        writer.finish().await?;
    }
    let report = verify_all(&*store, &key).await?;
    let by_table: BTreeMap<&str, u64> = counts.rows.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    println!(
        "Restored {} (made {} by Debrief {} on {}) into the {} database: {} journal entries, {} incidents, {} alerts, {} evidence file(s).",
        input.display(),
        manifest.made_at,
        manifest.debrief,
        manifest.backend,
        store.backend(),
        by_table.get("journal").copied().unwrap_or(0),
        by_table.get("incidents").copied().unwrap_or(0),
        by_table.get("alerts").copied().unwrap_or(0),
        names.len(),
    );
    if report.intact() {
        println!(
            "verify: OK, every chain holds ({} incidents, {} journal entries, {} access log records).",
            report.incidents, report.entries, report.access_records
        );
        println!("Sessions are not restored: everyone signs in again.");
        Ok(exit::OK)
    } else {
        println!(
            "verify: BROKEN, {} problem(s); `debrief verify` lists them.",
            report.breaks.len()
        );
        Ok(exit::BROKEN)
    }
}

/// One entry of the backup, decrypted with the passphrase when there is one. A wrong passphrase
/// is refused before anything is written (the manifest is read first); an encrypted entry whose
/// contents were altered fails its authentication when read to its end.
fn entry<'a, R: std::io::Read + std::io::Seek>(
    zip: &'a mut zip::ZipArchive<R>,
    name: &str,
    passphrase: Option<&str>,
) -> Result<zip::read::ZipFile<'a, R>> {
    let found = match passphrase {
        Some(p) => zip.by_name_decrypt(name, p.as_bytes()),
        None => zip.by_name(name),
    };
    match found {
        Ok(e) => Ok(e),
        Err(zip::result::ZipError::InvalidPassword) => {
            bail!("the passphrase in {PASSPHRASE} does not open this backup")
        }
        Err(e) => Err(anyhow::Error::new(e).context(format!("the backup has no readable {name}"))),
    }
}
