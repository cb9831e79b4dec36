//! Backup and restore as rows: every table that is not a derived index, read in one consistent
//! snapshot while the store is in use, and written back into an empty store of either backend
//! (so a SQLite installation moves to PostgreSQL by a backup and a restore).
//!
//! A row is a JSON object of its columns. Values are what both engines store — integers,
//! reals, text, booleans (SQLite's 0/1) — and a restore converts each to the type of the
//! column it goes into. Sessions and the sign-in limiter's counts are left out: after a restore
//! everyone signs in again.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use sqlx::{Column, Row, TypeInfo, ValueRef};

use crate::error::{Result, StoreError};

/// The tables a backup holds, in the order a restore writes them (a referenced row first).
pub const TABLES: &[&str] = &[
    "users",
    "user_groups",
    "user_group_members",
    "api_tokens",
    "second_factors",
    "recovery_codes",
    "settings",
    "store_meta",
    "journal",
    "ledger_head",
    "incidents",
    "observable_index",
    "search_docs",
    "alerts",
    "alert_history",
    "alert_refs",
    "playbooks",
    "stakeholders",
    "notification_rules",
    "samm_answers",
    "access_log",
];

/// Tables a new store already has rows in (written by its migrations or at open), replaced by
/// the backup's.
const SEEDED: &[&str] = &["ledger_head", "store_meta", "settings"];

/// A row: its columns by name.
pub type BackupRow = Map<String, Value>;

/// Where a backup's rows go, one table after the other.
pub type RowSink<'a> = dyn FnMut(&str, BackupRow) -> std::io::Result<()> + Send + 'a;

/// Where a restore reads rows from: the next `(table, row)`, none at the end.
pub type RowSource<'a> = dyn FnMut() -> std::io::Result<Option<(String, BackupRow)>> + Send + 'a;

/// What a backup or a restore did: the rows per table, and the schema version.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Counts {
    /// The newest migration applied to the store.
    pub schema: i64,
    /// Rows per table.
    pub rows: BTreeMap<String, u64>,
}

/// How a column's values are written into the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Real,
    Bool,
    Text,
}

impl Kind {
    /// From a column's declared (SQLite) or data (PostgreSQL) type.
    fn of(declared: &str, sqlite: bool) -> Option<Kind> {
        let t = declared.to_ascii_lowercase();
        if t == "boolean" {
            // SQLite keeps booleans as integers.
            return Some(if sqlite { Kind::Int } else { Kind::Bool });
        }
        if t.contains("int") {
            Some(Kind::Int)
        } else if t.contains("real") || t.contains("double") || t.contains("float") {
            Some(Kind::Real)
        } else if t == "text" || t.contains("char") {
            Some(Kind::Text)
        } else {
            None
        }
    }
}

/// A table's columns and how each is written.
type Columns = Vec<(String, Kind)>;

/// A value ready to bind.
#[derive(Debug, Clone, PartialEq)]
enum Cell {
    Int(Option<i64>),
    Real(Option<f64>),
    Bool(Option<bool>),
    Text(Option<String>),
}

fn cell(table: &str, column: &str, kind: Kind, value: Value) -> Result<Cell> {
    let wrong = || {
        StoreError::Corrupt(format!(
            "the backup's {table}.{column} holds {value}, which is not a {kind:?} value"
        ))
    };
    Ok(match (kind, &value) {
        (Kind::Int, Value::Null) => Cell::Int(None),
        (Kind::Real, Value::Null) => Cell::Real(None),
        (Kind::Bool, Value::Null) => Cell::Bool(None),
        (Kind::Text, Value::Null) => Cell::Text(None),
        (Kind::Int, Value::Bool(b)) => Cell::Int(Some(i64::from(*b))),
        (Kind::Int, Value::Number(n)) => Cell::Int(Some(n.as_i64().ok_or_else(wrong)?)),
        (Kind::Real, Value::Number(n)) => Cell::Real(Some(n.as_f64().ok_or_else(wrong)?)),
        (Kind::Bool, Value::Bool(b)) => Cell::Bool(Some(*b)),
        (Kind::Bool, Value::Number(n)) => Cell::Bool(Some(n.as_i64().ok_or_else(wrong)? != 0)),
        (Kind::Text, Value::String(s)) => Cell::Text(Some(s.clone())),
        _ => return Err(wrong()),
    })
}

