//! The command line's own fixed choices — output formats, the recommendations board's due state,
//! an on/off switch — as `ValueEnum`s that clap lists in `--help` and the commands match
//! exhaustively.

use clap::ValueEnum;

/// How to print results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// JSON for scripts.
    Json,
}

/// How to print results: a table, JSON or CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TableFormat {
    /// A table for people.
    Table,
    /// JSON for scripts.
    Json,
    /// CSV for a spreadsheet.
    Csv,
}

/// How to print a document: text for people, or JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextFormat {
    /// Text for people.
    Text,
    /// JSON for scripts.
    Json,
}

/// How to print a hunt's hits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HitFormat {
    /// A table for people.
    Table,
    /// One JSON object per line.
    Jsonl,
    /// CSV for a spreadsheet.
    Csv,
}

/// Which recommendations the board lists, by their due state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BoardState {
    /// Not done, verified or rejected.
    Open,
    /// Past their due date.
    Overdue,
    /// Due within the week.
    DueSoon,
    /// Every recommendation.
    All,
}

impl BoardState {
    /// The name the board's query takes (`due-soon`).
    pub fn as_str(self) -> &'static str {
        match self {
            BoardState::Open => "open",
            BoardState::Overdue => "overdue",
            BoardState::DueSoon => "due-soon",
            BoardState::All => "all",
        }
    }
}

/// A switch turned on or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OnOff {
    /// Turned on.
    On,
    /// Turned off.
    Off,
}
