//! Playbook versions as the store keeps them: every version a row, the latest the highest
//! number of a slug and language; the SQL both backends share.

use crate::sql::{Backend, SqlStore};
use serde::Serialize;

/// One version of a playbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlaybookVersion {
    pub slug: String,
    pub lang: String,
    pub version: i64,
    pub title: String,
    /// The Markdown as published.
    pub body: String,
    pub published_by: String,
    pub published_at: String,
    /// The incident whose lessons this version carries.
    pub from_incident: Option<i64>,
    pub note: String,
}

/// A version to publish (its number is the next one).
#[derive(Debug, Clone)]
pub struct NewPlaybookVersion {
    pub slug: String,
    pub lang: String,
    pub title: String,
    pub body: String,
    pub published_by: String,
    pub from_incident: Option<i64>,
    pub note: String,
}

pub(crate) type Row = (
    String,
    String,
    i64,
    String,
    String,
    String,
    String,
    Option<i64>,
    String,
);

pub(crate) fn from_row(r: Row) -> PlaybookVersion {
    PlaybookVersion {
        slug: r.0,
        lang: r.1,
        version: r.2,
        title: r.3,
        body: r.4,
        published_by: r.5,
        published_at: r.6,
        from_incident: r.7,
        note: r.8,
    }
}

pub(crate) const COLUMNS: &str =
    "slug, lang, version, title, body, published_by, published_at, from_incident, note";

#[async_trait::async_trait]
impl<B: Backend> crate::PlaybookStore for SqlStore<B>
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
    async fn publish_playbook(
        &self,
        new: crate::playbooks::NewPlaybookVersion,
    ) -> crate::Result<crate::playbooks::PlaybookVersion> {
        use crate::playbooks::*;
        let mut attempt = 0;
        loop {
            let mut tx = self.begin_write().await?;
            if !B::PLAYBOOK_LOCK.is_empty() {
                sqlx::query(B::PLAYBOOK_LOCK).execute(&mut *tx).await?;
            }
            let (version,): (i64,) = sqlx::query_as(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM playbooks WHERE slug = $1 AND lang = $2",
            )
            .bind(&new.slug)
            .bind(&new.lang)
            .fetch_one(&mut *tx)
            .await?;
            let now = debrief_domain::Timestamp::now().to_string();
            let inserted = sqlx::query(
                "INSERT INTO playbooks (slug, lang, version, title, body, published_by, published_at, from_incident, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            )
            .bind(&new.slug)
            .bind(&new.lang)
            .bind(version)
            .bind(&new.title)
            .bind(&new.body)
            .bind(&new.published_by)
            .bind(&now)
            .bind(new.from_incident)
            .bind(&new.note)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(e) if crate::alerts::lost_race(&e) && attempt < 3 => {
                    attempt += 1;
                    continue;
                }
                other => other?,
            };
            tx.commit().await?;
            return Ok(PlaybookVersion {
                slug: new.slug,
                lang: new.lang,
                version,
                title: new.title,
                body: new.body,
                published_by: new.published_by,
                published_at: now,
                from_incident: new.from_incident,
                note: new.note,
            });
        }
    }

    async fn playbook(
        &self,
        slug: &str,
        lang: &str,
        version: Option<i64>,
    ) -> crate::Result<crate::playbooks::PlaybookVersion> {
        use crate::playbooks::*;
        let sql = format!(
            "SELECT {COLUMNS} FROM playbooks WHERE slug = $1 AND lang = $2 AND ($3 = 0 OR version = $3) ORDER BY version DESC LIMIT 1"
        );
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(slug)
            .bind(lang)
            .bind(version.unwrap_or(0))
            .fetch_optional(&self.write_pool())
            .await?;
        row.map(from_row).ok_or_else(|| {
            crate::StoreError::NoPlaybook(format!(
                "`{slug}` ({lang}){}",
                version.map(|v| format!(" version {v}")).unwrap_or_default()
            ))
        })
    }

    async fn playbook_versions(
        &self,
        slug: &str,
        lang: &str,
    ) -> crate::Result<Vec<crate::playbooks::PlaybookVersion>> {
        use crate::playbooks::*;
        let sql = format!(
            "SELECT {COLUMNS} FROM playbooks WHERE slug = $1 AND lang = $2 ORDER BY version"
        );
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(slug)
            .bind(lang)
            .fetch_all(&self.write_pool())
            .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }

    async fn list_playbooks(&self) -> crate::Result<Vec<crate::playbooks::PlaybookVersion>> {
        use crate::playbooks::*;
        let sql = format!(
            "SELECT {COLUMNS} FROM playbooks p WHERE version = (SELECT MAX(version) FROM playbooks q WHERE q.slug = p.slug AND q.lang = p.lang) ORDER BY slug, lang"
        );
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.write_pool())
            .await?;
        Ok(rows.into_iter().map(from_row).collect())
    }
}
