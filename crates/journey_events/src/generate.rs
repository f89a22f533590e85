//! Seeded synthetic logs of the Northwind Coffee library (journeys/schema.journey), for
//! examples, tests and benchmarks. See docs/events.md, "Synthetic logs".
//!
//! Each customer signs up on a uniformly drawn day and then lives a Pareto/NBD-like
//! life: a purchase rate λ ~ Gamma(0.9, 6 weeks) and a dropout rate μ ~ Gamma(0.6,
//! 12 weeks) drawn once, purchases as a Poisson process while alive, sessions (more for
//! heavier buyers), product views, carts that are bought or abandoned, deliveries and
//! reviews, subscriptions with renewals, pauses and cancellations, a weekly newsletter
//! (opens, clicks, unsubscribes), push opens, NPS answers and referrals. Times follow
//! each customer's local day (7:00–23:00 in their zone). Output is sorted by time, so
//! it is in order per customer; the same seed gives byte-identical output.

use crate::time::{days_from_civil, format as fmt_time, local_to_utc};
use crate::Timestamp;
use chrono_tz::Tz;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::Write;

const DAY: i64 = 86_400_000;
const HOUR: i64 = 3_600_000;
const MIN: i64 = 60_000;

pub use crate::log_writer::OutFormat;
use crate::log_writer::{Cell, LogWriter};

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerateOptions {
    pub seed: u64,
    pub customers: u32,
    pub days: u32,
    /// First day (UTC), as (year, month, day).
    pub start: (i32, u32, u32),
}

impl Default for GenerateOptions {
    fn default() -> Self {
        GenerateOptions { seed: 1, customers: 1000, days: 90, start: (2025, 1, 1) }
    }
}

/// What was generated.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GenerateStats {
    pub events: u64,
    pub customers: u32,
}

/// Generate a log of `customers` customers over `days` days from 2025-01-01.
pub fn generate(
    seed: u64,
    customers: u32,
    days: u32,
    out: &mut (dyn Write + Send),
    format: OutFormat,
) -> std::io::Result<GenerateStats> {
    generate_with(&GenerateOptions { seed, customers, days, ..Default::default() }, out, format, None)
}

/// The columns of generated CSV and Parquet logs: the fixed ones, then every property
/// name of the schema (properties of the same name share a column). `true`: numeric.
pub const PROPERTY_COLUMNS: &[(&str, bool)] = &[
    ("source", false),
    ("platform", false),
    ("product_id", false),
    ("category", false),
    ("price", true),
    ("quantity", true),
    ("cart_value", true),
    ("items", true),
    ("top_category", false),
    ("order_id", false),
    ("amount", true),
    ("discount_code", false),
    ("days_in_transit", true),
    ("rating", true),
    ("plan", false),
    ("renewal_count", true),
    ("weeks", true),
    ("reason", false),
    ("template", false),
    ("url", false),
    ("channel", false),
    ("score", true),
    ("comment", false),
    ("medium", false),
    ("friend_order_value", true),
];

fn col(name: &str) -> usize {
    PROPERTY_COLUMNS.iter().position(|(n, _)| *n == name).expect("a generated property has a column")
}

// ------------------------------------------------------------------------------ RNG

