//! One customer's state and the virtual clock that drives it.

use crate::accounts::AccountBook;
use crate::experiment::CustomerCell;
use crate::expr::{self, eval, Scope, Track, Tracker, V};
use crate::reactions;
use crate::readers::ReadMask;
use crate::tally::Tally;
use crate::ticks::ChunkCursor;
use crate::time::{self, DAY};
use crate::{
    stable_hash, stable_hash_from, Action, ActionKind, AttrValue, CGoal, CStep, CTrigger, Customer, DeferReason,
    Engine, ExitReason, QuietMode, Row, Suppression, Target, STEP_LIMIT,
};
use chrono::Datelike;
use chrono_tz::Tz;
use journey_events::{CustomerId, Event, Interner};
use journey_ir::ReEntry;
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

mod footprint;
mod journeys;
mod members;
pub use footprint::Footprint;

/// Timer classes, in the order they fire at the same millisecond.
const RESUME: u8 = 0;
const ENTRY: u8 = 1;
const AUDIENCE: u8 = 2;
/// Not a timer: an event comes after every timer of its millisecond.
const EVENT: u8 = 3;
/// An unsubscribe, bounce or complaint this soon after a message is that message's.
const OPT_OUT_WINDOW: i64 = 7 * DAY;

/// A timer in 16 bytes (a customer may hold dozens): its time, then its class, the
/// journey's priority rank (0 = highest priority; 0 for audience checks, and the
/// journey is the one of that rank) and its creation number packed into one key in
/// that order of significance, so that timers order by (time, class, rank, creation)
/// as the rules say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Timer {
    time: i64,
    key: u64,
}

/// Bits of a timer's creation number: a customer would need a million million timers
/// to run out.
const SEQ_BITS: u32 = 40;
/// Bits of a journey's rank (four million journeys).
const RANK_BITS: u32 = 22;

impl Timer {
    fn new(time: i64, class: u8, rank: u32, seq: u64) -> Timer {
        debug_assert!(class < 4 && u64::from(rank) < 1 << RANK_BITS && seq < 1 << SEQ_BITS);
        let rank = u64::from(rank) & ((1 << RANK_BITS) - 1);
        let key = u64::from(class) << (RANK_BITS + SEQ_BITS) | rank << SEQ_BITS | (seq & ((1 << SEQ_BITS) - 1));
        Timer { time, key }
    }

    fn class(&self) -> u8 {
        (self.key >> (RANK_BITS + SEQ_BITS)) as u8
    }

    fn rank(&self) -> u32 {
        (self.key >> SEQ_BITS) as u32 & ((1 << RANK_BITS) - 1)
    }

    fn seq(&self) -> u64 {
        self.key & ((1 << SEQ_BITS) - 1)
    }

    /// The journey of a resume or entry timer (the one of its rank).
    fn journey(&self, eng: &Engine) -> usize {
        eng.order.get(self.rank() as usize).copied().unwrap_or(0)
    }
}

#[derive(Debug, Clone)]
struct Active {
    node: u32,
    /// The timer that may wake this customer here (stale timers are ignored); 0: none
    /// (timers are numbered from 1).
    wake: u64,
    stage: u32,
    /// The split arms this entry took (numbered as in `CJourney::arms`).
    arms: Inline<u16, 2>,
}

/// A customer's state in one journey they entered (or were counted in): 32 bytes.
#[derive(Debug, Clone)]
struct JState {
    /// Boxed: a customer is in few of the journeys they have a state in (a fifth of
    /// one, on average, on the generated logs), so the others pay a pointer.
    active: Option<Box<Active>>,
    /// When the customer last entered ([`NEVER`]: never).
    last_entry: i64,
    entries: u32,
    journey: u32,
    /// Bit `k`: this customer was counted as refused for a missing value read by
    /// audience clause `k` (the first 64 clauses).
    unknown_counted: u64,
}

/// A customer's plan of the next entry of a scheduled or date-attribute journey
/// (kept apart from [`JState`]: every customer has one per such journey, and most
/// enter few of the others).
#[derive(Debug, Clone)]
struct Plan {
    journey: u32,
    /// The next date-attribute occurrence (`entry at DATE ...`), local year offset.
    date_years: i32,
    /// The chunk of a scheduled journey's ticks (in this customer's zone, shared by
    /// the engine) looked at last.
    ticks: ChunkCursor,
    /// The entry timer that counts; an older one (planned from a date attribute that
    /// a `set` has changed since, or a tick given up by parking) is ignored when it
    /// fires. 0: none (timers are numbered from 1).
    entry_timer: u64,
    /// Every tick of a scheduled journey before this instant has fired or been
    /// counted.
    tick_from: i64,
    /// Parked: the last tick was refused and the ticks from `tick_from` on would be
    /// refused for the same reason without anything else happening, so they are
    /// counted without being fired, up to the first one the reason may no longer hold
    /// for (the only one armed). See [`Park`].
    parked: Option<Park>,
}

impl journeys::Blank for Plan {
    const EMPTY: Plan =
        Plan { journey: 0, date_years: 0, ticks: None, entry_timer: 0, tick_from: i64::MIN, parked: None };
    fn empty() -> &'static Plan {
        static EMPTY: Plan = Plan::EMPTY;
        &EMPTY
    }
    fn of(journey: u32) -> Plan {
        Plan { journey, ..Plan::EMPTY }
    }
    fn journey(&self) -> u32 {
        self.journey
    }
}

/// `JState::last_entry` of a customer who never entered.
const NEVER: i64 = i64::MIN;

impl journeys::Blank for JState {
    const EMPTY: JState = JState { active: None, last_entry: NEVER, entries: 0, journey: 0, unknown_counted: 0 };
    fn empty() -> &'static JState {
        static EMPTY: JState = JState::EMPTY;
        &EMPTY
    }
    fn of(journey: u32) -> JState {
        JState { journey, ..JState::EMPTY }
    }
    fn journey(&self) -> u32 {
        self.journey
    }
}

impl JState {
    fn last_entry(&self) -> Option<i64> {
        (self.last_entry != NEVER).then_some(self.last_entry)
    }
}

/// What became of an entry attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    Entered,
    /// The customer does not exist yet.
    BeforeExists,
    /// Already in the journey.
    AlreadyIn,
    /// `re_entry` forbids it for now.
    Blocked,
    /// The journey's `audience` filter said no.
    Filtered,
    /// issue 15: outside the journey's campaign window.
    OutsideWindow,
}

/// Why a scheduled journey's ticks are parked, and so what each skipped tick counts
/// as. Each reason holds until a known instant or a known change: the filter until what
/// it reads changes or crosses a threshold (`settle` unparks it), existence until the
/// customer exists (fixed once the clock runs), `already_in` until the customer leaves
/// (`exit` unparks it), `re_entry` until its window ends (never, for `never`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Park {
    Filtered,
    /// The filter's clause `k` (of `CJourney::audience_clauses`) is false, and the
    /// filter with it, until what that clause reads changes or crosses a threshold
    /// (see [`crate::ParkClause`]).
    FilteredBy(u8),
    BeforeExists,
    AlreadyIn,
    Blocked,
}

#[derive(Debug, Clone)]
struct PendingGoal {
    journey: u32,
    goal: u32,
    entered: i64,
    deadline: i64,
    holdout: bool,
    /// issue 15: a would-be entry of a customer in the program's global holdout.
    global: bool,
    /// The split arms the entry took so far, which share its conversion.
    arms: Inline<u16, 2>,
}

/// Everything the engine remembers about one customer. Its size is bounded by the
/// program (journeys, aggregates, cap windows), never by the number of events.
#[derive(Debug, Clone)]
pub struct CustomerState {
    id: CustomerId,
    key: Box<str>,
    /// One value per attribute of the program: shared with the snapshot's row (or the
    /// engine's blank one) until a value is written, then the state's own (see
    /// [`CustomerState::attrs_mut`]).
    attrs: Row,
    tz: Tz,
    /// When the customer came to exist (`i64::MAX`: not yet); see
    /// [`crate::Engine::with_created_at`].
    exists_from: i64,
    /// Each aggregate's tracker and its next flip.
    tracks: Vec<Tracker>,
    members: members::Members,
    journeys: journeys::Journeys<JState>,
    plans: journeys::Journeys<Plan>,
    /// Bit `j`: in journey `j` (for the first 64; see `in_journey`).
    active: u64,
    timers: BinaryHeap<Reverse<Timer>>,
    /// Message sends within the longest cap window: (time, channel, journey).
    /// (16 bytes each: a program has far fewer than 2^32 channels).
    sends: VecDeque<(i64, u32, u32)>,
    /// The last message: (time, journey), to attribute opt-outs to.
    last_message: Option<(i64, u32)>,
    /// The most messages of one journey in any 7 days: (journey, count), for the
    /// journeys that sent any.
    journey_weeks: Box<[(u32, u32)]>,
    /// The last message on any channel ([`NEVER`]: none).
    last_send: i64,
    /// By channel, the last send; then by `conflicting` tag id (after the channels),
    /// when a send carrying it was last delivered: the latest is all the rule needs,
    /// an older one is further out of the window. [`NEVER`]: none. One block for both
    /// (issue 16).
    last_sent: Box<[i64]>,
    goals: Vec<PendingGoal>,
    /// The customer's entries, sends and conversions per journey group (see
    /// `experiment`), added to the report's customer-level sums at the end.
    cells: Box<[CustomerCell]>,
    seq: u64,
    now: i64,
    started: bool,
    finished: bool,
    /// The planned flip that counts ([`NEVER`]: none); an earlier plan's timer is
    /// ignored when it fires.
    flip_at: i64,
    /// What `settle` reads that changed since it last ran.
    dirty: Dirty,
    /// The next instant each `since` attribute (as in `Engine::since_attrs`) crosses a
    /// threshold (`i64::MAX`: never), as [`Tracker::flip`] for trackers.
    since_flips: Box<[i64]>,
    max_week: u64,
    /// Where the clock is within the current millisecond: the (class, rank) of the
    /// timer being handled, or `EVENT`; says whether a tick of this millisecond has
    /// fired yet.
    point: (u8, u32),
    /// issue 15: in the program's global holdout (fixed per customer).
    globally_held: bool,
    /// issue 15: the next local midnight, when a time-driven condition reads `today`
    /// (`i64::MAX` otherwise): a planned flip.
    next_midnight: i64,
    /// issue 15: on the suppression file (fixed), and whether a send was refused.
    listed: bool,
    was_suppressed: bool,
    /// issue 15, accounts: set when this is an account's state (it runs the `for
    /// account` journeys only); boxed, so a customer's state pays one pointer.
    account: Option<Box<AccountPart>>,
}

