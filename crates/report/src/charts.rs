//! Charts as SVG drawn on the server — no script, the same markup in pages and reports: grouped
//! vertical bars (a trend per month, a distribution per severity). Labels are XML-escaped.

use std::fmt::Write;

/// Fill colours of the series, in order (readable on white, distinguishable in grey).
const COLOURS: [&str; 4] = ["#1f5fa8", "#e07b24", "#3b8a4a", "#8a3b7a"];

/// XML-escapes text for an SVG text node or attribute.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A grouped bar chart: one group per `(label, values)`, one bar per series in each group.
pub fn bars(title: &str, series: &[&str], groups: &[(String, Vec<f64>)]) -> String {
    let (width, height) = (640.0_f64, 260.0_f64);
    let (left, right, top, bottom) = (44.0, 12.0, 28.0, 46.0);
    let max = groups
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .fold(0.0_f64, f64::max);
    let scale_max = nice_ceiling(max);
    let plot_w = width - left - right;
    let plot_h = height - top - bottom;
    let n = groups.len().max(1) as f64;
    let group_w = plot_w / n;
    let bar_w = (group_w * 0.8 / series.len().max(1) as f64).max(1.0);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{t}" class="chart"><title>{t}</title>"#,
        t = escape(title)
    );
    // Grid lines and their values: 0, ¼, ½, ¾, max.
    for k in 0..=4 {
        let v = scale_max * f64::from(k) / 4.0;
        let y = top + plot_h - plot_h * f64::from(k) / 4.0;
        let _ = write!(
            svg,
            "<line x1=\"{left}\" x2=\"{x2}\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#dde2e8\"/><text x=\"{tx}\" y=\"{ty:.1}\" font-size=\"10\" text-anchor=\"end\" fill=\"#556\">{v}</text>",
            x2 = width - right,
            tx = left - 4.0,
            ty = y + 3.0,
            v = trim_number(v)
        );
    }
    for (g, (label, values)) in groups.iter().enumerate() {
        let gx = left + group_w * g as f64 + group_w * 0.1;
        for (s, v) in values.iter().enumerate() {
            let h = if scale_max > 0.0 {
                plot_h * v / scale_max
            } else {
                0.0
            };
            let x = gx + bar_w * s as f64;
            let y = top + plot_h - h;
            let _ = write!(
                svg,
                "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" fill=\"{c}\"><title>{name} {label}: {v}</title></rect>",
                w = (bar_w - 1.0).max(0.5),
                c = COLOURS[s % COLOURS.len()],
                name = escape(series.get(s).copied().unwrap_or("")),
                label = escape(label),
                v = trim_number(*v)
            );
        }
        // Label every group when few, else every few.
        let every = (groups.len() / 12).max(1);
        if g % every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{x:.1}\" y=\"{y}\" font-size=\"10\" text-anchor=\"middle\" fill=\"#334\">{l}</text>",
                x = left + group_w * g as f64 + group_w / 2.0,
                y = height - bottom + 14.0,
                l = escape(label)
            );
        }
    }
    // Legend.
    for (s, name) in series.iter().enumerate() {
        let x = left + 110.0 * s as f64;
        let _ = write!(
            svg,
            "<rect x=\"{x}\" y=\"8\" width=\"10\" height=\"10\" fill=\"{c}\"/><text x=\"{tx}\" y=\"17\" font-size=\"11\" fill=\"#334\">{n}</text>",
            c = COLOURS[s % COLOURS.len()],
            tx = x + 14.0,
            n = escape(name)
        );
    }
    svg.push_str("</svg>");
    svg
}

/// The smallest of 1, 2, 4, 8 × 10ⁿ at or above `x` (1 for nothing to show): a grid of four
/// steps then falls on round values.
fn nice_ceiling(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let p = 10f64.powf(x.log10().floor());
    [1.0, 2.0, 4.0, 8.0, 10.0]
        .iter()
        .map(|m| m * p)
        .find(|v| *v >= x)
        .unwrap_or(10.0 * p)
}

fn trim_number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_a_nice_maximum_and_escape_labels() {
        let svg = bars(
            "Incidents <per> month",
            &["opened", "closed"],
            &[
                ("2026-01".into(), vec![31.0, 30.0]),
                ("2026-02".into(), vec![28.0, 0.0]),
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Incidents &lt;per&gt; month"));
        assert!(!svg.contains("<per>"));
        // 31 → a scale of 40: grid lines at 10, 20, 30, 40.
        assert!(
            svg.contains(">40</text>") && svg.contains(">10</text>"),
            "{svg}"
        );
        assert_eq!(
            svg.matches("<rect").count(),
            4 + 2,
            "4 bars and 2 legend keys"
        );
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(7.0), 8.0);
        assert_eq!(nice_ceiling(3.0), 4.0);
        assert_eq!(nice_ceiling(120.0), 200.0);
    }
}
