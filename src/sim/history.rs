//! The world at the start: endpoint state built from the fleet specs, their past scaling
//! episodes (activities, instance-count history, surges) and CloudTrail deploy history.

use rand::Rng;
use serde_json::{Value, json};

use super::autoscale::{alarm_cause, default_policy, describe_activity};
use super::fleet::{Change, ESpec, Episode, VSpec, extra_spec, standard};
use super::ids::{self, ACCOUNT, MINUTE_MS, REGION, chacha, tag};
use super::metrics::InputLog;
use super::quotas;
use super::traffic::{Inputs, Surge, TrafficModel};
use super::trail::{self, Call, Caller, Trail};
use super::world::{Autoscale, EndpointState, Pending, VariantState, World};
use crate::domain::*;

const DAY_MS: i64 = 86_400_000;

fn variant_json(v: &VSpec) -> Value {
    match (v.serverless, v.itype) {
        (Some(s), _) => json!({ "variantName": v.name, "modelName": v.model,
            "serverlessConfig": { "memorySizeInMB": s.memory_size_mb, "maxConcurrency": s.max_concurrency } }),
        (None, t) => {
            json!({ "variantName": v.name, "modelName": v.model, "initialInstanceCount": v.desired,
            "instanceType": t, "initialVariantWeight": v.weight })
        }
    }
}

/// Deploy history of one endpoint as CloudTrail events.
fn deploy_events(seed: u64, e: &ESpec, start_ms: i64, push: &mut dyn FnMut(TrailEvent)) {
    let arn = ids::endpoint_arn(&e.name);
    let created = start_ms - e.created_ago_ms;
    let created_s = created - created.rem_euclid(1000);
    let cfg_arn = format!(
        "arn:aws:sagemaker:{REGION}:{ACCOUNT}:endpoint-config/{}",
        e.config
    );
    if e.created_ago_ms <= 90 * DAY_MS {
        for (i, v) in e.variants.iter().enumerate() {
            let req = json!({ "modelName": v.model, "executionRoleArn": format!("arn:aws:iam::{ACCOUNT}:role/SageMakerExecutionRole"),
                "primaryContainer": { "image": e.image, "modelDataUrl": format!("s3://acme-ml-models-{ACCOUNT}/{}/model.tar.gz", v.model) } });
            let res = json!({ "modelArn": format!("arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{}", v.model) });
            push(call(
                seed,
                created_s - 40_000 - i as i64 * 1000,
                &e.created_by,
                "CreateModel",
                vec![v.model.clone()],
                req,
                res,
            ));
        }
        let pvs: Vec<Value> = e.variants.iter().map(variant_json).collect();
        let req = json!({ "endpointConfigName": e.config, "productionVariants": pvs });
        let res = json!({ "endpointConfigArn": cfg_arn });
        push(call(
            seed,
            created_s - 20_000,
            &e.created_by,
            "CreateEndpointConfig",
            vec![e.config.clone()],
            req,
            res,
        ));
        let req = json!({ "endpointName": e.name, "endpointConfigName": e.config });
        push(call(
            seed,
            created_s,
            &e.created_by,
            "CreateEndpoint",
            vec![e.name.clone(), e.config.clone()],
            req,
            json!({ "endpointArn": arn }),
        ));
    }
    if let Change::Event(name, caller) = &e.change {
        let at = start_ms - e.modified_ago_ms;
        let req = match *name {
            "UpdateEndpoint" => {
                json!({ "endpointName": e.name, "endpointConfigName": e.config, "retainAllVariantProperties": true })
            }
            "UpdateEndpointWeightsAndCapacities" => {
                let d: Vec<Value> = e
                    .variants
                    .iter()
                    .map(|v| json!({ "variantName": v.name, "desiredInstanceCount": v.desired }))
                    .collect();
                json!({ "endpointName": e.name, "desiredWeightsAndCapacities": d })
            }
            _ => json!({ "endpointName": e.name }),
        };
        let res = if *name == "DeleteEndpoint" {
            Value::Null
        } else {
            json!({ "endpointArn": arn })
        };
        push(call(seed, at, caller, name, vec![e.name.clone()], req, res));
    }
}

