//! issue 15, accounts: journey.yaml's `events.account` checked against the program
//! (J501) and carried into its IR, and J120 for account reads in a project that maps
//! no accounts.

use journey_check::AccountRead;
use journey_diagnostics::{Diagnostic, Span};
use journey_ir::{Program, Type};
use journey_project::{Config, Project};

/// J120 at every account read when journey.yaml maps no accounts: the engine would
/// not know which customers share an account, so every such condition would silently
/// read the customer alone.
pub fn unmapped(config: &Config, reads: &[AccountRead]) -> Vec<Diagnostic> {
    if !matches!(config.accounts(), Ok(None)) {
        return Vec::new();
    }
    reads
        .iter()
        .map(|r| {
            // `for account` is recorded as a read of the account (journey_check)
            let (message, label) = if r.text == "for account" {
                ("the journey runs `for account`, but the project maps no accounts".to_string(), "runs per account")
            } else {
                (
                    format!("`{}` reads the customer's account, but the project maps no accounts", r.text),
                    "an account value",
                )
            };
            Diagnostic::new("J120", message).primary(r.file, r.span, label).help(
                "name the attribute holding each customer's account id in journey.yaml, \
                     e.g. `events: { account: account_id }` (see docs/configuration.md#accounts)",
            )
        })
        .collect()
}

/// Put the mapping into the program; J501 when it names no suitable attribute.
pub fn lower(project: &Project, program: &mut Program) -> Vec<Diagnostic> {
    let file = project.config_file.unwrap_or_default();
    let text = project.config_file.map(|f| project.sources.get(f).text.as_ref()).unwrap_or("");
    let at = |name: &str| {
        let from = text.find("account").unwrap_or(0);
        let i = text[from..].find(name).map_or(from, |i| from + i);
        Span::new(i, i + name.len())
    };
    let mapping = match project.config.accounts() {
        Ok(None) => return Vec::new(),
        Ok(Some(m)) => m,
        Err(message) => {
            return vec![Diagnostic::new("J501", format!("events.account: {message}"))
                .primary(file, at("account"), "here")
                .help("write `account: ATTRIBUTE` or `account: { attribute: ATTRIBUTE, file: PATH }`")]
        }
    };
    if project.config.one_program_per_file {
        return Vec::new();
    }
    let mut out = Vec::new();
    let text_attr = |name: &str| {
        program.attribute(name).map(|a| matches!(a.ty, Type::Text | Type::OneOf { .. } | Type::Number | Type::Bool))
    };
    for (key, name) in
        [("attribute", mapping.attribute.as_deref()), ("admin_attribute", mapping.admin_attribute.as_deref())]
    {
        let Some(name) = name else { continue };
        match text_attr(name) {
            Some(true) => {}
            Some(false) => out.push(
                Diagnostic::new("J501", format!("events.account: `{name}` cannot name an account"))
                    .primary(file, at(name), "not a text, choice, number or bool attribute")
                    .help(format!("`{key}` names an attribute whose value is an id or a flag")),
            ),
            None => out.push(
                Diagnostic::new("J501", format!("events.account: no attribute `{name}`"))
                    .primary(file, at(name), "not declared")
                    .help(format!("declare it in the journeys (`attribute {name}: text`) or fix the name")),
            ),
        }
    }
    if let Some(a) = &mapping.attribute {
        if program.accounts.attributes.contains(a) {
            out.push(
                Diagnostic::new("J501", format!("events.account: `{a}` is itself an account attribute"))
                    .primary(file, at(a), "the account id")
                    .help(format!("declare it `attribute {a}: text`: each customer's row says their account")),
            );
        }
    }
    let attributes = std::mem::take(&mut program.accounts.attributes);
    program.accounts = journey_ir::Accounts { attributes, ..mapping };
    out
}
