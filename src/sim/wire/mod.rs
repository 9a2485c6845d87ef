//! Owns the simulated account's HTTP face: one hyper HTTP/1.1 server on loopback that serves
//! the `SimAccount` to any AWS SDK, boto3 or the AWS CLI in AWS's own wire protocols —
//! SageMaker, Application Auto Scaling, CloudTrail, Service Quotas (awsJson1_1), CloudWatch
//! GetMetricData (rpcv2Cbor and awsJson1_0), CloudWatch Logs (awsJson1_1), STS (awsQuery) and the sagemaker-runtime REST
//! `InvokeEndpoint` — validating every request against the published service model and the
//! documented rules, injecting `--demo-faults` as AWS's error responses, and counting the calls
//! it served (`GET /_sagetop/calls`).

mod autoscaling;
mod cbor;
mod cloudtrail;
mod cloudwatch;
mod component_scaling;
mod deployments;
mod hosting;
mod logs;
mod model;
mod protocol;
mod quotas;
mod runtime;
mod sagemaker;
mod token;

pub use runtime::error_status;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Method, Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::{Value, json};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::boundary::Layer;
use crate::boundary::{Operation, SharedBackend};
use crate::clock::SharedClock;
use crate::faults::{FaultSpec, Faults, Injected};
use crate::sim::SimAccount;
use model::Svc;
use protocol::{Proto, Route, WireError};

/// Largest request body read (a little over SageMaker's 6 MB so the runtime can say so).
const MAX_BODY: usize = 6 * 1024 * 1024 + 1024;

/// Largest control-plane request body (AWS's JSON APIs refuse far smaller bodies than this).
const MAX_API_BODY: usize = 1024 * 1024;

/// How long a "no response" fault holds the reply: past every client's timeout (the SDK's
/// 75 s invoke timeout, boto3's 60 s read timeout).
const NO_RESPONSE_HOLD: Duration = Duration::from_secs(90);

/// A running server; stopped when dropped or on [`SimServer::shutdown`].
pub struct SimServer {
    addr: SocketAddr,
    cancel: CancellationToken,
    task: Option<tokio::task::JoinHandle<()>>,
    ctx: Arc<Ctx>,
}

/// What a whole-account server serves.
pub struct AccountOptions {
    pub sim: Arc<SimAccount>,
    pub clock: SharedClock,
    /// `--demo-faults`: injected as AWS's error responses.
    pub faults: Option<FaultSpec>,
    pub seed: u64,
    /// Where to listen (`127.0.0.1:0` for a free port).
    pub listen: SocketAddr,
}

#[derive(Default)]
struct Counts {
    calls: BTreeMap<(String, String), (u64, u64)>,
    metric_queries: u64,
}

pub(crate) struct Ctx {
    /// What `InvokeEndpoint` is answered by (the account, possibly behind faults).
    runtime: SharedBackend,
    account: Option<Arc<SimAccount>>,
    faults: Option<Arc<Faults>>,
    clock: SharedClock,
    seq: AtomicU64,
    counts: Mutex<Counts>,
}

impl SimServer {
    /// The runtime alone: binds 127.0.0.1 on a free port and answers `InvokeEndpoint` through
    /// `backend` (normally the `SimAccount`, possibly behind the `Faults` layer). Control-plane
    /// requests get UnknownOperationException.
    pub async fn start(backend: SharedBackend, clock: SharedClock) -> std::io::Result<SimServer> {
        let ctx = Ctx {
            runtime: backend,
            account: None,
            faults: None,
            clock,
            seq: AtomicU64::new(0),
            counts: Mutex::new(Counts::default()),
        };
        SimServer::bind(SocketAddr::from(([127, 0, 0, 1], 0)), ctx).await
    }

