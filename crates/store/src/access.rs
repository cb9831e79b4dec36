//! The access log: who read what, when and from where — reports and exports rendered, evidence
//! files taken out —, append-only, apart from the incidents' journals (reads are not facts about
//! an incident), and the SQL both backends share.

use crate::sql::{Backend, SqlStore};
use debrief_domain::{IncidentId, Timestamp};
use serde::Serialize;

/// One read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccessRecord {
    pub at: Timestamp,
    /// Who read (a user name, or the terminal's actor).
    pub actor: String,
    /// `report`, `export` or `evidence`.
    pub action: String,
    /// The incident read, if one was (`None` for the program report).
    pub incident_id: Option<IncidentId>,
    pub number: Option<i64>,
    /// What was read, in words for a log line: `final md en (entry 4)`, `stix (entry 4)`,
    /// `evidence 3 mail.eml`…
    pub what: String,
    /// The same, as values a page names in its reader's language: the report kind or export
    /// format (`final`, `stix`, `csv`…) or `evidence`; the format and language of a report
    /// (empty otherwise); the journal entry the document reflects.
    pub kind: String,
    pub format: String,
    pub lang: String,
    pub entry: Option<i64>,
    /// The SHA-256 of what was handed out, when there is one.
    pub sha256: Option<String>,
    /// Where from: the client's address, or `cli` for the terminal.
    pub address: String,
}

/// The hash "before" the first chained record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One stored record with its place in the chain, as `debrief verify` walks it (`None`s: a
/// record written before the log was chained).
#[derive(Debug, Clone)]
pub struct ChainedAccess {
    pub seq: Option<i64>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
    /// The record, or why it does not read back.
    pub record: Result<AccessRecord, String>,
}

/// The hash of a record at position `seq` after `prev`: SHA-256 of the canonical JSON
/// (`docs/journal.md`'s encoding) of every field with its position and the hash before it.
pub fn chain_hash(seq: i64, prev: &str, r: &AccessRecord) -> crate::Result<String> {
    use sha2::Digest;
    let value = serde_json::json!({
        "seq": seq,
        "prev_hash": prev,
        "at": r.at.to_string(),
        "actor": r.actor,
        "action": r.action,
        "incident_id": r.incident_id.map(|i| i.to_string()),
        "number": r.number,
        "what": r.what,
        "kind": r.kind,
        "format": r.format,
        "lang": r.lang,
        "entry": r.entry,
        "sha256": r.sha256,
        "address": r.address,
    });
    let text = debrief_domain::canonical::encode(&value)
        .map_err(|e| crate::StoreError::Corrupt(format!("access record: {e}")))?;
    Ok(hex::encode(sha2::Sha256::digest(text.as_bytes())))
}

/// Checks the access log's chain: every chained record in order from 1, linked to the one
/// before, its hash what its content says; an unchained record after the first chained one (a
/// record slipped in around Debrief) is a break too. Answers the problems found.
pub fn check_chain(rows: &[ChainedAccess]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_string();
    // Records from before the chain are older than its first record; one written later
    // without its place was slipped in around Debrief.
    let chain_start = rows
        .iter()
        .filter(|r| r.seq.is_some())
        .filter_map(|r| r.record.as_ref().ok().map(|a| a.at))
        .min();
    for row in rows {
        let (Some(seq), Some(prev_hash), Some(hash)) = (row.seq, &row.prev_hash, &row.hash) else {
            let late = match (&row.record, chain_start) {
                (Ok(r), Some(start)) => r.at >= start,
                (Err(_), _) => true,
                (Ok(_), None) => false,
            };
            if late || row.seq.is_some() {
                problems.push(
                    "access log: a record without its place in the chain was written after the chain began"
                        .to_string(),
                );
            }
            continue;
        };
        if seq != expected_seq {
            problems.push(format!(
                "access log: record {expected_seq} is missing (the next is {seq})"
            ));
        }
        if *prev_hash != prev {
            problems.push(format!(
                "access log: record {seq} does not follow the one before it (its previous hash differs)"
            ));
        }
        match &row.record {
            Ok(r) => match chain_hash(seq, prev_hash, r) {
                Ok(h) if h == *hash => {}
                _ => problems.push(format!(
                    "access log: record {seq} was altered (its content no longer matches its hash)"
                )),
            },
            Err(e) => problems.push(format!("access log: record {seq} does not read back: {e}")),
        }
        expected_seq = seq + 1;
        prev = hash.clone();
    }
    problems
}

/// Which part of the access log to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessScope {
    Incident(IncidentId),
    All,
}

