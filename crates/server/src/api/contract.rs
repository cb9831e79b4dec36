//! The OpenAPI document made true to what the server answers, after utoipa has generated it
//! from the handlers: every error is an `application/problem+json` document, the statuses that
//! the shared layers answer on every route of a kind are listed there (authentication, roles,
//! body parsing and limits, path look-ups, edit conflicts), and the request fields say what the
//! server accepts — closed sets as enums, the text rule as a pattern, the limits as lengths —
//! so that a request the document allows is not refused. Checked in CI by schemathesis.

use serde_json::{Map, Value, json};

/// The problem document every error answer is.
const PROBLEM: &str = "#/components/schemas/Problem";

/// Adds the statuses the shared layers answer and makes every error a problem document.
pub fn responses(doc: &mut Value) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let Some(op) = op.as_object_mut() else {
                continue;
            };
            let secured = op
                .get("security")
                .and_then(Value::as_array)
                .is_some_and(|s| !s.is_empty());
            let has_body = op.contains_key("requestBody");
            let params = op
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let in_path = params.iter().any(|p| p["in"] == "path");
            let in_query = params.iter().any(|p| p["in"] == "query");
            let writes = method != "get";
            let mut add: Vec<(&str, &str)> = Vec::new();
            if secured {
                add.push(("401", "Not signed in, or the credentials are wrong"));
                add.push((
                    "403",
                    "The caller's role may not do this (or a browser session sent no CSRF token)",
                ));
                add.push((
                    "429",
                    "Too many sign-in attempts for this account or address",
                ));
            }
            if has_body {
                add.push((
                    "400",
                    "The body is not valid JSON, or not of the expected shape",
                ));
                add.push(("413", "The body is larger than the server takes"));
                add.push(("415", "The body is not sent as the expected content type"));
                add.push(("422", "A value breaks a rule; the detail names it"));
            }
            if in_query {
                add.push(("400", "A query parameter is not valid; the detail names it"));
            }
            if in_path {
                add.push(("404", "Nothing has that number or id"));
                add.push((
                    "400",
                    "A path segment is not of the expected kind (a number where one is needed)",
                ));
            }
            if in_query {
                add.push((
                    "422",
                    "A query parameter names something unknown; the detail says what",
                ));
            }
            if writes && path.starts_with("/api/v1/") && path != "/api/v1/me/password" {
                add.push((
                    "409",
                    "The change conflicts with the current state (changed by someone else, or nothing to change)",
                ));
            }
            if path.contains("/reports/") || path.ends_with("/export") {
                add.push((
                    "409",
                    "The incident's record does not verify; nothing is exported",
                ));
            }
            let responses = op
                .entry("responses")
                .or_insert_with(|| json!({}))
                .as_object_mut();
            let Some(responses) = responses else {
                continue;
            };
            for (code, description) in add {
                responses
                    .entry(code.to_string())
                    .or_insert_with(|| json!({"description": description}));
            }
            // The documents some routes answer in several formats.
            let formats: Vec<&str> = if path.ends_with("/access-log") || path.ends_with("/export") {
                vec!["application/json", "text/csv"]
            } else if path.contains("/reports/") {
                // Every report format, by the media type it is served with.
                debrief_report::ReportFormat::ALL
                    .iter()
                    .map(|f| {
                        debrief_report::media_type(f.as_str())
                            .split(';')
                            .next()
                            .unwrap_or_default()
                    })
                    .collect()
            } else if path.ends_with("/content") {
                vec!["application/octet-stream"]
            } else {
                vec![]
            };
            if !formats.is_empty()
                && let Some(ok) = responses.get_mut("200").and_then(Value::as_object_mut)
            {
                let content: Map<String, Value> =
                    formats.iter().map(|f| (f.to_string(), json!({}))).collect();
                ok.insert("content".into(), Value::Object(content));
            }
            for (code, response) in responses.iter_mut() {
                if (code.starts_with('4') || code.starts_with('5'))
                    && let Some(r) = response.as_object_mut()
                {
                    r.insert(
                        "content".into(),
                        json!({"application/problem+json": {"schema": {"$ref": PROBLEM}}}),
                    );
                }
            }
        }
    }
}

/// Characters no typed text may hold (the server's one text rule, `debrief_domain::text`): other
/// control characters than line breaks and tabs, and bidirectional overrides.
const CONTROL: &str =
    "\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069";

/// A multi-line text field's pattern.
pub fn text_pattern() -> String {
    format!("^[^{CONTROL}]*$")
}

/// A one-line text field's pattern (no line break or tab either).
pub fn line_pattern() -> String {
    format!("^[^\\t\\n\\r{CONTROL}]*$")
}

/// A tag: one line without a comma (commas separate tags on forms and in CSV tables).
pub fn tag_pattern() -> String {
    format!("^[^,\\t\\n\\r{CONTROL}]*$")
}

