//! issue 15: journey.yaml's `business_days`, checked: the calendar must be a built-in
//! one, the weekend real weekday names leaving at least one working day, the listed
//! holidays real dates. Each problem is a J501 on the value.

use crate::config::find_value;
use journey_diagnostics::{Diagnostic, FileId};
use journey_ir::{weekday_number, BusinessDays, BUILTIN_CALENDARS};

pub(crate) fn check(bd: &BusinessDays, text: &str, file: FileId) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let known = BUILTIN_CALENDARS.join(", ");
    if let Some(c) = &bd.calendar {
        if !BUILTIN_CALENDARS.contains(&c.as_str()) {
            out.push(
                Diagnostic::new("J501", format!("unknown holiday calendar `{c}`"))
                    .primary(file, find_value(text, c), "not a built-in calendar")
                    .help(format!("the built-in calendars are {known}; list other days off under `holidays`")),
            );
        }
    }
    for day in &bd.weekend {
        if weekday_number(day).is_none() {
            out.push(
                Diagnostic::new("J501", format!("`{day}` is not a day of the week"))
                    .primary(file, find_value(text, day), "expected a weekday name")
                    .help("write the days off every week as `weekend: [saturday, sunday]`"),
            );
        }
    }
    let mut off: Vec<usize> = bd.weekend.iter().filter_map(|d| weekday_number(d)).collect();
    off.sort_unstable();
    off.dedup();
    if off.len() == 7 {
        out.push(
            Diagnostic::new("J501", "the weekend takes every day of the week")
                .primary(file, find_value(text, "weekend"), "no working day left")
                .help("a business-day wait would never end; keep at least one working day"),
        );
    }
    for date in &bd.holidays {
        if !valid_date(date) {
            out.push(
                Diagnostic::new("J501", format!("`{date}` is not a date"))
                    .primary(file, find_value(text, date), "expected YYYY-MM-DD")
                    .help("list days off as dates, e.g. `holidays: [2026-12-24, 2026-12-31]`"),
            );
        }
    }
    out
}

fn valid_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else { return false };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<i32>(), m.parse::<u32>(), d.parse::<u32>()) else { return false };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use crate::Config;
    use journey_diagnostics::FileId;

    fn messages(text: &str) -> Vec<String> {
        Config::parse(text, FileId(0)).1.into_iter().map(|d| format!("{} {}", d.code, d.message)).collect()
    }

    #[test]
    fn a_good_calendar_is_taken_as_written() {
        let text = "business_days:\n  calendar: US\n  country_attribute: country\n  weekend: [fri, saturday]\n  holidays: [2026-12-24]\n";
        let (config, diags) = Config::parse(text, FileId(0));
        assert!(diags.is_empty(), "{diags:?}");
        let bd = config.business_days.unwrap();
        assert_eq!(bd.calendar.as_deref(), Some("US"));
        assert_eq!(bd.weekend, ["fri", "saturday"]);
        assert_eq!(bd.holidays, ["2026-12-24"]);
    }

    #[test]
    fn the_weekend_defaults_to_saturday_and_sunday() {
        let (config, _) = Config::parse("business_days: { calendar: DE }\n", FileId(0));
        assert_eq!(config.business_days.unwrap().weekend, ["saturday", "sunday"]);
    }

    #[test]
    fn bad_values_are_j501_each() {
        let text = "business_days:\n  calendar: XX\n  weekend: [caturday]\n  holidays: [2026-02-30]\n";
        assert_eq!(
            messages(text),
            [
                "J501 unknown holiday calendar `XX`",
                "J501 `caturday` is not a day of the week",
                "J501 `2026-02-30` is not a date"
            ]
        );
        let all = "business_days:\n  weekend: [mon, tue, wed, thu, fri, sat, sun]\n";
        assert_eq!(messages(all), ["J501 the weekend takes every day of the week"]);
        assert_eq!(messages("business_days: { calender: US }\n").len(), 1);
    }
}
