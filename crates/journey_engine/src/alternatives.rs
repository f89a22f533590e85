//! Several triggers per journey (`entry on signup or on trial_started`) and waits for
//! any of several events (`wait up to 3d for purchase or subscription_started`): the
//! events after the first, compiled, and the one rule both follow: the first event in
//! the list that the arriving event matches (name and filter) counts, and one match
//! is enough.

use crate::expr::{CExpr, Compiler};
use journey_ir::EventMatch;

/// One more event a journey is entered on, or a wait ends on.
#[derive(Debug)]
pub(crate) struct Alt {
    pub event: Option<u16>,
    pub filter: Option<CExpr>,
}

pub(crate) fn compile(c: &mut Compiler, alts: &[EventMatch]) -> Vec<Alt> {
    alts.iter()
        .map(|a| {
            let event = c.event_index(&a.event);
            Alt { event, filter: a.filter.as_ref().map(|f| c.compile(f, event)) }
        })
        .collect()
}

/// Does the event match the first of the list or any of `also`? `matches` says
/// whether it matches one (event kind, filter).
pub(crate) fn any_matches(
    first: (Option<u16>, &Option<CExpr>),
    also: &[Alt],
    mut matches: impl FnMut(Option<u16>, &Option<CExpr>) -> bool,
) -> bool {
    matches(first.0, first.1) || also.iter().any(|a| matches(a.event, &a.filter))
}

/// The event kinds a journey is entered on besides its first trigger's.
pub(crate) fn kinds(also: &[Alt]) -> impl Iterator<Item = u16> + '_ {
    also.iter().filter_map(|a| a.event)
}
