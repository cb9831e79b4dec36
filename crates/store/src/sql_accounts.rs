//! Account, token and session SQL shared by both backends (see `sql.rs` for why one text serves both).

use debrief_domain::{Timestamp, Username};

use crate::accounts::User;
use crate::error::{Result, StoreError};
use crate::sql::{Backend, SqlStore};

/// A `users` row as selected by [`USER_COLUMNS`].
pub type UserRow = (
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    bool,
    String,
    bool,
    Option<String>,
);

/// The columns that make a [`UserRow`].
pub const USER_COLUMNS: &str = "u.id, u.username, u.display_name, u.role, u.password_hash, u.language, u.disabled, u.created_at, u.must_change_password, u.timezone";

/// Parses a user row; the password hash is returned beside it.
pub fn user_from_row(row: UserRow) -> Result<(User, String)> {
    let (
        id,
        username,
        display_name,
        role,
        hash,
        language,
        disabled,
        created_at,
        must_change,
        timezone,
    ) = row;
    let corrupt =
        |e: debrief_domain::DomainError| StoreError::Corrupt(format!("user `{username}`: {e}"));
    let user = User {
        id,
        username: Username::parse(&username).map_err(corrupt)?,
        display_name,
        role: role.parse().map_err(corrupt)?,
        language: language
            .as_deref()
            .map(str::parse)
            .transpose()
            .map_err(corrupt)?,
        timezone: timezone
            .as_deref()
            .map(debrief_domain::Zone::parse)
            .transpose()
            .map_err(corrupt)?,
        disabled,
        created_at: Timestamp::parse(&created_at).map_err(corrupt)?,
        must_change_password: must_change,
    };
    Ok((user, hash))
}

/// Maps a unique-constraint violation to a `Duplicate` error naming `what`.
pub fn duplicate(e: sqlx::Error, what: String) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate(what),
        _ => StoreError::Database(e),
    }
}

