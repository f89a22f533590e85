//! Which of the event step's lists (`on_event`: goals, opt-out figures and consent,
//! exit rules, `wait … for`, entries) name each event kind, decided once per program.
//! A walk over a list that does not name the event's kind matches nothing, so it is
//! skipped: an event no list names keeps only its bookkeeping (timers due before it,
//! history, expired goals, the count, settling), and half the events of the generated
//! log, `product_view`, which journeys/ reads only in one `wait … for`, walk the waits
//! alone instead of the goals, the exits and the waits. Changes no answer (oracle test
//! `skipping_events_nothing_reacts_to_changes_nothing` in tests/library.rs).

use crate::alternatives;
use crate::{CGoal, CJourney, CStep};

/// A kind a goal names.
pub(crate) const GOALS: u8 = 1;
/// A kind an exit rule names.
pub(crate) const EXITS: u8 = 2;
/// A kind a `wait … for` names.
pub(crate) const WAITS: u8 = 4;
/// A kind an entry or an opt-out figure names.
pub(crate) const OTHER: u8 = 8;
/// Every walk (the plain path).
pub(crate) const ALL: u8 = GOALS | EXITS | WAITS | OTHER;

/// By event kind: which of the event step's lists name it ([`GOALS`], [`EXITS`],
/// [`WAITS`], [`OTHER`]; 0: none). A `wait … for product_view` then costs a
/// product_view the walk of the waits alone.
pub(crate) fn reacting_kinds(events: usize, journeys: &[CJourney], opt_outs: &[Option<u16>]) -> Vec<u8> {
    let mut reacts = vec![0u8; events];
    let mut mark = |k: Option<u16>, part: u8| {
        if let Some(r) = k.and_then(|k| reacts.get_mut(k as usize)) {
            *r |= part;
        }
    };
    for &k in opt_outs {
        mark(k, OTHER);
    }
    for j in journeys {
        if let crate::CTrigger::Event { event, .. } = &j.trigger {
            mark(*event, OTHER);
        }
        alternatives::kinds(&j.entry_also).for_each(|k| mark(Some(k), OTHER));
        for (k, _) in &j.exit_events {
            mark(*k, EXITS);
        }
        for g in &j.goals {
            match g {
                CGoal::Event { event, .. } | CGoal::Sum { event, .. } => mark(*event, GOALS),
                CGoal::Reach { .. } => {}
            }
        }
        for s in &j.steps {
            if let CStep::WaitFor { event, also, .. } = s {
                mark(*event, WAITS);
                alternatives::kinds(also).for_each(|k| mark(Some(k), WAITS));
            }
        }
    }
    reacts
}
