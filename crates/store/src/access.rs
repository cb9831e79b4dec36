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
        sqlx::query(
            "INSERT INTO access_log (id, at, actor, action, incident_id, number, what, sha256, address, kind, format, lang, entry) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
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
        .execute(&self.write_pool())
        .await?;
        Ok(())
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
