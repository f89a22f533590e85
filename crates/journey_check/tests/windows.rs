//! Issue 15: campaign windows in the checker. A window that ends before it starts is
//! J002; one that ended before "today" is the warning J313. Today is fixed with the
//! `JOURNEY_TODAY` environment variable (one test in this file, so no other test of
//! the process sees it change).

use journey_check::{check_sources, Settings};
use journey_diagnostics::SourceMap;

fn codes(window: &str) -> Vec<String> {
    let mut sources = SourceMap::new();
    let src = format!(
        "event login {{}}\nchannel crm {{ kind webhook }}\n\
         journey j {{ entry on login {window} stage a {{ webhook crm \"x\" end }} }}\n"
    );
    let f = sources.add("t.journey", src);
    let checked = check_sources(&sources, &[f], &Settings::default());
    checked.diagnostics.iter().map(|d| d.code.to_string()).collect()
}

#[test]
fn ended_and_backwards_windows() {
    std::env::set_var("JOURNEY_TODAY", "2026-12-05");
    assert!(codes("active from 2026-11-20 to 2026-12-05").is_empty(), "today is still inside");
    assert_eq!(codes("active from 2026-11-20 to 2026-12-04"), ["J313"]);
    assert!(codes("active from 2027-01-01 to 2027-01-31").is_empty());
    assert_eq!(codes("active from 2026-12-20 to 2026-12-01"), ["J002"]);
    // the same window, seen from an earlier day, has not ended
    std::env::set_var("JOURNEY_TODAY", "2026-11-30");
    assert!(codes("active from 2026-11-20 to 2026-12-04").is_empty());
    std::env::remove_var("JOURNEY_TODAY");
}