    /// The whole simulated account on one port: every service sagetop calls.
    pub async fn start_account(o: AccountOptions) -> std::io::Result<SimServer> {
        let faults = o.faults.filter(|f| !f.is_empty()).map(|spec| {
            tracing::info!(spec = %spec, seed = o.seed, "fault injection on");
            Arc::new(super::faults::faults_on(
                &o.sim,
                spec,
                o.clock.clone(),
                o.seed,
            ))
        });
        let runtime: SharedBackend = match &faults {
            Some(f) => Arc::new(f.clone().over(o.sim.clone())),
            None => o.sim.clone(),
        };
        let ctx = Ctx {
            runtime,
            account: Some(o.sim),
            faults,
            clock: o.clock,
            seq: AtomicU64::new(0),
            counts: Mutex::new(Counts::default()),
        };
        SimServer::bind(o.listen, ctx).await
    }

    async fn bind(listen: SocketAddr, ctx: Ctx) -> std::io::Result<SimServer> {
        let listener = tokio::net::TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let cancel = CancellationToken::new();
        let ctx = Arc::new(ctx);
        let task = tokio::spawn(accept_loop(listener, ctx.clone(), cancel.clone()));
        tracing::info!(%addr, "simulated AWS account listening");
        Ok(SimServer {
            addr,
            cancel,
            task: Some(task),
            ctx,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` — what an SDK client takes as `endpoint_url`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://127.0.0.1:PORT/endpoints/NAME/invocations`.
    pub fn invocations_url(&self, endpoint: &str) -> String {
        format!("{}/endpoints/{endpoint}/invocations", self.base_url())
    }

    /// Calls served so far, as `GET /_sagetop/calls` reports them.
    pub fn calls(&self) -> Value {
        self.ctx.calls_json()
    }

    /// Stops accepting, closes every connection, and waits for the server task.
    pub async fn shutdown(mut self) {
        self.cancel.cancel();
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, ctx: Arc<Ctx>, cancel: CancellationToken) {
    let mut conns = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => break,
            a = listener.accept() => a,
        };
        while conns.try_join_next().is_some() {}
        let (stream, _) = match accepted {
            Ok(a) => a,
            Err(e) => {
                tracing::warn!(error = %e, "sim server accept failed");
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let ctx = ctx.clone();
        conns.spawn(async move {
            let service = hyper::service::service_fn(move |req| handle(req, ctx.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
    // Dropping `conns` aborts the open connections: nothing outlives the server.
}

impl Ctx {
    fn request_id(&self) -> String {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let h = crate::sim::ids::mix(&[0x51u64, n]);
        format!(
            "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
            (h >> 32) as u32,
            (h >> 16) as u16,
            n & 0xfff,
            (h >> 4) & 0xfff,
            (h ^ n) & 0xffff_ffff_ffff
        )
    }

    fn count(&self, service: &str, op: &str, failed: bool) {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let e = c
            .calls
            .entry((service.to_string(), op.to_string()))
            .or_default();
        e.0 += 1;
        if failed {
            e.1 += 1;
        }
    }

    fn count_metric_queries(&self, n: u64) {
        self.counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .metric_queries += n;
    }

    /// `{"calls": {"sagemaker": {"DescribeEndpoint": {"calls": n, "errors": e}}, …},
    ///   "total": n, "metric_queries": q}`
    fn calls_json(&self) -> Value {
        let c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let mut by_service = serde_json::Map::new();
        let mut total = 0;
        for ((svc, op), (n, errors)) in &c.calls {
            total += n;
            let entry = by_service
                .entry(svc.clone())
                .or_insert_with(|| Value::Object(Default::default()));
            entry[op.as_str()] = json!({ "calls": n, "errors": errors });
        }
        json!({ "calls": by_service, "total": total, "metric_queries": c.metric_queries })
    }
}

async fn handle(
    req: Request<Incoming>,
    ctx: Arc<Ctx>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let request_id = ctx.request_id();
    let path = req.uri().path().to_string();
    if req.method() == Method::GET && path == "/ping" {
        return Ok(Response::new(Full::new(Bytes::new())));
    }
    if req.method() == Method::GET && path == "/_sagetop/calls" {
        let mut r = Response::new(Full::new(Bytes::from(ctx.calls_json().to_string())));
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        return Ok(r);
    }
    if path.starts_with("/endpoints/") {
        return Ok(runtime::handle(req, &ctx, &request_id).await);
    }
    Ok(control_plane(req, ctx, &request_id).await)
}

async fn control_plane(
    req: Request<Incoming>,
    ctx: Arc<Ctx>,
    request_id: &str,
) -> Response<Full<Bytes>> {
    let (parts, body) = req.into_parts();
    let body = match Limited::new(body, MAX_API_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            let e = WireError::new(
                413,
                "RequestEntityTooLargeException",
                "Request body is too large",
            );
            let proto = if parts.uri.path().starts_with("/service/") {
                Proto::Cbor
            } else {
                Proto::Json11
            };
            return protocol::error(proto, None, &e, request_id);
        }
    };
    let action = protocol::form(&body)
        .into_iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v);
    let route = match protocol::route(parts.uri.path(), &parts.headers, action.as_deref()) {
        Ok(r) => r,
        Err((proto, e)) => {
            ctx.count("unknown", "unknown", true);
            return protocol::error(proto, None, &e, request_id);
        }
    };
    let result = serve(&ctx, &route, &body, request_id).await;
    ctx.count(route.svc.signing_name(), &route.op, result.is_err());
    match result {
        Ok(out) => protocol::ok(&route, &out, request_id),
        Err(Failure::Error(e)) => protocol::error(route.proto, Some(route.svc), &e, request_id),
        Err(Failure::NoResponse) => {
            tokio::time::sleep(NO_RESPONSE_HOLD).await;
            let e = WireError::new(
                504,
                "RequestTimeout",
                "No response within the client's timeout",
            );
            protocol::error(route.proto, Some(route.svc), &e, request_id)
        }
    }
}

enum Failure {
    Error(WireError),
    NoResponse,
}

impl From<WireError> for Failure {
    fn from(e: WireError) -> Self {
        Failure::Error(e)
    }
}

/// An injected fault as the service answers it (status and code per protocol family).
fn injected(svc: Svc, i: Injected) -> Failure {
    match i {
        Injected::NoResponse => Failure::NoResponse,
        Injected::Error(e) => {
            let (status, code) = match (svc.query_codes(), e.code) {
                // awsQuery services: AccessDenied / ExpiredToken are 403.
                (true, "AccessDeniedException" | "AccessDenied") => (403, "AccessDenied"),
                (true, "ExpiredTokenException" | "ExpiredToken") => (403, "ExpiredToken"),
                (_, code) => (e.status, code),
            };
            Failure::Error(WireError::new(status, code, e.message))
        }
    }
}

/// The resource a call is about (for fault dice and AccessDenied wording).
fn resource_of(input: &Value) -> Option<String> {
    if let Some(g) = input.get("logGroupName").and_then(Value::as_str) {
        return Some(
            g.strip_prefix("/aws/sagemaker/Endpoints/")
                .unwrap_or(g)
                .to_string(),
        );
    }
    for k in [
        "EndpointName",
        "EndpointConfigName",
        "ResourceId",
        "InferenceComponentName",
        "ModelName",
    ] {
        if let Some(s) = input.get(k).and_then(Value::as_str) {
            let name = crate::domain::parse_resource_id(s).map_or(s.to_string(), |(e, _)| e);
            return Some(name);
        }
    }
    None
}

async fn serve(ctx: &Ctx, route: &Route, body: &[u8], request_id: &str) -> Result<Value, Failure> {
    let Some(sim) = ctx.account.as_ref() else {
        return Err(WireError::new(
            400,
            "UnknownOperationException",
            "This server only serves the sagemaker-runtime",
        )
        .into());
    };
    let input = protocol::decode(route.proto, body)?;
    model::validate(route.svc.model(), &route.op, &input).map_err(|e| match e {
        model::Invalid::Type(m) => WireError::serialization(m),
        c @ model::Invalid::Constraints(_) => WireError::validation(route.svc, c.message()),
    })?;
    let op = route.svc.operation(&route.op);
    let resource = resource_of(&input);
    let mut lost_response = false;
    if let (Some(f), Some(op)) = (ctx.faults.as_ref(), op) {
        f.check(op, resource.as_deref())
            .await
            .map_err(|i| injected(route.svc, i))?;
        if matches!(
            op,
            Operation::UpdateEndpointWeightsAndCapacities | Operation::RegisterScalableTarget
        ) {
            let (lost_request, lost) = f.write_losses(op, resource.as_deref().unwrap_or_default());
            if lost_request {
                return Err(Failure::NoResponse);
            }
            lost_response = lost;
        }
    }
    if route.svc == Svc::CloudWatch {
        let n = input
            .get("MetricDataQueries")
            .and_then(Value::as_array)
            .map_or(0, Vec::len);
        ctx.count_metric_queries(n as u64);
    }
    let out = match route.svc {
        Svc::SageMaker => sagemaker::call(sim, &route.op, &input, request_id),
        Svc::AutoScaling => autoscaling::call(sim, &route.op, &input),
        Svc::CloudTrail => cloudtrail::call(sim, &route.op, &input),
        Svc::Quotas => quotas::call(sim, &route.op, &input),
        Svc::CloudWatch => cloudwatch::call(sim, &route.op, &input),
        Svc::Sts => quotas::caller_identity(sim.account_id()),
        Svc::Logs => logs::call(sim, &route.op, &input),
    }?;
    if lost_response {
        return Err(Failure::NoResponse);
    }
    Ok(out)
}

/// Epoch seconds (what awsJson and rpcv2Cbor carry for timestamps) of a time in ms.
pub(crate) fn secs(ms: i64) -> Value {
    json!(ms as f64 / 1000.0)
}

/// A timestamp member (epoch seconds) in ms.
pub(crate) fn ms_of(v: Option<&Value>) -> Option<i64> {
    v.and_then(Value::as_f64)
        .map(|s| (s * 1000.0).round() as i64)
}

/// The bad-NextToken error of a service.
/// One page of `items`: at most the request's `field` (`MaxResults`, or CloudWatch's
/// `MaxRecords`; `default` without it), from its NextToken on. A token that does not belong to
/// this request is the service's own bad-token error.
pub(crate) fn page_by<T>(
    items: Vec<T>,
    input: &Value,
    field: &str,
    default: u64,
    svc: Svc,
) -> Result<(Vec<T>, Option<String>), WireError> {
    let max = input.get(field).and_then(Value::as_u64).unwrap_or(default) as usize;
    token::page(items, input, max).map_err(|_| bad_token(svc))
}

pub(crate) fn bad_token(svc: Svc) -> WireError {
    match svc {
        // https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_LookupEvents.html
        Svc::CloudTrail => WireError::new(
            400,
            "InvalidNextTokenException",
            "Invalid NextToken: it must be passed with the same parameters as the call that returned it.",
        ),
        // https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
        Svc::CloudWatch => WireError::new(
            400,
            "InvalidNextToken",
            "The service cannot process the NextToken: it must be used with the same parameters as the call that returned it.",
        ),
        // https://docs.aws.amazon.com/servicequotas/2019-06-24/apireference/API_ListServiceQuotas.html
        Svc::Quotas => WireError::new(
            400,
            "InvalidPaginationTokenException",
            "Invalid pagination token.",
        ),
        _ => WireError::validation(
            svc,
            "Invalid pagination token: a NextToken is only valid with the same parameters as the call that returned it.",
        ),
    }
}
