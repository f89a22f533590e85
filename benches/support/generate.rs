//! A generator of large, realistic, *valid* journey repositories for benchmarks: a
//! shared schema, channels, a policy, `audiences` shared audiences and `journeys`
//! journeys of about 100 lines each, every one different (seeded), using every kind of
//! step. Deterministic for a seed.

use std::fmt::Write;
use std::path::Path;

/// SplitMix64: tiny, seeded, good enough to vary generated text.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E3779B97F4A7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58476D1CE4E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D049BB133111EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const SCHEMA: &str = r#"event signup { plan: one_of("free", "pro", "team"), source: text }
event session { device: one_of("web", "ios", "android") }
event cart_add { sku: text, price: money }
event purchase { amount: money, category: text, items: number }
event email_open { template: text }
event email_click { template: text }
event unsubscribe { channel: text }
event nps_response { score: number }
attribute email_opt_in: bool
attribute sms_opt_in: bool
attribute push_opt_in: bool
attribute country: text
attribute plan: one_of("free", "pro", "team")
attribute tier: one_of("bronze", "silver", "gold")
attribute timezone: timezone
attribute renewal_date: date
attribute lifetime_value: money

channel email {
  kind email
  consent email_opt_in
  quiet_hours 21:00..08:00 local
  cap 30 per 7d
}

channel sms {
  kind sms
  consent sms_opt_in
  quiet_hours 20:00..09:00 local
  cap 20 per 7d
}

channel push {
  kind push
  consent push_opt_in
  quiet_hours 22:00..08:00 local
  cap 20 per 7d
}

channel tasks {
  kind task
}

channel hooks {
  kind webhook
}

policy {
  cap any 60 per 7d
  min_gap 1h
  quiet_days [2026-12-25]
  conflicting [discount, full_price]
}
"#;

const EVENTS: &[&str] = &["signup", "session", "cart_add", "purchase", "email_open", "email_click"];

fn audience(i: usize, rng: &mut Rng) -> String {
    let lo = 10 + rng.below(80);
    let hi = lo + 20 + rng.below(200);
    match i % 5 {
        0 => format!(
            "audience seg_{i} = count(purchase, {}d) >= {} and sum(purchase.amount, 365d) >= {} USD",
            30 + rng.below(300),
            1 + rng.below(6),
            50 * (1 + rng.below(20))
        ),
        1 => format!("audience seg_{i} = since(purchase) > {lo}d and since(purchase) <= {hi}d"),
        2 => format!(
            "audience seg_{i} = plan == \"{}\" and country in [\"US\", \"CA\", \"GB\"]",
            ["free", "pro", "team"][i % 3]
        ),
        3 => format!(
            "audience seg_{i} = count(session where device == \"ios\", 30d) >= {} and not (tier == \"gold\")",
            1 + rng.below(10)
        ),
        _ => format!(
            "audience seg_{i} = avg(purchase.amount, 180d) > {} USD or count(email_click, 90d) >= {}",
            20 + rng.below(100),
            1 + rng.below(5)
        ),
    }
}

