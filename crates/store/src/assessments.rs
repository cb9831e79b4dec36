//! Confirmed OWASP SAMM answers as the store keeps them (append-only), and the SQL both
//! backends share.

use crate::sql::{Backend, SqlStore};

#[async_trait::async_trait]
impl<B: Backend> crate::AssessmentStore for SqlStore<B>
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
    async fn add_samm_answer(&self, answer: debrief_domain::samm::Confirmed) -> crate::Result<()> {
        sqlx::query(
            "INSERT INTO samm_answers (id, question, answer, value, note, answered_by, answered_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(&answer.question)
        .bind(i64::try_from(answer.answer).unwrap_or(i64::MAX))
        .bind(answer.value)
        .bind(&answer.note)
        .bind(&answer.by)
        .bind(answer.at.to_string())
        .execute(&self.write_pool())
        .await?;
        Ok(())
    }

    async fn samm_answers(&self) -> crate::Result<Vec<debrief_domain::samm::Confirmed>> {
        let rows: Vec<(String, i64, f64, String, String, String)> = sqlx::query_as(
            "SELECT question, answer, value, note, answered_by, answered_at FROM samm_answers ORDER BY answered_at, id",
        )
        .fetch_all(&self.write_pool())
        .await?;
        rows.into_iter()
            .map(|(question, answer, value, note, by, at)| {
                Ok(debrief_domain::samm::Confirmed {
                    question,
                    answer: usize::try_from(answer).unwrap_or(0),
                    value,
                    note,
                    by,
                    at: debrief_domain::Timestamp::parse(&at).map_err(|e| {
                        crate::StoreError::Corrupt(format!("SAMM answer time: {e}"))
                    })?,
                })
            })
            .collect()
    }
}
