//! TheHive's query language (`POST /api/v1/query`), read and evaluated over the TheHive-shaped
//! JSON of alerts, cases and observables: a source step (`listAlert`, `listCase`, `getAlert`,
//! `getCase`, then optionally `observables`), any number of `filter` steps, `sort`, `page`,
//! `count`.

use std::cmp::Ordering;

use serde_json::Value;

/// What a query reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Alerts,
    Cases,
    /// One alert (`getAlert`), or its observables.
    Alert {
        id: String,
        observables: bool,
    },
    /// One case (`getCase`), or its observables.
    Case {
        id: String,
        observables: bool,
    },
}

/// A read query.
#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub source: Source,
    /// Filter expressions; an object must match all of them.
    pub filters: Vec<Value>,
    /// Fields to sort on, ascending when `true`, in order of precedence.
    pub sort: Vec<(String, bool)>,
    /// `from` inclusive, `to` exclusive.
    pub page: Option<(usize, usize)>,
    /// Answer the number of objects instead of the objects.
    pub count: bool,
}

const SUPPORTED: &str =
    "listAlert, listCase, getAlert, getCase, observables, filter, sort, page, count";

/// Reads a query body `{"query": [...]}`; the error says what to change.
pub fn parse(body: &Value) -> Result<Query, String> {
    let steps = body
        .get("query")
        .and_then(Value::as_array)
        .ok_or("the body must be {\"query\": [steps…]}")?;
    let mut source: Option<Source> = None;
    let mut q = Query {
        source: Source::Alerts,
        filters: Vec::new(),
        sort: Vec::new(),
        page: None,
        count: false,
    };
    for (i, step) in steps.iter().enumerate() {
        let name = step
            .get("_name")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("query step {} has no `_name`", i + 1))?;
        let id = || {
            step.get("idOrName")
                .and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    _ => None,
                })
                .ok_or_else(|| format!("`{name}` needs `idOrName`"))
        };
        match (name, &source) {
            ("listAlert", None) => source = Some(Source::Alerts),
            ("listCase", None) => source = Some(Source::Cases),
            ("getAlert", None) => {
                source = Some(Source::Alert {
                    id: id()?,
                    observables: false,
                })
            }
            ("getCase", None) => {
                source = Some(Source::Case {
                    id: id()?,
                    observables: false,
                })
            }
            (
                "observables",
                Some(Source::Alert {
                    id,
                    observables: false,
                }),
            ) => {
                source = Some(Source::Alert {
                    id: id.clone(),
                    observables: true,
                })
            }
            (
                "observables",
                Some(Source::Case {
                    id,
                    observables: false,
                }),
            ) => {
                source = Some(Source::Case {
                    id: id.clone(),
                    observables: true,
                })
            }
            ("listAlert" | "listCase" | "getAlert" | "getCase" | "observables", _) => {
                return Err(format!(
                    "query step `{name}` cannot come here: start with listAlert, listCase, getAlert or getCase, then optionally observables"
                ));
            }
            (_, None) => {
                return Err(format!(
                    "the query must start with listAlert, listCase, getAlert or getCase, not `{name}`"
                ));
            }
            ("filter", _) => {
                let mut expr = step.clone();
                if let Some(o) = expr.as_object_mut() {
                    o.remove("_name");
                }
                check(&expr)?;
                q.filters.push(expr);
            }
            ("sort", _) => {
                let fields = step
                    .get("_fields")
                    .and_then(Value::as_array)
                    .ok_or("`sort` needs `_fields`: [{\"field\": \"asc\"|\"desc\"}]")?;
                for f in fields {
                    let (field, dir) = f
                        .as_object()
                        .and_then(|o| o.iter().next())
                        .ok_or("each sort field is {\"field\": \"asc\"|\"desc\"}")?;
                    let asc = match dir.as_str() {
                        Some("asc") => true,
                        Some("desc") => false,
                        _ => return Err(format!("sort `{field}`: use \"asc\" or \"desc\"")),
                    };
                    q.sort.push((field.clone(), asc));
                }
            }
            ("page", _) => {
                let n = |k: &str| {
                    step.get(k)
                        .and_then(Value::as_u64)
                        .map(|v| v as usize)
                        .ok_or_else(|| format!("`page` needs a non-negative `{k}`"))
                };
                let (from, to) = (n("from")?, n("to")?);
                if to < from {
                    return Err(format!("`page`: `to` ({to}) is before `from` ({from})"));
                }
                q.page = Some((from, to));
            }
            ("count", _) => q.count = true,
            (other, _) => {
                return Err(format!(
                    "query step `{other}` is not supported; Debrief supports {SUPPORTED}"
                ));
            }
        }
    }
    q.source = source.ok_or("the query is empty: start with listAlert or listCase")?;
    Ok(q)
}