/// issue 15, accounts: what an account's state needs beyond a customer's: its admins,
/// each with their own row (consent and suppression are the admin's) and whether they
/// are on the suppression list.
#[derive(Debug, Clone)]
struct AccountPart {
    admins: Vec<(u32, Vec<AttrValue>, bool)>,
    /// The admin (a place in `admins`) whose event the state is taking now: their
    /// `unsubscribe` withdraws their own consent, so that the account's later
    /// messages no longer reach them (set by the driver around the push).
    sender: Option<usize>,
}

/// What changed since `settle` last ran: trackers that recorded an event, attributes
/// that were set, journeys that were entered, or everything (time crossed a planned
/// flip, or the customer just started). Between such changes exit conditions and
/// audiences keep their answers, since time alone changes them only at flips; so
/// `settle` re-evaluates only what reads something that changed. Bit sets; an index
/// past 63 counts as everything.
#[derive(Debug, Clone, Copy, Default)]
struct Dirty {
    any: bool,
    all: bool,
    aggs: u64,
    attrs: u64,
    journeys: u64,
    /// issue 15: a local midnight passed, so conditions reading `today` may answer anew.
    today: bool,
}

impl Dirty {
    fn everything() -> Dirty {
        Dirty { any: true, all: true, ..Dirty::default() }
    }

    fn mark(bits: &mut u64, all: &mut bool, i: usize) {
        if i < 64 {
            *bits |= 1 << i;
        } else {
            *all = true;
        }
    }

    fn agg(&mut self, i: usize) {
        self.any = true;
        Dirty::mark(&mut self.aggs, &mut self.all, i);
    }

    fn attr(&mut self, i: usize) {
        self.any = true;
        Dirty::mark(&mut self.attrs, &mut self.all, i);
    }

    fn journey(&mut self, j: usize) {
        self.any = true;
        Dirty::mark(&mut self.journeys, &mut self.all, j);
    }

    fn add(&mut self, o: Dirty) {
        self.any |= o.any;
        self.all |= o.all;
        self.aggs |= o.aggs;
        self.attrs |= o.attrs;
        self.journeys |= o.journeys;
        self.today |= o.today;
    }

    fn bit(bits: u64, i: usize) -> bool {
        i < 64 && bits >> i & 1 == 1
    }

    fn attr_changed(&self, i: usize) -> bool {
        self.all || Dirty::bit(self.attrs, i)
    }

    fn journey_entered(&self, j: usize) -> bool {
        self.all || Dirty::bit(self.journeys, j)
    }

    /// A change to an index past 63 sets `all`, so the masks of the first 64 decide
    /// the rest.
    fn touches(&self, d: &expr::Deps) -> bool {
        self.all || self.aggs & d.agg_mask != 0 || self.attrs & d.attr_mask != 0 || (self.today && d.today)
    }

    /// The trackers that changed, of `n`.
    fn changed_aggs(&self, n: usize) -> impl Iterator<Item = usize> {
        // a change past 63 sets `all`, so without it only the bits can have changed
        if self.all {
            ReadMask::members(u64::MAX, n)
        } else {
            ReadMask::members(self.aggs, n.min(64))
        }
    }
}

type Out<'a> = (&'a mut Vec<Action>, &'a mut Tally);

/// A small per-customer array kept inside the state (on the heap only past `N`), so
/// that the state is one block of memory a prefetch can fetch ahead without first
/// reading where its parts are.
type Inline<T, const N: usize> = smallvec::SmallVec<[T; N]>;

/// Audience answers known at one instant ([`Scope::memo`]), on the stack.
type Memo = Inline<std::cell::Cell<u8>, 64>;

/// Hint that `len` bytes from `p` will be read soon (at most 16 cache lines).
#[inline]
pub(crate) fn prefetch(p: *const u8, len: usize) {
    #[cfg(target_arch = "x86_64")]
    for k in 0..len.div_ceil(64).min(16) {
        // SAFETY: a prefetch is only a hint; it never faults, whatever the address
        unsafe {
            std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.wrapping_add(k * 64) as *const i8)
        };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, len);
}

fn prefetch_slice<T>(v: &[T]) {
    prefetch(v.as_ptr() as *const u8, std::mem::size_of_val(v));
}

impl CustomerState {
    pub fn new(engine: &Engine, customer: Customer) -> CustomerState {
        CustomerState::with_row(engine, customer, None)
    }

    /// [`CustomerState::new`], sharing `row` (the customer's attributes, kept by the
    /// profiles) instead of copying them, when it has a value per attribute.
    pub(crate) fn with_row(engine: &Engine, customer: Customer, row: Option<Row>) -> CustomerState {
        let width = engine.program.attributes.len();
        let attrs: Row = match row {
            Some(row) if row.len() == width => row,
            _ if customer.attributes.is_empty() => engine.blank_row.clone(),
            _ => {
                let mut attrs: Vec<AttrValue> = customer.attributes.to_vec();
                attrs.resize(width, AttrValue::Missing);
                attrs.into()
            }
        };
        let tz = engine
            .tz_attr
            .and_then(|i| match &attrs[i] {
                AttrValue::Text(s) => s.parse::<Tz>().ok(),
                _ => None,
            })
            .unwrap_or(engine.default_tz);
        let exists_from = match engine.created_attr.map(|i| &attrs[i]) {
            Some(AttrValue::Date(d)) => time::date_midnight(tz, *d),
            Some(AttrValue::Time(t)) => *t,
            _ => i64::MAX,
        };
        let globally_held = engine.rules.globally_held(customer.key);
        let listed = engine.rules.listed(customer.key);
        CustomerState {
            next_midnight: i64::MAX,
            globally_held,
            listed,
            was_suppressed: false,
            id: customer.id,
            key: customer.key.into(),
            attrs,
            tz,
            exists_from,
            tracks: engine.aggs.iter().map(|a| a.new_tracker()).collect(),
            members: members::Members::new(engine.audiences.len()),
            journeys: journeys::Journeys::default(),
            plans: journeys::Journeys::default(),
            active: 0,
            timers: BinaryHeap::new(),
            sends: VecDeque::new(),
            last_message: None,
            journey_weeks: Box::default(),
            last_send: NEVER,
            last_sent: vec![NEVER; engine.channels.len() + engine.conflicts.tags.len()].into_boxed_slice(),
            goals: Vec::new(),
            cells: Box::default(),
            seq: 0,
            now: i64::MIN,
            started: false,
            finished: false,
            flip_at: NEVER,
            dirty: Dirty::everything(),
            since_flips: vec![i64::MAX; engine.since_attrs.len()].into_boxed_slice(),
            max_week: 0,
            point: (RESUME, 0),
            account: None,
        }
    }

    /// issue 15, accounts: the state of account `k` of `book` (see
    /// [`crate::accounts`]).
    pub(crate) fn for_account(engine: &Engine, book: &AccountBook, k: usize) -> CustomerState {
        let entry = &book.accounts[k];
        let customer = Customer { id: AccountBook::account_id(k), key: &entry.key, attributes: &entry.attributes };
        let mut state = CustomerState::new(engine, customer);
        let admins = (entry.admins.iter())
            .map(|&i| {
                let admin = &book.admins[i as usize];
                let mut attrs = admin.attributes.clone();
                attrs.resize(engine.program.attributes.len(), AttrValue::Missing);
                (i, attrs, engine.rules.listed(&admin.key))
            })
            .collect();
        // the account itself is on no suppression list: its admins may be
        state.listed = false;
        state.account = Some(Box::new(AccountPart { admins, sender: None }));
        state
    }

    /// issue 15, accounts: the events pushed next are admin `admin`'s of this
    /// account's book (an index into [`AccountBook::admins`]), or no admin's.
    pub(crate) fn taking_from_admin(&mut self, admin: Option<u32>) {
        if let Some(part) = self.account.as_mut() {
            part.sender = admin.and_then(|i| part.admins.iter().position(|(x, _, _)| *x == i));
        }
    }

    /// Whether journey `j` runs in this state: `for account` journeys in accounts'
    /// states, the others in customers'.
    fn runs(&self, eng: &Engine, j: usize) -> bool {
        eng.per_account.get(j).copied().unwrap_or(false) == self.account.is_some()
    }

    /// See [`crate::Driver`]'s prefetch: the buffers this state points to.
    pub(crate) fn prefetch_buffers(&self, eng: &Engine, ev: &Event) {
        // the journeys the customer is in (their exits and waits are checked)
        let mut bits = self.active;
        while bits != 0 {
            let j = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if let Some(js) = self.journeys.get(j) {
                prefetch_slice(std::slice::from_ref(js));
            }
        }
        let touches = eng.touches.get(ev.kind.0 as usize);
        for &i in touches.map_or(&[][..], |t| t.tracks.as_slice()) {
            prefetch_slice(&self.tracks[i..i + 1]);
        }
        if touches.is_some_and(|t| t.attrs) {
            prefetch_slice(&self.attrs);
        }
        // the earliest timers, at the top of the heap
        let timers = self.timers.as_slice();
        prefetch_slice(&timers[..timers.len().min(4)]);
    }

