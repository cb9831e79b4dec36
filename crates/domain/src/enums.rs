//! `closed_enum!` and [`Closed`]: the one way the domain declares a closed set of named values (TLP, task status,
//! recommendation kind…): the enum with its serde names, `ALL`, `as_str`, `Display`, and a
//! `FromStr` that forgives case, `_` for `-` and the given prefixes (`TLP:AMBER`), and otherwise
//! names every accepted value.

/// Exported so that the crates that name closed sets of their own (the report crate's report
/// kinds and formats) declare them the same way.
#[macro_export]
macro_rules! closed_enum {
    (
        $(#[$doc:meta])* $name:ident, $what:literal $(, strip [$($prefix:literal),+])?
        { $($variant:ident = $text:literal),+ $(,)? }
    ) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize,
        )]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The value's name in the API, the CLI and the journal.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl $crate::enums::Closed for $name {
            const ALL: &'static [$name] = $name::ALL;
            fn name(self) -> &'static str {
                self.as_str()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
                $($(
                    let wanted = match wanted.strip_prefix($prefix) {
                        Some(rest) => rest.to_string(),
                        None => wanted,
                    };
                )+)?
                $name::ALL.iter().copied().find(|v| v.as_str() == wanted).ok_or_else(|| {
                    $crate::error::DomainError::Unknown {
                        what: $what,
                        value: s.to_string(),
                        expected: $name::ALL.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", "),
                    }
                })
            }
        }
    };
}

pub(crate) use crate::closed_enum;

/// A closed set of named values — what `closed_enum!` declares, and the lifecycle's statuses,
/// milestones, roles, observable types…: every value and its name, so that a front end can offer
/// exactly these (the CLI's choices) and check them in one place.
pub trait Closed: Copy + Send + Sync + 'static {
    /// Every value, in order.
    const ALL: &'static [Self];
    /// The value's name in the API, the CLI and the journal.
    fn name(self) -> &'static str;
}

/// `Closed` for a type that already has `ALL` and `as_str`.
macro_rules! closed {
    ($($ty:ty),+ $(,)?) => {
        $(impl Closed for $ty {
            const ALL: &'static [$ty] = &<$ty>::ALL;
            fn name(self) -> &'static str {
                self.as_str()
            }
        })+
    };
}

closed!(
    crate::status::Status,
    crate::event::Milestone,
    crate::user::Role,
    crate::user::Language,
    crate::observable::ObservableKind,
    crate::evidence::CustodyAction,
    crate::timeline::Precision,
    crate::timeline::TimelineSource,
);
