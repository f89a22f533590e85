//! The backtest picture: expected vs actual repeat purchases per week and
//! cumulatively, as a self-contained SVG (or an HTML page around it).

use std::fmt::Write;

use crate::backtest::BacktestReport;

const WIDTH: f64 = 900.0;
const LEFT: f64 = 60.0;
const RIGHT: f64 = 20.0;
// the title, the legend and the holdout label each get a line above the plots
const TOP: f64 = 78.0;
/// Height of one panel's plotting area.
const PANEL: f64 = 250.0;
/// Between the panels: the first one's axis labels and the second's title.
const GAP: f64 = 80.0;
const HEIGHT: f64 = TOP + 2.0 * PANEL + GAP + 50.0;

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

/// One line of a panel: points (x in weeks since the first purchase, y),
/// colour and dash pattern.
struct Series {
    points: Vec<(f64, f64)>,
    colour: &'static str,
    dash: &'static str,
}

/// One panel of the chart, `top` pixels down: grid, y labels, week labels,
/// axis titles, the holdout marker at `cut` (weeks) and the lines.
fn panel(s: &mut String, top: f64, weeks: f64, cut: Option<f64>, y_title: &str, series: &[Series]) {
    let peak = series.iter().flat_map(|l| l.points.iter().map(|p| p.1)).fold(1.0, f64::max);
    let tick = nice_step(peak / 5.0);
    // the axis ends at the first round tick above the peak
    let max_y = (peak / tick).ceil() * tick;
    let bottom = top + PANEL;
    let x = |w: f64| LEFT + (WIDTH - LEFT - RIGHT) * w / weeks.max(1.0);
    let y = |v: f64| bottom - PANEL * v / max_y;
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
    let step = ((weeks / 10.0).ceil() as usize).max(1);
    for w in (0..=weeks as usize).step_by(step) {
        let _ = writeln!(s, r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{w}</text>"#, x(w as f64), bottom + 16.0);
    }
    let _ = writeln!(
        s,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">weeks since the first purchase in the data</text>"#,
        (LEFT + WIDTH - RIGHT) / 2.0,
        bottom + 34.0
    );
    let mid = top + PANEL / 2.0;
    let _ = writeln!(
        s,
        r#"<text x="14" y="{mid:.1}" text-anchor="middle" transform="rotate(-90 14 {mid:.1})">{}</text>"#,
        escape(y_title)
    );
    if let Some(c) = cut {
        let _ = writeln!(
            s,
            r##"<line x1="{cx:.1}" x2="{cx:.1}" y1="{top}" y2="{bottom:.1}" stroke="#888" stroke-dasharray="2,3"/>"##,
            cx = x(c)
        );
    }
    for l in series {
        let d: String = l
            .points
            .iter()
            .enumerate()
            .map(|(i, (w, v))| format!("{}{:.1},{:.1}", if i == 0 { "M" } else { " L" }, x(*w), y(*v)))
            .collect();
        let _ = writeln!(
            s,
            r##"<path d="{d}" fill="none" stroke="{}" stroke-width="1.8" stroke-dasharray="{}"/>"##,
            l.colour, l.dash
        );
    }
}

const ACTUAL: (&str, &str) = ("#1f77b4", "none");
const EXPECTED: (&str, &str) = ("#d62728", "6,4");
const FORECAST: (&str, &str) = ("#2ca02c", "2,2");

/// Two panels over the same weeks: repeat purchases per week, and their
/// running total. Actual (solid), the fitted model's expectation for the
/// cohort (dashed), and the holdout forecast from each customer's
/// calibration history (dotted). The cumulative forecast starts at the
/// calibration period's actual total and ends exactly the headline forecast
/// above it, which the legend states.
pub fn backtest_svg(report: &BacktestReport, title: &str) -> String {
    let weeks = &report.weekly;
    let span = weeks.len().max(1) as f64;
    let first = weeks.first().map_or(report.calibration_end, |w| w.start);
    // The holdout starts mid-week in general: mark the exact day.
    let cut = (holdout_start(report) - first).num_days() as f64 / 7.0;
    // The last week can be partial (it stops at the holdout end).
    let end_of = |i: usize| -> f64 {
        if i + 1 == weeks.len() {
            ((report.holdout_end - first).num_days() + 1) as f64 / 7.0
        } else {
            (i + 1) as f64
        }
    };
    let mid_of = |i: usize| (i as f64 + end_of(i)) / 2.0;
    let weekly_series = |f: &dyn Fn(&crate::backtest::WeekRow) -> f64, (colour, dash): (&'static str, &'static str)| {
        Series { points: weeks.iter().enumerate().map(|(i, w)| (mid_of(i), f(w))).collect(), colour, dash }
    };
    let forecast_weekly = Series {
        points: weeks.iter().enumerate().filter_map(|(i, w)| w.forecast.map(|f| (mid_of(i), f))).collect(),
        colour: FORECAST.0,
        dash: FORECAST.1,
    };
    let running = |f: &dyn Fn(&crate::backtest::WeekRow) -> f64, (colour, dash): (&'static str, &'static str)| {
        let mut total = 0.0;
        let mut points = vec![(0.0, 0.0)];
        for (i, w) in weeks.iter().enumerate() {
            total += f(w);
            points.push((end_of(i), total));
        }
        Series { points, colour, dash }
    };
    let mut forecast_total = report.calibration_actual as f64;
    let mut forecast_points = vec![(cut, forecast_total)];
    for (i, w) in weeks.iter().enumerate() {
        if let Some(f) = w.forecast {
            forecast_total += f;
            forecast_points.push((end_of(i), forecast_total));
        }
    }
    let drawn_forecast = forecast_total - report.calibration_actual as f64;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(s, r#"<title>{}</title>"#, escape(title));
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(s, r#"<text x="{LEFT}" y="22" font-size="15">{}</text>"#, escape(title));
    let legend = [
        (ACTUAL, "actual".to_string()),
        (EXPECTED, format!("expected ({}, whole cohort)", report.fit.model)),
        (
            FORECAST,
            format!(
                "holdout forecast from calibration: {drawn_forecast:.1} repeat purchases (actual {})",
                report.total_actual
            ),
        ),
    ];
    let mut lx = LEFT;
    for ((colour, dash), label) in &legend {
        let _ = writeln!(
            s,
            r##"<line x1="{lx}" x2="{}" y1="42" y2="42" stroke="{colour}" stroke-width="1.8" stroke-dasharray="{dash}"/><text x="{}" y="46">{}</text>"##,
            lx + 24.0,
            lx + 30.0,
            escape(label)
        );
        lx += 40.0 + 6.5 * label.chars().count() as f64;
    }
    let _ = writeln!(
        s,
        r##"<text x="{:.1}" y="{:.1}" fill="#555">holdout starts {}</text>"##,
        LEFT + (WIDTH - LEFT - RIGHT) * cut / span + 4.0,
        TOP - 4.0,
        holdout_start(report)
    );
    panel(
        &mut s,
        TOP,
        span,
        Some(cut),
        "repeat purchases per week",
        &[weekly_series(&|w| w.actual, ACTUAL), weekly_series(&|w| w.expected, EXPECTED), forecast_weekly],
    );
    let top2 = TOP + PANEL + GAP;
    let _ = writeln!(s, r#"<text x="{LEFT}" y="{:.1}" font-size="13">cumulative repeat purchases</text>"#, top2 - 8.0);
    panel(
        &mut s,
        top2,
        span,
        Some(cut),
        "repeat purchases to date",
        &[
            running(&|w| w.actual, ACTUAL),
            running(&|w| w.expected, EXPECTED),
            Series { points: forecast_points, colour: FORECAST.0, dash: FORECAST.1 },
        ],
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