    /// The event windows that event `ev` will be added to (at the newest end), and
    /// where the oldest leave them.
    pub(crate) fn prefetch_tracks(&self, eng: &Engine, ev: &Event) {
        for &i in eng.aggs_by_event.get(ev.kind.0 as usize).map_or(&[][..], Vec::as_slice) {
            if let Track::Window(q) = &self.tracks[i].track {
                prefetch_slice(q.block_start());
                let (a, b) = q.as_slices();
                let tail = if b.is_empty() { a } else { b };
                prefetch_slice(&tail[tail.len().saturating_sub(1)..]);
                prefetch_slice(&a[..a.len().min(1)]);
            }
        }
        prefetch_slice(self.sends.as_slices().0);
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    /// The attribute values to write one: the state's own copy, made on the first
    /// write while the row is shared.
    fn attrs_mut(&mut self) -> &mut [AttrValue] {
        Row::make_mut(&mut self.attrs)
    }

    /// Process one event of this customer (after firing every timer due at or before
    /// it). Events after `until` are ignored; events before `start` only build history.
    pub(crate) fn push(
        &mut self,
        eng: &Engine,
        ev: &Event,
        texts: &Interner,
        actions: &mut Vec<Action>,
        report: &mut Tally,
    ) {
        if self.finished || ev.time > eng.opts.until {
            return;
        }
        let t = ev.time.max(self.now);
        if self.exists_from == i64::MAX {
            // no creation attribute: the first event (history included) is when the
            // customer came to exist
            self.exists_from = t;
        }
        if t < eng.opts.start {
            // history before the period: what it did to the customer, not to the report
            self.record(eng, ev, t, texts, false);
            if Some(ev.kind.0) == eng.unsubscribe_event {
                self.withdraw_consent(eng, ev, texts, None);
            }
            self.now = t;
            return;
        }
        let out = &mut (actions, report);
        self.start(eng, texts, out);
        self.advance(eng, t, texts, out);
        self.now = t;
        // an account's state sees its customers' events again: counted once, there
        if self.account.is_none() {
            out.1.events += 1;
        }
        self.point = (EVENT, 0);
        self.record(eng, ev, t, texts, false);
        self.on_event(eng, ev, texts, out);
        self.settle(eng, texts, out);
    }

    /// issue 15, accounts: an event of another customer of this customer's account.
    /// It feeds only the account aggregates (`account.count(…)`): the customer's
    /// timers up to its time fire first, as they would before an event of their own,
    /// then what depends on the account aggregates is settled (an audience may flip,
    /// an `exit when` may hold). It is not the customer's event: no entry, goal or
    /// `wait for` reacts to it, and it does not make the customer exist.
    pub(crate) fn push_peer(
        &mut self,
        eng: &Engine,
        ev: &Event,
        texts: &Interner,
        actions: &mut Vec<Action>,
        report: &mut Tally,
    ) {
        if self.finished || ev.time > eng.opts.until {
            return;
        }
        let t = ev.time.max(self.now);
        if t < eng.opts.start {
            self.record(eng, ev, t, texts, true);
            self.now = t;
            return;
        }
        let out = &mut (actions, report);
        self.start(eng, texts, out);
        self.advance(eng, t, texts, out);
        self.now = t;
        self.point = (EVENT, 0);
        self.record(eng, ev, t, texts, true);
        self.settle(eng, texts, out);
    }

    /// The customer has no more events for now (the rest of the group is other
    /// customers'): give back the room its buffers grew and no longer use, so that a
    /// state holds what it needs, not the most it ever needed (issue 16). Timers that
    /// can no longer fire (superseded flips, waits left, entries planned again) are
    /// dropped first, when nothing is left for `settle` to do: popping them would
    /// change nothing then. Changes no answer.
    pub(crate) fn idle(&mut self, eng: &Engine) {
        // only what the customer's events just touched (in the cache now), or what
        // its header says is worth it: a walk over every tracker of every customer of
        // every group cost more than it saved
        if !self.dirty.any && self.timers.len() >= 4 {
            let mut timers = std::mem::take(&mut self.timers).into_vec();
            timers.retain(|Reverse(t)| self.timer_live(eng, t));
            self.timers = BinaryHeap::from(timers);
        }
        // room that is mostly unused is given back; a little is kept, or the next
        // group's events would grow the buffer again (each a reallocation)
        fn roomy(len: usize, cap: usize) -> bool {
            cap > 2 * len + 1
        }
        if roomy(self.timers.len(), self.timers.capacity()) {
            self.timers.shrink_to_fit();
        }
        if !self.goals.is_empty() {
            let now = self.now;
            self.goals.retain(|g| g.deadline >= now);
        }
        if roomy(self.goals.len(), self.goals.capacity()) {
            self.goals.shrink_to_fit();
        }
        if roomy(self.sends.len(), self.sends.capacity()) {
            self.sends.shrink_to_fit();
        }
    }

    /// Whether timer `t` would do anything when it fires (see [`CustomerState::advance`]).
    fn timer_live(&self, eng: &Engine, t: &Timer) -> bool {
        match t.class() {
            RESUME => {
                self.journeys.get(t.journey(eng)).and_then(|js| js.active.as_ref()).is_some_and(|a| a.wake == t.seq())
            }
            ENTRY => self.plans.get(t.journey(eng)).is_some_and(|p| p.entry_timer == t.seq()),
            _ => self.flip_at == t.time,
        }
    }

    /// Fire every remaining timer up to `until` and add this customer's closing
    /// figures to the report.
    pub(crate) fn finish(&mut self, eng: &Engine, texts: &Interner, actions: &mut Vec<Action>, report: &mut Tally) {
        if self.finished {
            return;
        }
        let out = &mut (actions, report);
        self.start(eng, texts, out);
        self.advance(eng, eng.opts.until, texts, out);
        // ticks still parked were all refused for the reason they were parked
        let present: Inline<usize, 8> = self.plans.present().collect();
        for j in present {
            self.release(eng, j, i64::MAX, out);
        }
        self.finished = true;
        if self.account.is_some() {
            // an account: its cells are the `for account` journeys' units; the
            // customer-level figures are its customers'
            for c in std::mem::take(&mut self.cells).iter() {
                out.1.customer_cell(eng, c);
            }
            return;
        }
        out.1.customers += 1;
        out.1.program_rules.global_holdout_customers += u64::from(self.globally_held);
        out.1.program_rules.suppressed_customers += u64::from(self.was_suppressed);
        *out.1.max_sends_per_week.entry(self.max_week).or_default() += 1;
        for &(j, most) in self.journey_weeks.iter() {
            *out.1.journeys[j as usize].max_sends_per_week.entry(most as u64).or_default() += 1;
        }
        for c in std::mem::take(&mut self.cells).iter() {
            out.1.customer_cell(eng, c);
        }
    }

    /// This customer's counts in group `group` of journey `j`.
    fn cell(&mut self, eng: &Engine, j: usize, group: u32) -> &mut CustomerCell {
        let journey = j as u32;
        let i = match self.cells.iter().position(|c| c.journey == journey && c.group == group) {
            Some(i) => i,
            None => {
                let goals = eng.journeys[j].goals.len();
                // grown one at a time: a customer adds few cells, and a doubling
                // vector would hold room for several (issue 16)
                let cell = CustomerCell { journey, group, entries: 0, sends: 0, per_goal: vec![0; goals].into() };
                journeys::push_exact(&mut self.cells, cell);
                self.cells.len() - 1
            }
        };
        &mut self.cells[i]
    }

    // ------------------------------------------------------------ the clock

    fn start(&mut self, eng: &Engine, texts: &Interner, out: &mut Out) {
        if self.started {
            return;
        }
        self.started = true;
        self.now = self.now.max(eng.opts.start);
        // one memo for them all: memberships are not what an audience reads, so
        // setting them changes no answer, and shared ones (`buyer`) are read once
        let memo = Memo::from_elem(std::cell::Cell::new(0), eng.audiences.len());
        for &a in &eng.tracked {
            let in_it = expr::eval_audience(a, &Scope { memo: Some(&memo), ..self.scope(eng, None, texts) });
            self.members.set(a, in_it);
        }
        for j in 0..eng.journeys.len() {
            self.arm_entry(eng, j, self.now - 1, (i64::MIN, Park::Filtered));
        }
        self.settle(eng, texts, out);
    }

    fn push_timer(&mut self, eng: &Engine, time: i64, class: u8, journey: usize) -> u64 {
        self.seq += 1;
        let rank = if class == AUDIENCE { 0 } else { eng.rank[journey] };
        self.timers.push(Reverse(Timer::new(time, class, rank, self.seq)));
        self.seq
    }

    /// Schedule the next scheduled or date-attribute entry after `after`; a scheduled
    /// journey parks until `valid_until` (see [`CustomerState::arm_tick`]).
    fn arm_entry(&mut self, eng: &Engine, j: usize, after: i64, (valid_until, why): (i64, Park)) {
        if !self.runs(eng, j) {
            return;
        }
        let until = eng.opts.until;
        match &eng.journeys[j].trigger {
            CTrigger::Schedule { .. } => self.arm_tick(eng, j, after, valid_until, why),
            CTrigger::DateAttribute { attribute, offset_minutes, minute } => {
                let AttrValue::Date(days) = self.attrs[*attribute] else { return };
                let (tz, offset, minute) = (self.tz, *offset_minutes, *minute);
                let entry_in = |y| time::yearly_date_entry(tz, days, y, offset, minute);
                let Some(base) = entry_in(0) else { return };
                // skip the years surely passed (366 days each: never one too many), so
                // a birthday decades back costs no walk through every year since
                if self.plans[j].date_years == 0 && after > base {
                    self.plans[j].date_years = ((after - base) / (366 * DAY)).min(i32::MAX as i64) as i32;
                }
                for _ in 0..200 {
                    let Some(t) = entry_in(self.plans[j].date_years) else { return };
                    if t > until {
                        return;
                    }
                    self.plans[j].date_years += 1;
                    if t > after {
                        self.plans[j].entry_timer = self.push_timer(eng, t, ENTRY, j);
                        return;
                    }
                }
            }
            _ => {}
        }
    }

    /// Arm scheduled journey `j`'s first tick after `after`; with `valid_until` past
    /// it, park for `why` instead: skip the ticks before `valid_until` (counted when the
    /// journey is unparked or the armed tick fires) and arm the first one after.
    fn arm_tick(&mut self, eng: &Engine, j: usize, after: i64, valid_until: i64, why: Park) {
        let Some(sched) = eng.sched(j) else { return };
        let tz = self.tick_zone(eng, j);
        let js = &mut self.plans[j];
        // `after` only grows: the ticks up to it are behind the clock
        js.tick_from = js.tick_from.max(after.saturating_add(1));
        let first = eng.tick_cache.at_or_after(&sched, tz, js.tick_from, &mut js.ticks);
        let parked = first.is_some_and(|t| t < valid_until);
        let next = match parked {
            false => first,
            true if valid_until == i64::MAX => None,
            true => eng.tick_cache.at_or_after(&sched, tz, valid_until, &mut js.ticks),
        };
        js.parked = parked.then_some(why);
        js.entry_timer = 0;
        if let Some(t) = next {
            self.plans[j].entry_timer = self.push_timer(eng, t, ENTRY, j);
        }
    }

    /// The zone scheduled journey `j` ticks in for this customer.
    fn tick_zone(&self, eng: &Engine, j: usize) -> Tz {
        match &eng.journeys[j].trigger {
            CTrigger::Schedule { zone, .. } => zone.unwrap_or(self.tz),
            _ => self.tz,
        }
    }

    /// Until when, and why, scheduled journey `j` may park after its tick now ended in
    /// `entry` (`i64::MIN`: do not park). A refusal other than the filter's repeats
    /// at every tick while its reason holds, and a tick that is refused changes
    /// nothing but a count, provided `settle` has nothing left to do after it.
    fn park_until(&self, eng: &Engine, j: usize, entry: Entry, texts: &Interner) -> (i64, Park) {
        let quiet = !eng.needs_flips || !self.dirty.any;
        match entry {
            Entry::Filtered => match self.filter_valid_until(eng, j) {
                i64::MIN => (i64::MIN, Park::Filtered),
                whole => match self.refusing_clause(eng, j, texts) {
                    Some((k, until)) => (until.max(whole), Park::FilteredBy(k)),
                    None => (whole, Park::Filtered),
                },
            },
            _ if !quiet => (i64::MIN, Park::Filtered),
            Entry::BeforeExists => (self.exists_from, Park::BeforeExists),
            Entry::AlreadyIn => (i64::MAX, Park::AlreadyIn),
            Entry::Blocked => {
                let last = self.journeys[j].last_entry;
                let until = match eng.journeys[j].re_entry {
                    ReEntry::Never => i64::MAX,
                    ReEntry::After { minutes } => last.saturating_add(minutes as i64 * time::MINUTE),
                    ReEntry::Always => i64::MIN,
                };
                (until, Park::Blocked)
            }
            Entry::Entered => (i64::MIN, Park::Filtered),
            // not parked: every refused tick is counted
            Entry::OutsideWindow => (i64::MIN, Park::Filtered),
        }
    }

    /// The earliest instant time alone may change the answer of scheduled journey
    /// `j`'s filter (`i64::MIN`: do not park it).
    fn filter_valid_until(&self, eng: &Engine, j: usize) -> i64 {
        let Some(deps) = &eng.park[j] else { return i64::MIN };
        // changes not yet settled leave the planned flips behind
        if self.dirty.any {
            return i64::MIN;
        }
        self.valid_until(eng, deps)
    }

    /// The earliest instant time alone may change the answer of a condition that
    /// reads `deps` (`i64::MAX`: never).
    fn valid_until(&self, eng: &Engine, deps: &expr::Deps) -> i64 {
        let aggs = deps.aggs.iter().map(|&i| self.tracks[i].flip);
        let since = eng.since_attrs.iter().zip(self.since_flips.iter()).filter(|(a, _)| deps.attrs.contains(a));
        aggs.chain(since.map(|(_, &f)| f)).min().unwrap_or(i64::MAX)
    }

    /// Scheduled journey `j`'s filter just refused a tick: a clause that is false and
    /// keeps the filter false longest, which the ticks may park on (see
    /// [`crate::ParkClause`]), and until when time alone cannot change it; `None`
    /// when no clause may.
    fn refusing_clause(&self, eng: &Engine, j: usize, texts: &Interner) -> Option<(u8, i64)> {
        let clauses = &eng.park_clauses[j];
        if clauses.is_empty() {
            return None;
        }
        let cj = &eng.journeys[j];
        let memo = Memo::from_elem(std::cell::Cell::new(0), eng.audiences.len());
        let scope = Scope { memo: Some(&memo), ..self.scope(eng, None, texts) };
        let mut best: Option<(u8, i64)> = None;
        for (k, ((_, c), pc)) in cj.audience_clauses.iter().zip(clauses).enumerate().take(u8::MAX as usize) {
            if !pc.eligible || eval(c, &scope) != V::Bool(false) {
                continue;
            }
            // a named audience whose condition is unknown may be counted as the
            // refusal's missing value at a later tick (`count_unknown`)
            if let (true, expr::CExpr::Audience(a)) = (cj.named_clauses, c) {
                if eval(&eng.audiences[*a], &scope) == V::None {
                    continue;
                }
            }
            let until = self.valid_until(eng, &pc.deps);
            if best.is_none_or(|(_, u)| until > u) {
                best = Some((k as u8, until));
            }
        }
        best
    }

    /// What a parked journey's reason depends on changed now: the ticks that fired
    /// before this point of the clock were refused; the next one is armed again.
    fn unpark(&mut self, eng: &Engine, j: usize, out: &mut Out) {
        let now = self.now;
        let fired_now = (ENTRY, eng.rank[j]) < self.point;
        self.release(eng, j, if fired_now { now.saturating_add(1) } else { now }, out);
        self.arm_tick(eng, j, i64::MIN, i64::MIN, Park::Filtered);
    }

    /// Unpark journey `j`: its skipped ticks before `bound` were refused for the reason
    /// it was parked, and count as firing them would have.
    fn release(&mut self, eng: &Engine, j: usize, bound: i64, out: &mut Out) {
        let Some(why) = self.plans.get_mut(j).and_then(|p| p.parked.take()) else { return };
        let Some(sched) = eng.sched(j) else { return };
        let tz = self.tick_zone(eng, j);
        let js = &mut self.plans[j];
        let n = eng.tick_cache.count(&sched, tz, js.tick_from, bound, &mut js.ticks);
        js.tick_from = js.tick_from.max(bound);
        let r = &mut out.1.journeys[j];
        match why {
            Park::Filtered | Park::FilteredBy(_) => r.filtered_out += n,
            Park::BeforeExists => r.before_exists += n,
            Park::AlreadyIn => r.already_in += n,
            Park::Blocked => r.re_entry_blocked += n,
        }
    }

    /// Attribute `a` was set: journeys entered on a date it holds plan their next
    /// entry from the new date (from now on; the planned one no longer counts).
    fn replan_date_entries(&mut self, eng: &Engine, a: usize) {
        for j in 0..eng.journeys.len() {
            if matches!(eng.journeys[j].trigger, CTrigger::DateAttribute { attribute, .. } if attribute == a) {
                self.plans[j].entry_timer = 0;
                self.plans[j].date_years = 0;
                self.arm_entry(eng, j, self.now, (i64::MIN, Park::Filtered));
            }
        }
    }

    /// Fire timers due at or before `t`, in (time, class, journey rank, creation) order.
    fn advance(&mut self, eng: &Engine, t: i64, texts: &Interner, out: &mut Out) {
        while let Some(&Reverse(timer)) = self.timers.peek() {
            if timer.time > t {
                break;
            }
            self.timers.pop();
            self.now = self.now.max(timer.time);
            let (class, seq) = (timer.class(), timer.seq());
            self.point = (class, timer.rank());
            let j = timer.journey(eng);
            match class {
                RESUME => self.resume(eng, j, seq, texts, out),
                ENTRY => {
                    if self.plans[j].entry_timer != seq {
                        continue;
                    }
                    // the armed tick: the ones skipped before it were refused
                    self.release(eng, j, timer.time, out);
                    let entry = self.try_enter(eng, j, None, texts, out, 0);
                    let park = self.park_until(eng, j, entry, texts);
                    self.arm_entry(eng, j, self.now, park);
                }
                _ => {
                    if self.flip_at != timer.time {
                        continue;
                    }
                    self.flip_at = NEVER;
                    self.mark_crossed(eng, timer.time);
                }
            }
            self.settle(eng, texts, out);
        }
    }

    /// The planned flip at `t` fired: mark what crossed a threshold by now (a `since`
    /// passing a duration of the program, an event leaving a window), so only the
    /// conditions reading it are evaluated again and only its next threshold is
    /// computed anew.
    fn mark_crossed(&mut self, eng: &Engine, t: i64) {
        self.dirty.any = true;
        if self.next_midnight <= t {
            self.dirty.today = true;
        }
        for i in 0..self.tracks.len() {
            if self.tracks[i].flip <= t {
                self.dirty.agg(i);
            }
        }
        for (k, &a) in eng.since_attrs.iter().enumerate() {
            if self.since_flips[k] <= t {
                self.dirty.attr(a);
            }
        }
    }

    /// The instant a `since(ATTR)` counts from.
    fn since_anchor(&self, a: usize) -> Option<i64> {
        match self.attrs[a] {
            AttrValue::Date(d) => Some(time::date_midnight(self.tz, d)),
            AttrValue::Time(t) => Some(t),
            _ => None,
        }
    }

    // ------------------------------------------------------------ evaluation

    fn scope<'a>(&'a self, eng: &'a Engine, event: Option<&'a Event>, texts: &'a Interner) -> Scope<'a> {
        Scope {
            now: self.now,
            tz: self.tz,
            attrs: &self.attrs,
            tracks: &self.tracks,
            aggs: &eng.aggs,
            audiences: &eng.audiences,
            event,
            texts,
            memo: None,
        }
    }

    fn eval_bool(&self, eng: &Engine, e: &crate::CExpr, event: Option<&Event>, texts: &Interner) -> bool {
        eval(e, &self.scope(eng, event, texts)).truthy()
    }

    fn matches(
        &self,
        eng: &Engine,
        kind: Option<u16>,
        filter: &Option<crate::CExpr>,
        ev: &Event,
        texts: &Interner,
    ) -> bool {
        kind == Some(ev.kind.0) && filter.as_ref().is_none_or(|f| self.eval_bool(eng, f, Some(ev), texts))
    }

    /// Add an event to the behaviour history (every tracker whose event and filter match).
    /// `peer`: the event is another customer's of the account (issue 15), which only
    /// the account aggregates count.
    fn record(&mut self, eng: &Engine, ev: &Event, t: i64, texts: &Interner, peer: bool) {
        let Some(ids) = eng.aggs_by_event.get(ev.kind.0 as usize) else { return };
        let saved = self.now;
        self.now = t;
        for &i in ids {
            let spec = &eng.aggs[i];
            if peer && !spec.account {
                continue;
            }
            if spec.filter.as_ref().is_some_and(|f| !self.eval_bool(eng, f, Some(ev), texts)) {
                continue;
            }
            let value = match spec.prop.and_then(|p| ev.props.get(p)).map(|p| expr::prop_value(p, texts)) {
                Some(V::Num(n)) => n,
                // an event without the value adds nothing to a `sum` or `avg` (it is
                // no 0 that would pull the mean down, as SQL's AVG skips NULL), and
                // `latest` keeps the last value there was (issue 15)
                _ if spec.prop.is_some() => continue,
                _ => 0.0,
            };
            // issue 16: a count every condition compares with a number answers alike
            // on the same side of each of its levels: an event that moves it
            // without crossing one changes no answer, so what reads it need not be
            // evaluated again, only its next flip planned (one no earlier than the
            // planned one, which the flip timer already covers)
            let side = |track: &expr::Track, levels: &[u64]| match expr::live_events(spec, track, t) {
                Some(n) => levels.partition_point(|&m| m <= n as u64),
                None => usize::MAX,
            };
            let quiet = match &spec.levels {
                Some(levels) if self.started && eng.quiet_counts && i < 64 && !self.dirty.all => {
                    (!Dirty::bit(self.dirty.aggs, i)).then(|| side(&self.tracks[i].track, levels))
                }
                _ => None,
            };
            expr::record(spec, &mut self.tracks[i].track, t, value);
            if let (Some(before), Some(levels)) = (quiet, &spec.levels) {
                let tracker = &mut self.tracks[i];
                if side(&tracker.track, levels) == before {
                    let flip = expr::next_flip(spec, &tracker.track, t, &eng.durations).unwrap_or(i64::MAX);
                    if flip >= tracker.flip {
                        tracker.flip = flip;
                        continue;
                    }
                }
            }
            self.dirty.agg(i);
        }
        self.now = saved.max(t);
    }

    // ------------------------------------------------------------ events

    fn on_event(&mut self, eng: &Engine, ev: &Event, texts: &Interner, out: &mut Out) {
        let t = self.now;
        // 1. goals of earlier entries
        self.goals.retain(|g| g.deadline >= t);
        // a walk below finds nothing when no item of its list names the event's kind
        // (see `reactions`)
        let reacts = eng.reacting.get(ev.kind.0 as usize).copied().unwrap_or(reactions::ALL);
        if reacts == 0 {
            return;
        }
        if reacts & reactions::GOALS != 0 {
            let mut reached = Vec::new();
            let mut amounts = Vec::new();
            for (gi, g) in self.goals.iter().enumerate() {
                match &eng.journeys[g.journey as usize].goals[g.goal as usize] {
                    CGoal::Event { event, filter, .. } => {
                        if self.matches(eng, *event, filter, ev, texts) {
                            reached.push(gi);
                        }
                    }
                    // issue 15: an amount goal stays pending to its deadline, adding up
                    CGoal::Sum { event, prop, filter, .. } => {
                        if self.matches(eng, *event, filter, ev, texts) {
                            let value = prop.and_then(|p| ev.props.get(p)).map(|p| expr::prop_value(p, texts));
                            if let Some(V::Num(x)) = value {
                                amounts.push((gi, crate::experiment::to_units(x)));
                            }
                        }
                    }
                    CGoal::Reach { .. } => {}
                }
            }
            for (gi, units) in amounts {
                let g = self.goals[gi].clone();
                self.add_amount(eng, &g, units);
            }
            for gi in reached.into_iter().rev() {
                let g = self.goals.remove(gi);
                self.goal_reached(eng, &g, out);
            }
        }
        // 2. guardrail figures: opt-outs count against the journey of the last message
        // (within 7 days), else against the journeys the customer is in
        let kind = Some(ev.kind.0);
        let which = [eng.unsubscribe_event, eng.bounce_event, eng.complaint_event].iter().position(|&e| e == kind);
        if let Some(which) = which {
            let bump = |t: &mut crate::tally::JourneyTally| match which {
                0 => t.unsubscribes += 1,
                1 => t.bounces += 1,
                _ => t.complaints += 1,
            };
            match self.last_message.filter(|&(at, _)| t - at <= OPT_OUT_WINDOW) {
                Some((_, j)) => bump(&mut out.1.journeys[j as usize]),
                None => {
                    for &j in &eng.order {
                        if self.in_journey(j) {
                            bump(&mut out.1.journeys[j]);
                        }
                    }
                }
            }
        }
        if kind == eng.unsubscribe_event {
            self.withdraw_consent(eng, ev, texts, Some(&mut *out.1));
        }
        // 3. exit rules, 4. waits for this event, 5. entries, each in journey order;
        // the walks of 3 and 4 read only the journeys the customer is in, and most
        // events are of customers in none (the bit set says so for the first 64)
        let no_one: &[usize] = &[];
        let in_none = self.active == 0 && eng.journeys.len() <= 64;
        let (reacts_exits, reacts_waits) = match in_none {
            true => (false, false),
            false => (reacts & reactions::EXITS != 0, reacts & reactions::WAITS != 0),
        };
        for &j in if reacts_exits { &eng.order[..] } else { no_one } {
            if !self.in_journey(j) {
                continue;
            }
            let hit = eng.journeys[j].exit_events.iter().any(|(k, f)| self.matches(eng, *k, f, ev, texts));
            if hit {
                self.exit(eng, j, ExitReason::ExitEvent, out);
            }
        }
        for &j in if reacts_waits { &eng.order[..] } else { no_one } {
            if !self.in_journey(j) {
                continue;
            }
            let Some(a) = &self.journeys[j].active else { continue };
            if a.wake == 0 {
                continue;
            }
            let node = a.node as usize;
            if let CStep::WaitFor { event, filter, then, also, .. } = &eng.journeys[j].steps[node] {
                // any of several events: whichever arrives first takes `then`
                let hit =
                    crate::alternatives::any_matches((*event, filter), also, |k, f| self.matches(eng, k, f, ev, texts));
                if hit {
                    let then = *then;
                    self.goto(eng, j, then, texts, out, 0);
                }
            }
        }
        for &j in eng.entered_by.get(ev.kind.0 as usize).map_or(&[][..], Vec::as_slice) {
            if let CTrigger::Event { event, filter } = &eng.journeys[j].trigger {
                // several triggers: one entry however many of them the event matches
                let also = &eng.journeys[j].entry_also;
                if crate::alternatives::any_matches((*event, filter), also, |k, f| self.matches(eng, k, f, ev, texts)) {
                    self.try_enter(eng, j, Some(ev), texts, out, 0);
                }
            }
        }
    }

    /// An `unsubscribe`: the consent it names is gone from now on (see `Withdrawal`).
    fn withdraw_consent(&mut self, eng: &Engine, ev: &Event, texts: &Interner, mut tally: Option<&mut Tally>) {
        let Some(w) = &eng.withdrawal else { return };
        let said = w.channel_prop.and_then(|p| ev.props.get(p)).map(|p| expr::prop_value(p, texts));
        let channel = match said {
            Some(V::Text(t)) if !t.is_empty() => Some(t),
            _ => None,
        };
        for c in w.channels(channel) {
            let Some(a) = eng.channels[c].consent else { continue };
            // an admin's unsubscribe: their consent is theirs, not the account row's
            // alone (docs/language.md, `for account` journeys)
            if let Some(part) = self.account.as_mut() {
                if let Some(admin) = part.sender.and_then(|i| part.admins.get_mut(i)) {
                    admin.1[a] = AttrValue::Bool(false);
                }
            }
            if self.attrs[a] == AttrValue::Bool(false) {
                continue;
            }
            // counted only when there was a consent to take away (missing is none)
            if let (AttrValue::Bool(true), Some(t)) = (&self.attrs[a], tally.as_deref_mut()) {
                t.channels[c].consent_withdrawals += 1;
            }
            self.attrs_mut()[a] = AttrValue::Bool(false);
            self.dirty.attr(a);
        }
    }

    /// Is the customer in journey `j`? From a bit set, so that asking it of every
    /// journey on every event does not read every journey's state.
    fn in_journey(&self, j: usize) -> bool {
        if j < 64 {
            self.active >> j & 1 == 1
        } else {
            self.journeys[j].active.is_some()
        }
    }

    /// After anything changed: `exit when` conditions, audience edges (and the entries
    /// they start), repeated until nothing changes; then plan the next instant at which
    /// time alone could change an answer.
    fn settle(&mut self, eng: &Engine, texts: &Interner, out: &mut Out) {
        if !eng.needs_flips || !self.dirty.any {
            return;
        }
        let now = self.now;
        // what changed before this call, then what each round's entries changed
        let mut cur = std::mem::take(&mut self.dirty);
        let mut seen = cur;
        for i in cur.changed_aggs(eng.aggs.len()) {
            expr::trim(&eng.aggs[i], &mut self.tracks[i].track, now);
        }
        let mut settled = false;
        for _ in 0..16 {
            // issue 15: a midnight passed: every reader may read `today` (`touches` picks them)
            let readers = eng.readers.of(cur.all || cur.today, cur.aggs, cur.attrs);
            for j in ReadMask::members(readers.park, eng.journeys.len()) {
                // what the filter reads first: a journey's state is a cache miss away
                let deps = match self.plans[j].parked {
                    Some(Park::Filtered) => eng.park[j].as_ref(),
                    Some(Park::FilteredBy(k)) => eng.park_clauses[j].get(k as usize).map(|c| &c.deps),
                    _ => None,
                };
                if deps.is_some_and(|d| cur.touches(d)) {
                    self.unpark(eng, j, out);
                }
            }
            // exits go in priority order, so walk it only when some journey may exit
            let exiting = (readers.exits | cur.journeys) & self.active & eng.exiting;
            let wide = eng.journeys.len() > 64;
            for &j in if exiting != 0 || wide { &eng.order[..] } else { &[] } {
                if eng.journeys[j].exit_conditions.is_empty() || !self.in_journey(j) {
                    continue;
                }
                if !cur.journey_entered(j) && !cur.touches(&eng.exit_deps[j]) {
                    continue;
                }
                if eng.journeys[j].exit_conditions.iter().any(|c| self.eval_bool(eng, c, None, texts)) {
                    self.exit(eng, j, ExitReason::ExitCondition, out);
                }
            }
            // on the stack: a round rarely flips more than a few audiences
            let mut edges: Inline<(usize, bool), 8> = Inline::new();
            // exits change nothing an audience reads, so the answers can be shared
            // scratch on the stack, not in the state: only this round reads it
            let memo = Memo::from_elem(std::cell::Cell::new(0), eng.audiences.len());
            for k in ReadMask::members(readers.tracked, eng.tracked.len()) {
                let a = eng.tracked[k];
                if !cur.touches(&eng.tracked_deps[k]) {
                    continue;
                }
                let scope = Scope { memo: Some(&memo), ..self.scope(eng, None, texts) };
                let now_in = expr::eval_audience(a, &scope);
                if now_in != self.members.get(a) {
                    self.members.set(a, now_in);
                    edges.push((a, now_in));
                }
            }
            for &j in if edges.is_empty() { &[][..] } else { &eng.order } {
                let fire = match eng.journeys[j].trigger {
                    CTrigger::AudienceEntered(a) => edges.contains(&(a, true)),
                    CTrigger::AudienceExited(a) => edges.contains(&(a, false)),
                    _ => false,
                };
                if fire {
                    self.try_enter(eng, j, None, texts, out, 0);
                }
            }
            // exits change nothing a condition reads; entries and their steps may
            cur = std::mem::take(&mut self.dirty);
            seen.add(cur);
            if !cur.any {
                settled = true;
                break;
            }
        }
        if !settled {
            // still changing after 16 rounds (audiences feeding each other): look again
            // next time, at every tick too (a parked tick would not call this)
            self.dirty = Dirty::everything();
            // (a filter's park keeps its own rule: what it reads changed, as before)
            let present: Inline<usize, 8> = self.plans.present().collect();
            for j in present {
                if self.plans[j].parked.is_some_and(|p| !matches!(p, Park::Filtered | Park::FilteredBy(_))) {
                    self.unpark(eng, j, out);
                }
            }
        }
        // the next flip
        // the next flip: what did not change keeps its planned threshold
        for i in seen.changed_aggs(eng.aggs.len()) {
            let tracker = &mut self.tracks[i];
            tracker.flip = expr::next_flip(&eng.aggs[i], &tracker.track, now, &eng.durations).unwrap_or(i64::MAX);
        }
        for (k, &a) in eng.since_attrs.iter().enumerate() {
            if seen.attr_changed(a) {
                self.since_flips[k] = self
                    .since_anchor(a)
                    .and_then(|anchor| expr::next_threshold(anchor, now, &eng.durations))
                    .unwrap_or(i64::MAX);
            }
        }
        // issue 15: conditions reading `today` may flip at the next local midnight
        if eng.reads_today {
            self.next_midnight = time::next_local_midnight(self.tz, now);
        }
        let flips = self.tracks.iter().map(|t| t.flip).chain(self.since_flips.iter().copied());
        let n = flips.min().unwrap_or(i64::MAX).min(self.next_midnight);
        if n <= eng.opts.until && (self.flip_at == NEVER || n < self.flip_at) {
            self.flip_at = n;
            self.push_timer(eng, n, AUDIENCE, 0);
        }
    }

    // ------------------------------------------------------------ journeys

    /// Try to start journey `j` now: not while already in it, subject to `re_entry`
    /// and the `audience` filter; then the holdout draw.
    fn try_enter(
        &mut self,
        eng: &Engine,
        j: usize,
        ev: Option<&Event>,
        texts: &Interner,
        out: &mut Out,
        depth: usize,
    ) -> Entry {
        if !self.runs(eng, j) {
            // not this kind of state's journey: no attempt to count
            return Entry::Filtered;
        }
        let cj = &eng.journeys[j];
        let now = self.now;
        let js = &self.journeys[j];
        let r = &mut out.1.journeys[j];
        if now < self.exists_from {
            r.before_exists += 1;
            return Entry::BeforeExists;
        }
        if js.active.is_some() {
            r.already_in += 1;
            return Entry::AlreadyIn;
        }
        if cj.active.is_some_and(|(from, to)| now < from || now >= to) {
            r.outside_window += 1;
            return Entry::OutsideWindow;
        }
        let blocked = match (&cj.re_entry, js.last_entry()) {
            (_, None) => false,
            (ReEntry::Never, Some(_)) => true,
            (ReEntry::Always, Some(_)) => false,
            (ReEntry::After { minutes }, Some(last)) => now - last < *minutes as i64 * time::MINUTE,
        };
        if blocked {
            r.re_entry_blocked += 1;
            return Entry::Blocked;
        }
        if let Some(a) = &cj.audience {
            // the journey's own audience is over the customer, not the event
            let _ = ev;
            // named audiences inside the filter answered once (`repeat or hero or
            // occasional` reads `hero` twice and `active_buyer` four times); nothing
            // about the customer changes until the filter and its refusal are read
            let memo = Memo::from_elem(std::cell::Cell::new(0), eng.audiences.len());
            let v = eval(a, &Scope { memo: Some(&memo), ..self.scope(eng, None, texts) });
            if !v.truthy() {
                if v == V::None || cj.named_clauses {
                    self.count_unknown(eng, j, texts, &memo, out);
                }
                out.1.journeys[j].filtered_out += 1;
                return Entry::Filtered;
            }
        }
        if self.globally_held && eng.rules.marketing_journey[j] {
            self.enter_global_holdout(eng, j, out);
            return Entry::Entered;
        }
        let holdout = cj.holdout > 0 && stable_hash_from(eng.holdout_prefix[j], &[&self.key]) % 10_000 < cj.holdout;
        let r = &mut out.1.journeys[j];
        r.entrants += 1;
        if js.entries == 0 {
            r.customers += 1;
        }
        if holdout {
            r.holdout += 1;
        } else {
            r.treated += 1;
        }
        let js = &mut self.journeys[j];
        js.entries += 1;
        js.last_entry = now;
        self.act(j, None, ActionKind::Enter { holdout, global_holdout: false }, out);
        self.cell(eng, j, u32::from(holdout)).entries += 1;
        for (gi, g) in cj.goals.iter().enumerate() {
            self.goals.push(PendingGoal {
                journey: j as u32,
                goal: gi as u32,
                entered: now,
                deadline: now + g.within(),
                holdout,
                global: false,
                arms: Inline::new(),
            });
        }
        if holdout {
            self.act(j, None, ActionKind::Exit { reason: ExitReason::Holdout }, out);
            out.1.journeys[j].exits[ExitReason::Holdout.index()] += 1;
            return Entry::Entered;
        }
        self.journeys[j].active =
            Some(Box::new(Active { node: u32::MAX, wake: 0, stage: u32::MAX, arms: Inline::new() }));
        if j < 64 {
            self.active |= 1 << j;
        }
        self.dirty.journey(j);
        let start = cj.start;
        self.goto(eng, j, start, texts, out, depth);
        Entry::Entered
    }

    /// issue 15: the customer is in the program's global holdout and `j` is a marketing
    /// journey: the entry that would have been is recorded (re_entry counts it, so the
    /// group's entries are comparable to the treated ones), the goals are followed as
    /// the journey's `global_holdout` group, and no step is taken.
    fn enter_global_holdout(&mut self, eng: &Engine, j: usize, out: &mut Out) {
        let now = self.now;
        let r = &mut out.1.journeys[j];
        r.global_holdout += 1;
        let js = &mut self.journeys[j];
        js.entries += 1;
        js.last_entry = now;
        let group = crate::experiment::global_group(&eng.journeys[j]);
        self.cell(eng, j, group).entries += 1;
        for (gi, g) in eng.journeys[j].goals.iter().enumerate() {
            self.goals.push(PendingGoal {
                journey: j as u32,
                goal: gi as u32,
                entered: now,
                deadline: now + g.within(),
                holdout: false,
                global: true,
                arms: Inline::new(),
            });
        }
        self.act(j, None, ActionKind::Enter { holdout: true, global_holdout: true }, out);
        self.act(j, None, ActionKind::Exit { reason: ExitReason::GlobalHoldout }, out);
        out.1.journeys[j].exits[ExitReason::GlobalHoldout.index()] += 1;
    }

    /// Journey `j`'s filter did not hold: when a missing value is why, count the
    /// customer (once) under the first top-level clause that read it. That is the first
    /// clause that is unknown, or, when the filter is false only because of named
    /// audiences (a fact: false when its condition is unknown), the first of those
    /// whose condition is unknown. A filter with a clause that is false on known values
    /// refused the customer for that reason and is not counted.
    fn count_unknown(&mut self, eng: &Engine, j: usize, texts: &Interner, memo: &Memo, out: &mut Out) {
        let scope = Scope { memo: Some(memo), ..self.scope(eng, None, texts) };
        let clauses = &eng.journeys[j].audience_clauses;
        let unknown_member = |k: usize| match &clauses[k].1 {
            expr::CExpr::Audience(i) => eval(&scope.audiences[*i], &scope) == V::None,
            _ => false,
        };
        // the first unknown clause (the clauses after it need no evaluation: an
        // evaluation changes nothing), else the refusing ones, on the stack
        let mut unknown = None;
        let mut refusing: Inline<usize, 8> = Inline::new();
        for (k, (_, c)) in clauses.iter().enumerate() {
            let v = eval(c, &scope);
            if v == V::None {
                unknown = Some(k);
                break;
            }
            if !v.truthy() {
                refusing.push(k);
            }
        }
        let first = match unknown {
            Some(k) => Some(k),
            None => refusing.iter().all(|&k| unknown_member(k)).then(|| refusing.first().copied()).flatten(),
        };
        let Some(k) = first else { return };
        let bit = 1u64 << k.min(63);
        if self.journeys[j].unknown_counted & bit == 0 {
            self.journeys[j].unknown_counted |= bit;
            *out.1.journeys[j].unknown_refusals.entry(k).or_insert(0) += 1;
        }
    }

    fn exit(&mut self, eng: &Engine, j: usize, reason: ExitReason, out: &mut Out) {
        if self.journeys.get_mut(j).and_then(|js| js.active.take()).is_none() {
            return;
        }
        if self.plans[j].parked == Some(Park::AlreadyIn) {
            // its ticks from now on may enter again
            self.unpark(eng, j, out);
        }
        if j < 64 {
            self.active &= !(1 << j);
        }
        self.act(j, None, ActionKind::Exit { reason }, out);
        out.1.journeys[j].exits[reason.index()] += 1;
    }

    fn goal_reached(&mut self, eng: &Engine, g: &PendingGoal, out: &mut Out) {
        let j = g.journey as usize;
        self.act(j, None, ActionKind::GoalReached { goal: g.goal as usize }, out);
        let goal = g.goal as usize;
        if g.global {
            // issue 15: the global holdout's would-be entry converted
            self.cell_for_goal(j, crate::experiment::global_group(&eng.journeys[j]), goal);
            out.1.journeys[j].goals[goal].global_holdout_conversions += 1;
            *out.1.journeys[j].goals[goal].days_to_goal.entry(((self.now - g.entered) / DAY) as u64).or_default() += 1;
            return;
        }
        self.cell_for_goal(j, u32::from(g.holdout), goal);
        for &a in &g.arms {
            self.cell_for_goal(j, 2 + a as u32, goal);
        }
        let gr = &mut out.1.journeys[j].goals[g.goal as usize];
        if g.holdout {
            gr.holdout_conversions += 1;
        } else {
            gr.treated_conversions += 1;
        }
        *gr.days_to_goal.entry(((self.now - g.entered) / DAY) as u64).or_default() += 1;
    }

    /// issue 15: an event of an amount goal within its window: its amount counts for
    /// the entry's group (and the split arms it took).
    fn add_amount(&mut self, eng: &Engine, g: &PendingGoal, units: i64) {
        let j = g.journey as usize;
        let goal = g.goal as usize;
        let mut groups: Inline<u32, 3> = Inline::new();
        if g.global {
            groups.push(crate::experiment::global_group(&eng.journeys[j]));
        } else {
            groups.push(u32::from(g.holdout));
            for &a in &g.arms {
                groups.push(2 + a as u32);
            }
        }
        let journey = j as u32;
        for group in groups {
            if let Some(c) = self.cells.iter_mut().find(|c| c.journey == journey && c.group == group) {
                c.per_goal[goal] = c.per_goal[goal].saturating_add(units);
            }
        }
    }

    /// A conversion of goal `goal` in group `group` of journey `j` (whose cell exists:
    /// the entry that converts was counted in it).
    fn cell_for_goal(&mut self, j: usize, group: u32, goal: usize) {
        let journey = j as u32;
        if let Some(c) = self.cells.iter_mut().find(|c| c.journey == journey && c.group == group) {
            c.per_goal[goal] += 1;
        }
    }

    fn act(&self, journey: usize, node: Option<usize>, kind: ActionKind, out: &mut Out) {
        out.0.push(Action { time: self.now, customer: self.id, journey, node, kind });
    }

    /// A timer for journey `j` fired: continue past the wait (or retry a deferred send).
    fn resume(&mut self, eng: &Engine, j: usize, seq: u64, texts: &Interner, out: &mut Out) {
        let Some(a) = &self.journeys[j].active else { return };
        if a.wake != seq {
            return;
        }
        let node = a.node as usize;
        let target = match &eng.journeys[j].steps[node] {
            CStep::Send { .. } => Target::Node(node),
            CStep::Wait { next, .. }
            | CStep::WaitUntilTime { next, .. }
            | CStep::WaitUntilDate { next, .. }
            | CStep::WaitBusinessDays { next, .. } => *next,
            CStep::WaitFor { timeout, .. } => *timeout,
            _ => Target::Node(node),
        };
        if let Some(a) = &mut self.journeys[j].active {
            a.wake = 0;
        }
        self.goto(eng, j, target, texts, out, 0);
    }

    /// Hold the customer at `node` until `until`.
    fn pause(&mut self, eng: &Engine, j: usize, node: usize, until: i64) {
        let seq = self.push_timer(eng, until, RESUME, j);
        if let Some(a) = &mut self.journeys[j].active {
            a.node = node as u32;
            a.wake = seq;
        }
    }

    /// Move journey `j` to `target` and run steps until the customer waits or leaves.
    fn goto(&mut self, eng: &Engine, j: usize, target: Target, texts: &Interner, out: &mut Out, depth: usize) {
        let cj = &eng.journeys[j];
        let mut target = target;
        for _ in 0..STEP_LIMIT {
            let node = match target {
                Target::End => return self.exit(eng, j, ExitReason::End, out),
                Target::Journey(k) => {
                    self.exit(eng, j, ExitReason::Handover, out);
                    if depth < 16 {
                        self.try_enter(eng, k, None, texts, out, depth + 1);
                    }
                    return;
                }
                Target::Node(n) => n,
            };
            let Some(a) = &mut self.journeys[j].active else { return };
            a.node = node as u32;
            a.wake = 0;
            let stage = cj.node_stage[node];
            if a.stage != stage as u32 {
                a.stage = stage as u32;
                out.1.journeys[j].stage_entries[stage] += 1;
                self.reach_stage(eng, j, stage, out);
            }
            let now = self.now;
            target = match &cj.steps[node] {
                CStep::Send { channel, next } => {
                    if let Some(until) = self.send(eng, j, node, *channel, out) {
                        return self.pause(eng, j, node, until);
                    }
                    *next
                }
                CStep::Wait { minutes, next } => {
                    let due = time::add_duration(self.tz, now, *minutes);
                    if due > now {
                        return self.pause(eng, j, node, due);
                    }
                    *next
                }
                CStep::WaitUntilTime { minute, zone, next } => {
                    let due = time::next_local_time(zone.unwrap_or(self.tz), now, *minute);
                    if due > now {
                        return self.pause(eng, j, node, due);
                    }
                    *next
                }
                CStep::WaitUntilDate { attribute, offset_minutes, next } => {
                    let due = match self.attrs[*attribute] {
                        AttrValue::Date(d) => Some(time::shifted_date_midnight(self.tz, d, *offset_minutes)),
                        AttrValue::Time(t) => Some(time::shift_local(self.tz, t, *offset_minutes)),
                        _ => None,
                    };
                    match due {
                        Some(due) if due > now => return self.pause(eng, j, node, due),
                        _ => *next,
                    }
                }
                CStep::WaitFor { timeout_minutes, .. } => {
                    let due = time::add_duration(self.tz, now, *timeout_minutes);
                    return self.pause(eng, j, node, due);
                }
                CStep::Branch { arms, otherwise } => arms
                    .iter()
                    .find(|(c, _)| self.eval_bool(eng, c, None, texts))
                    .map(|(_, t)| *t)
                    .unwrap_or(*otherwise),
                CStep::Split { salt, arms, first_arm } => {
                    let draw = (stable_hash(eng.opts.seed, &["split", &cj.name, salt, &self.key]) % 10_000) as f64;
                    let mut acc = 0.0;
                    let mut k = arms.len().saturating_sub(1);
                    for (i, (p, _)) in arms.iter().enumerate() {
                        acc += p * 100.0;
                        if draw < acc {
                            k = i;
                            break;
                        }
                    }
                    self.took_arm(eng, j, first_arm + k as u16);
                    arms.get(k).map_or(Target::End, |a| a.1)
                }
                CStep::Set { attribute, value, next } => {
                    if let Some(a) = attribute {
                        let v = AttrValue::from_value(&eval(value, &self.scope(eng, None, texts)));
                        self.attrs_mut()[*a] = v;
                        self.dirty.attr(*a);
                        self.replan_date_entries(eng, *a);
                        self.act(j, Some(node), ActionKind::SetAttribute { attribute: *a }, out);
                        out.1.journeys[j].attribute_sets += 1;
                    }
                    *next
                }
                CStep::Task { channel, owner, due, priority, next } => {
                    // a task that fell back is in the fallback queue's channel: its trace
                    // row and the channel's task count name that queue
                    let name = |c: usize| eng.channels[c].name.as_str();
                    let (channel, assignee) = crate::tasks::resolve_owner(owner, *channel, name, &self.attrs);
                    let calendar = eng.calendars.for_customer(&self.attrs);
                    let due = crate::tasks::due_time(self.tz, now, *due, calendar);
                    let due_on_day_off = due.is_some_and(|d| crate::tasks::on_day_off(self.tz, d, calendar));
                    let task = crate::tasks::CreatedTask { assignee, due, priority: *priority, due_on_day_off };
                    out.1.task(&eng.journeys[j].name, &task);
                    self.act(j, Some(node), ActionKind::Task { channel, task }, out);
                    out.1.journeys[j].tasks += 1;
                    out.1.channels[channel].tasks += 1;
                    *next
                }
                CStep::Webhook { channel, next } => {
                    self.act(j, Some(node), ActionKind::Webhook { channel: *channel }, out);
                    out.1.journeys[j].webhooks += 1;
                    out.1.channels[*channel].webhooks += 1;
                    *next
                }
                CStep::Goto(t) => *t,
                CStep::End => Target::End,
                CStep::WaitBusinessDays { days, next } => {
                    let calendar = eng.calendars.for_customer(&self.attrs);
                    let due = crate::business_days::add_business_days(self.tz, now, *days, calendar);
                    if due > now {
                        return self.pause(eng, j, node, due);
                    }
                    *next
                }
            };
        }
        self.exit(eng, j, ExitReason::StepLimit, out);
    }

    /// The current entry of journey `j` took split arm `arm`: counted once per entry,
    /// and its pending goals will count for the arm too.
    fn took_arm(&mut self, eng: &Engine, j: usize, arm: u16) {
        let Some(a) = self.journeys[j].active.as_mut() else { return };
        if a.arms.contains(&arm) {
            return;
        }
        a.arms.push(arm);
        self.cell(eng, j, 2 + arm as u32).entries += 1;
        let entered = self.journeys[j].last_entry();
        for g in &mut self.goals {
            if g.journey as usize == j && !g.holdout && Some(g.entered) == entered {
                g.arms.push(arm);
            }
        }
    }

    fn reach_stage(&mut self, eng: &Engine, j: usize, stage: usize, out: &mut Out) {
        let now = self.now;
        let mut i = 0;
        while i < self.goals.len() {
            let g = &self.goals[i];
            let hit = g.journey as usize == j
                && !g.holdout
                && g.deadline >= now
                && matches!(eng.journeys[j].goals[g.goal as usize], CGoal::Reach { stage: s, .. } if s == stage);
            if hit {
                let g = self.goals.remove(i);
                self.goal_reached(eng, &g, out);
            } else {
                i += 1;
            }
        }
    }

    // ------------------------------------------------------------ arbitration

    /// The `conflicting` group that forbids a send carrying the conflicting tags `tags`
    /// now, if any.
    fn conflicting(&self, eng: &Engine, tags: &[u16]) -> Option<usize> {
        let c = &eng.conflicts;
        tags.iter().find_map(|&t| {
            let group = c.tags[t as usize].0;
            let hit = (c.tags.iter().enumerate()).any(|(u, (g, _))| {
                let last = self.last_sent.get(eng.channels.len() + u).copied().unwrap_or(NEVER);
                *g == group && u != t as usize && self.now.saturating_sub(last) < c.window
            });
            hit.then_some(group)
        })
    }

    /// Arbitrate a send: `None` when it was delivered or suppressed (the customer moves
    /// on), `Some(until)` when it is deferred (the customer waits at the send).
    fn send(&mut self, eng: &Engine, j: usize, node: usize, c: usize, out: &mut Out) -> Option<i64> {
        let ch = &eng.channels[c];
        let now = self.now;
        if !ch.message {
            self.act(j, Some(node), ActionKind::Send { channel: c }, out);
            return None;
        }
        let suppress = |s: &mut Self, reason: Suppression, out: &mut Out| {
            s.act(j, Some(node), ActionKind::Suppressed { channel: c, reason }, out);
        };
        // issue 15: the program's suppression list, before anything else: a suppressed
        // customer gets no marketing message however the rest would have gone
        let account = self.account.is_some();
        if !account && eng.rules.suppresses(c, self.listed, &self.attrs) {
            suppress(self, Suppression::SuppressionList, out);
            out.1.journeys[j].suppressed += 1;
            out.1.program_rules.suppressed_sends += 1;
            self.was_suppressed = true;
            return None;
        }
        // consent (an account's admins', each their own, at delivery)
        if let Some(a) = ch.consent.filter(|_| !account) {
            if self.attrs[a] != AttrValue::Bool(true) {
                suppress(self, Suppression::Consent, out);
                out.1.journeys[j].consent_suppressions += 1;
                out.1.channels[c].consent_suppressions += 1;
                return None;
            }
        }
        // quiet days (policy), then the channel's quiet hours
        if eng.quiet_days.contains(self.tz, now) {
            let jr = &mut out.1.journeys[j];
            if eng.opts.quiet_hours == QuietMode::Drop {
                jr.quiet_drops += 1;
                out.1.quiet_day_drops += 1;
                suppress(self, Suppression::QuietDay, out);
                return None;
            }
            jr.quiet_deferrals += 1;
            out.1.quiet_day_deferrals += 1;
            let mut until = time::next_local_midnight(self.tz, now);
            for _ in 0..60 {
                if !eng.quiet_days.contains(self.tz, until) {
                    break;
                }
                until = time::next_local_midnight(self.tz, until);
            }
            self.act(j, Some(node), ActionKind::Deferred { channel: c, until, reason: DeferReason::QuietDay }, out);
            return Some(until);
        }
        if let Some((from, to, zone)) = ch.quiet {
            let tz = zone.unwrap_or(self.tz);
            let q = journey_ir::QuietHours { from_minute: from, to_minute: to, zone: journey_ir::Zone::Customer };
            if q.contains(time::minute_of_day(tz, now)) {
                let jr = &mut out.1.journeys[j];
                let cr = &mut out.1.channels[c];
                if eng.opts.quiet_hours == QuietMode::Drop {
                    jr.quiet_drops += 1;
                    cr.quiet_hour_drops += 1;
                    suppress(self, Suppression::QuietHours, out);
                    return None;
                }
                jr.quiet_deferrals += 1;
                cr.quiet_hour_deferrals += 1;
                let until = time::next_local_time(tz, now + 1, to);
                self.act(
                    j,
                    Some(node),
                    ActionKind::Deferred { channel: c, until, reason: DeferReason::QuietHours },
                    out,
                );
                return Some(until);
            }
        }
        // minimum gaps: the channel's, then the policy's
        let last_on_channel = Some(self.last_sent[c]).filter(|&t| t != NEVER);
        if let (Some(gap), Some(last)) = (ch.min_gap, last_on_channel) {
            if now - last < gap {
                let until = last + gap;
                out.1.journeys[j].min_gap_deferrals += 1;
                out.1.channels[c].min_gap_deferrals += 1;
                self.act(
                    j,
                    Some(node),
                    ActionKind::Deferred { channel: c, until, reason: DeferReason::ChannelMinGap },
                    out,
                );
                return Some(until);
            }
        }
        let last_send = Some(self.last_send).filter(|&t| t != NEVER);
        if let (Some(gap), Some(last)) = (eng.policy_min_gap, last_send) {
            if now - last < gap {
                let until = last + gap;
                out.1.journeys[j].min_gap_deferrals += 1;
                out.1.policy_min_gap_deferrals += 1;
                self.act(
                    j,
                    Some(node),
                    ActionKind::Deferred { channel: c, until, reason: DeferReason::PolicyMinGap },
                    out,
                );
                return Some(until);
            }
        }
        // caps over the customer's actual sends, all journeys: a send over one is
        // refused, never deferred (journey_ir::OVER_CAP says so to users)
        while self.sends.front().is_some_and(|(t, _, _)| now - t >= eng.send_window) {
            self.sends.pop_front();
        }
        if let Some((count, window)) = ch.cap {
            let n = self.sends.iter().filter(|(t, x, _)| *x as usize == c && now - t < window).count() as u64;
            if n >= count {
                suppress(self, Suppression::ChannelCap, out);
                out.1.journeys[j].cap_hits += 1;
                out.1.channels[c].cap_hits += 1;
                return None;
            }
        }
        for (pi, pc) in eng.policy_caps.iter().enumerate() {
            let counts = |x: usize| pc.channels.as_ref().is_none_or(|v| v.contains(&x));
            if !counts(c) {
                continue;
            }
            let n = self.sends.iter().filter(|(t, x, _)| counts(*x as usize) && now - t < pc.window).count() as u64;
            if n >= pc.count {
                suppress(self, Suppression::PolicyCap(pi), out);
                out.1.journeys[j].cap_hits += 1;
                out.1.policy_cap_hits[pi] += 1;
                return None;
            }
        }
        // issue 15: caps per message category, over the customer's sends on every
        // channel of the category, all journeys
        for (k, cc) in eng.rules.caps.iter().enumerate() {
            if !cc.channels[c] {
                continue;
            }
            let n =
                self.sends.iter().filter(|(t, x, _)| cc.channels[*x as usize] && now - t < cc.window).count() as u64;
            if n >= cc.count {
                suppress(self, Suppression::CategoryCap(k), out);
                out.1.journeys[j].cap_hits += 1;
                out.1.category_cap_hits[k] += 1;
                return None;
            }
        }
        // conflicting tags (policy): a different tag of the same group was delivered less
        // than the conflict window ago
        let tags = eng.journeys[j].conflict_tags.get(node).map_or(&[][..], |t| &t[..]);
        if let Some(g) = self.conflicting(eng, tags) {
            suppress(self, Suppression::Conflict(g), out);
            out.1.journeys[j].conflict_refusals += 1;
            out.1.policy_conflict_refusals[g] += 1;
            return None;
        }
        // issue 15, accounts: an account's message goes to its admins who may get it
        let recipients: Vec<u32> = match &self.account {
            None => Vec::new(),
            Some(part) => (part.admins.iter())
                .filter(|(_, attrs, listed)| {
                    ch.consent.is_none_or(|a| attrs[a] == AttrValue::Bool(true))
                        && !eng.rules.suppresses(c, *listed, attrs)
                })
                .map(|(i, _, _)| *i)
                .collect(),
        };
        if account && recipients.is_empty() {
            suppress(self, Suppression::NoAdmin, out);
            out.1.accounts.undelivered += 1;
            return None;
        }
        // delivered
        for &t in tags {
            self.last_sent[eng.channels.len() + t as usize] = now;
        }
        let jj = j as u32;
        self.sends.push_back((now, c as u32, jj));
        self.last_send = now;
        self.last_sent[c] = now;
        self.last_message = Some((now, jj));
        let week = self.sends.iter().filter(|(t, _, _)| now - t < 7 * DAY).count() as u64;
        self.max_week = self.max_week.max(week);
        let mine = self.sends.iter().filter(|(t, _, x)| *x == jj && now - t < 7 * DAY).count() as u32;
        match self.journey_weeks.iter_mut().find(|(x, _)| *x == jj) {
            Some((_, most)) => *most = (*most).max(mine),
            None => journeys::push_exact(&mut self.journey_weeks, (jj, mine)),
        }
        // one message per recipient: the customer, or each of the account's admins
        let messages = if account { recipients.len() as u32 } else { 1 };
        self.cell(eng, j, 0).sends += messages;
        // (the copy of the arms only when there are some: most entries took no split)
        if let Some(a) = self.journeys[j].active.as_ref().filter(|a| !a.arms.is_empty()) {
            for arm in a.arms.clone() {
                self.cell(eng, j, 2 + arm as u32).sends += messages;
            }
        }
        let day = time::local(eng.default_tz, now).date().num_days_from_ce();
        if account {
            for i in recipients {
                let to = AccountBook::admin_id(i);
                out.0.push(Action {
                    time: now,
                    customer: to,
                    journey: j,
                    node: Some(node),
                    kind: ActionKind::Send { channel: c },
                });
                out.1.send(j, eng.journeys[j].node_stage[node], c, day);
                out.1.accounts.messages += 1;
            }
            return None;
        }
        self.act(j, Some(node), ActionKind::Send { channel: c }, out);
        out.1.send(j, eng.journeys[j].node_stage[node], c, day);
        None
    }
}

#[cfg(test)]
mod tests {
    use super::Timer;

    /// Packed timers order as the (time, class, rank, creation) tuples they stand for,
    /// and give each part back, on seeded random timers.
    #[test]
    fn packed_timers_order_as_their_tuples() {
        let mut seed = 0x0123_4567_89ab_cdefu64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut timers: Vec<(i64, u8, u32, u64)> = (0..5000)
            .map(|_| {
                let time = next(50) as i64 - 25 + if next(10) == 0 { i64::MAX - 30 } else { 0 };
                let rank = [next(4), next(1 << 22)][next(2) as usize] as u32;
                (time, next(3) as u8, rank, next(1 << 40).max(1))
            })
            .collect();
        for &(t, c, r, s) in &timers {
            let p = Timer::new(t, c, r, s);
            assert_eq!((p.time, p.class(), p.rank(), p.seq()), (t, c, r, s));
        }
        let mut packed: Vec<Timer> = timers.iter().map(|&(t, c, r, s)| Timer::new(t, c, r, s)).collect();
        timers.sort();
        packed.sort();
        let unpacked: Vec<(i64, u8, u32, u64)> =
            packed.iter().map(|p| (p.time, p.class(), p.rank(), p.seq())).collect();
        assert_eq!(unpacked, timers);
    }
}
