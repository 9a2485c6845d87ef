//! A tiny SageMaker-style container on 127.0.0.1 (`GET /ping`, `POST /invocations`) for
//! benchmarks such as `scripts/bench-vs-oha`; prints its invocations URL, serves until killed.
//!
//! `cargo run --release --example loopback_server -- [--port N] [--delay-ms N] [--threads N]`

use std::io::Write;
use std::time::Duration;

use sagetop::load::loopback::{LoopbackConfig, LoopbackServer};

fn main() {
    let mut config = LoopbackConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_default();
        let n: u64 = match value.parse() {
            Ok(n) => n,
            Err(_) => {
                eprintln!("loopback_server: {flag} needs a whole number, got {value:?}");
                std::process::exit(2);
            }
        };
        match flag.as_str() {
            "--port" => config.port = n as u16,
            "--delay-ms" => config.delay = Duration::from_millis(n),
            "--threads" => config.threads = n.max(1) as usize,
            other => {
                eprintln!(
                    "loopback_server: unknown flag {other} (use --port, --delay-ms, --threads)"
                );
                std::process::exit(2);
            }
        }
    }
    let server = match LoopbackServer::start(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("loopback_server: cannot listen: {e}");
            std::process::exit(1);
        }
    };
    println!("{}", server.invocations_url());
    let _ = std::io::stdout().flush();
    loop {
        std::thread::park();
    }
}
