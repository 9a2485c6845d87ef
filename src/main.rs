//! The `sagetop` binary: parses the command line and hands over to the library.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = sagetop::cli::Cli::parse();
    sagetop::start::main(cli)
}
