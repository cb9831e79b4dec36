//! The stakeholder directory as the store keeps it, and the SQL both backends share.

use serde::Serialize;

/// A directory entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stakeholder {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub scope: String,
    pub category: String,
    pub email: Option<String>,
    pub webhook_url: Option<String>,
    pub webhook_format: Option<String>,
    pub language: String,
    pub created_by: String,
    pub created_at: String,
}

pub(crate) type Row = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    String,
);

pub(crate) fn from_row(r: Row) -> Stakeholder {
    Stakeholder {
        id: r.0,
        name: r.1,
        kind: r.2,
        scope: r.3,
        category: r.4,
        email: r.5,
        webhook_url: r.6,
        webhook_format: r.7,
        language: r.8,
        created_by: r.9,
        created_at: r.10,
    }
}

pub(crate) const COLUMNS: &str = "id, name, kind, scope, category, email, webhook_url, webhook_format, language, created_by, created_at";

macro_rules! impl_stakeholders {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::StakeholderStore for $store {
            async fn add_stakeholder(
                &self,
                new: debrief_domain::stakeholder::NewStakeholder,
                by: &str,
            ) -> $crate::Result<$crate::stakeholders::Stakeholder> {
                let s = $crate::stakeholders::Stakeholder {
                    id: uuid::Uuid::now_v7().to_string(),
                    name: new.name,
                    kind: new.kind,
                    scope: new.scope,
                    category: new.category,
                    email: new.email,
                    webhook_url: new.webhook_url,
                    webhook_format: new.webhook_format,
                    language: new.language.as_str().to_string(),
                    created_by: by.to_string(),
                    created_at: debrief_domain::Timestamp::now().to_string(),
                };
                let done = sqlx::query(
                    "INSERT INTO stakeholders (id, name, kind, scope, category, email, webhook_url, webhook_format, language, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                )
                .bind(&s.id)
                .bind(&s.name)
                .bind(&s.kind)
                .bind(&s.scope)
                .bind(&s.category)
                .bind(&s.email)
                .bind(&s.webhook_url)
                .bind(&s.webhook_format)
                .bind(&s.language)
                .bind(&s.created_by)
                .bind(&s.created_at)
                .execute(&self.write_pool())
                .await;
                match done {
                    Err(e) if $crate::alerts::lost_race(&e) => Err($crate::StoreError::Duplicate(
                        format!("a stakeholder is already named `{}`", s.name),
                    )),
                    other => {
                        other?;
                        Ok(s)
                    }
                }
            }

            async fn list_stakeholders(
                &self,
            ) -> $crate::Result<Vec<$crate::stakeholders::Stakeholder>> {
                use $crate::stakeholders::*;
                let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM stakeholders ORDER BY name"
                )))
                .fetch_all(&self.write_pool())
                .await?;
                Ok(rows.into_iter().map(from_row).collect())
            }

            async fn stakeholder(
                &self,
                reference: &str,
            ) -> $crate::Result<$crate::stakeholders::Stakeholder> {
                use $crate::stakeholders::*;
                let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM stakeholders WHERE id = $1 OR name = $1"
                )))
                .bind(reference.trim())
                .fetch_optional(&self.write_pool())
                .await?;
                row.map(from_row).ok_or_else(|| {
                    $crate::StoreError::NoStakeholder(reference.trim().to_string())
                })
            }
        }
    };
}

pub(crate) use impl_stakeholders;
