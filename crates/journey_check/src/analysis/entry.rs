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
use journey_ir::{Expr, Trigger};

pub fn check(cx: &Cx) -> Vec<Diagnostic> {
    let (p, j) = (cx.program, cx.journey);
    let o = &j.entry_origin;
    let audience = j.audience.as_ref();
    let never = |d: Diagnostic| {
        d.help("fix the condition (a contradiction, or a range that is empty); as written the journey sends nothing")
    };
    let title = format!("journey `{}` can never enter a customer", j.name);
    if let Some(a) = audience {
        if !logic::satisfiable(a, p) {
            return vec![never(
                Diagnostic::new("J315", title)
                    .primary(o.file, o.span, "no customer can pass this entry")
                    .note(format!("its audience can never hold: {}", logic::render(a))),
            )];
        }
    }
    // what the trigger needs at the instant of entry, as literals of one conjunction
    // with the audience; a named audience is also pointed at where it is defined
    let mut named = None;
    let needs: Vec<Vec<(&Expr, bool)>> = match &j.entry {
        Trigger::AudienceEntered { audience: name } => match p.audience(name) {
            Some(def) => {
                named = Some(def);
                if !logic::satisfiable(&def.condition, p) {
                    return vec![never(
                        Diagnostic::new("J315", title)
                            .primary(o.file, o.span, format!("no customer is ever in `{name}`, so none enters it"))
                            .secondary(def.origin.file, def.origin.span, "this audience can never hold")
                            .note(format!("`{name}`: {}", logic::render(&def.condition))),
                    )];
                }
                vec![vec![(&def.condition, true)]]
            }
            None => return Vec::new(),
        },
        Trigger::AudienceExited { audience: name } => match p.audience(name) {
            Some(def) => {
                named = Some(def);
                if !logic::satisfiable(&def.condition, p) {
                    return vec![never(
                        Diagnostic::new("J315", title)
                            .primary(o.file, o.span, format!("no customer is ever in `{name}`, so none leaves it"))
                            .secondary(def.origin.file, def.origin.span, "this audience can never hold")
                            .note(format!("`{name}`: {}", logic::render(&def.condition))),
                    )];
                }
                vec![vec![(&def.condition, false)]]
            }
            None => return Vec::new(),
        },
        Trigger::Condition { condition } => vec![vec![(condition, true)]],
        Trigger::Event { filter, .. } => {
            // entered on any of the events: never only when every one is refused
            let mut all = vec![filter.as_ref()];
            all.extend(j.entry_also.iter().map(|m| m.filter.as_ref()));
            all.into_iter().map(|f| f.map(|f| vec![(f, true)]).unwrap_or_default()).collect()
        }
        Trigger::Schedule { .. } | Trigger::DateAttribute { .. } => return Vec::new(),
    };
    let dead = |lits: &Vec<(&Expr, bool)>| {
        let mut all = lits.clone();
        all.extend(audience.map(|a| (a, true)));
        !all.is_empty() && logic::unsatisfiable_conjunction(&all, p)
    };
    if needs.is_empty() || !needs.iter().all(dead) {
        return Vec::new();
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
            let lone = !logic::satisfiable(condition, p);
            let label = if lone {
                "this condition can never turn true".to_string()
            } else {
                "no customer can meet this condition and the journey's audience at once".to_string()
            };
            (label, Some(format!("condition: {}", logic::render(condition))))
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
    vec![never(d)]
}
