//! A small SVG line chart of an efficient frontier (volatility on x, expected
//! return on y), written by hand so the CLI needs no plotting library.

use std::fmt::Write as _;

/// Renders `(volatility, return)` points as an SVG document.
pub(crate) fn frontier_chart(points: &[(f64, f64)]) -> String {
    let (w, h, m) = (640.0, 420.0, 60.0);
    let fold = |f: fn(f64, f64) -> f64, init: f64, pick: fn(&(f64, f64)) -> f64| {
        points.iter().map(pick).fold(init, f)
    };
    let (x0, x1) = (
        fold(f64::min, f64::INFINITY, |p| p.0),
        fold(f64::max, f64::NEG_INFINITY, |p| p.0),
    );
    let (y0, y1) = (
        fold(f64::min, f64::INFINITY, |p| p.1),
        fold(f64::max, f64::NEG_INFINITY, |p| p.1),
    );
    let span = |a: f64, b: f64| if b > a { b - a } else { 1.0 };
    let sx = |x: f64| m + (x - x0) / span(x0, x1) * (w - 2.0 * m);
    let sy = |y: f64| h - m - (y - y0) / span(y0, y1) * (h - 2.0 * m);
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{}" y="24" text-anchor="middle" font-size="16">Efficient frontier</text>"#,
        w / 2.0
    );
    let _ = writeln!(
        s,
        r#"<line x1="{m}" y1="{}" x2="{}" y2="{}" stroke="black"/>"#,
        h - m,
        w - m,
        h - m
    );
    let _ = writeln!(
        s,
        r#"<line x1="{m}" y1="{m}" x2="{m}" y2="{}" stroke="black"/>"#,
        h - m
    );
    for k in 0..=4 {
        let fx = x0 + span(x0, x1) * f64::from(k) / 4.0;
        let fy = y0 + span(y0, y1) * f64::from(k) / 4.0;
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{}" text-anchor="middle">{:.1}%</text>"#,
            sx(fx),
            h - m + 18.0,
            fx * 100.0
        );
        let _ = writeln!(
            s,
            r#"<text x="{}" y="{:.1}" text-anchor="end">{:.1}%</text>"#,
            m - 6.0,
            sy(fy) + 4.0,
            fy * 100.0
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{}" y="{}" text-anchor="middle">volatility (annual)</text>"#,
        w / 2.0,
        h - 16.0
    );
    let _ = writeln!(
        s,
        r#"<text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">expected return (annual)</text>"#,
        h / 2.0,
        h / 2.0
    );
    let path: Vec<String> = points
        .iter()
        .map(|p| format!("{:.2},{:.2}", sx(p.0), sy(p.1)))
        .collect();
    let _ = writeln!(
        s,
        r#"<polyline fill="none" stroke="steelblue" stroke-width="2" points="{}"/>"#,
        path.join(" ")
    );
    for p in points {
        let _ = writeln!(
            s,
            r#"<circle cx="{:.2}" cy="{:.2}" r="3" fill="steelblue"/>"#,
            sx(p.0),
            sy(p.1)
        );
    }
    s.push_str("</svg>\n");
    s
}
