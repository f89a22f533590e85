use crate::ExitStatus;

#[derive(clap::Args, Debug)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell
    pub shell: clap_complete::Shell,
}

pub fn run(args: CompletionsArgs, mut cmd: clap::Command) -> miette::Result<ExitStatus> {
    clap_complete::generate(args.shell, &mut cmd, "journey", &mut std::io::stdout());
    Ok(ExitStatus::Success)
}
