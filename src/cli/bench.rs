//! Owns the flags of `sagetop bench` (`BenchArgs`) and their value parsers: each bad value
//! becomes a message that says what to give instead.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::load::spec::{self, DEFAULT_CONCURRENCY};

/// `sagetop bench`: a local load run without the console.
#[derive(Debug, Clone, Args)]
#[command(
    next_help_heading = "Load run",
    after_help = "Exit status: 0 done, 2 bad input (nothing sent), 3 a budget was breached, 130 interrupted.\nEvery invocation of a SageMaker endpoint is billed; read-only mode refuses --endpoint."
)]
pub struct BenchArgs {
    /// SageMaker endpoint to invoke (InvokeEndpoint); with --demo, a simulated endpoint.
    #[arg(
        long,
        value_name = "NAME",
        required_unless_present = "url",
        conflicts_with = "url"
    )]
    pub endpoint: Option<String>,

    /// A SageMaker-style container (checked first with GET /ping), e.g. http://127.0.0.1:8080/invocations.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,

    /// Requests in flight at once (one connection each).
    #[arg(short = 'c', long = "concurrency", value_name = "N", default_value_t = DEFAULT_CONCURRENCY, value_parser = parse_concurrency)]
    pub concurrency: u32,

    /// Run for this long (30s, 2m, 1m30s) [default: 10s unless -n is given].
    #[arg(short = 'z', long = "duration", value_name = "DUR", value_parser = parse_positive_duration, conflicts_with = "requests")]
    pub duration: Option<Duration>,

    /// Send this many requests in total.
    #[arg(short = 'n', long = "requests", value_name = "N", value_parser = parse_count)]
    pub requests: Option<u64>,

    /// Open loop: requests per second in total; latency counts from each scheduled start.
    #[arg(short = 'q', long = "rate", value_name = "RPS", allow_negative_numbers = true, value_parser = spec::parse_rate)]
    pub rate: Option<f64>,

    /// Ramp the rate (or the workers, without -q) up linearly over this long.
    #[arg(long, value_name = "DUR", value_parser = crate::units::parse_duration)]
    pub ramp: Option<Duration>,

    /// Per-request timeout (SageMaker gives a model 60 s).
    #[arg(long, value_name = "DUR", default_value = "65s", value_parser = parse_positive_duration)]
    pub timeout: Duration,

    /// The request body, sent with every request.
    #[arg(long, value_name = "STRING", conflicts_with = "payload")]
    pub body: Option<String>,

    /// One request per line (CSV rows or JSON lines; .jsonl/.ndjson/.json lines must parse), sent in order.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["payload_file", "payload_dir"])]
    pub payload: Option<PathBuf>,

    /// The whole file, byte for byte, as every request's body (images, npy, protobuf, …).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["body", "payload_dir"])]
    pub payload_file: Option<PathBuf>,

    /// Each file of the directory as one request's body, in name order.
    #[arg(long, value_name = "DIR", conflicts_with = "body")]
    pub payload_dir: Option<PathBuf>,

    /// Send the payload lines in a random order seeded by --seed.
    #[arg(long)]
    pub shuffle: bool,

    /// Content-Type of the requests.
    #[arg(long, value_name = "TYPE", default_value = "text/csv")]
    pub content_type: String,

    /// Accept header of the requests.
    #[arg(long, value_name = "TYPE")]
    pub accept: Option<String>,

    /// TargetVariant: send every request to this production variant.
    #[arg(long, value_name = "VARIANT")]
    pub variant: Option<String>,

    /// Print the results as JSON (oha's field names plus the per-variant split).
    #[arg(long)]
    pub json: bool,

    /// Budget: exit 3 when the failed share of requests is over this (0..1, e.g. 0.01).
    #[arg(long, value_name = "RATE", value_parser = parse_share)]
    pub max_error_rate: Option<f64>,

    /// Budget: exit 3 when the p99 latency of successful requests is over this (e.g. 250ms).
    #[arg(long = "p99", value_name = "DUR", value_parser = parse_positive_duration)]
    pub p99: Option<Duration>,

    /// --endpoint: skip the start-up checks (STS GetCallerIdentity, DescribeEndpoint): for
    /// roles allowed only sagemaker:InvokeEndpoint, and emulators that answer the runtime only.
    #[arg(long)]
    pub no_describe: bool,

    /// Write an equivalent locustfile (boto3 invoke_endpoint, same payloads, users, spawn
    /// rate, duration and budgets) to FILE instead of running, for Locust's distributed mode.
    #[arg(long, value_name = "FILE")]
    pub export_locust: Option<PathBuf>,

    /// --url: skip the GET /ping health check (servers that only answer the invocations path).
    #[arg(long)]
    pub no_ping: bool,

    /// Lift the caps (10 min, 256 concurrent) to 24 h and 10,000.
    #[arg(long)]
    pub allow_large: bool,

    /// Threads of the load engine (its own runtime, apart from everything else) [default: one per core].
    #[arg(short = 'j', long = "threads", value_name = "N", value_parser = parse_threads)]
    pub threads: Option<u32>,

    /// Requests in flight when the time is up: `count` abandons them and counts them as
    /// aborted (like oha); `wait` waits for their answers, up to --timeout.
    #[arg(long, value_name = "HOW", default_value = "count", value_parser = ["count", "wait"])]
    pub in_flight: String,

    /// More request headers, NAME:VALUE (repeatable; signed with the request).
    #[arg(short = 'H', long = "header", value_name = "NAME:VALUE", value_parser = parse_header)]
    pub headers: Vec<(String, String)>,

    /// CustomAttributes of InvokeEndpoint (X-Amzn-SageMaker-Custom-Attributes).
    #[arg(long, value_name = "TEXT")]
    pub custom_attributes: Option<String>,

    /// InferenceComponentName: invoke this inference component of the endpoint.
    #[arg(long, value_name = "NAME")]
    pub inference_component: Option<String>,

    /// TargetContainerHostname: the container of a multi-container endpoint (direct invocation).
    #[arg(long, value_name = "HOST")]
    pub target_container_hostname: Option<String>,

    /// https: accept any server certificate (self-signed test servers).
    #[arg(long)]
    pub insecure: bool,

    /// HTTP/1.1 client for answers read whole: `own` (sagetop's lean exchange: about half
    /// hyper's client CPU per request) or `hyper` (hyper's client, for a server the own
    /// exchange does not get along with). --stream always uses hyper.
    #[arg(long, value_name = "CLIENT", default_value = "own", value_parser = crate::load::target::HttpClient::parse)]
    pub http_client: crate::load::target::HttpClient,

    /// Streaming endpoint: InvokeEndpointWithResponseStream; reports time to first chunk,
    /// chunks per second and total time per request.
    #[arg(long)]
    pub stream: bool,

    /// How a demo run reaches the simulated runtime server: sigv4 (InvokeEndpoint signed on
    /// the lean path), sdk (the SDK runtime client) or http (plain POSTs).
    #[arg(long, value_name = "HOW", default_value = "sigv4", value_parser = ["sigv4", "sdk", "http"], hide = true)]
    pub demo_via: String,
}

