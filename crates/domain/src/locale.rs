//! Numbers and counts as a reader writes them: the decimal mark, digit groups, percentages and
//! the plural form of a count, in English and French (CLDR's plural rules, through
//! `intl_pluralrules`, the rules Fluent itself uses).

use intl_pluralrules::{PluralCategory, PluralRuleType, PluralRules};

use crate::user::Language;

/// `value` with `decimals` digits after the mark, digits grouped by three:
/// `12,345.5` in English, `12 345,5` in French (a narrow no-break space groups the digits).
pub fn number(value: f64, decimals: usize, lang: Language) -> String {
    let text = format!("{:.*}", decimals, value.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let (group, mark) = match lang {
        Language::Fr => ('\u{202f}', ','),
        Language::En => (',', '.'),
    };
    let mut out = String::new();
    // A value that rounds to zero is not negative: `-0.0` reads `0.0`.
    if value < 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(mark);
        out.push_str(frac);
    }
    out
}

/// A figure without a useless decimal: `2`, `2.5`, `2,5`; at most two decimals.
pub fn figure(value: f64, lang: Language) -> String {
    let rounded = (value * 100.0).round() / 100.0;
    let decimals = if (rounded - rounded.trunc()).abs() < 1e-9 {
        0
    } else if (rounded * 10.0 - (rounded * 10.0).round()).abs() < 1e-9 {
        1
    } else {
        2
    };
    number(rounded, decimals, lang)
}

/// A percentage with one decimal: `75.0%` in English, `75,0 %` in French (narrow no-break space).
pub fn percent(value: f64, lang: Language) -> String {
    match lang {
        Language::Fr => format!("{}\u{202f}%", number(value, 1, lang)),
        Language::En => format!("{}%", number(value, 1, lang)),
    }
}

/// Whether `n` takes the singular in `lang`: 1 in English; 0 and 1 in French ("0 incident").
pub fn is_one(n: u64, lang: Language) -> bool {
    fn rules(lang: Language) -> &'static PluralRules {
        static EN: std::sync::OnceLock<PluralRules> = std::sync::OnceLock::new();
        static FR: std::sync::OnceLock<PluralRules> = std::sync::OnceLock::new();
        let (cell, tag) = match lang {
            Language::En => (&EN, "en"),
            Language::Fr => (&FR, "fr"),
        };
        cell.get_or_init(|| {
            let id: unic_langid::LanguageIdentifier = tag.parse().expect("a valid language tag");
            PluralRules::create(id, PluralRuleType::CARDINAL).expect("CLDR has rules for it")
        })
    }
    matches!(rules(lang).select(n), Ok(PluralCategory::ONE))
}

/// `n` followed by the singular or the plural word: `1 incident`, `0 incident` (French),
/// `0 incidents` (English).
pub fn count(n: u64, one: &str, other: &str, lang: Language) -> String {
    let word = if is_one(n, lang) { one } else { other };
    format!("{} {word}", number(n as f64, 0, lang))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_in_each_language() {
        assert_eq!(number(12345.5, 1, Language::En), "12,345.5");
        assert_eq!(number(12345.5, 1, Language::Fr), "12\u{202f}345,5");
        assert_eq!(number(-1234.0, 0, Language::En), "-1,234");
        assert_eq!(number(-0.01, 1, Language::En), "0.0");
        assert_eq!(number(999.0, 0, Language::Fr), "999");
        assert_eq!(figure(2.0, Language::Fr), "2");
        assert_eq!(figure(2.5, Language::Fr), "2,5");
        assert_eq!(figure(4.583_333, Language::En), "4.58");
        assert_eq!(percent(75.0, Language::Fr), "75,0\u{202f}%");
        assert_eq!(percent(75.0, Language::En), "75.0%");
    }

    #[test]
    fn plurals_follow_cldr() {
        assert!(is_one(1, Language::En) && !is_one(0, Language::En));
        assert!(is_one(0, Language::Fr) && is_one(1, Language::Fr) && !is_one(2, Language::Fr));
        assert_eq!(
            count(0, "incident", "incidents", Language::Fr),
            "0 incident"
        );
        assert_eq!(
            count(0, "incident", "incidents", Language::En),
            "0 incidents"
        );
        assert_eq!(
            count(1200, "incident", "incidents", Language::Fr),
            "1\u{202f}200 incidents"
        );
    }
}
