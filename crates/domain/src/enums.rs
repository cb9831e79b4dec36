//! `closed_enum!`: the one way the domain declares a closed set of named values (TLP, task status,
//! recommendation kind…): the enum with its serde names, `ALL`, `as_str`, `Display`, and a
//! `FromStr` that forgives case, `_` for `-` and the given prefixes (`TLP:AMBER`), and otherwise
//! names every accepted value.

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

pub(crate) use closed_enum;