fn parse_threads(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{s}` is not a number of threads (e.g. -j 4)")),
    }
}

fn parse_header(s: &str) -> Result<(String, String), String> {
    let (name, value) = s
        .split_once(':')
        .ok_or_else(|| format!("`{s}` is not a header: give NAME:VALUE (e.g. -H 'X-Trace: 1')"))?;
    let name = name.trim();
    if name.is_empty() || hyper::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
        return Err(format!("`{name}` is not a valid header name"));
    }
    Ok((name.to_string(), value.trim().to_string()))
}

fn parse_concurrency(s: &str) -> Result<u32, String> {
    let n: u32 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a number of concurrent requests (e.g. -c 16)"))?;
    if n == 0 {
        return Err("concurrency must be at least 1 (requests in flight at once)".into());
    }
    Ok(n)
}

fn parse_count(s: &str) -> Result<u64, String> {
    let n: u64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a request count (e.g. -n 1000)"))?;
    if n == 0 {
        return Err("request count must be at least 1".into());
    }
    Ok(n)
}

fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    let d = crate::units::parse_duration(s).map_err(|e| e.to_string())?;
    if d.is_zero() {
        return Err(format!("`{s}` is zero: give a duration above 0 (e.g. 30s)"));
    }
    Ok(d)
}

fn parse_share(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a share between 0 and 1 (e.g. 0.01 for 1%)"))?;
    if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
        return Err(format!("`{s}` must be between 0 and 1 (e.g. 0.01 for 1%)"));
    }
    Ok(v)
}
