use crate::{ExitStatus, GlobalOptions};
use journey_diagnostics::rules;

#[derive(clap::Args, Debug)]
pub struct ExplainArgs {
    /// A diagnostic code (J301) or rule name (unreachable-stage)
    #[arg(required_unless_present = "list")]
    pub code: Option<String>,
    /// List every rule with its default severity
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: ExplainArgs, _global: &GlobalOptions) -> miette::Result<ExitStatus> {
    if args.list {
        for r in rules::RULES {
            crate::outln!("{}  {:<28} {:<8} {}", r.code, r.name, r.default_severity.as_str(), r.summary)?;
        }
        return Ok(ExitStatus::Success);
    }
    let code = args.code.unwrap_or_default();
    let Some(rule) = rules::lookup(&code) else {
        return Err(miette::miette!(
            help = "`journey explain --list` shows every code",
            "no diagnostic has the code or name `{code}`"
        ));
    };
    match rules::docs_page(rule.code) {
        Some(page) => crate::out!("{page}")?,
        None => crate::outln!("{} ({}): {}", rule.code, rule.name, rule.summary)?,
    }
    Ok(ExitStatus::Success)
}
