//! `porpoise`: a DolphinDB-compatible node, and the tools around it. The binary takes
//! DolphinDB's launch lines unchanged (`porpoise -mode controller -home data -config
//! config/controller.cfg -nodesFile config/cluster.nodes -clusterConfig config/cluster.cfg`)
//! and subcommands for humans (`porpoise playground`).

pub mod launch;
mod logging;
pub mod node;
pub mod playground;

use std::process::ExitCode;

/// Runs the command line (without the program name).
pub fn run(args: Vec<String>) -> ExitCode {
    match args.first().map(String::as_str) {
        Some("playground") => playground::main(&args[1..]),
        Some("help" | "--help" | "-h") => {
            println!("{}", USAGE);
            ExitCode::SUCCESS
        }
        Some("--version" | "version") => {
            println!("porpoise {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        _ => node::run(&args),
    }
}

const USAGE: &str = "\
porpoise: a DolphinDB-compatible time-series database

  porpoise playground [--quick] [--dir DIR]   a whole cluster on 127.0.0.1 in one command
  porpoise -key value ...                     a node, with DolphinDB's flags, e.g.
      porpoise -mode single -home data -localSite localhost:8848:local8848
      porpoise -console 0 -mode controller -home data -config config/controller.cfg \\
               -logFile log/controller.log -nodesFile config/cluster.nodes \\
               -clusterConfig config/cluster.cfg
      porpoise -console 0 -mode agent -home data -config config/agent.cfg -logFile log/agent.log";