/// A table's columns in the store written to, with how each is written (generated columns, such
/// as PostgreSQL's search vector, are left out).
async fn columns_sqlite(
    conn: &mut sqlx::SqliteConnection,
    table: &str,
) -> Result<Vec<(String, Kind)>> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("SELECT name, type FROM pragma_table_xinfo($1) WHERE hidden = 0")
            .bind(table)
            .fetch_all(&mut *conn)
            .await?;
    rows.into_iter()
        .map(|(name, t)| {
            Kind::of(&t, true)
                .map(|k| (name.clone(), k))
                .ok_or_else(|| StoreError::Corrupt(format!("{table}.{name} has the type {t}")))
        })
        .collect()
}

async fn columns_postgres(
    conn: &mut sqlx::PgConnection,
    table: &str,
) -> Result<Vec<(String, Kind)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name = $1 AND is_generated = 'NEVER' \
         ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|(name, t)| {
            Kind::of(&t, false)
                .map(|k| (name.clone(), k))
                .ok_or_else(|| StoreError::Corrupt(format!("{table}.{name} has the type {t}")))
        })
        .collect()
}

fn select_all(table: &str, columns: &[(String, Kind)]) -> String {
    let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
    // The first column is every table's key or leading column: a stable order.
    format!(
        "SELECT {} FROM {table} ORDER BY {}",
        names.join(", "),
        names.first().copied().unwrap_or("1")
    )
}

fn schema_query() -> &'static str {
    "SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations WHERE success"
}

fn sink_error(e: std::io::Error) -> StoreError {
    StoreError::Corrupt(format!("cannot write the backup: {e}"))
}

/// Reads every table of a SQLite store in one read transaction (one snapshot: WAL readers see
/// the database as of their first read).
pub(crate) async fn dump_sqlite(pool: &sqlx::SqlitePool, sink: &mut RowSink<'_>) -> Result<Counts> {
    let mut tx = pool.begin().await?;
    let schema: i64 = sqlx::query_scalar(schema_query())
        .fetch_one(&mut *tx)
        .await?;
    let mut counts = Counts {
        schema,
        rows: BTreeMap::new(),
    };
    for table in TABLES {
        let columns = columns_sqlite(&mut tx, table).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(select_all(table, &columns)))
            .fetch_all(&mut *tx)
            .await?;
        for row in &rows {
            let mut out = Map::new();
            for (i, c) in row.columns().iter().enumerate() {
                let raw = row.try_get_raw(i)?;
                let value = if raw.is_null() {
                    Value::Null
                } else {
                    match raw.type_info().name().to_ascii_uppercase().as_str() {
                        "INTEGER" | "BOOLEAN" | "INT8" | "BIGINT" => {
                            Value::from(row.try_get_unchecked::<i64, _>(i)?)
                        }
                        "REAL" | "DOUBLE" | "FLOAT" => {
                            Value::from(row.try_get_unchecked::<f64, _>(i)?)
                        }
                        "TEXT" => Value::from(row.try_get_unchecked::<String, _>(i)?),
                        other => {
                            return Err(StoreError::Corrupt(format!(
                                "{table}.{} holds a {other} value",
                                c.name()
                            )));
                        }
                    }
                };
                out.insert(c.name().to_string(), value);
            }
            sink(table, out).map_err(sink_error)?;
        }
        counts.rows.insert(table.to_string(), rows.len() as u64);
    }
    tx.commit().await?;
    Ok(counts)
}

/// Reads every table of a PostgreSQL store in one repeatable-read, read-only transaction.
pub(crate) async fn dump_postgres(pool: &sqlx::PgPool, sink: &mut RowSink<'_>) -> Result<Counts> {
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let schema: i64 = sqlx::query_scalar(schema_query())
        .fetch_one(&mut *tx)
        .await?;
    let mut counts = Counts {
        schema,
        rows: BTreeMap::new(),
    };
    for table in TABLES {
        let columns = columns_postgres(&mut tx, table).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(select_all(table, &columns)))
            .fetch_all(&mut *tx)
            .await?;
        for row in &rows {
            let mut out = Map::new();
            for (i, (name, kind)) in columns.iter().enumerate() {
                let value = match kind {
                    Kind::Int => match row.try_get_raw(i)?.type_info().name() {
                        "INT4" => row.try_get::<Option<i32>, _>(i)?.map(i64::from).into(),
                        "INT2" => row.try_get::<Option<i16>, _>(i)?.map(i64::from).into(),
                        _ => row.try_get::<Option<i64>, _>(i)?.into(),
                    },
                    Kind::Real => row.try_get::<Option<f64>, _>(i)?.into(),
                    Kind::Bool => row.try_get::<Option<bool>, _>(i)?.into(),
                    Kind::Text => row.try_get::<Option<String>, _>(i)?.into(),
                };
                out.insert(name.clone(), value);
            }
            sink(table, out).map_err(sink_error)?;
        }
        counts.rows.insert(table.to_string(), rows.len() as u64);
    }
    tx.commit().await?;
    Ok(counts)
}