fn call(
    seed: u64,
    time_ms: i64,
    caller: &Caller,
    name: &str,
    resources: Vec<String>,
    request: Value,
    response: Value,
) -> TrailEvent {
    let salt = ids::hash_str(resources.first().map_or("", String::as_str));
    trail::event(
        seed,
        Call {
            time_ms,
            caller,
            name,
            read_only: false,
            resources,
            request,
            response,
            error: None,
            request_id: None,
            salt,
        },
    )
}

fn build_endpoint(seed: u64, idx: u64, start_ms: i64, e: &ESpec, w: &mut World) -> EndpointState {
    let start_min = ids::minute_of(start_ms);
    let creation_ms = start_ms - e.created_ago_ms;
    let weights: Vec<f64> = e.variants.iter().map(|v| v.weight).collect();
    let shares = normalize_weights(&weights);
    let mut surges = Vec::new();
    let mut variants = Vec::new();
    for (vi, (v, share)) in e.variants.iter().zip(shares).enumerate() {
        let from = v.count.unwrap_or(0);
        let mut hist_counts = Vec::new();
        let scaling = v.scaling.map(|(min, max, target)| {
            Autoscale::registered(
                seed,
                (&e.name, &v.name),
                (min, max),
                Some(default_policy(target)),
            )
        });
        let mut scaling = scaling;
        let mut eps: Vec<&Episode> = v.episodes.iter().collect();
        eps.sort_by_key(|p| std::cmp::Reverse(p.ago_min));
        for ep in eps {
            let s0 = start_min - ep.ago_min;
            surges.push(Surge {
                from_min: s0,
                until_min: s0 + ep.len_min,
                factor: ep.factor,
            });
            let out_ms = (s0 + 3) * MINUTE_MS;
            let in_ms = (s0 + ep.len_min + 15) * MINUTE_MS;
            let mut r = chacha(&[seed, tag::DURATION, idx, out_ms as u64]);
            let out_done = out_ms + r.random_range(240..=360) * 1000;
            let in_done = in_ms + r.random_range(60..=120) * 1000;
            hist_counts.push((ids::minute_of(out_done), ep.to));
            hist_counts.push((ids::minute_of(in_done), from));
            let Some(sc) = scaling.as_mut() else { continue };
            let policy = sc
                .policy
                .as_ref()
                .map_or("", |p| p.name.as_str())
                .to_string();
            for (at, done, n, alarm) in [
                (out_ms, out_done, ep.to, &sc.alarm_high),
                (in_ms, in_done, from, &sc.alarm_low),
            ] {
                w.activities.push_back(ScalingActivity {
                    id: ids::uuid(&[seed, tag::ID, at as u64, idx, vi as u64, 77]),
                    endpoint: e.name.clone(),
                    variant: v.name.clone(),
                    start_time: ids::from_ms(at),
                    end_time: Some(ids::from_ms(done)),
                    description: describe_activity(n),
                    cause: alarm_cause(alarm, &policy),
                    status: ActivityStatus::Successful,
                    status_message: Some(format!(
                        "Successfully set desired instance count to {n}. Change successfully fulfilled by sagemaker."
                    )),
                });
                let change = VariantChange {
                    variant: v.name.clone(),
                    desired_weight: None,
                    desired_instance_count: Some(n),
                };
                let rid = ids::uuid(&[seed, tag::ID, at as u64, idx, 78]);
                let arn = ids::endpoint_arn(&e.name);
                w.trail.push(trail::update_event(
                    seed,
                    at,
                    &Caller::autoscaling(),
                    &e.name,
                    &arn,
                    &[change],
                    &rid,
                    None,
                ));
            }
            sc.last_out_ms = Some(out_ms);
            sc.last_in_ms = Some(in_ms);
        }
        hist_counts.sort_by_key(|c| c.0);
        variants.push(VariantState {
            name: v.name.clone(),
            model_name: v.model.clone(),
            instance_type: v.itype.map(str::to_string),
            serverless: v.serverless,
            current_count: v.count,
            desired_count: v.desired,
            current_weight: v.weight,
            desired_weight: v.weight,
            model: v.vm.clone(),
            scaling,
            hist_base: Inputs {
                instances: from,
                share: share as f32,
                factor: 1.0,
                serving: true,
                fault: 0.0,
            },
            hist_counts,
            log: InputLog::default(),
            open_extra: 0,
            capacity_ceiling: v.ceiling,
            fault: 0.0,
        });
    }
    let history_serving = match e.status {
        EndpointStatus::Creating | EndpointStatus::Failed => None,
        EndpointStatus::Deleting => Some((ids::minute_of(creation_ms) + 8, start_min - 1)),
        _ => Some((ids::minute_of(creation_ms) + 8, start_min)),
    };
    let pending = e.pending.as_ref().map(|(lo, hi, kind)| {
        let mut r = chacha(&[seed, tag::DURATION, idx, start_ms as u64, 9]);
        Pending {
            at_ms: start_ms + r.random_range(*lo..=*hi) * 1000,
            kind: kind.clone(),
        }
    });
    EndpointState {
        idx,
        name: e.name.clone(),
        arn: ids::endpoint_arn(&e.name),
        config_name: e.config.clone(),
        status: e.status,
        failure_reason: e.failure.clone(),
        creation_ms,
        last_modified_ms: start_ms - e.modified_ago_ms,
        variants,
        pending,
        load_factor: 1.0,
        traffic: TrafficModel {
            base_peak: e.base_peak,
            surges,
        },
        body: e.body,
        history_serving,
    }
}