#[async_trait::async_trait]
impl<B: Backend> crate::AccessLogStore for SqlStore<B>
where
    for<'c> &'c mut <B::Db as sqlx::Database>::Connection: sqlx::Executor<'c, Database = B::Db>,
    <B::Db as sqlx::Database>::Arguments: sqlx::IntoArguments<B::Db>,
    usize: sqlx::ColumnIndex<<B::Db as sqlx::Database>::Row>,
    for<'s> &'s str: sqlx::ColumnIndex<<B::Db as sqlx::Database>::Row>,
    for<'q> String: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> &'q str: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> i64: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> bool: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> f64: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> Option<String>: sqlx::Encode<'q, B::Db>,
    for<'q> Option<i64>: sqlx::Encode<'q, B::Db>,
    for<'q> Option<&'q str>: sqlx::Encode<'q, B::Db>,
{
    async fn record_access(&self, r: crate::access::AccessRecord) -> crate::Result<()> {
        // The next position and the hash before it; a writer that lost the race to the same
        // position (the unique index on `seq`) reads the head again.
        for _ in 0..50 {
            let last: Option<(i64, String)> = sqlx::query_as(
                "SELECT seq, hash FROM access_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1",
            )
            .fetch_optional(&self.write_pool())
            .await?;
            let (seq, prev) = match last {
                Some((s, h)) => (s + 1, h),
                None => (1, GENESIS.to_string()),
            };
            let hash = chain_hash(seq, &prev, &r)?;
            let done = sqlx::query(
                "INSERT INTO access_log (id, at, actor, action, incident_id, number, what, sha256, address, kind, format, lang, entry, seq, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(r.at.to_string())
            .bind(&r.actor)
            .bind(&r.action)
            .bind(r.incident_id.map(|i| i.to_string()))
            .bind(r.number)
            .bind(&r.what)
            .bind(&r.sha256)
            .bind(&r.address)
            .bind(&r.kind)
            .bind(&r.format)
            .bind(&r.lang)
            .bind(r.entry)
            .bind(seq)
            .bind(&prev)
            .bind(&hash)
            .execute(&self.write_pool())
            .await;
            match done {
                Err(e) if crate::alerts::lost_race(&e) => continue,
                other => {
                    other?;
                    return Ok(());
                }
            }
        }
        Err(crate::StoreError::Unavailable {
            url: "access log".into(),
            why: "too many readers recorded at once; try again".into(),
        })
    }

    async fn access_chain(&self) -> crate::Result<Vec<ChainedAccess>> {
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<i64>,
            String,
            Option<String>,
            String,
            String,
            String,
            String,
            Option<i64>,
            Option<i64>,
            Option<String>,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT at, actor, action, incident_id, number, what, sha256, address, kind, format, lang, entry, seq, prev_hash, hash FROM access_log ORDER BY (seq IS NOT NULL), seq, at, id",
        )
        .fetch_all(&self.write_pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for (
            at,
            actor,
            action,
            incident,
            number,
            what,
            sha256,
            address,
            kind,
            format,
            lang,
            entry,
            seq,
            prev_hash,
            hash,
        ) in rows
        {
            let record = (|| -> crate::Result<AccessRecord> {
                Ok(AccessRecord {
                    at: Timestamp::parse(&at)?,
                    actor,
                    action,
                    incident_id: incident.as_deref().map(str::parse).transpose()?,
                    number,
                    what,
                    sha256,
                    address,
                    kind,
                    format,
                    lang,
                    entry,
                })
            })();
            out.push(ChainedAccess {
                seq,
                prev_hash,
                hash,
                record: record.map_err(|e| e.to_string()),
            });
        }
        Ok(out)
    }

    async fn access_log(
        &self,
        scope: crate::access::AccessScope,
        limit: u32,
    ) -> crate::Result<Vec<crate::access::AccessRecord>> {
        type Row = (
            String,
            String,
            String,
            Option<String>,
            Option<i64>,
            String,
            Option<String>,
            String,
            String,
            String,
            String,
            Option<i64>,
        );
        let cols = "at, actor, action, incident_id, number, what, sha256, address, kind, format, lang, entry";
        let limit = i64::from(limit.clamp(1, 100_000));
        let rows: Vec<Row> = match scope {
            crate::access::AccessScope::Incident(id) => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {cols} FROM access_log WHERE incident_id = $1 ORDER BY at DESC, id DESC LIMIT $2"
            )))
            .bind(id.to_string())
            .bind(limit)
            .fetch_all(&self.write_pool())
            .await?,
            crate::access::AccessScope::All => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT {cols} FROM access_log ORDER BY at DESC, id DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(&self.write_pool())
            .await?,
        };
        Ok(crate::common::readable_rows(
            "access log",
            rows.into_iter().map(
                |(
                    at,
                    actor,
                    action,
                    incident,
                    number,
                    what,
                    sha256,
                    address,
                    kind,
                    format,
                    lang,
                    entry,
                )| {
                    let decoded = (|| {
                        Ok(crate::access::AccessRecord {
                            at: debrief_domain::Timestamp::parse(&at)?,
                            actor,
                            action,
                            incident_id: incident.as_deref().map(str::parse).transpose()?,
                            number,
                            what,
                            sha256,
                            address,
                            kind,
                            format,
                            lang,
                            entry,
                        })
                    })();
                    (at_key(&decoded), decoded)
                },
            ),
        ))
    }
}

fn at_key(r: &crate::Result<crate::access::AccessRecord>) -> String {
    r.as_ref().map(|a| a.at.to_string()).unwrap_or_default()
}
