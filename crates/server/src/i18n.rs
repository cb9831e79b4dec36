//! Translations: Fluent messages for English and French, embedded in the binary.

use std::collections::HashMap;

use debrief_domain::Language;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

static EN: LanguageIdentifier = langid!("en");
static FR: LanguageIdentifier = langid!("fr");

fn id(lang: Language) -> &'static LanguageIdentifier {
    match lang {
        Language::En => &EN,
        Language::Fr => &FR,
    }
}

/// The message `key` in `lang`, with `args` filled in. A missing key shows as the key itself
/// (and the `every_key_is_translated` test prevents that from shipping).
pub fn t(lang: Language, key: &str, args: &[(&str, String)]) -> String {
    if args.is_empty() {
        return LOCALES
            .try_lookup(id(lang), key)
            .unwrap_or_else(|| key.to_string());
    }
    let map: HashMap<
        std::borrow::Cow<'static, str>,
        fluent_templates::fluent_bundle::FluentValue<'_>,
    > = args
        .iter()
        .map(|(k, v)| (std::borrow::Cow::Owned(k.to_string()), value(v)))
        .collect();
    LOCALES
        .try_lookup_with_args(id(lang), key, &map)
        .unwrap_or_else(|| key.to_string())
}

/// An argument as Fluent takes it: a whole number as a number, so that a message's plural
/// variants (`[one]`, `*[other]`) are chosen by the language's rules; anything else as text.
fn value(v: &str) -> fluent_templates::fluent_bundle::FluentValue<'static> {
    let whole =
        !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) && (v == "0" || !v.starts_with('0'));
    match v.parse::<i64>() {
        Ok(n) if whole => n.into(),
        _ => v.to_string().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn keys(text: &str) -> BTreeSet<String> {
        text.lines()
            .filter(|l| !l.starts_with(' ') && !l.starts_with('#') && l.contains(" ="))
            .map(|l| l.split(" =").next().unwrap_or("").trim().to_string())
            .collect()
    }

    #[test]
    fn every_key_is_translated() {
        let en = keys(include_str!("../locales/en/main.ftl"));
        let fr = keys(include_str!("../locales/fr/main.ftl"));
        assert!(en.len() > 50, "{}", en.len());
        let missing_fr: Vec<_> = en.difference(&fr).collect();
        let missing_en: Vec<_> = fr.difference(&en).collect();
        assert!(
            missing_fr.is_empty() && missing_en.is_empty(),
            "fr lacks {missing_fr:?}; en lacks {missing_en:?}"
        );
    }

    #[test]
    fn every_message_parses() {
        use fluent_templates::fluent_bundle::FluentResource;
        for text in [
            include_str!("../locales/en/main.ftl"),
            include_str!("../locales/fr/main.ftl"),
        ] {
            if let Err((_, errors)) = FluentResource::try_new(text.to_string()) {
                panic!("{errors:?}");
            }
        }
    }

    #[test]
    fn plurals_follow_the_language() {
        let n = |lang, n: &str| t(lang, "mx-recurrences", &[("n", n.into())]);
        assert_eq!(n(Language::Fr, "1"), "1 incident récurrent");
        assert_eq!(n(Language::Fr, "0"), "0 incident récurrent");
        assert_eq!(n(Language::Fr, "2"), "2 incidents récurrents");
        assert_eq!(n(Language::En, "0"), "0 incidents recur");
        assert_eq!(n(Language::En, "1"), "1 incident recurs");
    }

    #[test]
    fn looks_up_with_arguments() {
        assert_eq!(t(Language::Fr, "nav-incidents", &[]), "Incidents");
        assert_eq!(t(Language::En, "status-contained", &[]), "Contained");
        assert_eq!(t(Language::Fr, "status-contained", &[]), "Confiné");
        assert!(t(Language::En, "incident-number", &[("number", "7".into())]).contains('7'));
    }

    #[test]
    fn every_template_key_exists() {
        let en = keys(include_str!("../locales/en/main.ftl"));
        for (name, source) in crate::web::TEMPLATE_SOURCES {
            for quote in ['"', '\''] {
                for part in source.split(&format!("t({quote}")).skip(1) {
                    let key = part.split(quote).next().unwrap_or("");
                    // `t("status-" ~ s)` names a family of messages by prefix.
                    let known = if key.ends_with('-') {
                        en.iter().any(|k| k.starts_with(key))
                    } else {
                        en.contains(key)
                    };
                    assert!(known, "template {name} uses unknown message `{key}`");
                }
            }
        }
    }
}