/// Refuses a restore into a store that already holds a record or an account.
fn check_empty(journal: i64, users: i64, alerts: i64) -> Result<()> {
    if journal + users + alerts > 0 {
        return Err(StoreError::Duplicate(format!(
            "the database is not empty ({journal} journal entries, {users} accounts, {alerts} alerts): restore into a new data directory or an empty database"
        )));
    }
    Ok(())
}

const COUNT_EXISTING: &str = "SELECT (SELECT COUNT(*) FROM journal), (SELECT COUNT(*) FROM users), \
     (SELECT COUNT(*) FROM alerts)";

/// Rows per statement: a few hundred, within both engines' limits on parameters.
fn batch_size(columns: usize) -> usize {
    (30_000 / columns.max(1)).clamp(1, 500)
}

/// The rows of a restore grouped into statements, table by table, checked against the
/// columns the store has.
struct Batches<'s, 'a> {
    source: &'s mut RowSource<'a>,
    peeked: Option<(String, BackupRow)>,
    done: bool,
}

impl<'s, 'a> Batches<'s, 'a> {
    fn new(source: &'s mut RowSource<'a>) -> Self {
        Batches {
            source,
            peeked: None,
            done: false,
        }
    }

    fn read(&mut self) -> Result<Option<(String, BackupRow)>> {
        if let Some(p) = self.peeked.take() {
            return Ok(Some(p));
        }
        if self.done {
            return Ok(None);
        }
        match (self.source)()
            .map_err(|e| StoreError::Corrupt(format!("cannot read the backup: {e}")))?
        {
            Some(r) => Ok(Some(r)),
            None => {
                self.done = true;
                Ok(None)
            }
        }
    }

    /// The next rows of one table, at most `max` of them.
    fn next(&mut self, max: usize) -> Result<Option<(String, Vec<BackupRow>)>> {
        let Some((table, first)) = self.read()? else {
            return Ok(None);
        };
        let mut rows = vec![first];
        while rows.len() < max {
            match self.read()? {
                Some((t, row)) if t == table => rows.push(row),
                Some(other) => {
                    self.peeked = Some(other);
                    break;
                }
                None => break,
            }
        }
        Ok(Some((table, rows)))
    }
}

/// The cells of `rows`, in the order of `columns`; a column the backup lacks takes its default
/// only if the whole backup lacks it, and a column this version does not know is refused.
fn cells(
    table: &str,
    columns: &[(String, Kind)],
    rows: Vec<BackupRow>,
) -> Result<(Columns, Vec<Vec<Cell>>)> {
    if !TABLES.contains(&table) {
        return Err(StoreError::Corrupt(format!(
            "the backup holds a table `{table}` that this version does not know"
        )));
    }
    let present: Vec<(String, Kind)> = columns
        .iter()
        .filter(|(n, _)| rows.first().is_some_and(|r| r.contains_key(n)))
        .cloned()
        .collect();
    let mut out = Vec::with_capacity(rows.len());
    for mut row in rows {
        if let Some(unknown) = row.keys().find(|k| !columns.iter().any(|(n, _)| n == *k)) {
            return Err(StoreError::Corrupt(format!(
                "the backup's table {table} has a column `{unknown}` that this version does not know"
            )));
        }
        let mut line = Vec::with_capacity(present.len());
        for (name, kind) in &present {
            let value = row.remove(name).unwrap_or(Value::Null);
            line.push(cell(table, name, *kind, value)?);
        }
        out.push(line);
    }
    Ok((present, out))
}

macro_rules! push_cell {
    ($b:expr, $cell:expr) => {
        match $cell {
            Cell::Int(v) => {
                $b.push_bind(v);
            }
            Cell::Real(v) => {
                $b.push_bind(v);
            }
            Cell::Bool(v) => {
                $b.push_bind(v);
            }
            Cell::Text(v) => {
                $b.push_bind(v);
            }
        }
    };
}

