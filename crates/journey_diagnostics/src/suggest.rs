//! "Did you mean" suggestions for misspelt names, shared by every stage that reports
//! one: names a project declares (events, attributes, journeys…), IANA time zones and
//! ISO 4217 currency codes.

/// The candidate closest to `name`, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score >= 0.82)
        // ties go to the alphabetically first name, so output is deterministic
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

/// The time zones the engine knows (chrono-tz's IANA database), with their legacy
/// links (`US/Eastern`).
fn zone_names() -> impl Iterator<Item = &'static str> {
    chrono_tz::TZ_VARIANTS.iter().map(|z| z.name())
}

/// The regions of the IANA database's canonical names: a suggestion prefers
/// `America/Chicago` to a legacy link with the same city.
const REGIONS: &[&str] =
    &["Africa", "America", "Antarctica", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific"];

/// `Europe/Berlin` → (`europe`, `berlin`); `UTC` → (``, `utc`). Lower case, spaces as
/// underscores (`New York` means `New_York`).
fn zone_parts(name: &str) -> (String, String) {
    let norm = name.trim().to_lowercase().replace(' ', "_");
    match norm.rsplit_once('/') {
        Some((region, city)) => (region.to_string(), city.to_string()),
        None => (String::new(), norm),
    }
}

/// How far a misspelling may be from the name meant: one edit in a short name, two
/// from eight letters on.
fn allowed_edits(len: usize) -> usize {
    if len >= 8 {
        2
    } else {
        1
    }
}

/// The IANA time zone `name` most likely means, if any: the same name in another case
/// (`europe/berlin`), the zone of a city written without or with another region
/// (`Berlin`, `Asia/Berlin`), or a zone one or two edits
/// away, in the whole name (`Amercia/Chicago`) or in the city (`Europe/Berln`).
/// `None` for a known zone.
pub fn time_zone(name: &str) -> Option<&'static str> {
    if name.parse::<chrono_tz::Tz>().is_ok() {
        return None;
    }
    let (region, city) = zone_parts(name);
    if city.is_empty() {
        return None;
    }
    let full = if region.is_empty() { city.clone() } else { format!("{region}/{city}") };
    // (edits, not in the written region, legacy link, name): the best is the least
    let rank = |z: &'static str, edits: usize| {
        let (zr, _) = zone_parts(z);
        let other_region = !region.is_empty() && zr != region;
        let legacy = !REGIONS.iter().any(|r| zr.split('/').next() == Some(&r.to_lowercase()));
        (edits, other_region, legacy, z.len(), z)
    };
    // the same name in another case: nothing is closer
    if let Some(z) = zone_names().find(|z| z.to_lowercase() == full) {
        return Some(z);
    }
    let mut best: Option<(usize, bool, bool, usize, &'static str)> = None;
    let mut consider = |candidate: (usize, bool, bool, usize, &'static str)| {
        if best.is_none_or(|b| candidate < b) {
            best = Some(candidate);
        }
    };
    let city_edits = allowed_edits(city.chars().count());
    for z in zone_names() {
        let (_, zc) = zone_parts(z);
        let zfull = z.to_lowercase();
        // a typo anywhere in the name
        let whole = strsim::damerau_levenshtein(&full, &zfull);
        if whole <= allowed_edits(full.chars().count()).max(city_edits) && whole > 0 {
            consider(rank(z, whole));
        }
        // the city's zone, whatever region was written (if any): `Berlin`, `Berln`
        let edits = strsim::damerau_levenshtein(&city, &zc);
        if edits <= city_edits {
            consider(rank(z, edits));
        }
    }
    best.map(|b| b.4)
}