/// xoshiro256** seeded through SplitMix64: small, fast, and stable forever (the output
/// of a seed must not change when a dependency is upgraded).
#[derive(Debug, Clone)]
pub struct Rng([u64; 4]);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng([next(), next(), next(), next()])
    }
    pub fn u64(&mut self) -> u64 {
        let s = &mut self.0;
        let r = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        r
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.u64() as u128 * n as u128) >> 64) as u64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
    pub fn normal(&mut self) -> f64 {
        let u = 1.0 - self.f64();
        let v = self.f64();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    /// Gamma(shape, scale), Marsaglia and Tsang.
    pub fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        if shape < 1.0 {
            let u = 1.0 - self.f64();
            return self.gamma(shape + 1.0, scale) * u.powf(1.0 / shape);
        }
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        loop {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = 1.0 - self.f64();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v * scale;
            }
        }
    }
    /// Poisson(mean) for small means (Knuth).
    pub fn poisson(&mut self, mean: f64) -> u32 {
        let l = (-mean).exp();
        let mut k = 0;
        let mut p = 1.0;
        loop {
            p *= self.f64();
            if p <= l || k > 1000 {
                return k;
            }
            k += 1;
        }
    }
    pub fn pick<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.f64() * total;
        for (t, w) in items {
            if x < *w {
                return t;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
}

/// `t` moved inside the period `[lo, hi)` (instants on whole minutes): a sign-up that
/// the customer's zone puts past the end (an evening of the last day, west of UTC) is
/// reflected back across the end, one before the start forward across the start. It
/// takes no draw, so the other customers' logs stay as they were; the reflection
/// moves it by less than the zone's offset, so it stays on a waking hour of the day.
pub fn within(t: Timestamp, lo: Timestamp, hi: Timestamp) -> Timestamp {
    if t >= hi {
        (2 * hi - MIN - t).max(lo)
    } else if t < lo {
        (2 * lo - t).min(hi - MIN)
    } else {
        t
    }
}

// ------------------------------------------------------------------------------ model

#[derive(Debug, Clone)]
enum Val {
    S(&'static str),
    T(String),
    N(f64),
}

#[derive(Debug, Clone)]
struct Rec {
    customer: u32,
    event: &'static str,
    revenue: Option<f64>,
    props: Vec<(usize, Val)>,
}

const ZONES: &[((&str, &str), f64)] = &[
    (("America/New_York", "US"), 0.35),
    (("America/Chicago", "US"), 0.2),
    (("America/Los_Angeles", "US"), 0.2),
    (("America/Toronto", "CA"), 0.1),
    (("Europe/London", "GB"), 0.15),
];
const SOURCES: &[(&str, f64)] =
    &[("organic", 0.35), ("paid_social", 0.2), ("search", 0.2), ("referral", 0.1), ("cafe_qr", 0.1), ("gift", 0.05)];
const PLATFORMS: &[(&str, f64)] = &[("web", 0.55), ("ios", 0.3), ("android", 0.15)];
const CATEGORIES: &[(&str, f64)] = &[("beans", 0.7), ("equipment", 0.12), ("merch", 0.1), ("gift_card", 0.08)];
const PLANS: &[(&str, f64)] = &[("monthly", 0.6), ("quarterly", 0.3), ("annual", 0.1)];
const REASONS: &[(&str, f64)] =
    &[("too_much_coffee", 0.35), ("price", 0.3), ("taste", 0.1), ("moving", 0.05), ("other", 0.2)];
const NAMES: &[&str] = &["Ana", "Ben", "Chloé", "Dev", "Emma", "Femi", "Grace", "Hiro", "Ines", "Jon", "Kofi", "Lena"];
const NEWSLETTERS: &[&str] = &["weekly-roast-drop", "brew-guide", "new-origins", "weekend-offer"];

fn price(category: &str, rng: &mut Rng) -> f64 {
    let base = match category {
        "beans" => 14.0 + rng.below(10) as f64,
        "equipment" => 35.0 + rng.below(120) as f64,
        "merch" => 12.0 + rng.below(20) as f64,
        _ => [25.0, 50.0, 100.0][rng.below(3) as usize],
    };
    base + if category == "gift_card" { 0.0 } else { 0.5 }
}

fn plan_price(plan: &str) -> (f64, i64) {
    match plan {
        "monthly" => (32.0, 30),
        "quarterly" => (89.0, 91),
        _ => (329.0, 365),
    }
}

#[derive(Debug)]
struct Customer {
    key: String,
    tz: Tz,
    country: &'static str,
    signup_day: i64,
    /// Last day of activity (exclusive): the Pareto/NBD dropout.
    alive_until: i64,
    /// Purchases per day while alive.
    lambda: f64,
    platform: &'static str,
    source: &'static str,
    email_opt_in: bool,
    /// What the snapshot says: the consent given at sign-up. The log's `unsubscribe`
    /// events withdraw it during a replay, when they happen; a snapshot taken after
    /// them would hide every message the customer got before unsubscribing.
    email_opt_in_at_signup: bool,
    sms_opt_in: bool,
    push_opt_in: bool,
    plan: Option<&'static str>,
    renewals: u32,
    next_renewal: Option<i64>,
    subscription_price: f64,
    orders: u32,
    spend: f64,
    nps_done: bool,
    roast: &'static str,
    brew: &'static str,
    birthday: (i32, u32, u32),
    first_name: &'static str,
    referral_invited: bool,
}

struct Sim {
    rng: Rng,
    start_day: i64,
    days: i64,
    customers: Vec<Customer>,
    heap: BinaryHeap<Reverse<(Timestamp, u64)>>,
    pending: std::collections::HashMap<u64, Rec>,
    seq: u64,
    order_seq: u64,
}

impl Sim {
    fn push(&mut self, t: Timestamp, rec: Rec) {
        self.seq += 1;
        self.heap.push(Reverse((t, self.seq)));
        self.pending.insert(self.seq, rec);
    }

    /// A UTC instant at `hour:minute` local time on `day` (days since the epoch).
    fn at(&self, c: usize, day: i64, minutes: i64) -> Timestamp {
        local_to_utc(day * DAY + minutes * MIN, self.customers[c].tz)
    }

    /// Random local time of day in waking hours (7:00–23:00), evening-weighted.
    fn waking(&mut self) -> i64 {
        let h = if self.rng.chance(0.45) { self.rng.range(18, 22) } else { self.rng.range(7, 17) };
        h * 60 + self.rng.range(0, 59)
    }

    fn rec(&self, c: usize, event: &'static str, props: Vec<(&str, Val)>) -> Rec {
        Rec { customer: c as u32, event, revenue: None, props: props.into_iter().map(|(k, v)| (col(k), v)).collect() }
    }

    fn new_customer(&mut self, i: u32) -> Customer {
        let rng = &mut self.rng;
        let (tz, country) = *rng.pick(ZONES);
        let lambda = rng.gamma(0.9, 1.0 / 6.0) / 7.0; // Gamma(r, α = 6 weeks): per day
        let mu = rng.gamma(0.6, 1.0 / 12.0) / 7.0;
        let (platform, source) = (rng.pick(PLATFORMS), rng.pick(SOURCES));
        let (platform, source): (&'static str, &'static str) = (platform, source);
        let signup_day = self.start_day + rng.below(self.days as u64) as i64;
        let life = if mu > 0.0 { (-(1.0 - rng.f64()).ln() / mu).min(1e6) } else { 1e6 };
        let email_opt_in = rng.chance(0.8);
        Customer {
            key: format!("c{:07}", i + 1),
            tz: tz.parse().expect("known zone"),
            country,
            signup_day,
            alive_until: signup_day + life.ceil() as i64,
            lambda,
            platform,
            source,
            email_opt_in,
            email_opt_in_at_signup: email_opt_in,
            sms_opt_in: rng.chance(0.3),
            push_opt_in: rng.chance(0.5),
            plan: None,
            renewals: 0,
            next_renewal: None,
            subscription_price: 0.0,
            orders: 0,
            spend: 0.0,
            nps_done: false,
            roast: ["light", "medium", "dark", "decaf", "unknown"][rng.below(5) as usize],
            brew: ["espresso", "filter", "french_press", "moka", "unknown"][rng.below(5) as usize],
            birthday: (1950 + rng.below(55) as i32, 1 + rng.below(12) as u32, 1 + rng.below(28) as u32),
            first_name: NAMES[rng.below(NAMES.len() as u64) as usize],
            referral_invited: false,
        }
    }

    /// Everything customer `c` starts doing on `day`.
    fn day(&mut self, c: usize, day: i64) {
        let (alive, signup, source) = {
            let cu = &self.customers[c];
            (day < cu.alive_until, cu.signup_day, cu.source)
        };
        if day == signup {
            let w = self.waking();
            let (lo, hi) = (self.start_day * DAY, (self.start_day + self.days) * DAY);
            let t = within(self.at(c, day, w), lo, hi);
            let r = self.rec(c, "signup", vec![("source", Val::S(source))]);
            self.push(t, r);
            // most first orders come soon after sign-up
            if self.rng.chance(0.55) {
                let minutes = self.rng.range(5, 90);
                self.shop(c, t + minutes * MIN, true);
            } else {
                self.session(c, t + 2 * MIN, false);
            }
            return;
        }
        // weekly newsletter, Tuesdays 10:00 local (1970-01-01 was a Thursday)
        if (day + 3).rem_euclid(7) == 1 && self.customers[c].email_opt_in {
            self.newsletter(c, day, alive);
        }
        if let Some(next) = self.customers[c].next_renewal {
            if next == day {
                self.renewal(c, day, alive);
            }
        }
        if !alive {
            return;
        }
        let lambda = self.customers[c].lambda;
        let purchases = self.rng.poisson(lambda);
        for _ in 0..purchases {
            let w = self.waking();
            let t = self.at(c, day, w);
            self.shop(c, t, true);
        }
        // browsing without buying: more for heavier buyers, fading with tenure
        let tenure = (day - self.customers[c].signup_day) as f64;
        let browse = 0.04 + 2.5 * lambda + 0.15 * (-tenure / 30.0).exp();
        for _ in 0..self.rng.poisson(browse) {
            let w = self.waking();
            let t = self.at(c, day, w);
            let cart = self.rng.chance(0.25);
            self.session(c, t, cart);
        }
    }

    fn session(&mut self, c: usize, t: Timestamp, cart: bool) -> (Timestamp, f64, u32, &'static str) {
        let platform = self.customers[c].platform;
        let r = self.rec(c, "session", vec![("platform", Val::S(platform))]);
        self.push(t, r);
        let mut t = t;
        let views = 1 + self.rng.below(4);
        let mut last = ("beans", String::new(), 0.0);
        for _ in 0..views {
            t += self.rng.range(1, 4) * MIN;
            let cat = *self.rng.pick(CATEGORIES);
            let pid = format!("{}-{:03}", &cat[..2], self.rng.below(60));
            let p = price(cat, &mut self.rng);
            let r = self.rec(
                c,
                "product_view",
                vec![("product_id", Val::T(pid.clone())), ("category", Val::S(cat)), ("price", Val::N(p))],
            );
            self.push(t, r);
            last = (cat, pid, p);
        }
        if platform != "web" && self.rng.chance(0.1) {
            t += MIN;
            let r = self.rec(c, "in_app_click", vec![("template", Val::S("app-home-banner"))]);
            self.push(t, r);
        }
        if !cart {
            return (t, 0.0, 0, "beans");
        }
        let qty = if last.0 == "beans" { 1 + self.rng.below(3) as u32 } else { 1 };
        t += self.rng.range(1, 3) * MIN;
        let r = self.rec(
            c,
            "cart_add",
            vec![
                ("product_id", Val::T(last.1)),
                ("category", Val::S(last.0)),
                ("price", Val::N(last.2)),
                ("quantity", Val::N(qty as f64)),
            ],
        );
        self.push(t, r);
        let value = (last.2 * qty as f64 * 100.0).round() / 100.0;
        (t, value, qty, last.0)
    }

    /// A session that ends in an order (or, one time in five, an abandoned checkout).
    fn shop(&mut self, c: usize, t: Timestamp, _buy: bool) {
        let (t, value, items, cat) = self.session(c, t, true);
        let t = t + self.rng.range(1, 5) * MIN;
        let r = self.rec(c, "checkout_start", vec![("cart_value", Val::N(value)), ("items", Val::N(items as f64))]);
        self.push(t, r);
        if self.rng.chance(0.2) {
            let r = self.rec(
                c,
                "cart_abandon",
                vec![("cart_value", Val::N(value)), ("items", Val::N(items as f64)), ("top_category", Val::S(cat))],
            );
            self.push(t + 30 * MIN, r);
            return;
        }
        self.order_seq += 1;
        let order = format!("o{:08}", self.order_seq);
        let code =
            if self.rng.chance(0.15) { ["WELCOME10", "BEANS5", "FRIEND10"][self.rng.below(3) as usize] } else { "" };
        let amount = if code.is_empty() { value } else { (value * 0.9 * 100.0).round() / 100.0 };
        let t = t + self.rng.range(1, 6) * MIN;
        let mut r = self.rec(
            c,
            "purchase",
            vec![
                ("order_id", Val::T(order.clone())),
                ("amount", Val::N(amount)),
                ("category", Val::S(cat)),
                ("items", Val::N(items as f64)),
                ("discount_code", Val::S(code)),
            ],
        );
        r.revenue = Some(amount);
        self.push(t, r);
        let cu = &mut self.customers[c];
        cu.orders += 1;
        cu.spend += amount;
        let first = cu.orders == 1;
        let transit = self.rng.range(2, 5);
        let delivered = t + transit * DAY + self.rng.range(-3, 3) * HOUR;
        let r = self.rec(
            c,
            "order_delivered",
            vec![("order_id", Val::T(order.clone())), ("days_in_transit", Val::N(transit as f64))],
        );
        self.push(delivered, r);
        if self.rng.chance(0.15) {
            let rating = *self.rng.pick(&[(5.0, 0.55), (4.0, 0.25), (3.0, 0.1), (2.0, 0.05), (1.0, 0.05)]);
            let r = self.rec(c, "review_submitted", vec![("order_id", Val::T(order)), ("rating", Val::N(rating))]);
            let at = delivered + self.rng.range(4, 72) * HOUR;
            self.push(at, r);
        }
        if first && !self.customers[c].nps_done && self.rng.chance(0.2) {
            self.customers[c].nps_done = true;
            let score = (9.0 + self.rng.normal() * 2.0).round().clamp(0.0, 10.0);
            let comment = if self.rng.chance(0.3) { "love the beans" } else { "" };
            let r = self.rec(c, "nps_response", vec![("score", Val::N(score)), ("comment", Val::S(comment))]);
            self.push(t + 30 * DAY, r);
        }
        if self.customers[c].plan.is_none() && self.customers[c].orders >= 2 && self.rng.chance(0.15) {
            let plan = *self.rng.pick(PLANS);
            let (p, period) = plan_price(plan);
            let ts = t + self.rng.range(10, 60) * MIN;
            let mut r = self.rec(c, "subscription_started", vec![("plan", Val::S(plan)), ("amount", Val::N(p))]);
            r.revenue = Some(p);
            self.push(ts, r);
            let day = ts.div_euclid(DAY);
            let cu = &mut self.customers[c];
            cu.plan = Some(plan);
            cu.subscription_price = p;
            cu.renewals = 0;
            cu.next_renewal = Some(day + period);
        }
        if self.rng.chance(0.05) {
            let medium = *self.rng.pick(&[("email", 0.5), ("link", 0.35), ("sms", 0.15)]);
            let r = self.rec(c, "referral_sent", vec![("medium", Val::S(medium))]);
            let at = t + self.rng.range(1, 48) * HOUR;
            self.push(at, r);
            self.customers[c].referral_invited = true;
            if self.rng.chance(0.3) {
                let v = 20.0 + self.rng.below(40) as f64;
                let r = self.rec(c, "referral_converted", vec![("friend_order_value", Val::N(v))]);
                let at = t + self.rng.range(3, 20) * DAY;
                self.push(at, r);
            }
        }
    }

    fn renewal(&mut self, c: usize, day: i64, alive: bool) {
        let plan = self.customers[c].plan.expect("a renewal has a plan");
        let (p, period) = plan_price(plan);
        let minute = 6 * 60 + self.rng.range(0, 59);
        let t = self.at(c, day, minute);
        // a customer who has lapsed cancels; others cancel or pause now and then
        if !alive || self.rng.chance(0.06) {
            let reason = if alive { *self.rng.pick(REASONS) } else { "too_much_coffee" };
            let r = self.rec(c, "subscription_cancelled", vec![("plan", Val::S(plan)), ("reason", Val::S(reason))]);
            self.push(t, r);
            let cu = &mut self.customers[c];
            cu.plan = None;
            cu.next_renewal = None;
            return;
        }
        if self.rng.chance(0.04) {
            let weeks = self.rng.range(2, 6);
            let r = self.rec(c, "subscription_paused", vec![("weeks", Val::N(weeks as f64))]);
            self.push(t, r);
            self.customers[c].next_renewal = Some(day + weeks * 7);
            return;
        }
        let cu = &mut self.customers[c];
        cu.renewals += 1;
        cu.next_renewal = Some(day + period);
        let n = cu.renewals;
        let mut r = self.rec(
            c,
            "subscription_renewed",
            vec![("plan", Val::S(plan)), ("amount", Val::N(p)), ("renewal_count", Val::N(n as f64))],
        );
        r.revenue = Some(p);
        self.push(t, r);
    }

    fn newsletter(&mut self, c: usize, day: i64, alive: bool) {
        let week = (day / 7) as usize;
        let template = NEWSLETTERS[week % NEWSLETTERS.len()];
        let sent = self.at(c, day, 10 * 60);
        let p_open = if alive { 0.3 } else { 0.06 };
        if self.rng.chance(p_open) {
            let t = sent + self.rng.range(5, 600) * MIN;
            let r = self.rec(c, "email_open", vec![("template", Val::S(template))]);
            self.push(t, r);
            if self.rng.chance(0.25) {
                let url = format!("https://northwind.coffee/{template}");
                let r = self.rec(c, "email_click", vec![("template", Val::S(template)), ("url", Val::T(url))]);
                let at = t + self.rng.range(1, 10) * MIN;
                self.push(at, r);
            }
        }
        if self.rng.chance(if alive { 0.003 } else { 0.01 }) {
            let r = self.rec(c, "unsubscribe", vec![("channel", Val::S("email"))]);
            let at = sent + self.rng.range(5, 240) * MIN;
            self.push(at, r);
            self.customers[c].email_opt_in = false;
        }
        if self.customers[c].push_opt_in && self.customers[c].platform != "web" && alive && self.rng.chance(0.1) {
            let r = self.rec(c, "push_open", vec![("template", Val::S("weekly-roast-push"))]);
            let at = sent + self.rng.range(60, 300) * MIN;
            self.push(at, r);
        }
    }
}

// ------------------------------------------------------------------------------ output

fn num(f: f64) -> String {
    crate::log_writer::number(f)
}

fn cells(rec: &Rec) -> Vec<(usize, Cell<'_>)> {
    rec.props
        .iter()
        .map(|(i, v)| {
            (
                *i,
                match v {
                    Val::S(s) => Cell::Text(s),
                    Val::T(s) => Cell::Text(s),
                    Val::N(n) => Cell::Number(*n),
                },
            )
        })
        .collect()
}

/// Generate a log (and, when `attributes` is given, the attribute snapshot at the end
/// of the period, as CSV with a `customer_id` column and one column per attribute of
/// journeys/schema.journey).
pub fn generate_with(
    options: &GenerateOptions,
    out: &mut (dyn Write + Send),
    format: OutFormat,
    attributes: Option<&mut dyn Write>,
) -> std::io::Result<GenerateStats> {
    let (y, m, d) = options.start;
    let start_day = days_from_civil(y as i64, m, d);
    let days = options.days.max(1) as i64;
    let mut sim = Sim {
        rng: Rng::new(options.seed),
        start_day,
        days,
        customers: Vec::with_capacity(options.customers as usize),
        heap: BinaryHeap::new(),
        pending: std::collections::HashMap::new(),
        seq: 0,
        order_seq: 0,
    };
    for i in 0..options.customers {
        let c = sim.new_customer(i);
        sim.customers.push(c);
    }
    // customers in sign-up order, so each day only visits those already signed up
    let mut order: Vec<usize> = (0..sim.customers.len()).collect();
    order.sort_by_key(|&i| (sim.customers[i].signup_day, i));
    let columns = PROPERTY_COLUMNS.iter().map(|(n, numeric)| (n.to_string(), *numeric)).collect();
    let mut sink = LogWriter::new(out, format, columns)?;
    let end = start_day + days;
    let mut stats = GenerateStats { events: 0, customers: options.customers };
    let mut signed = 0;
    for day in start_day..end {
        while signed < order.len() && sim.customers[order[signed]].signup_day <= day {
            signed += 1;
        }
        for &c in &order[..signed] {
            sim.day(c, day);
        }
        // everything before the end of this UTC day is final: later days only add
        // events at or after their own start
        let horizon = (day + 1) * DAY;
        while let Some(&Reverse((t, seq))) = sim.heap.peek() {
            if t >= horizon {
                break;
            }
            sim.heap.pop();
            let rec = sim.pending.remove(&seq).expect("queued record");
            if t < end * DAY {
                sink.write(t, &sim.customers[rec.customer as usize].key, rec.event, rec.revenue, &cells(&rec))?;
                stats.events += 1;
            }
        }
    }
    sink.finish()?;
    if let Some(out) = attributes {
        write_attributes(&sim, end, out)?;
    }
    Ok(stats)
}

fn write_attributes(sim: &Sim, end: i64, out: &mut dyn Write) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    writeln!(
        out,
        "customer_id,first_name,country,timezone,birthday,signup_source,email_opt_in,sms_opt_in,push_opt_in,plan,\
         renewal_date,subscription_price,roast_preference,brew_method,vip_tier,winback_offer_used,referral_invited,csm_owner"
    )?;
    for c in sim.customers.iter().filter(|c| c.signup_day < end) {
        let (y, m, d) = c.birthday;
        let renewal = c.next_renewal.map(|r| fmt_time(r * DAY)[..10].to_string()).unwrap_or_default();
        let vip = if c.spend > 400.0 {
            "gold"
        } else if c.spend > 150.0 {
            "silver"
        } else {
            "none"
        };
        writeln!(
            out,
            "{},{},{},{},{y:04}-{m:02}-{d:02},{},{},{},{},{},{},{},{},{},{},false,{},{}",
            c.key,
            c.first_name,
            c.country,
            c.tz.name(),
            c.source,
            c.email_opt_in_at_signup,
            c.sms_opt_in,
            c.push_opt_in,
            c.plan.unwrap_or("none"),
            renewal,
            if c.plan.is_some() { num(c.subscription_price) } else { String::new() },
            c.roast,
            c.brew,
            vip,
            c.referral_invited,
            if vip == "gold" { "csm-ana" } else { "" },
        )?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rng_is_stable_and_gamma_has_the_right_mean() {
        let mut r = Rng::new(7);
        let first: Vec<u64> = (0..3).map(|_| r.u64()).collect();
        let mut again = Rng::new(7);
        assert_eq!(first, (0..3).map(|_| again.u64()).collect::<Vec<_>>());
        let n = 20_000;
        let mean = (0..n).map(|_| r.gamma(0.6, 2.0)).sum::<f64>() / n as f64;
        assert!((mean - 1.2).abs() < 0.06, "{mean}");
        let mean = (0..n).map(|_| r.poisson(0.7) as f64).sum::<f64>() / n as f64;
        assert!((mean - 0.7).abs() < 0.03, "{mean}");
    }

    #[test]
    fn same_seed_same_bytes_and_time_sorted() {
        let run = |seed| {
            let mut v = Vec::new();
            generate(seed, 50, 30, &mut v, OutFormat::Csv).unwrap();
            String::from_utf8(v).unwrap()
        };
        let a = run(3);
        assert_eq!(a, run(3));
        assert_ne!(a, run(4));
        let times: Vec<&str> = a.lines().skip(1).map(|l| l.split(',').nth(1).unwrap()).collect();
        assert!(times.len() > 100, "{}", times.len());
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn within_keeps_the_minute_and_the_period() {
        let (lo, hi) = (10 * DAY, 12 * DAY);
        assert_eq!(within(lo + 5 * MIN, lo, hi), lo + 5 * MIN);
        assert_eq!(within(hi, lo, hi), hi - MIN);
        assert_eq!(within(hi + 7 * HOUR, lo, hi), hi - 7 * HOUR - MIN);
        assert_eq!(within(lo - 3 * HOUR, lo, hi), lo + 3 * HOUR);
        assert_eq!(within(hi + 9 * DAY, lo, hi), lo);
        assert_eq!(within(lo - 9 * DAY, lo, hi), hi - MIN);
    }
}