/// The body of a restore on one engine, inside its transaction `$tx`: the checks (an empty
/// store, the same schema version), the seeded rows cleared, then every table's rows inserted a
/// few hundred per statement. Evaluates to the rows written per table.
macro_rules! restore_rows {
    ($tx:ident, $engine:ty, $columns:ident, $source:expr, $schema:expr) => {{
        let (j, u, a): (i64, i64, i64) =
            sqlx::query_as(COUNT_EXISTING).fetch_one(&mut *$tx).await?;
        check_empty(j, u, a)?;
        let ours: i64 = sqlx::query_scalar(schema_query())
            .fetch_one(&mut *$tx)
            .await?;
        check_schema($schema, ours)?;
        for table in SEEDED {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table}")))
                .execute(&mut *$tx)
                .await?;
        }
        let mut counts = Counts {
            schema: $schema,
            rows: BTreeMap::new(),
        };
        let mut batches = Batches::new($source);
        let mut known: BTreeMap<String, Columns> = BTreeMap::new();
        while let Some((table, rows)) = batches.next(100)? {
            if !known.contains_key(&table) {
                let columns = if TABLES.contains(&table.as_str()) {
                    $columns(&mut $tx, &table).await?
                } else {
                    Vec::new()
                };
                known.insert(table.clone(), columns);
            }
            let n = rows.len() as u64;
            let (present, lines) = cells(&table, &known[&table], rows)?;
            let names: Vec<&str> = present.iter().map(|(n, _)| n.as_str()).collect();
            for chunk in lines.chunks(batch_size(present.len())) {
                let mut b = sqlx::QueryBuilder::<$engine>::new(format!(
                    "INSERT INTO {table} ({}) ",
                    names.join(", ")
                ));
                b.push_values(chunk, |mut row, line| {
                    for c in line {
                        push_cell!(row, c.clone());
                    }
                });
                b.build().execute(&mut *$tx).await?;
            }
            *counts.rows.entry(table).or_default() += n;
        }
        counts
    }};
}

/// Writes a backup's rows into an empty SQLite store, in one transaction.
pub(crate) async fn restore_sqlite(
    pool: &sqlx::SqlitePool,
    source: &mut RowSource<'_>,
    schema: i64,
) -> Result<Counts> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let counts = restore_rows!(tx, sqlx::Sqlite, columns_sqlite, source, schema);
    tx.commit().await?;
    Ok(counts)
}

/// Writes a backup's rows into an empty PostgreSQL store, in one transaction, then moves the
/// search documents' id sequence past the restored ids.
pub(crate) async fn restore_postgres(
    pool: &sqlx::PgPool,
    source: &mut RowSource<'_>,
    schema: i64,
) -> Result<Counts> {
    let mut tx = pool.begin().await?;
    let counts = restore_rows!(tx, sqlx::Postgres, columns_postgres, source, schema);
    sqlx::query(
        "SELECT setval(pg_get_serial_sequence('search_docs', 'id'), \
         COALESCE((SELECT MAX(id) FROM search_docs), 0) + 1, false)",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(counts)
}

/// A backup restores into a store of the same schema version: an older one is restored by the
/// release that made it, then upgraded by opening it with this one.
fn check_schema(theirs: i64, ours: i64) -> Result<()> {
    if theirs != ours {
        return Err(StoreError::Duplicate(format!(
            "the backup was made at schema version {theirs} and this Debrief is at {ours}: restore it with the release that made it, then open the store with this one to upgrade it"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_take_the_type_of_the_column_they_go_into() {
        assert_eq!(
            cell("t", "c", Kind::Bool, Value::from(1)).unwrap(),
            Cell::Bool(Some(true))
        );
        assert_eq!(
            cell("t", "c", Kind::Int, Value::from(false)).unwrap(),
            Cell::Int(Some(0))
        );
        assert_eq!(
            cell("t", "c", Kind::Text, Value::Null).unwrap(),
            Cell::Text(None)
        );
        assert!(cell("t", "c", Kind::Int, Value::from("7")).is_err());
        assert_eq!(Kind::of("BOOLEAN", true), Some(Kind::Int));
        assert_eq!(Kind::of("boolean", false), Some(Kind::Bool));
        assert_eq!(Kind::of("double precision", false), Some(Kind::Real));
        assert_eq!(Kind::of("tsvector", false), None);
    }

    #[test]
    fn a_column_this_version_does_not_know_is_refused() {
        let columns = vec![("id".to_string(), Kind::Text)];
        let mut row = BackupRow::new();
        row.insert("id".into(), Value::from("a"));
        row.insert("later".into(), Value::from(1));
        let refused = cells("users", &columns, vec![row]).unwrap_err();
        assert!(refused.to_string().contains("`later`"), "{refused}");
        assert!(cells("elsewhere", &columns, vec![]).is_err());
    }
}
