use crate::ExitStatus;

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    pub shell: clap_complete::Shell,
}

pub fn run(args: CompletionsArgs, mut cmd: clap::Command) -> miette::Result<ExitStatus> {
    // clap_complete panics when its writer fails: it writes to memory, we to stdout
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "journey", &mut script);
    crate::out!("{}", String::from_utf8_lossy(&script))?;
    Ok(ExitStatus::Success)
}