/// Checks a filter expression's shape once, so that evaluation cannot fail half-way.
fn check(expr: &Value) -> Result<(), String> {
    let obj = expr
        .as_object()
        .ok_or_else(|| format!("a filter is an object, not {expr}"))?;
    if obj.is_empty() {
        return Ok(());
    }
    if obj.len() != 1 {
        let keys: Vec<&String> = obj.keys().collect();
        return Err(format!(
            "a filter has one operator; this one has {keys:?} (combine them with _and/_or)"
        ));
    }
    let (op, arg) = obj.iter().next().ok_or("empty filter")?;
    match op.as_str() {
        "_and" | "_or" => arg
            .as_array()
            .ok_or_else(|| format!("`{op}` takes a list of filters"))?
            .iter()
            .try_for_each(check),
        "_not" => check(arg),
        "_eq" | "_ne" | "_lt" | "_gt" | "_lte" | "_gte" | "_like" | "_match" | "_startsWith"
        | "_endsWith" => field_value(op, arg).map(|_| ()),
        "_between" => {
            let field = arg.get("_field").and_then(Value::as_str);
            if field.is_none() || arg.get("_from").is_none() || arg.get("_to").is_none() {
                return Err("`_between` takes {\"_field\", \"_from\", \"_to\"}".into());
            }
            Ok(())
        }
        "_in" => {
            if arg.get("_field").and_then(Value::as_str).is_none()
                || !arg.get("_values").is_some_and(Value::is_array)
            {
                return Err("`_in` takes {\"_field\", \"_values\": [...]}".into());
            }
            Ok(())
        }
        "_has" | "_contains" => {
            let field = match arg {
                Value::String(_) => Some(()),
                Value::Object(o) => o.get("_field").and_then(Value::as_str).map(|_| ()),
                _ => None,
            };
            field.ok_or_else(|| format!("`{op}` takes a field name"))
        }
        "_id" => match arg {
            Value::String(_) | Value::Number(_) => Ok(()),
            _ => Err("`_id` takes an id".into()),
        },
        other if other.starts_with('_') => Err(format!(
            "filter operator `{other}` is not supported; Debrief supports _and, _or, _not, _eq, _ne, _lt, _gt, _lte, _gte, _between, _in, _like, _match, _startsWith, _endsWith, _contains, _has, _id"
        )),
        // `{"title": "x"}`: TheHive's short form of `_eq`.
        _ => Ok(()),
    }
}

/// The field and value of a comparison: `{"_field": f, "_value": v}` or `{f: v}`.
fn field_value<'a>(op: &str, arg: &'a Value) -> Result<(&'a str, &'a Value), String> {
    let obj = arg
        .as_object()
        .ok_or_else(|| format!("`{op}` takes {{\"_field\": …, \"_value\": …}}"))?;
    if let (Some(f), Some(v)) = (obj.get("_field").and_then(Value::as_str), obj.get("_value")) {
        return Ok((f, v));
    }
    match obj.iter().next() {
        Some((f, v)) if obj.len() == 1 && !f.starts_with('_') => Ok((f.as_str(), v)),
        _ => Err(format!("`{op}` takes {{\"_field\": …, \"_value\": …}}")),
    }
}

/// The values at a dotted path; a list contributes each of its items.
fn values<'a>(obj: &'a Value, path: &str) -> Vec<&'a Value> {
    let mut at = obj;
    for part in path.split('.') {
        match at.get(part) {
            Some(v) => at = v,
            None => return Vec::new(),
        }
    }
    match at {
        Value::Null => Vec::new(),
        Value::Array(items) => items.iter().collect(),
        v => vec![v],
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.to_lowercase(),
        other => other.to_string().to_lowercase(),
    }
}

/// Orders two JSON values of the same kind; different kinds do not compare.
fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Equality as TheHive's filters mean it: numbers by value, text case-insensitively.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => compare(a, b) == Some(Ordering::Equal),
        (Value::String(x), Value::String(y)) => x.to_lowercase() == y.to_lowercase(),
        _ => a == b,
    }
}

