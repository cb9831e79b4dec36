//! The stakeholder directory as the store keeps it, and the SQL both backends share.

use crate::sql::{Backend, SqlStore};
use debrief_domain::Language;
use debrief_domain::stakeholder::{Reach, StakeholderCategory, StakeholderKind, WebhookFormat};
use serde::Serialize;

/// A directory entry. Its webhook URL is a credential (whoever has a Slack or Teams URL can post
/// to the channel): `Debug` leaves it out, and [`Stakeholder::redacted`] is what people who do
/// not manage the directory see.
#[derive(Clone, PartialEq, Eq, Serialize)]
pub struct Stakeholder {
    pub id: String,
    pub name: String,
    pub kind: StakeholderKind,
    pub scope: Reach,
    pub category: StakeholderCategory,
    pub email: Option<String>,
    pub webhook_url: Option<String>,
    pub webhook_format: Option<WebhookFormat>,
    pub language: Language,
    /// The user account this entry stands for, if any.
    pub username: Option<String>,
    pub created_by: String,
    pub created_at: String,
}

impl std::fmt::Debug for Stakeholder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stakeholder")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("category", &self.category)
            .field("email", &self.email)
            .field(
                "webhook_url",
                &self.webhook_url.as_deref().map(webhook_host),
            )
            .field("webhook_format", &self.webhook_format)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

impl Stakeholder {
    /// The entry as shown to someone who does not manage the directory: the webhook URL cut
    /// down to its scheme and host (`https://hooks.slack.com/…`).
    pub fn redacted(mut self) -> Stakeholder {
        self.webhook_url = self.webhook_url.as_deref().map(webhook_host);
        self
    }
}

/// A URL's scheme and host, the rest (path, query, user information) replaced by `…`.
pub fn webhook_host(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if scheme.is_empty() {
        format!("{host}/…")
    } else {
        format!("{scheme}://{host}/…")
    }
}

/// A notification rule as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredRule {
    pub id: String,
    #[serde(flatten)]
    pub rule: debrief_domain::notify::NotificationRule,
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
    Option<String>,
);

/// A stored entry, its choices read back into the domain's values (a value the domain does not
/// know means the row was not written by Debrief: the store is corrupt).
pub(crate) fn from_row(r: Row) -> crate::Result<Stakeholder> {
    let corrupt = |e: debrief_domain::DomainError| {
        crate::StoreError::Corrupt(format!("directory entry `{}`: {e}", r.1))
    };
    Ok(Stakeholder {
        kind: r.2.parse().map_err(corrupt)?,
        scope: r.3.parse().map_err(corrupt)?,
        category: r.4.parse().map_err(corrupt)?,
        webhook_format: r
            .7
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(corrupt)?,
        language: r.8.parse().map_err(corrupt)?,
        id: r.0,
        name: r.1,
        email: r.5,
        webhook_url: r.6,
        created_by: r.9,
        created_at: r.10,
        username: r.11,
    })
}

pub(crate) const COLUMNS: &str = "id, name, kind, scope, category, email, webhook_url, webhook_format, language, created_by, created_at, username";

