//! Second factors (TOTP keys and passkeys), one-time recovery codes (kept only as hashes) and
//! the installation's settings, as the store keeps them, and the SQL both backends share.

use debrief_domain::Timestamp;

use crate::accounts::{FactorKind, SecondFactor};
use crate::sql::{Backend, SqlStore};

fn corrupt(what: &str, e: impl std::fmt::Display) -> crate::StoreError {
    crate::StoreError::Corrupt(format!("second factor {what}: {e}"))
}

type FactorRow = (String, String, String, String, String, Option<String>);

fn factor_from_row(row: FactorRow) -> crate::Result<SecondFactor> {
    let (id, kind, label, secret, created, used) = row;
    Ok(SecondFactor {
        kind: FactorKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        id,
        label,
        secret,
        created_at: Timestamp::parse(&created).map_err(|e| corrupt("time", e))?,
        last_used_at: used
            .as_deref()
            .map(Timestamp::parse)
            .transpose()
            .map_err(|e| corrupt("time", e))?,
    })
}

#[async_trait::async_trait]
impl<B: Backend> crate::FactorStore for SqlStore<B>
where
    for<'c> &'c mut <B::Db as sqlx::Database>::Connection: sqlx::Executor<'c, Database = B::Db>,
    <B::Db as sqlx::Database>::Arguments: sqlx::IntoArguments<B::Db>,
    usize: sqlx::ColumnIndex<<B::Db as sqlx::Database>::Row>,
    for<'s> &'s str: sqlx::ColumnIndex<<B::Db as sqlx::Database>::Row>,
    for<'q> String: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> &'q str: sqlx::Encode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> i64: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> bool: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db> + sqlx::Type<B::Db>,
    for<'q> Option<String>: sqlx::Encode<'q, B::Db> + sqlx::Decode<'q, B::Db>,
{
    async fn second_factors(&self, username: &str) -> crate::Result<Vec<SecondFactor>> {
        let rows: Vec<FactorRow> = sqlx::query_as(
            "SELECT f.id, f.kind, f.label, f.secret, f.created_at, f.last_used_at FROM second_factors f JOIN users u ON u.id = f.user_id WHERE u.username = $1 ORDER BY f.created_at, f.id",
        )
        .bind(username.trim().to_lowercase())
        .fetch_all(&self.read)
        .await?;
        rows.into_iter().map(factor_from_row).collect()
    }

    async fn add_second_factor(
        &self,
        username: &str,
        kind: FactorKind,
        label: &str,
        secret: &str,
    ) -> crate::Result<SecondFactor> {
        let user_id = self.user_id_of(username).await?;
        let id = uuid::Uuid::now_v7().to_string();
        let now = Timestamp::now();
        sqlx::query(
            "INSERT INTO second_factors (id, user_id, kind, label, secret, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(&user_id)
        .bind(kind.as_str())
        .bind(label)
        .bind(secret)
        .bind(now.to_string())
        .execute(&self.write_pool())
        .await?;
        Ok(SecondFactor {
            id,
            kind,
            label: label.to_string(),
            secret: secret.to_string(),
            created_at: now,
            last_used_at: None,
        })
    }

    async fn remove_second_factor(&self, username: &str, id: &str) -> crate::Result<()> {
        let done = sqlx::query(
            "DELETE FROM second_factors WHERE id = $1 AND user_id = (SELECT id FROM users WHERE username = $2)",
        )
        .bind(id.trim())
        .bind(username.trim().to_lowercase())
        .execute(&self.write_pool())
        .await?;
        if B::rows_affected(&done) == 0 {
            return Err(crate::StoreError::NoFactor(id.to_string()));
        }
        Ok(())
    }

    async fn use_totp_step(&self, id: &str, step: i64) -> crate::Result<bool> {
        // One statement: of two sign-ins racing with the same code, one changes the row.
        let done = sqlx::query(
            "UPDATE second_factors SET last_step = $1, last_used_at = $2 WHERE id = $3 AND kind = 'totp' AND (last_step IS NULL OR last_step < $1)",
        )
        .bind(step)
        .bind(Timestamp::now().to_string())
        .bind(id)
        .execute(&self.write_pool())
        .await?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn used_passkey(&self, id: &str, secret: &str) -> crate::Result<()> {
        sqlx::query(
            "UPDATE second_factors SET secret = $1, last_used_at = $2 WHERE id = $3 AND kind = 'passkey'",
        )
        .bind(secret)
        .bind(Timestamp::now().to_string())
        .bind(id)
        .execute(&self.write_pool())
        .await?;
        Ok(())
    }

    async fn set_recovery_codes(&self, username: &str, hashes: &[String]) -> crate::Result<()> {
        let user_id = self.user_id_of(username).await?;
        let now = Timestamp::now().to_string();
        let mut tx = self.begin_write().await?;
        sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        for hash in hashes {
            sqlx::query(
                "INSERT INTO recovery_codes (user_id, code_hash, created_at) VALUES ($1, $2, $3)",
            )
            .bind(&user_id)
            .bind(hash)
            .bind(&now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn use_recovery_code(&self, username: &str, hash: &str) -> crate::Result<bool> {
        let done = sqlx::query(
            "UPDATE recovery_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL AND user_id = (SELECT id FROM users WHERE username = $3)",
        )
        .bind(Timestamp::now().to_string())
        .bind(hash)
        .bind(username.trim().to_lowercase())
        .execute(&self.write_pool())
        .await?;
        Ok(B::rows_affected(&done) == 1)
    }

    async fn recovery_codes_left(&self, username: &str) -> crate::Result<u64> {
        let (n,): (i64,) = sqlx::query_as(
            "SELECT COUNT(*) FROM recovery_codes r JOIN users u ON u.id = r.user_id WHERE u.username = $1 AND r.used_at IS NULL",
        )
        .bind(username.trim().to_lowercase())
        .fetch_one(&self.read)
        .await?;
        Ok(n.max(0) as u64)
    }

    async fn reset_second_factors(&self, username: &str) -> crate::Result<u64> {
        let user_id = self.user_id_of(username).await?;
        let mut tx = self.begin_write().await?;
        let done = sqlx::query("DELETE FROM second_factors WHERE user_id = $1")
            .bind(&user_id)
            .execute(&mut *tx)
            .await?;
        for sql in [
            "DELETE FROM recovery_codes WHERE user_id = $1",
            "DELETE FROM sessions WHERE user_id = $1",
        ] {
            sqlx::query(sql).bind(&user_id).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(B::rows_affected(&done))
    }

    async fn setting(&self, name: &str) -> crate::Result<Option<String>> {
        let found: Option<(String,)> = sqlx::query_as("SELECT value FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.read)
            .await?;
        Ok(found.map(|(v,)| v))
    }

    async fn set_setting(&self, name: &str, value: &str, by: &str) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO settings (name, value, changed_at, changed_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, changed_at = excluded.changed_at, changed_by = excluded.changed_by",
        )
        .bind(name)
        .bind(value)
        .bind(Timestamp::now().to_string())
        .bind(by)
        .execute(&self.write_pool())
        .await?;
        Ok(())
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
    /// The id of the account with this name ([`crate::StoreError::NoUser`] if none).
    async fn user_id_of(&self, username: &str) -> crate::Result<String> {
        let name = username.trim().to_lowercase();
        let found: Option<(String,)> = sqlx::query_as("SELECT id FROM users WHERE username = $1")
            .bind(&name)
            .fetch_optional(&self.read)
            .await?;
        found.map(|(id,)| id).ok_or(crate::StoreError::NoUser(name))
    }
}