fn journey(j: usize, audiences: usize, rng: &mut Rng) -> String {
    let mut s = String::new();
    let seg = rng.below(audiences as u64);
    let _ = writeln!(s, "// generated journey {j}: a multi-stage lifecycle flow");
    let _ = writeln!(s, "journey j{j} {{");
    let _ = writeln!(s, "  title \"Generated journey number {j}\"");
    let _ = writeln!(s, "  owner \"team-{}\"", j % 17);
    let _ = writeln!(s, "  priority {}", rng.below(100));
    let _ = writeln!(s, "  tags [{}]", if j.is_multiple_of(2) { "discount" } else { "full_price" });
    match j % 4 {
        0 => {
            let _ = writeln!(s, "  entry when audience seg_{seg} entered");
        }
        1 => {
            let _ = writeln!(s, "  entry on purchase where amount > 20 USD");
        }
        2 => {
            let _ = writeln!(s, "  entry every {} at 10:00", ["monday", "tuesday", "day", "weekday"][j % 4]);
        }
        _ => {
            let _ = writeln!(s, "  entry at renewal_date - {}d at 09:00", 7 + rng.below(30));
        }
    }
    let _ =
        writeln!(s, "  audience email_opt_in and push_opt_in and sms_opt_in and seg_{}", rng.below(audiences as u64));
    let _ = writeln!(s, "  re_entry after {}d", 30 + rng.below(300));
    let _ = writeln!(s, "  exit on unsubscribe");
    let _ = writeln!(s, "  holdout {}%", rng.below(20));
    let stages = 8;
    for st in 0..stages {
        let next = if st + 1 < stages { format!("s{}", st + 1) } else { "end".to_string() };
        let _ = writeln!(s);
        let _ = writeln!(s, "  // stage {st}: why this stage exists, for the reviewer");
        let _ = writeln!(s, "  stage s{st} {{");
        let _ = writeln!(s, "    wait {}h", 2 + rng.below(48));
        let _ = writeln!(s, "    wait until {:02}:00 local", 9 + rng.below(10));
        let channel = ["email", "push", "sms"][(j + st) % 3];
        let _ = writeln!(s, "    send {channel} \"j{j}-s{st}-message\"");
        match st % 4 {
            0 => {
                let _ = writeln!(
                    s,
                    "    wait up to {}d for email_open where template == \"j{j}-s{st}-message\"",
                    1 + rng.below(5)
                );
                let _ = writeln!(s, "      then {next}");
                let _ = writeln!(s, "      timeout {next}");
            }
            1 => {
                let _ = writeln!(s, "    branch {{");
                let _ = writeln!(s, "      when count(purchase, 30d) >= {} -> {next}", 1 + rng.below(3));
                let _ = writeln!(s, "      when tier == \"gold\" -> {next}");
                let _ = writeln!(s, "      else -> {next}");
                let _ = writeln!(s, "    }}");
            }
            2 => {
                let a = 10 + rng.below(80);
                let _ = writeln!(s, "    set lifetime_value = {} USD", rng.below(1000));
                let _ = writeln!(s, "    task tasks \"Follow up on journey {j}\" assign \"csm\"");
                let _ = writeln!(s, "    webhook hooks \"j{j}-s{st}-hook\"");
                let _ = writeln!(s, "    split test_{j}_{st} {{");
                let _ = writeln!(s, "      {a}% -> {next}");
                let _ = writeln!(s, "      {}% -> {next}", 100 - a);
                let _ = writeln!(s, "    }}");
            }
            _ => {}
        }
        let _ = writeln!(s, "  }}");
    }
    let _ = writeln!(s);
    let ev = EVENTS[j % EVENTS.len()];
    let _ = writeln!(s, "  goal converted = {ev} within {}d", 7 + rng.below(60));
    let _ = writeln!(s, "  goal finished = reach s{} within 90d", stages - 1);
    let _ = writeln!(s, "  guardrail unsubscribe_rate < 0.5%");
    let _ = writeln!(s, "  guardrail sends_per_customer < 20");
    let _ = writeln!(s, "  assume converted +2pp (0pp..4pp)");
    let _ = writeln!(s, "}}");
    s
}

/// Write a repository into `dir`; returns (files, lines).
pub fn repository(dir: &Path, journeys: usize, audiences: usize, seed: u64) -> std::io::Result<(usize, usize)> {
    let mut rng = Rng::new(seed);
    std::fs::create_dir_all(dir.join("journeys"))?;
    std::fs::write(dir.join("journey.yaml"), "timezone: UTC\ncurrency: USD\ninclude: [\"journeys/**\"]\n")?;
    let mut lines = 0;
    std::fs::write(dir.join("journeys/schema.journey"), SCHEMA)?;
    lines += SCHEMA.lines().count();
    let auds: String = (0..audiences).map(|i| audience(i, &mut rng) + "\n").collect();
    lines += auds.lines().count();
    std::fs::write(dir.join("journeys/audiences.journey"), auds)?;
    for j in 0..journeys {
        let text = journey(j, audiences, &mut rng);
        lines += text.lines().count();
        std::fs::write(dir.join(format!("journeys/j{j:04}.journey")), text)?;
    }
    Ok((journeys + 2, lines))
}