#[async_trait::async_trait]
impl<B: Backend> crate::StakeholderStore for SqlStore<B>
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
    async fn add_stakeholder(
        &self,
        new: debrief_domain::stakeholder::NewStakeholder,
        by: &str,
    ) -> crate::Result<crate::stakeholders::Stakeholder> {
        let s = crate::stakeholders::Stakeholder {
            id: uuid::Uuid::now_v7().to_string(),
            name: new.name,
            kind: new.kind,
            scope: new.scope,
            category: new.category,
            email: new.email,
            webhook_url: new.webhook_url,
            webhook_format: new.webhook_format,
            language: new.language,
            username: new.username,
            created_by: by.to_string(),
            created_at: debrief_domain::Timestamp::now().to_string(),
        };
        let done = sqlx::query(
            "INSERT INTO stakeholders (id, name, kind, scope, category, email, webhook_url, webhook_format, language, created_by, created_at, username) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(&s.id)
        .bind(&s.name)
        .bind(s.kind.as_str())
        .bind(s.scope.as_str())
        .bind(s.category.as_str())
        .bind(&s.email)
        .bind(&s.webhook_url)
        .bind(s.webhook_format.map(|f| f.as_str()))
        .bind(s.language.as_str())
        .bind(&s.created_by)
        .bind(&s.created_at)
        .bind(&s.username)
        .execute(&self.write_pool())
        .await;
        match done {
            Err(e) if crate::alerts::lost_race(&e) => Err(crate::StoreError::Duplicate(format!(
                "a stakeholder is already named `{}`",
                s.name
            ))),
            other => {
                other?;
                Ok(s)
            }
        }
    }

    async fn list_stakeholders(&self) -> crate::Result<Vec<crate::stakeholders::Stakeholder>> {
        use crate::stakeholders::*;
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM stakeholders ORDER BY name"
        )))
        .fetch_all(&self.write_pool())
        .await?;
        rows.into_iter().map(from_row).collect()
    }

    async fn stakeholder(
        &self,
        reference: &str,
    ) -> crate::Result<crate::stakeholders::Stakeholder> {
        use crate::stakeholders::*;
        let row: Option<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM stakeholders WHERE id = $1 OR name = $1"
        )))
        .bind(reference.trim())
        .fetch_optional(&self.write_pool())
        .await?;
        row.map(from_row)
            .ok_or_else(|| crate::StoreError::NoStakeholder(reference.trim().to_string()))?
    }

    async fn add_rule(
        &self,
        rule: debrief_domain::notify::NotificationRule,
        by: &str,
    ) -> crate::Result<crate::stakeholders::StoredRule> {
        let r = crate::stakeholders::StoredRule {
            id: uuid::Uuid::now_v7().to_string(),
            rule,
            created_by: by.to_string(),
            created_at: debrief_domain::Timestamp::now().to_string(),
        };
        let json = serde_json::to_string(&r.rule)
            .map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
        let done = sqlx::query(
            "INSERT INTO notification_rules (id, name, rule, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&r.id)
        .bind(&r.rule.name)
        .bind(&json)
        .bind(&r.created_by)
        .bind(&r.created_at)
        .execute(&self.write_pool())
        .await;
        match done {
            Err(e) if crate::alerts::lost_race(&e) => Err(crate::StoreError::Duplicate(format!(
                "a notification rule is already named `{}`",
                r.rule.name
            ))),
            other => {
                other?;
                Ok(r)
            }
        }
    }

    async fn list_rules(&self) -> crate::Result<Vec<crate::stakeholders::StoredRule>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT id, rule, created_by, created_at FROM notification_rules ORDER BY id",
        )
        .fetch_all(&self.write_pool())
        .await?;
        rows.into_iter()
            .map(|(id, rule, created_by, created_at)| {
                Ok(crate::stakeholders::StoredRule {
                    rule: serde_json::from_str(&rule).map_err(|e| {
                        crate::StoreError::Corrupt(format!("notification rule {id}: {e}"))
                    })?,
                    id,
                    created_by,
                    created_at,
                })
            })
            .collect()
    }

    async fn delete_rule(&self, id: &str) -> crate::Result<()> {
        let done = sqlx::query("DELETE FROM notification_rules WHERE id = $1")
            .bind(id.trim())
            .execute(&self.write_pool())
            .await?;
        if B::rows_affected(&done) == 0 {
            return Err(crate::StoreError::NoRule(id.trim().to_string()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::webhook_host;

    #[test]
    fn webhook_urls_are_cut_to_their_host() {
        assert_eq!(
            webhook_host("https://hooks.slack.com/services/T000/B000/XXXXSECRET"),
            "https://hooks.slack.com/…"
        );
        assert_eq!(
            webhook_host("https://user:pw@example.webhook.office.com:443/webhookb2/abc?x=1"),
            "https://example.webhook.office.com:443/…"
        );
        assert_eq!(webhook_host("hooks.example/x"), "hooks.example/…");
    }
}