#[async_trait::async_trait]
impl<B: Backend> crate::AccountStore for SqlStore<B>
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
    async fn create_user(
        &self,
        new: crate::accounts::NewUser,
    ) -> crate::Result<crate::accounts::User> {
        let id = uuid::Uuid::now_v7().to_string();
        let now = debrief_domain::Timestamp::now();
        sqlx::query(
            "INSERT INTO users (id, username, display_name, role, password_hash, language, disabled, created_at, must_change_password) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(new.username.as_str())
        .bind(&new.display_name)
        .bind(new.role.as_str())
        .bind(&new.password_hash)
        .bind(new.language.map(|l| l.as_str()))
        .bind(false)
        .bind(now.to_string())
        .bind(new.must_change_password)
        .execute(&self.write_pool())
        .await
        .map_err(|e| crate::sql_accounts::duplicate(e, format!("a user named `{}` already exists", new.username)))?;
        Ok(crate::accounts::User {
            id,
            username: new.username,
            display_name: new.display_name,
            role: new.role,
            language: new.language,
            timezone: None,
            disabled: false,
            created_at: now,
            must_change_password: new.must_change_password,
        })
    }

    async fn user_record(&self, username: &str) -> crate::Result<crate::accounts::UserRecord> {
        let sql = format!(
            "SELECT {} FROM users u WHERE u.username = $1",
            crate::sql_accounts::USER_COLUMNS
        );
        let row: Option<crate::sql_accounts::UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(username.trim().to_lowercase())
            .fetch_optional(&self.read)
            .await?;
        let row = row.ok_or_else(|| crate::StoreError::NoUser(username.to_string()))?;
        let (user, password_hash) = crate::sql_accounts::user_from_row(row)?;
        Ok(crate::accounts::UserRecord {
            user,
            password_hash,
        })
    }

    async fn list_users(&self) -> crate::Result<Vec<crate::accounts::User>> {
        let sql = format!(
            "SELECT {} FROM users u ORDER BY u.username",
            crate::sql_accounts::USER_COLUMNS
        );
        let rows: Vec<crate::sql_accounts::UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.read)
            .await?;
        rows.into_iter()
            .map(|r| crate::sql_accounts::user_from_row(r).map(|(u, _)| u))
            .collect()
    }

    async fn count_users(&self) -> crate::Result<u64> {
        let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users")
            .fetch_one(&self.read)
            .await?;
        Ok(n.max(0) as u64)
    }

    async fn update_user(
        &self,
        username: &str,
        changes: crate::accounts::UserChanges,
    ) -> crate::Result<crate::accounts::User> {
        let current = self.user_record(username).await?;
        let u = &current.user;
        let language = changes.language.unwrap_or(u.language);
        let timezone = changes
            .timezone
            .clone()
            .unwrap_or_else(|| u.timezone.clone());
        sqlx::query(
            "UPDATE users SET display_name = $1, role = $2, disabled = $3, language = $4, password_hash = $5, must_change_password = $6, timezone = $7 WHERE id = $8",
        )
        .bind(changes.display_name.clone().unwrap_or_else(|| u.display_name.clone()))
        .bind(changes.role.unwrap_or(u.role).as_str())
        .bind(changes.disabled.unwrap_or(u.disabled))
        .bind(language.map(|l| l.as_str()))
        .bind(changes.password_hash.clone().unwrap_or_else(|| current.password_hash.clone()))
        .bind(changes.must_change_password.unwrap_or(u.must_change_password))
        .bind(timezone.map(|z| z.name().to_string()))
        .bind(&u.id)
        .execute(&self.write_pool())
        .await?;
        if changes.disabled == Some(true) || changes.password_hash.is_some() {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(&u.id)
                .execute(&self.write_pool())
                .await?;
        }
        Ok(self.user_record(username).await?.user)
    }

    async fn create_token(
        &self,
        username: &str,
        name: &str,
        token_hash: &str,
    ) -> crate::Result<crate::accounts::ApiToken> {
        let user = self.user_record(username).await?.user;
        let id = uuid::Uuid::now_v7().to_string();
        let now = debrief_domain::Timestamp::now();
        sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(&user.id)
        .bind(name)
        .bind(token_hash)
        .bind(now.to_string())
        .execute(&self.write_pool())
        .await?;
        Ok(crate::accounts::ApiToken {
            id,
            username: user.username.to_string(),
            name: name.to_string(),
            created_at: now,
            revoked_at: None,
        })
    }

    async fn token_user(&self, token_hash: &str) -> crate::Result<Option<crate::accounts::User>> {
        let sql = format!(
            "SELECT {} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND NOT u.disabled",
            crate::sql_accounts::USER_COLUMNS
        );
        let row: Option<crate::sql_accounts::UserRow> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| crate::sql_accounts::user_from_row(r).map(|(u, _)| u))
            .transpose()
    }

    async fn list_tokens(&self) -> crate::Result<Vec<crate::accounts::ApiToken>> {
        let rows: Vec<(String, String, String, String, Option<String>)> = sqlx::query_as(
            "SELECT t.id, u.username, t.name, t.created_at, t.revoked_at FROM api_tokens t JOIN users u ON u.id = t.user_id ORDER BY t.created_at",
        )
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(id, username, name, created, revoked)| {
                let ts = |t: &str| {
                    debrief_domain::Timestamp::parse(t)
                        .map_err(|e| crate::StoreError::Corrupt(format!("token {id}: {e}")))
                };
                Ok(crate::accounts::ApiToken {
                    created_at: ts(&created)?,
                    revoked_at: revoked.as_deref().map(ts).transpose()?,
                    id: id.clone(),
                    username,
                    name,
                })
            })
            .collect()
    }

    async fn revoke_token(&self, id: &str) -> crate::Result<()> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(debrief_domain::Timestamp::now().to_string())
        .bind(id.trim())
        .execute(&self.write_pool())
        .await?;
        if B::rows_affected(&done) == 0 {
            return Err(crate::StoreError::NoToken(id.to_string()));
        }
        Ok(())
    }

    async fn create_session(
        &self,
        token_hash: &str,
        user_id: &str,
        csrf_token: &str,
        expires_at: debrief_domain::Timestamp,
        stage: crate::accounts::SessionStage,
    ) -> crate::Result<()> {
        let now = debrief_domain::Timestamp::now();
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now.to_string())
            .execute(&self.write_pool())
            .await?;
        sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at, stage, last_seen_at) VALUES ($1, $2, $3, $4, $5, $6, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now.to_string())
        .bind(expires_at.to_string())
        .bind(stage.as_str())
        .execute(&self.write_pool())
        .await?;
        Ok(())
    }

    async fn touch_session(
        &self,
        token_hash: &str,
        at: debrief_domain::Timestamp,
    ) -> crate::Result<()> {
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(at.to_string())
            .bind(token_hash)
            .execute(&self.write_pool())
            .await?;
        Ok(())
    }

    async fn set_session_challenge(
        &self,
        token_hash: &str,
        challenge: Option<&str>,
    ) -> crate::Result<()> {
        sqlx::query("UPDATE sessions SET challenge = $1 WHERE token_hash = $2")
            .bind(challenge.map(str::to_string))
            .bind(token_hash)
            .execute(&self.write_pool())
            .await?;
        Ok(())
    }

    async fn session(&self, token_hash: &str) -> crate::Result<Option<crate::accounts::Session>> {
        let sql = format!(
            "SELECT {}, s.csrf_token, s.expires_at, s.stage, COALESCE(s.last_seen_at, s.created_at), s.challenge FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT u.disabled",
            crate::sql_accounts::USER_COLUMNS
        );
        let row: Option<(
            String,
            String,
            String,
            String,
            String,
            Option<String>,
            bool,
            String,
            bool,
            Option<String>,
            String,
            String,
            String,
            String,
            Option<String>,
        )> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(token_hash)
            .bind(debrief_domain::Timestamp::now().to_string())
            .fetch_optional(&self.read)
            .await?;
        let Some((a, b, c, d, e, f, g, h, i, j, csrf_token, expires, stage, seen, challenge)) = row
        else {
            return Ok(None);
        };
        let (user, _) = crate::sql_accounts::user_from_row((a, b, c, d, e, f, g, h, i, j))?;
        let t = |s: &str| {
            debrief_domain::Timestamp::parse(s)
                .map_err(|e| crate::StoreError::Corrupt(format!("session: {e}")))
        };
        let stage = crate::accounts::SessionStage::parse(&stage)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("session stage `{stage}`")))?;
        Ok(Some(crate::accounts::Session {
            user,
            csrf_token,
            expires_at: t(&expires)?,
            stage,
            last_seen_at: t(&seen)?,
            challenge,
        }))
    }

    async fn delete_session(&self, token_hash: &str) -> crate::Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.write_pool())
            .await?;
        Ok(())
    }

    async fn list_sessions(
        &self,
        username: &str,
    ) -> crate::Result<Vec<crate::accounts::SessionInfo>> {
        let rows: Vec<(String, String, String, String)> = sqlx::query_as(
            "SELECT substr(s.token_hash, 1, 16), s.created_at, s.expires_at, COALESCE(s.last_seen_at, s.created_at) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = $1 AND s.expires_at > $2 AND s.stage = 'full' ORDER BY s.created_at DESC",
        )
        .bind(username)
        .bind(debrief_domain::Timestamp::now().to_string())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter()
            .map(|(id, created, expires, seen)| {
                let t = |s: &str| {
                    debrief_domain::Timestamp::parse(s)
                        .map_err(|e| StoreError::Corrupt(format!("session time: {e}")))
                };
                Ok(crate::accounts::SessionInfo {
                    id,
                    created_at: t(&created)?,
                    expires_at: t(&expires)?,
                    last_seen_at: t(&seen)?,
                })
            })
            .collect()
    }

    async fn end_session(&self, username: &str, id: &str) -> crate::Result<()> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE substr(token_hash, 1, 16) = $1 AND user_id = (SELECT id FROM users WHERE username = $2)",
        )
        .bind(id)
        .bind(username)
        .execute(&self.write_pool())
        .await?;
        if B::rows_affected(&done) == 0 {
            return Err(StoreError::NoSession(id.to_string()));
        }
        Ok(())
    }

    async fn end_sessions(&self, username: &str) -> crate::Result<u64> {
        let done = sqlx::query(
            "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)",
        )
        .bind(username)
        .execute(&self.write_pool())
        .await?;
        Ok(B::rows_affected(&done))
    }

    async fn count_sign_in_check(
        &self,
        counters: &[(&str, u32)],
        window_seconds: i64,
        now_seconds: i64,
    ) -> crate::Result<std::result::Result<(), u64>> {
        let mut tx = self.begin_write().await?;
        if !B::SIGN_IN_LOCK.is_empty() {
            sqlx::query(B::SIGN_IN_LOCK).execute(&mut *tx).await?;
        }
        sqlx::query("DELETE FROM sign_in_checks WHERE since <= $1")
            .bind(now_seconds - window_seconds)
            .execute(&mut *tx)
            .await?;
        for (key, limit) in counters {
            let row: Option<(i64, i64)> =
                sqlx::query_as("SELECT checks, since FROM sign_in_checks WHERE key = $1")
                    .bind(*key)
                    .fetch_optional(&mut *tx)
                    .await?;
            if let Some((checks, since)) = row
                && checks >= i64::from(*limit)
            {
                let wait = (since + window_seconds - now_seconds).max(1);
                return Ok(Err(u64::try_from(wait).unwrap_or(1)));
            }
        }
        for (key, _) in counters {
            sqlx::query(
                "INSERT INTO sign_in_checks (key, checks, since) VALUES ($1, 1, $2) \
                 ON CONFLICT (key) DO UPDATE SET checks = sign_in_checks.checks + 1",
            )
            .bind(*key)
            .bind(now_seconds)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(Ok(()))
    }

    async fn give_back_sign_in_check(&self, keys: &[&str]) -> crate::Result<()> {
        for key in keys {
            sqlx::query(
                "UPDATE sign_in_checks SET checks = checks - 1 WHERE key = $1 AND checks > 0",
            )
            .bind(*key)
            .execute(&self.write_pool())
            .await?;
        }
        Ok(())
    }

    async fn clear_sign_in_checks(&self, key: &str) -> crate::Result<()> {
        sqlx::query("DELETE FROM sign_in_checks WHERE key = $1")
            .bind(key)
            .execute(&self.write_pool())
            .await?;
        Ok(())
    }
}
