//! The `porpoise` binary; see the library for what it runs.

fn main() -> std::process::ExitCode {
    porpoise::run(std::env::args().skip(1).collect())
}