/// `*` matches any run of characters; without one, the pattern matches anywhere.
fn like(value: &str, pattern: &str) -> bool {
    if !pattern.contains('*') {
        return value.contains(pattern);
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let mut rest = value;
    for (i, part) in parts.iter().enumerate() {
        if part.is_empty() {
            continue;
        }
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(r) => rest = r,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `obj` passes the (checked) filter `expr`.
pub fn matches(expr: &Value, obj: &Value) -> bool {
    let Some((op, arg)) = expr.as_object().and_then(|o| o.iter().next()) else {
        return true;
    };
    let any = |f: &dyn Fn(&Value, &Value) -> bool| match field_value(op, arg) {
        Ok((field, wanted)) => values(obj, field).into_iter().any(|v| f(v, wanted)),
        Err(_) => false,
    };
    match op.as_str() {
        "_and" => arg
            .as_array()
            .is_some_and(|l| l.iter().all(|e| matches(e, obj))),
        "_or" => arg
            .as_array()
            .is_some_and(|l| l.iter().any(|e| matches(e, obj))),
        "_not" => !matches(arg, obj),
        "_eq" => any(&same),
        "_ne" => !any(&same),
        "_lt" => any(&|v, w| compare(v, w) == Some(Ordering::Less)),
        "_gt" => any(&|v, w| compare(v, w) == Some(Ordering::Greater)),
        "_lte" => any(&|v, w| matches!(compare(v, w), Some(Ordering::Less | Ordering::Equal))),
        "_gte" => any(&|v, w| matches!(compare(v, w), Some(Ordering::Greater | Ordering::Equal))),
        "_like" => any(&|v, w| like(&text(v), &text(w))),
        "_startsWith" => any(&|v, w| text(v).starts_with(&text(w))),
        "_endsWith" => any(&|v, w| text(v).ends_with(&text(w))),
        "_match" => any(&|v, w| {
            let have = words(&text(v));
            words(&text(w)).iter().all(|x| have.contains(x))
        }),
        "_between" => {
            let field = arg.get("_field").and_then(Value::as_str).unwrap_or("");
            let (from, to) = (&arg["_from"], &arg["_to"]);
            values(obj, field).into_iter().any(|v| {
                matches!(compare(v, from), Some(Ordering::Greater | Ordering::Equal))
                    && compare(v, to) == Some(Ordering::Less)
            })
        }
        "_in" => {
            let field = arg.get("_field").and_then(Value::as_str).unwrap_or("");
            let wanted = arg["_values"].as_array().cloned().unwrap_or_default();
            values(obj, field)
                .into_iter()
                .any(|v| wanted.iter().any(|w| same(v, w)))
        }
        "_has" | "_contains" => {
            let field = match arg {
                Value::String(s) => s.as_str(),
                other => other.get("_field").and_then(Value::as_str).unwrap_or(""),
            };
            !values(obj, field).is_empty()
        }
        "_id" => {
            let id = match arg {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            obj.get("_id").and_then(Value::as_str) == Some(id.as_str())
                || obj.get("number").map(Value::to_string) == Some(id)
        }
        // `{"title": "x"}`
        field => values(obj, field).into_iter().any(|v| same(v, arg)),
    }
}

/// Runs the filter, sort, page and count steps over the source's objects.
pub fn run(q: &Query, items: Vec<Value>) -> Value {
    let mut items: Vec<Value> = items
        .into_iter()
        .filter(|o| q.filters.iter().all(|f| matches(f, o)))
        .collect();
    if q.count {
        return Value::from(items.len());
    }
    if !q.sort.is_empty() {
        items.sort_by(|a, b| {
            for (field, asc) in &q.sort {
                let (x, y) = (
                    values(a, field).first().copied(),
                    values(b, field).first().copied(),
                );
                let o = match (x, y) {
                    (Some(x), Some(y)) => compare(x, y).unwrap_or(Ordering::Equal),
                    (Some(_), None) => Ordering::Less,
                    (None, Some(_)) => Ordering::Greater,
                    (None, None) => Ordering::Equal,
                };
                let o = if *asc { o } else { o.reverse() };
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        });
    }
    if let Some((from, to)) = q.page {
        items = items.into_iter().skip(from).take(to - from).collect();
    }
    Value::Array(items)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn alerts() -> Vec<Value> {
        vec![
            json!({"_id": "a1", "title": "Phishing mail from bank", "severity": 2, "tags": ["phish", "mail"], "date": 1000, "status": "New"}),
            json!({"_id": "a2", "title": "Beacon to evil.com", "severity": 4, "tags": ["c2"], "date": 2000, "status": "InProgress", "assignee": "alice"}),
            json!({"_id": "a3", "title": "Brute force on VPN", "severity": 3, "tags": [], "date": 3000, "status": "Ignored"}),
        ]
    }

    fn ids(q: &Value) -> Vec<String> {
        let query = parse(q).unwrap();
        match run(&query, alerts()) {
            Value::Array(a) => a
                .iter()
                .map(|o| o["_id"].as_str().unwrap().to_string())
                .collect(),
            other => vec![other.to_string()],
        }
    }

    fn filter(f: Value) -> Vec<String> {
        let mut step = f.as_object().unwrap().clone();
        step.insert("_name".into(), json!("filter"));
        ids(&json!({"query": [{"_name": "listAlert"}, step]}))
    }

    #[test]
    fn every_operator_selects_what_thehive_would() {
        assert_eq!(
            filter(json!({"_eq": {"_field": "severity", "_value": 4}})),
            ["a2"]
        );
        assert_eq!(
            filter(json!({"_eq": {"tags": "phish"}})),
            ["a1"],
            "short form, list field"
        );
        assert_eq!(
            filter(json!({"_ne": {"_field": "severity", "_value": 4}})),
            ["a1", "a3"]
        );
        assert_eq!(
            filter(json!({"_lt": {"_field": "severity", "_value": 3}})),
            ["a1"]
        );
        assert_eq!(
            filter(json!({"_lte": {"_field": "severity", "_value": 3}})),
            ["a1", "a3"]
        );
        assert_eq!(
            filter(json!({"_gt": {"_field": "date", "_value": 1000}})),
            ["a2", "a3"]
        );
        assert_eq!(
            filter(json!({"_gte": {"_field": "date", "_value": 3000}})),
            ["a3"]
        );
        assert_eq!(
            filter(json!({"_between": {"_field": "date", "_from": 1000, "_to": 3000}})),
            ["a1", "a2"],
            "from inclusive, to exclusive"
        );
        assert_eq!(
            filter(json!({"_in": {"_field": "status", "_values": ["New", "Ignored"]}})),
            ["a1", "a3"]
        );
        assert_eq!(
            filter(json!({"_like": {"_field": "title", "_value": "evil"}})),
            ["a2"]
        );
        assert_eq!(
            filter(json!({"_like": {"_field": "title", "_value": "b*on*com"}})),
            ["a2"]
        );
        assert_eq!(
            filter(json!({"_match": {"_field": "title", "_value": "VPN brute"}})),
            ["a3"]
        );
        assert_eq!(
            filter(json!({"_startsWith": {"_field": "title", "_value": "phish"}})),
            ["a1"]
        );
        assert_eq!(
            filter(json!({"_endsWith": {"_field": "title", "_value": "BANK"}})),
            ["a1"]
        );
        assert_eq!(filter(json!({"_has": "assignee"})), ["a2"]);
        assert_eq!(filter(json!({"_contains": "assignee"})), ["a2"]);
        assert_eq!(filter(json!({"_id": "a3"})), ["a3"]);
        assert_eq!(
            filter(
                json!({"_and": [{"_gt": {"_field": "severity", "_value": 1}}, {"_not": {"_eq": {"_field": "status", "_value": "new"}}}]})
            ),
            ["a2", "a3"]
        );
        assert_eq!(
            filter(json!({"_or": [{"_id": "a1"}, {"_eq": {"_field": "severity", "_value": 3}}]})),
            ["a1", "a3"]
        );
    }

    #[test]
    fn sort_page_and_count() {
        assert_eq!(
            ids(
                &json!({"query": [{"_name": "listAlert"}, {"_name": "sort", "_fields": [{"severity": "desc"}]}, {"_name": "page", "from": 0, "to": 2}]})
            ),
            ["a2", "a3"]
        );
        assert_eq!(
            ids(
                &json!({"query": [{"_name": "listAlert"}, {"_name": "sort", "_fields": [{"date": "asc"}]}, {"_name": "page", "from": 1, "to": 10}]})
            ),
            ["a2", "a3"]
        );
        let q = parse(&json!({"query": [{"_name": "listAlert"}, {"_name": "filter", "_gt": {"_field": "severity", "_value": 2}}, {"_name": "count"}]})).unwrap();
        assert_eq!(run(&q, alerts()), json!(2));
    }

    #[test]
    fn sources_and_mistakes() {
        let q = parse(
            &json!({"query": [{"_name": "getCase", "idOrName": "~42"}, {"_name": "observables"}]}),
        )
        .unwrap();
        assert_eq!(
            q.source,
            Source::Case {
                id: "~42".into(),
                observables: true
            }
        );
        for (bad, says) in [
            (json!({}), "{\"query\""),
            (json!({"query": [{"_name": "listTask"}]}), "must start with"),
            (
                json!({"query": [{"_name": "listAlert"}, {"_name": "listCase"}]}),
                "cannot come here",
            ),
            (
                json!({"query": [{"_name": "listAlert"}, {"_name": "filter", "_regex": {"_field": "a", "_value": "b"}}]}),
                "_regex",
            ),
            (
                json!({"query": [{"_name": "listAlert"}, {"_name": "filter", "_eq": {"_field": "a"}}]}),
                "_value",
            ),
            (
                json!({"query": [{"_name": "listAlert"}, {"_name": "page", "from": 5, "to": 1}]}),
                "before",
            ),
            (
                json!({"query": [{"_name": "listAlert"}, {"_name": "sort", "_fields": [{"a": "up"}]}]}),
                "asc",
            ),
            (
                json!({"query": [{"_name": "listAlert"}, {"_name": "similar"}]}),
                "not supported",
            ),
        ] {
            let e = parse(&bad).unwrap_err();
            assert!(e.contains(says), "{bad} → {e}");
        }
    }
}