/// A required one-line text: something other than spaces.
pub fn required_line_pattern() -> String {
    format!("^[ ]*[^\\s{CONTROL}][^\\t\\n\\r{CONTROL}]*$")
}

/// A required multi-line text: something other than white space.
pub fn required_text_pattern() -> String {
    format!("^\\s*[^\\s{CONTROL}][^{CONTROL}]*$")
}

/// What a request field takes.
#[derive(Debug, Clone)]
pub enum Field {
    /// One of these values.
    OneOf(Vec<String>),
    /// One line of text, up to this many characters; `true` when it must not be blank.
    Line(usize, bool),
    /// Text on several lines, up to this many characters; `true` when it must not be blank.
    Text(usize, bool),
    /// An integer in this range.
    Int(i64, i64),
    /// Text matching this pattern.
    Pattern(String),
    /// A tag: one line without a comma, up to this many characters.
    Tag(usize),
    /// An RFC 3339 time within the years Debrief records (1970–9999), with an offset; `true`
    /// when it may be left blank.
    Time(bool),
    /// A user name (1–64 of a–z, 0–9, `. _ - @`); `true` when it may be left blank.
    User(bool),
    /// A list of at least and at most this many items, each taking the inner rule.
    Items(usize, usize, Box<Field>),
    /// An object whose keys are these names.
    Keys(Vec<String>),
}

/// An RFC 3339 date-time with an offset, years 1970–9999 (days to the 28th, so that every
/// date the pattern allows exists).
const TIME: &str = "(19[7-9][0-9]|[2-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,6})?(Z|[+-]0[0-9]:[0-5][0-9])";

/// Applies field rules to the request schemas: `rules` maps (schema, property) to what the
/// server takes. A schema property that is a string and has no rule gets the text rule's
/// pattern, so that generated text never holds a character the server refuses.
pub fn fields(doc: &mut Value, rules: &[(&str, &str, Field)]) {
    // Only what requests send: answers (a problem's detail quoting what was sent, a journal
    // entry's text) say what they say.
    let requests = request_schemas(doc);
    let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (name, schema) in schemas.iter_mut() {
        if !requests.contains(name) {
            continue;
        }
        let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for (prop, s) in props.iter_mut() {
            let rule = rules
                .iter()
                .find(|(n, p, _)| n == name && p == prop)
                .map(|(_, _, f)| f.clone());
            apply(s, rule);
        }
    }
}

/// The names of the schemas request bodies are, and of those they refer to (a list's items).
fn request_schemas(doc: &Value) -> std::collections::BTreeSet<String> {
    let mut out = body_schemas(doc);
    let mut todo: Vec<String> = out.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        let mut found = Vec::new();
        if let Some(s) = doc.pointer(&format!("/components/schemas/{name}")) {
            refs(s, &mut found);
        }
        for r in found {
            if out.insert(r.clone()) {
                todo.push(r);
            }
        }
    }
    out
}

/// The schema names `v` refers to (`$ref: #/components/schemas/X`), anywhere inside it.
fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                match (k.as_str(), x.as_str()) {
                    ("$ref", Some(r)) => out.push(r.rsplit('/').next().unwrap_or(r).to_string()),
                    _ => refs(x, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// The names of the schemas request bodies are.
fn body_schemas(doc: &Value) -> std::collections::BTreeSet<String> {
    let mut out = std::collections::BTreeSet::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for item in paths.values().filter_map(Value::as_object) {
        for op in item.values() {
            let Some(content) = op
                .pointer("/requestBody/content")
                .and_then(Value::as_object)
            else {
                continue;
            };
            for media in content.values() {
                if let Some(r) = media.pointer("/schema/$ref").and_then(Value::as_str) {
                    out.insert(r.rsplit('/').next().unwrap_or(r).to_string());
                }
            }
        }
    }
    out
}

/// Applies rules to query and path parameters: `rules` maps (path, or `*` for every path;
/// parameter name) to what the server takes there. A path's own rule wins over `*`.
pub fn parameters(doc: &mut Value, rules: &[(&str, &str, Field)]) {
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for op in item.values_mut() {
            let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) else {
                continue;
            };
            for p in params.iter_mut() {
                if p["in"] != "query" && p["in"] != "path" {
                    continue;
                }
                let name = p["name"].as_str().unwrap_or("").to_string();
                let rule = rules
                    .iter()
                    .find(|(at, n, _)| at == path && *n == name)
                    .or_else(|| rules.iter().find(|(at, n, _)| *at == "*" && *n == name))
                    .map(|(_, _, f)| f.clone());
                if let Some(schema) = p.get_mut("schema") {
                    apply(schema, rule);
                }
            }
        }
    }
}

/// A comma-separated list of these names (empty: all).
pub fn comma_list(names: &[&str]) -> String {
    let one = names.join("|");
    format!("^(({one})(,({one}))*)?$")
}