/// The ISO 4217 currency codes: the active ones, the funds and precious metals
/// (`XAU`), and a few recently withdrawn that old event logs still carry (`HRK`).
pub const CURRENCIES: &[&str] = &[
    "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
    "BMD", "BND", "BOB", "BOV", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHE", "CHF", "CHW", "CLF",
    "CLP", "CNY", "COP", "COU", "CRC", "CUC", "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB",
    "EUR", "FJD", "FKP", "GBP", "GEL", "GHS", "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HRK", "HTG", "HUF",
    "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD", "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD",
    "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL", "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU",
    "MUR", "MVR", "MWK", "MXN", "MXV", "MYR", "MZN", "NAD", "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN",
    "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD", "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD",
    "SHP", "SLE", "SLL", "SOS", "SRD", "SSP", "STN", "SVC", "SYP", "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY",
    "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "USN", "UYI", "UYU", "UYW", "UZS", "VED", "VES", "VND", "VUV", "WST",
    "XAF", "XAG", "XAU", "XBA", "XBB", "XBC", "XBD", "XCD", "XCG", "XDR", "XOF", "XPD", "XPF", "XPT", "XSU", "XTS",
    "XUA", "XXX", "YER", "ZAR", "ZMW", "ZWG", "ZWL",
];

/// The currencies most projects count in, first among equally close suggestions
/// (`USX` → `USD`, not `USN`).
const COMMON: &[&str] =
    &["USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "CNY", "SEK", "NOK", "DKK", "NZD", "INR", "BRL", "MXN"];

/// Is `code` an ISO 4217 currency code?
pub fn is_currency(code: &str) -> bool {
    CURRENCIES.contains(&code)
}

/// The ISO 4217 code `code` most likely means: the same code in another case (`eur`),
/// else a code one edit away (`EUE`, `UDS`), the common currencies first. `None` for
/// a known code.
pub fn currency(code: &str) -> Option<&'static str> {
    if is_currency(code) {
        return None;
    }
    let upper = code.trim().to_uppercase();
    if let Some(c) = CURRENCIES.iter().find(|c| **c == upper) {
        return Some(c);
    }
    CURRENCIES
        .iter()
        .map(|c| (strsim::damerau_levenshtein(&upper, c), c))
        .filter(|(edits, _)| *edits == 1)
        .min_by_key(|(_, c)| (COMMON.iter().position(|x| x == *c).unwrap_or(COMMON.len()), **c))
        .map(|(_, c)| *c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_typos_only() {
        assert_eq!(closest("purchse", ["purchase", "signup"]), Some("purchase"));
        assert_eq!(closest("zzz", ["purchase", "signup"]), None);
    }

    #[test]
    fn time_zones() {
        assert_eq!(time_zone("Europe/Berlin"), None);
        assert_eq!(time_zone("America/Chicgo"), Some("America/Chicago"));
        assert_eq!(time_zone("Europe/Berln"), Some("Europe/Berlin"));
        assert_eq!(time_zone("europe/berlin"), Some("Europe/Berlin"));
        assert_eq!(time_zone("Berlin"), Some("Europe/Berlin"));
        assert_eq!(time_zone("Berln"), Some("Europe/Berlin"));
        assert_eq!(time_zone("Amercia/Chicago"), Some("America/Chicago"));
        assert_eq!(time_zone("America/New York"), Some("America/New_York"));
        assert_eq!(time_zone("new_york"), Some("America/New_York"));
        assert_eq!(time_zone("utc"), Some("UTC"));
        // no city of that name, nothing close
        assert_eq!(time_zone("Europe/Frankfurt"), None);
        assert_eq!(time_zone(""), None);
        assert_eq!(time_zone("/"), None);
    }

    #[test]
    fn currencies() {
        assert_eq!(currency("EUR"), None);
        assert_eq!(currency("eur"), Some("EUR"));
        assert_eq!(currency("EUE"), Some("EUR"));
        assert_eq!(currency("UDS"), Some("USD"));
        assert_eq!(currency("USX"), Some("USD"));
        assert_eq!(currency("QQQ"), None);
        assert_eq!(currency(""), None);
    }
}