/// The whole account at `start_ms`: standard fleet, `extra` generated endpoints,
/// quotas, past scaling activities and CloudTrail history.
pub(crate) fn build_world(seed: u64, start_ms: i64, extra: usize) -> World {
    let start_min = ids::minute_of(start_ms);
    let mut specs = standard();
    specs.extend(super::hosting_fleet::specs());
    let mut w = World {
        seed,
        start_min,
        now_ms: start_ms,
        open_min: start_min,
        endpoints: Default::default(),
        std_count: specs.len() as u64,
        trail: Trail::default(),
        activities: Default::default(),
        quotas: Vec::new(),
        write_seq: 0,
        invoke_seq: 0,
        series_faults: Default::default(),
        hosting: super::hosting_fleet::state(start_ms),
        deploy: Default::default(),
    };
    let mut history = Vec::new();
    for (i, spec) in specs.iter().enumerate() {
        let ep = build_endpoint(seed, i as u64, start_ms, spec, &mut w);
        deploy_events(seed, spec, start_ms, &mut |ev| history.push(ev));
        w.endpoints.insert(ep.name.clone(), ep);
    }
    for i in 0..extra {
        let spec = extra_spec(seed, i);
        let ep = build_endpoint(seed, w.std_count + i as u64, start_ms, &spec, &mut w);
        w.endpoints.insert(ep.name.clone(), ep);
    }
    for ev in history {
        w.trail.push(ev);
    }
    super::deployments_demo::install(&mut w);
    w.activities.make_contiguous().sort_by_key(|a| a.start_time);
    w.quotas = quotas::build(w.endpoints.values());
    super::async_scale::install(&mut w);
    super::hosting::warm(&mut w);
    w.activities.make_contiguous().sort_by_key(|a| a.start_time);
    // Twelve hours of read-only noise from people and tools before the start.
    for m in start_min - 720..start_min {
        trail::background_minute(&mut w, m);
    }
    w
}
