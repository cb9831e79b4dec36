//! Groups of accounts — named sets of users that access to a restricted incident can be given
//! to (and that single sign-on will fill) — as the store keeps them, and the SQL both backends
//! share.

use debrief_domain::Timestamp;
use debrief_domain::access::GroupName;
use serde::Serialize;

use crate::sql::{Backend, SqlStore};

/// A group and who is in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub name: GroupName,
    pub description: String,
    pub created_at: Timestamp,
    pub created_by: String,
    /// User names, sorted.
    pub members: Vec<String>,
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> crate::StoreError {
    crate::StoreError::Corrupt(format!("group {what}: {e}"))
}

#[async_trait::async_trait]
impl<B: Backend> crate::GroupStore for SqlStore<B>
where
    for<'c> &'c mut <B::Db as sqlx::Database>::Connection: sqlx::Executor<'c, Database = B::Db>,
    <B::Db as sqlx::Database>::Arguments: sqlx::IntoArguments<B::Db>,
    usize: sqlx::ColumnIndex<<B::Db as sqlx::Database>::Row>,
    for<'s> &'s str: sqlx::ColumnIndex<<B::Db as sqlx::Database>::Row>,
    for<'q> String: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> &'q str: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> i64: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> bool: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> Option<String>: sqlx::Encode<'q, B::Db>,
{
    async fn create_group(
        &self,
        name: &GroupName,
        description: &str,
        by: &str,
    ) -> crate::Result<Group> {
        let now = Timestamp::now();
        let done = sqlx::query(
            "INSERT INTO user_groups (name, description, created_at, created_by) VALUES ($1, $2, $3, $4)",
        )
        .bind(name.as_str())
        .bind(description)
        .bind(now.to_string())
        .bind(by)
        .execute(&self.write_pool())
        .await;
        match done {
            Err(e) if crate::alerts::lost_race(&e) => Err(crate::StoreError::Duplicate(format!(
                "a group is already named `{name}`"
            ))),
            other => {
                other?;
                Ok(Group {
                    name: name.clone(),
                    description: description.to_string(),
                    created_at: now,
                    created_by: by.to_string(),
                    members: Vec::new(),
                })
            }
        }
    }

    async fn list_groups(&self) -> crate::Result<Vec<Group>> {
        let groups: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT name, description, created_at, created_by FROM user_groups ORDER BY name",
        )
        .fetch_all(&self.read)
        .await?;
        let members: Vec<(String, String)> = sqlx::query_as(
            "SELECT group_name, username FROM user_group_members ORDER BY group_name, username",
        )
        .fetch_all(&self.read)
        .await?;
        groups
            .into_iter()
            .map(|(name, description, at, by)| {
                let people = members
                    .iter()
                    .filter(|(g, _)| *g == name)
                    .map(|(_, u)| u.clone())
                    .collect();
                Ok(Group {
                    name: GroupName::parse(&name).map_err(|e| corrupt("name", e))?,
                    description,
                    created_at: Timestamp::parse(&at).map_err(|e| corrupt("time", e))?,
                    created_by: by,
                    members: people,
                })
            })
            .collect()
    }

    async fn add_group_member(
        &self,
        group: &GroupName,
        username: &str,
        by: &str,
    ) -> crate::Result<()> {
        self.group_exists(group).await?;
        // The account must exist (its name is checked against the users).
        let user = self.user_record_name(username).await?;
        let done = sqlx::query(
            "INSERT INTO user_group_members (group_name, username, added_at, added_by) VALUES ($1, $2, $3, $4)",
        )
        .bind(group.as_str())
        .bind(&user)
        .bind(Timestamp::now().to_string())
        .bind(by)
        .execute(&self.write_pool())
        .await;
        match done {
            Err(e) if crate::alerts::lost_race(&e) => Err(crate::StoreError::Duplicate(format!(
                "{user} is already in the group `{group}`"
            ))),
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    async fn remove_group_member(&self, group: &GroupName, username: &str) -> crate::Result<()> {
        self.group_exists(group).await?;
        let done =
            sqlx::query("DELETE FROM user_group_members WHERE group_name = $1 AND username = $2")
                .bind(group.as_str())
                .bind(username.trim().to_lowercase())
                .execute(&self.write_pool())
                .await?;
        if B::rows_affected(&done) == 0 {
            return Err(crate::StoreError::NoUser(format!(
                "{} in the group `{group}`",
                username.trim()
            )));
        }
        Ok(())
    }

    async fn groups_of(&self, username: &str) -> crate::Result<Vec<GroupName>> {
        let rows: Vec<(String,)> = sqlx::query_as(
            "SELECT group_name FROM user_group_members WHERE username = $1 ORDER BY group_name",
        )
        .bind(username)
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(g,)| GroupName::parse(&g).map_err(|e| corrupt("name", e)))
            .collect()
    }
}

impl<B: Backend> SqlStore<B>
where
    for<'c> &'c mut <B::Db as sqlx::Database>::Connection: sqlx::Executor<'c, Database = B::Db>,
    <B::Db as sqlx::Database>::Arguments: sqlx::IntoArguments<B::Db>,
    usize: sqlx::ColumnIndex<<B::Db as sqlx::Database>::Row>,
    for<'q> String: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> &'q str: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
{
    async fn group_exists(&self, group: &GroupName) -> crate::Result<()> {
        let found: Option<(String,)> =
            sqlx::query_as("SELECT name FROM user_groups WHERE name = $1")
                .bind(group.as_str())
                .fetch_optional(&self.read)
                .await?;
        found
            .map(|_| ())
            .ok_or_else(|| crate::StoreError::NoGroup(group.to_string()))
    }

    async fn user_record_name(&self, username: &str) -> crate::Result<String> {
        let name = username.trim().to_lowercase();
        let found: Option<(String,)> =
            sqlx::query_as("SELECT username FROM users WHERE username = $1")
                .bind(&name)
                .fetch_optional(&self.read)
                .await?;
        found
            .map(|(u,)| u)
            .ok_or_else(|| crate::StoreError::NoUser(name))
    }
}
