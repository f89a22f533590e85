//! The backtest picture: expected vs actual repeat purchases per week, as a
//! self-contained SVG (or an HTML page around it).

use std::fmt::Write;

use crate::backtest::BacktestReport;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 360.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
// the title and the legend each get a line of their own above the plot
const TOP: f64 = 62.0;
const BOTTOM: f64 = 50.0;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A round step near `raw`: 1, 2, 2.5 or 5 times a power of ten.
fn nice_step(raw: f64) -> f64 {
    let raw = raw.max(1e-9);
    let magnitude = 10f64.powf(raw.log10().floor());
    let f = raw / magnitude;
    let nice = if f <= 1.0 {
        1.0
    } else if f <= 2.0 {
        2.0
    } else if f <= 2.5 {
        2.5
    } else if f <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * magnitude
}

/// A line chart: actual (solid) and expected (dashed) weekly repeat purchases,
/// with the calibration end marked.
pub fn backtest_svg(report: &BacktestReport, title: &str) -> String {
    let weeks = &report.weekly;
    let n = weeks.len().max(2);
    let peak = weeks.iter().map(|w| w.actual.max(w.expected)).fold(1.0, f64::max);
    let tick = nice_step(peak / 5.0);
    // the axis ends at the first round tick above the peak
    let max_y = (peak / tick).ceil() * tick;
    let x = |i: usize| LEFT + (WIDTH - LEFT - RIGHT) * i as f64 / (n - 1) as f64;
    let y = |v: f64| HEIGHT - BOTTOM - (HEIGHT - TOP - BOTTOM) * v / max_y;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<title>{}</title>"#, escape(title));
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="{LEFT}" y="22" font-size="15">{}</text>"#, escape(title));
    // Axes and horizontal grid lines with labels.
    let ticks = (max_y / tick).round() as usize;
    for k in 0..=ticks {
        let v = tick * k as f64;
        let _ = writeln!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end">{:.0}</text>"##,
            WIDTH - RIGHT,
            y(v),
            y(v),
            LEFT - 6.0,
            y(v) + 4.0,
            v
        );
    }
    let step = (n / 10).max(1);
    for i in (0..weeks.len()).step_by(step) {
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            x(i),
            HEIGHT - BOTTOM + 16.0,
            weeks[i].week
        );
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">week since the first purchase in the data</text>"#,
        (LEFT + WIDTH - RIGHT) / 2.0,
        HEIGHT - 12.0
    );
    let mid = (TOP + HEIGHT - BOTTOM) / 2.0;
    let _ = writeln!(
        s,
        r#"<text x="14" y="{mid:.1}" text-anchor="middle" transform="rotate(-90 14 {mid:.1})">repeat purchases per week</text>"#
    );
    if let Some(cut) = weeks.iter().position(|w| w.holdout) {
        let cx = x(cut) - 0.5 * (x(1) - x(0));
        let _ = writeln!(
            s,
            r##"<line x1="{cx:.1}" x2="{cx:.1}" y1="{TOP}" y2="{:.1}" stroke="#888" stroke-dasharray="2,3"/><text x="{:.1}" y="{:.1}" fill="#555">holdout starts {}</text>"##,
            HEIGHT - BOTTOM,
            cx + 4.0,
            TOP + 12.0,
            holdout_start(report)
        );
    }
    let path = |f: &dyn Fn(usize) -> f64| -> String {
        (0..weeks.len()).map(|i| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { " L" }, x(i), y(f(i)))).collect()
    };
    let _ =
        writeln!(s, r##"<path d="{}" fill="none" stroke="#1f77b4" stroke-width="1.8"/>"##, path(&|i| weeks[i].actual));
    let _ = writeln!(
        s,
        r##"<path d="{}" fill="none" stroke="#d62728" stroke-width="1.8" stroke-dasharray="6,4"/>"##,
        path(&|i| weeks[i].expected)
    );
    let lx = LEFT;
    let _ = writeln!(
        s,
        r##"<line x1="{lx}" x2="{}" y1="42" y2="42" stroke="#1f77b4" stroke-width="1.8"/><text x="{}" y="46">actual</text><line x1="{}" x2="{}" y1="42" y2="42" stroke="#d62728" stroke-width="1.8" stroke-dasharray="6,4"/><text x="{}" y="46">expected ({})</text>"##,
        lx + 24.0,
        lx + 30.0,
        lx + 90.0,
        lx + 114.0,
        lx + 120.0,
        report.fit.model
    );
    s.push_str("</svg>\n");
    s
}

/// The first day of the holdout, the one date every output names for it.
pub fn holdout_start(report: &BacktestReport) -> chrono::NaiveDate {
    report.calibration_end.succ_opt().unwrap_or(report.calibration_end)
}

/// The SVG inside a minimal HTML page with the headline numbers.
pub fn backtest_html(report: &BacktestReport, title: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title></head>\n<body style=\"font-family:sans-serif\">\n{svg}<p>{c} customers; holdout {cal} to {hold}: predicted {p:.1} repeat purchases, actual {a} (MAE {mae:.3}, RMSE {rmse:.3} per customer).</p>\n</body></html>\n",
        t = escape(title),
        svg = backtest_svg(report, title),
        c = report.customers,
        cal = holdout_start(report),
        hold = report.holdout_end,
        p = report.total_predicted,
        a = report.total_actual,
        mae = report.mae,
        rmse = report.rmse,
    )
}
