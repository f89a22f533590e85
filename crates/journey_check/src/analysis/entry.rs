//! J315 journey-never-enters: a journey whose entry no customer can ever pass, so it
//! sends nothing at all, proved by the reasoner of [`super::logic`].
//!
//! What must hold at the instant a customer enters: the journey's `audience` (checked
//! at entry) and, at that same instant, what the trigger needs: the entered audience
//! (`entry when audience A entered`), the left one no longer holding (`… exited`,
//! after it once held), the condition turning true (`entry when COND`), or one of
//! the triggering events' filters. The reasoner answers "maybe" when it cannot tell,
//! so a journey is reported only on a proof that holds for every customer (its
//! verdicts are checked against brute force in tests/oracle.rs).

use super::logic;
use super::Cx;
use journey_diagnostics::Diagnostic;
use journey_ir::{Expr, Journey, Program, Trigger};

pub fn check(cx: &Cx) -> Vec<Diagnostic> {
    if !cx.facts.never_enters {
        return vec![];
    }
    let named = match &cx.journey.entry {
        Trigger::AudienceEntered { audience: name } | Trigger::AudienceExited { audience: name } => {
            cx.program.audience(name)
        }
        _ => None,
    };
    vec![explain(cx, named, cx.journey.audience.as_ref())]
}

/// Proven that no customer can ever pass `j`'s entry (J315). The cross-journey checks
/// and the calendar leave such a journey out of every conflict (it sends nothing), and
/// the calendar says it never enters instead of placing its sends.
pub fn never_enters(p: &Program, j: &Journey) -> bool {
    let audience = j.audience.as_ref();
    // what the trigger needs at the instant of entry: one conjunction of literals per
    // way in, each with the audience
    let needs: Vec<Vec<(&Expr, bool)>> = match &j.entry {
        Trigger::AudienceEntered { audience: name } | Trigger::AudienceExited { audience: name } => {
            let Some(def) = p.audience(name) else { return false };
            let entered = matches!(j.entry, Trigger::AudienceEntered { .. });
            vec![vec![(&def.condition, entered)]]
        }
        Trigger::Condition { condition } => vec![vec![(condition, true)]],
        Trigger::Event { filter, .. } => {
            // entered on any of the events: never only when every one is refused
            let mut all = vec![filter.as_ref()];
            all.extend(j.entry_also.iter().map(|m| m.filter.as_ref()));
            all.into_iter().map(|f| f.map(|f| vec![(f, true)]).unwrap_or_default()).collect()
        }
        Trigger::Schedule { .. } | Trigger::DateAttribute { .. } => vec![Vec::new()],
    };
    // the proof, once per way in: most journeys can be entered, and this is the only
    // question asked of them (which part is to blame is asked only of the dead)
    let dead = |lits: &Vec<(&Expr, bool)>| {
        let mut all = lits.clone();
        all.extend(audience.map(|a| (a, true)));
        !all.is_empty() && logic::unsatisfiable_conjunction(&all, p)
    };
    needs.iter().all(dead)
}

/// The diagnostic of a journey proven never to enter anyone: what is to blame, the
/// audience alone, the trigger's audience alone, or the two together.
fn explain(cx: &Cx, named: Option<&journey_ir::Audience>, audience: Option<&Expr>) -> Diagnostic {
    let (p, j) = (cx.program, cx.journey);
    let o = &j.entry_origin;
    let title = format!("journey `{}` can never enter a customer", j.name);
    let help = "fix the condition (a contradiction, or a range that is empty); as written the journey sends nothing";
    if let Some(a) = audience.filter(|a| !logic::satisfiable(a, p)) {
        return Diagnostic::new("J315", title)
            .primary(o.file, o.span, "no customer can pass this entry")
            .note(format!("its audience can never hold: {}", logic::render(a)))
            .help(help);
    }
    if let Some(def) = named.filter(|def| !logic::satisfiable(&def.condition, p)) {
        let (name, verb) = match &j.entry {
            Trigger::AudienceExited { .. } => (&def.name, "leaves"),
            _ => (&def.name, "enters"),
        };
        return Diagnostic::new("J315", title)
            .primary(o.file, o.span, format!("no customer is ever in `{name}`, so none {verb} it"))
            .secondary(def.origin.file, def.origin.span, "this audience can never hold")
            .note(format!("`{name}`: {}", logic::render(&def.condition)))
            .help(help);
    }
    let (label, note) = match &j.entry {
        Trigger::AudienceEntered { audience: name } => {
            (format!("no customer can be in `{name}` and in the journey's audience at once"), None)
        }
        Trigger::AudienceExited { audience: name } => (
            format!("the journey's audience holds only for customers in `{name}`, so none who leaves it can enter"),
            None,
        ),
        Trigger::Condition { condition } => {
            let label = if logic::satisfiable(condition, p) {
                "no customer can meet this condition and the journey's audience at once"
            } else {
                "this condition can never turn true"
            };
            (label.to_string(), Some(format!("condition: {}", logic::render(condition))))
        }
        _ if audience.is_some() => ("no event of this entry can pass its filter and the audience".to_string(), None),
        _ => ("no event of this entry can pass its filter".to_string(), None),
    };
    let mut d = Diagnostic::new("J315", title).primary(o.file, o.span, label);
    if let Some(def) = named {
        d = d.secondary(def.origin.file, def.origin.span, "defined here");
    }
    if let Some(n) = note {
        d = d.note(n);
    }
    if let Some(a) = audience {
        d = d.note(format!("audience: {}", logic::render(a)));
    }
    d.help(help)
}
