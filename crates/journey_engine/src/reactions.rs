//! Which event kinds the event step of the engine (`on_event`: goals, opt-out figures,
//! consent, exit rules, `wait … for`, entries) can react to at all, decided once per
//! program. An event of another kind (in the generated log, half the events are
//! `product_view`, which journeys/ reads only in one `wait … for`) finds nothing to
//! match in any of those lists, so it skips their walk: only its bookkeeping remains
//! (timers due before it, history, expired goals, the count, settling). Changes no
//! answer: the walks it skips would have matched nothing (oracle test
//! `skipping_events_nothing_reacts_to_changes_nothing` in tests/library.rs).

use crate::alternatives;
use crate::{CGoal, CJourney, CStep};

/// By event kind: whether a goal, an exit rule, a `wait … for`, an entry or an
/// opt-out figure names it.
pub(crate) fn reacting_kinds(events: usize, journeys: &[CJourney], opt_outs: &[Option<u16>]) -> Vec<bool> {
    let mut reacts = vec![false; events];
    let mut mark = |k: Option<u16>| {
        if let Some(r) = k.and_then(|k| reacts.get_mut(k as usize)) {
            *r = true;
        }
    };
    for &k in opt_outs {
        mark(k);
    }
    for j in journeys {
        if let crate::CTrigger::Event { event, .. } = &j.trigger {
            mark(*event);
        }
        alternatives::kinds(&j.entry_also).for_each(|k| mark(Some(k)));
        for (k, _) in &j.exit_events {
            mark(*k);
        }
        for g in &j.goals {
            match g {
                CGoal::Event { event, .. } | CGoal::Sum { event, .. } => mark(*event),
                CGoal::Reach { .. } => {}
            }
        }
        for s in &j.steps {
            if let CStep::WaitFor { event, also, .. } = s {
                mark(*event);
                alternatives::kinds(also).for_each(|k| mark(Some(k)));
            }
        }
    }
    reacts
}