/// Whether a schema is a string (or an optional one).
fn is_string(s: &Map<String, Value>) -> bool {
    match s.get("type") {
        Some(Value::String(t)) => t == "string",
        Some(Value::Array(ts)) => ts.iter().any(|t| t == "string"),
        _ => false,
    }
}

fn apply(s: &mut Value, rule: Option<Field>) {
    let Some(obj) = s.as_object_mut() else {
        return;
    };
    if let Some(Field::Keys(names)) = &rule {
        obj.insert("propertyNames".into(), json!({"enum": names}));
        return;
    }
    // A list: the rule is its items'.
    if obj.get("type").is_some_and(|t| {
        t == "array" || t.as_array().is_some_and(|a| a.iter().any(|x| x == "array"))
    }) {
        let rule = match rule {
            Some(Field::Items(min, max, inner)) => {
                obj.insert("minItems".into(), json!(min));
                obj.insert("maxItems".into(), json!(max));
                Some(*inner)
            }
            other => other,
        };
        if let Some(items) = obj.get_mut("items") {
            apply(items, rule);
        }
        return;
    }
    match rule {
        Some(Field::OneOf(values)) => {
            obj.insert("enum".into(), json!(values_with_null(obj, values)));
            obj.remove("pattern");
        }
        Some(Field::Line(max, required)) => {
            obj.insert("maxLength".into(), json!(max));
            let p = if required {
                obj.insert("minLength".into(), json!(1));
                required_line_pattern()
            } else {
                line_pattern()
            };
            obj.insert("pattern".into(), json!(p));
        }
        Some(Field::Text(max, required)) => {
            obj.insert("maxLength".into(), json!(max));
            let p = if required {
                obj.insert("minLength".into(), json!(1));
                required_text_pattern()
            } else {
                text_pattern()
            };
            obj.insert("pattern".into(), json!(p));
        }
        Some(Field::Int(min, max)) => {
            obj.insert("minimum".into(), json!(min));
            obj.insert("maximum".into(), json!(max));
        }
        Some(Field::Pattern(p)) => {
            obj.insert("pattern".into(), json!(p));
        }
        Some(Field::Tag(max)) => {
            obj.insert("maxLength".into(), json!(max));
            obj.insert("pattern".into(), json!(tag_pattern()));
        }
        Some(Field::Time(blank)) => {
            let p = if blank {
                format!("^({TIME})?$")
            } else {
                format!("^{TIME}$")
            };
            obj.insert("pattern".into(), json!(p));
        }
        // Only lists and objects take these; handled above.
        Some(Field::Items(..) | Field::Keys(_)) => {}
        Some(Field::User(blank)) => {
            let p = if blank {
                "^[A-Za-z0-9._@-]{0,64}$"
            } else {
                "^[A-Za-z0-9._@-]{1,64}$"
            };
            obj.insert("pattern".into(), json!(p));
        }
        None => {
            if is_string(obj)
                && !obj.contains_key("enum")
                && !obj.contains_key("pattern")
                && !obj.contains_key("format")
            {
                obj.insert("pattern".into(), json!(text_pattern()));
            }
        }
    }
}

/// The enum's values, with `null` when the field may be null.
fn values_with_null(obj: &Map<String, Value>, values: Vec<String>) -> Vec<Value> {
    let nullable = obj
        .get("type")
        .and_then(Value::as_array)
        .is_some_and(|ts| ts.iter().any(|t| t == "null"));
    let mut out: Vec<Value> = values.into_iter().map(Value::String).collect();
    if nullable {
        out.push(Value::Null);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_say_the_text_rule() {
        let text = regex_lite(&text_pattern());
        assert!(text("two\nlines\tand tabs"));
        assert!(!text("nul\u{0}"));
        assert!(!text("rlo\u{202e}"));
        let line = regex_lite(&line_pattern());
        assert!(line("one line"));
        assert!(!line("two\nlines"));
        let required = regex_lite(&required_line_pattern());
        assert!(required("  x"));
        assert!(!required("   "));
        assert!(!required(""));
        let required_text = regex_lite(&required_text_pattern());
        assert!(required_text("\n x \n y"));
        assert!(!required_text(" \n\t "));
    }

    /// A JSON Schema pattern (ECMAScript `\uXXXX`) as a Rust regex (`\x{XXXX}`).
    fn regex_lite(pattern: &str) -> impl Fn(&str) -> bool + use<> {
        let re = to_rust_regex(pattern);
        move |s: &str| re.is_match(s)
    }

    fn to_rust_regex(p: &str) -> regex::Regex {
        // \uXXXX → \x{XXXX}
        let mut out = String::new();
        let mut chars = p.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\\' && chars.peek() == Some(&'u') {
                chars.next();
                let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                out.push_str(&format!("\\x{{{hex}}}"));
            } else {
                out.push(c);
            }
        }
        regex::Regex::new(&out).unwrap()
    }
}
